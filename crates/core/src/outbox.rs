//! The audit log's outbox to the team's shared trail: how much of the local
//! audit file (the source of truth) the shared trail already has, as the
//! byte offset of the whole lines sent, kept in a file of its own (0600).
//! Lines after it are pending; the offset moves only once the trail took
//! them, so nothing is lost and nothing is sent twice.

use flightdeck_model::Timestamp;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Pending lines read at most this many bytes at a time.
const READ_AT_MOST: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Outbox {
    audit: PathBuf,
    cursor: PathBuf,
}

/// One audit line not yet in the shared trail.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The record's own time (the trail orders by it).
    pub time: Timestamp,
    /// The line as the audit file has it, without its newline.
    pub line: String,
    /// The offset just past this line: sent up to here once it is taken.
    pub end: u64,
}

impl Outbox {
    pub fn new(audit: impl Into<PathBuf>, cursor: impl Into<PathBuf>) -> Self {
        Outbox {
            audit: audit.into(),
            cursor: cursor.into(),
        }
    }

    /// The offset sent so far; 0 when nothing was, or when the audit file
    /// is shorter than it (replaced: what it holds now was never sent).
    fn sent_until(&self, len: u64) -> u64 {
        let sent = std::fs::read_to_string(&self.cursor)
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if sent > len { 0 } else { sent }
    }

    /// The whole lines after what was sent, oldest first (a line being
    /// written, without its newline yet, waits). A line that is not a
    /// record is passed over, and counted as sent with the next.
    pub fn pending(&self) -> io::Result<Vec<Pending>> {
        let mut file = match std::fs::File::open(&self.audit) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        let start = self.sent_until(len);
        file.seek(SeekFrom::Start(start))?;
        let mut bytes = vec![];
        file.take(READ_AT_MOST).read_to_end(&mut bytes)?;
        let mut out = vec![];
        let mut offset = start;
        for chunk in bytes.split_inclusive(|b| *b == b'\n') {
            if chunk.last() != Some(&b'\n') {
                break;
            }
            offset += chunk.len() as u64;
            let text = String::from_utf8_lossy(&chunk[..chunk.len() - 1]).into_owned();
            let Some(time) = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| serde_json::from_value::<Timestamp>(v["time"].clone()).ok())
            else {
                continue;
            };
            out.push(Pending {
                time,
                line: text,
                end: offset,
            });
        }
        Ok(out)
    }

    /// The shared trail has every line up to `end`.
    pub fn sent(&self, end: u64) -> io::Result<()> {
        crate::files::write_atomic(&self.cursor, end.to_string().as_bytes())
    }

    pub fn audit_path(&self) -> &Path {
        &self.audit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn line(minute: u32) -> String {
        format!(
            "{{\"time\":\"2026-12-01T08:{minute:02}:00Z\",\"phase\":\"before\",\"who\":\"w\"}}\n"
        )
    }

    #[test]
    fn only_whole_lines_after_what_was_sent_are_pending() {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit.jsonl");
        let outbox = Outbox::new(&audit, dir.path().join("audit.sent"));
        assert_eq!(outbox.pending().unwrap(), vec![], "no audit file yet");
        std::fs::write(&audit, format!("{}not json\n{}", line(1), line(2))).unwrap();
        let pending = outbox.pending().unwrap();
        assert_eq!(pending.len(), 2);
        outbox.sent(pending[0].end).unwrap();
        let rest = outbox.pending().unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].line, line(2).trim_end());
        outbox.sent(rest[0].end).unwrap();
        assert_eq!(outbox.pending().unwrap(), vec![], "nothing twice");
        // A line being written waits for its newline.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&audit)
            .unwrap();
        f.write_all(line(3).trim_end().as_bytes()).unwrap();
        assert_eq!(outbox.pending().unwrap(), vec![]);
        f.write_all(b"\n").unwrap();
        assert_eq!(outbox.pending().unwrap().len(), 1);
        // A replaced audit file is sent from its start.
        std::fs::write(&audit, line(4)).unwrap();
        assert_eq!(outbox.pending().unwrap().len(), 1);
    }
}
