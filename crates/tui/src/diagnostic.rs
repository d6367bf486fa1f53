//! Errors in the operator's own files (config, themes), located by file,
//! line and column.

use flightdeck_model::text::sanitize;
use std::fmt;
use std::path::{Path, PathBuf};

/// A problem at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FileError {
    pub path: PathBuf,
    /// 1-based; 0 when the problem is the whole file.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Shown sanitised: a file of binary garbage must not reach the terminal
/// through its own error message.
impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = sanitize(&self.path.display().to_string());
        let message = sanitize(&self.message);
        if self.line == 0 {
            write!(f, "{path}: {message}")
        } else {
            write!(f, "{path}:{}:{}: {message}", self.line, self.column)
        }
    }
}

/// The largest config, theme or scenario file read: far above any written
/// by hand (20,000 environments take 1 MiB), far below a laptop's memory.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

impl FileError {
    pub fn whole_file(path: &Path, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
        }
    }

    /// The error at byte `offset` of `source`.
    pub fn at(path: &Path, source: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(source, offset);
        Self {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Reads a config, theme or scenario file, at most [`MAX_FILE_BYTES`]
    /// (a device or a runaway file is refused, not read into memory).
    /// Bytes that are not UTF-8 are located like any other error (binary
    /// garbage is refused at its first bad byte).
    pub fn read(path: &Path) -> Result<String, FileError> {
        use std::io::Read;
        let cannot = |e: std::io::Error| FileError::whole_file(path, format!("cannot read: {e}"));
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(cannot)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(FileError::whole_file(
                path,
                format!(
                    "larger than {} MiB: not a file flightdeck reads (config, theme, scenario)",
                    MAX_FILE_BYTES >> 20
                ),
            ));
        }
        String::from_utf8(bytes).map_err(|e| {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]);
            let bad = bytes.get(valid).copied().unwrap_or_default();
            FileError::at(
                path,
                &prefix,
                valid,
                format!("not UTF-8 text (byte 0x{bad:02x})"),
            )
        })
    }

    /// Parses TOML into `T`, turning a syntax or schema error into a located one.
    pub fn parse_toml<T: serde::de::DeserializeOwned>(
        path: &Path,
        source: &str,
    ) -> Result<T, FileError> {
        toml::from_str(source).map_err(|e| {
            let message = e.message().trim().to_string();
            match e.span() {
                Some(span) => FileError::at(path, source, span.start, message),
                None => FileError::whole_file(path, message),
            }
        })
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    // Inside a character: the character it is in.
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let src = "a = 1\nbb = x\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 11), (2, 6));
    }

    proptest::proptest! {
        #[test]
        fn every_offset_has_a_place_in_the_file(src in ".{0,200}", offset in 0usize..400) {
            let (line, column) = line_column(&src, offset);
            proptest::prop_assert!(line >= 1 && line <= src.matches('\n').count() + 1);
            proptest::prop_assert!(column >= 1 && column <= src.chars().count() + 1);
        }

        #[test]
        fn any_text_parses_or_fails_at_a_place_with_a_safe_message(src in "(?s).{0,300}") {
            if let Err(e) = FileError::parse_toml::<toml::Table>(Path::new("x.toml"), &src) {
                proptest::prop_assert!(e.line <= src.matches('\n').count() + 1);
                let shown = e.to_string();
                proptest::prop_assert!(shown.starts_with("x.toml"));
                proptest::prop_assert!(!shown.chars().any(flightdeck_model::text::is_unsafe), "{shown:?}");
            }
        }
    }
}
