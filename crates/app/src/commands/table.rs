//! Plain aligned tables for terminals and pipes. Every cell is sanitised:
//! whatever came from AWS cannot send escape sequences to the terminal.

use flightdeck_model::text::{is_unsafe, sanitize};

/// Prints `headers` and `rows` as left-aligned columns two spaces apart;
/// the last column is not padded.
pub fn print(headers: &[&str], rows: &[Vec<String>]) {
    emit(&render(headers, rows));
}

/// Writes to stdout, through the one way out (sanitised).
pub fn emit(text: &str) {
    crate::output::out(text);
}

/// `value` as JSON that is safe on a terminal too: serde_json escapes the
/// C0 controls, this escapes what it leaves raw (DEL, C1 controls, bidi
/// and zero-width characters) as `\uXXXX`. Still the same JSON value.
pub fn json<T: serde::Serialize>(value: &T, pretty: bool) -> serde_json::Result<String> {
    let text = if pretty {
        serde_json::to_string_pretty(value)?
    } else {
        serde_json::to_string(value)?
    };
    // Newlines outside strings are the layout of pretty JSON; serde_json
    // already escaped those inside strings.
    let unsafe_char = |c: char| c != '\n' && is_unsafe(c);
    if !text.chars().any(unsafe_char) {
        return Ok(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            // Unsafe characters are all in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Ok(out)
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

    #[test]
    fn json_escapes_what_serde_json_leaves_raw_and_stays_the_same_value() {
        let value = serde_json::json!({"m": "a\x1b[2J\u{9b}31m\u{7f}\u{202e}b😀"});
        let text = json(&value, false).unwrap();
        assert!(!text.chars().any(is_unsafe), "{text}");
        let pretty = json(&value, true).unwrap();
        assert!(
            pretty.contains('\n') && pretty.contains("\\u009b"),
            "{pretty}"
        );
        assert!(
            text.contains("\\u009b") && text.contains("\\u202e"),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
