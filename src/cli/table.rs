//! Plain aligned tables for terminals and pipes. Every cell is sanitised:
//! whatever came from AWS cannot send escape sequences to the terminal.

use flightdeck_model::text::sanitize;

/// Prints `headers` and `rows` as left-aligned columns two spaces apart;
/// the last column is not padded.
pub fn print(headers: &[&str], rows: &[Vec<String>]) {
    emit(&render(headers, rows));
}

/// Writes to stdout. When the reader has gone away (`| head`), there is
/// nothing left to do: exit quietly instead of panicking like `print!`.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("flightdeck: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let clean: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| sanitize(c)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &clean {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(clean.iter()) {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let pad = widths.get(i).copied().unwrap_or(0) - cell.chars().count();
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_control_characters_are_defused() {
        let rows = vec![
            vec!["a".to_string(), "x\u{1b}[2Jy".to_string()],
            vec!["long-name".to_string(), "z".to_string()],
        ];
        let out = render(&["NAME", "VALUE"], &rows);
        assert!(!out.contains('\u{1b}'), "{out:?}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "NAME       VALUE");
        assert!(lines[1].starts_with("a          x"), "{out}");
        assert_eq!(lines[2], "long-name  z");
    }
}
