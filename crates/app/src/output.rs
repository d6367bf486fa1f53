//! The one way out to the operator's terminal. Commands print with [`out`]
//! (stdout) and [`err`] (stderr), which take only a
//! [`SafeText`](flightdeck_model::text::SafeText): text that went through
//! the sanitiser, so no error message, table, log group name or session id
//! from AWS can carry an escape sequence. The cockpit's own sequences
//! (frames that `ui::render` defused, screen and mouse modes, OSC 52 of
//! sanitised text) go through [`terminal`]. `println!`, `eprintln!` and
//! `std::io::stdout`/`stderr` are refused by clippy (clippy.toml) outside
//! this module, so there is no other way.

use flightdeck_model::text::SafeText;
use std::io::Write;

/// Writes `text` to stdout. When the reader has gone away (`| head`),
/// there is nothing left to do: exit quietly instead of panicking like
/// `print!`.
pub fn out(text: impl Into<SafeText>) {
    let text = text.into();
    #[expect(clippy::disallowed_methods, reason = "the one way to stdout")]
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_str().as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        err(format!("flightdeck: cannot write to stdout: {e}\n"));
        std::process::exit(1);
    }
}

/// Writes `text` to stderr; a stderr that cannot be written to is no
/// reason to stop.
pub fn err(text: impl Into<SafeText>) {
    let text = text.into();
    #[expect(clippy::disallowed_methods, reason = "the one way to stderr")]
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_str().as_bytes());
}

/// `text` and a newline on stderr: a message of the commands, `flightdeck: ...`.
pub fn errln(text: impl Into<SafeText>) {
    let mut text: String = text.into().as_str().to_string();
    text.push('\n');
    err(text);
}

/// Bytes flightdeck made itself from its own definitions (a completion
/// script, the man page) to stdout as they are; a reader that has gone
/// away (`| head`) ends it quietly, as [`out`] does.
pub fn own_bytes(bytes: &[u8]) -> std::io::Result<()> {
    let mut stdout = terminal().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The terminal itself, for the cockpit's own escape sequences: ratatui's
/// frames (defused by `ui::render`), screen and mouse modes, OSC 52 of
/// sanitised text. Never for text from AWS: that goes through [`out`].
pub fn terminal() -> std::io::Stdout {
    #[expect(
        clippy::disallowed_methods,
        reason = "the cockpit's own sequences, never AWS text"
    )]
    std::io::stdout()
}

#[cfg(test)]
mod tests {
    use flightdeck_model::text::{SafeText, is_unsafe};

    #[test]
    fn an_error_from_aws_is_defused_on_its_way_out() {
        let message = format!(
            "flightdeck: {}",
            "AccessDenied: \x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b]0;owned\x07\u{9b}31m"
        );
        let safe = SafeText::from(message);
        assert!(!safe.as_str().chars().any(is_unsafe), "{safe:?}");
        assert!(
            safe.as_str()
                .starts_with("flightdeck: AccessDenied: ?]52;c;")
        );
    }
}
