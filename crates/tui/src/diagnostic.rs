//! Errors in the operator's own files (config, themes), located by file,
//! line and column.

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

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}

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
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
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
}
