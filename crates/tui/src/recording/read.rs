//! A recording read as a stream: a line at a time, never more than
//! [`MAX_LINE_BYTES`] of one, each entry checked as it comes, so a file of
//! any size or content is read in bounded memory and time. What cannot be
//! a recording is refused naming its file and line; what is odd but
//! readable (a torn last line, time going back, a jump of more than
//! [`MAX_GAP`], more than [`MAX_ENTRIES`]) is read as far as it makes
//! sense, and [`Reader::warnings`] says what was left out or clamped.

use super::{
    Entry, FORMAT, Header, MAX_ENTRIES, MAX_GAP, MAX_JOBS, MAX_LINE_BYTES, RecordingError, VERSION,
    YEARS,
};
use crate::app::Msg;
use chrono::Datelike;
use flightdeck_core::engine::{DataEvent, Fetched, JobKey};
use flightdeck_model::Timestamp;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A line's buffer keeps at most this much between lines: one huge line
/// does not hold its memory for the rest of the file.
pub(crate) const KEEP_BUFFER: usize = 1024 * 1024;

/// Where a reader is: the next line and what was read before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// The next line's byte offset in the file.
    offset: u64,
    /// Its number (the header is line 1).
    line: usize,
    /// Entries read before it.
    entries: u64,
    /// The instant the entry before it plays at (the header's start
    /// before the first).
    latest: Timestamp,
}

impl Position {
    /// The entries read before it.
    pub fn entries(&self) -> u64 {
        self.entries
    }
}

/// How the reading of a recording ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// At the end of the file.
    Whole,
    /// The last line was cut short (a crash): it is left out.
    Torn { line: usize },
    /// This line is more than [`MAX_GAP`] after the one before it: it and
    /// what follows are left out.
    Gap {
        line: usize,
        after: chrono::Duration,
    },
    /// Past [`MAX_ENTRIES`]: this line and what follows are left out.
    TooMany { line: usize },
}

/// A recording's entries, read one at a time (an [`Iterator`]); an error
/// ends it.
pub struct Reader<R = BufReader<std::fs::File>> {
    path: PathBuf,
    input: R,
    header: Header,
    buf: Vec<u8>,
    /// The line after the header.
    start: Position,
    next: Position,
    ending: Option<Ending>,
    failed: bool,
    /// Entries before the one before them, and the first one's line.
    back_in_time: u64,
    first_back: Option<usize>,
    /// [`MAX_ENTRIES`], lower in tests.
    max_entries: u64,
}

/// One line read, at most [`MAX_LINE_BYTES`] of it.
enum Line {
    /// The end of the file.
    End,
    /// A line in `buf`, without its newline, that took this many bytes.
    Text(usize),
    TooLong,
}

fn read_line<R: BufRead>(input: &mut R, buf: &mut Vec<u8>) -> std::io::Result<Line> {
    buf.clear();
    if buf.capacity() > KEEP_BUFFER {
        buf.shrink_to(KEEP_BUFFER);
    }
    let cap = MAX_LINE_BYTES as u64 + 1;
    let n = input.by_ref().take(cap).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(Line::End);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if n > MAX_LINE_BYTES {
        return Ok(Line::TooLong);
    }
    Ok(Line::Text(n))
}

/// Why `at` cannot be an instant of a recording, if it cannot.
fn outside_years(at: Timestamp) -> Option<String> {
    (!YEARS.contains(&at.year())).then(|| {
        format!(
            "its time {at} is outside the years {} to {}",
            YEARS.start(),
            YEARS.end()
        )
    })
}

/// A duration as a person says it: minutes, hours, days or years.
fn spoken(d: chrono::Duration) -> String {
    let days = d.num_days();
    if days >= 2 * 365 {
        // Gregorian years of 365.2425 days.
        format!("{} years", days * 10_000 / 3_652_425)
    } else if days >= 2 {
        format!("{days} days")
    } else if d.num_hours() >= 2 {
        format!("{} hours", d.num_hours())
    } else {
        format!("{} minutes", d.num_minutes())
    }
}

impl Reader {
    /// Opens the recording at `path` and reads its header: a newer format
    /// is refused with what to do, a file that is no recording says so.
    pub fn open(path: &Path) -> Result<Reader, RecordingError> {
        let file = std::fs::File::open(path).map_err(|error| RecordingError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        Reader::new(path, BufReader::with_capacity(64 * 1024, file))
    }
}

impl<R: BufRead> Reader<R> {
    /// Reads the header of the recording `input`; `path` names it in
    /// messages.
    pub fn new(path: &Path, mut input: R) -> Result<Reader<R>, RecordingError> {
        let not_one = |why: String| RecordingError::NotARecording {
            path: path.to_path_buf(),
            why,
        };
        let mut buf = Vec::new();
        let taken = match read_line(&mut input, &mut buf).map_err(|error| RecordingError::Io {
            path: path.to_path_buf(),
            error,
        })? {
            Line::End => return Err(not_one("it is empty".into())),
            Line::TooLong => {
                return Err(not_one(format!(
                    "its first line is longer than {} MB",
                    MAX_LINE_BYTES / (1024 * 1024)
                )));
            }
            Line::Text(n) => n,
        };
        let probe: serde_json::Value =
            serde_json::from_slice(&buf).map_err(|e| not_one(e.to_string()))?;
        if probe["format"] != FORMAT {
            return Err(not_one(
                "its first line names no flightdeck recording format".into(),
            ));
        }
        let version = probe["version"].as_u64().unwrap_or(0);
        if version > u64::from(VERSION) {
            return Err(RecordingError::Newer {
                path: path.to_path_buf(),
                version: u32::try_from(version).unwrap_or(u32::MAX),
            });
        }
        let corrupt = |why: String| RecordingError::Corrupt {
            path: path.to_path_buf(),
            line: 1,
            why,
        };
        let header: Header = serde_json::from_value(probe).map_err(|e| corrupt(e.to_string()))?;
        if let Some(why) = outside_years(header.started) {
            return Err(corrupt(why));
        }
        let start = Position {
            offset: taken as u64,
            line: 2,
            entries: 0,
            latest: header.started,
        };
        Ok(Reader {
            path: path.to_path_buf(),
            input,
            start,
            next: start,
            header,
            buf,
            ending: None,
            failed: false,
            back_in_time: 0,
            first_back: None,
            max_entries: MAX_ENTRIES,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The instant the last entry read plays at: its own, or the latest
    /// before it when it goes back in time (a drill restarted, a clock
    /// set back): a recording plays forward, in the order of its lines.
    pub fn instant(&self) -> Timestamp {
        self.next.latest
    }

    /// Where the next line is.
    pub fn position(&self) -> Position {
        self.next
    }

    /// How the reading ended; `None` while there may be more (or after
    /// an error).
    pub fn ending(&self) -> Option<&Ending> {
        self.ending.as_ref()
    }

    /// Whether the last line was cut short (a crash) and left out.
    pub fn truncated(&self) -> bool {
        matches!(self.ending, Some(Ending::Torn { .. }))
    }

    /// What was left out or clamped so far, one sentence each, for the
    /// operator (the caller names the file).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = vec![];
        if let Some(first) = self.first_back {
            let lines = match self.back_in_time {
                1 => format!("a line goes back in time, line {first}"),
                n => format!("{n} lines go back in time, the first at line {first}"),
            };
            out.push(format!(
                "{lines} (a drill restarted, a clock set back): each plays at the instant of the line before it"
            ));
        }
        match &self.ending {
            None | Some(Ending::Whole) => {}
            Some(Ending::Torn { line }) => out.push(format!(
                "the last record (line {line}) was cut short (a crash?): it is left out"
            )),
            Some(Ending::Gap { line, after }) => out.push(format!(
                "line {line} is {} after the line before it (more than the {} a recording pauses at most): it and what follows are left out",
                spoken(*after),
                spoken(MAX_GAP)
            )),
            Some(Ending::TooMany { line }) => out.push(format!(
                "more than {} entries: line {line} and what follows are left out",
                self.max_entries
            )),
        }
        out
    }

    /// A lower bound than [`MAX_ENTRIES`], for tests.
    #[cfg(test)]
    pub(crate) fn max_entries(mut self, max: u64) -> Self {
        self.max_entries = max;
        self
    }

    /// The memory the line buffer holds now.
    #[cfg(test)]
    pub(crate) fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The recording's messages, each at the instant it plays at (see
    /// [`Reader::instant`]).
    pub fn messages(self) -> Messages<R> {
        Messages {
            reader: self,
            jobs: Jobs::default(),
        }
    }

    fn corrupt(&self, line: usize, why: String) -> RecordingError {
        RecordingError::Corrupt {
            path: self.path.clone(),
            line,
            why,
        }
    }

    fn io(&self, error: std::io::Error) -> RecordingError {
        RecordingError::Io {
            path: self.path.clone(),
            error,
        }
    }

    /// The next entry; `None` at the end (see [`Reader::ending`]).
    fn read_entry(&mut self) -> Result<Option<Entry>, RecordingError> {
        let line = self.next.line;
        let taken = match read_line(&mut self.input, &mut self.buf).map_err(|e| self.io(e))? {
            Line::End => {
                self.ending = Some(Ending::Whole);
                return Ok(None);
            }
            Line::TooLong => {
                return Err(self.corrupt(
                    line,
                    format!(
                        "longer than {} MB, more than a recording's line holds",
                        MAX_LINE_BYTES / (1024 * 1024)
                    ),
                ));
            }
            Line::Text(n) => n,
        };
        if self.next.entries >= self.max_entries {
            self.ending = Some(Ending::TooMany { line });
            return Ok(None);
        }
        let entry = match serde_json::from_slice::<Entry>(&self.buf) {
            Ok(entry) => entry,
            Err(e) => {
                // Only the last line can be torn by a crash.
                let last = self.input.fill_buf().map(<[u8]>::is_empty);
                if last.map_err(|e| self.io(e))? {
                    self.ending = Some(Ending::Torn { line });
                    return Ok(None);
                }
                return Err(self.corrupt(line, e.to_string()));
            }
        };
        let at = entry.at();
        if let Some(why) = outside_years(at) {
            return Err(self.corrupt(line, why));
        }
        let latest = self.next.latest;
        if at < latest {
            self.back_in_time += 1;
            self.first_back.get_or_insert(line);
        } else if at - latest > MAX_GAP {
            self.ending = Some(Ending::Gap {
                line,
                after: at - latest,
            });
            return Ok(None);
        }
        self.next = Position {
            offset: self.next.offset + taken as u64,
            line: line + 1,
            entries: self.next.entries + 1,
            latest: latest.max(at),
        };
        Ok(Some(entry))
    }
}

impl<R: BufRead + Seek> Reader<R> {
    /// Goes to `to`, a position this reader was at, to read on from there.
    pub fn seek(&mut self, to: Position) -> Result<(), RecordingError> {
        self.input
            .seek(SeekFrom::Start(to.offset))
            .map_err(|e| self.io(e))?;
        self.next = to;
        self.ending = None;
        self.failed = false;
        Ok(())
    }

    /// Back to the first entry.
    pub fn rewind(&mut self) -> Result<(), RecordingError> {
        self.seek(self.start)
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Entry, RecordingError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.ending.is_some() {
            return None;
        }
        match self.read_entry() {
            Ok(entry) => entry.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// The last data of each job, for the polls written short: an `Unchanged`
/// is that data again with its new fetch time. At most [`MAX_JOBS`] jobs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Jobs {
    last: HashMap<JobKey, Arc<DataEvent>>,
}

impl Jobs {
    /// The message `entry` records, and the data to remember once it is
    /// played (see [`Jobs::remember`]); `None` for an `Unchanged` of a job
    /// whose data is not known.
    pub(crate) fn message(&self, entry: Entry) -> Option<(Msg, Option<Arc<DataEvent>>)> {
        match entry {
            Entry::Data { event, .. } => {
                let event = Arc::new(*event);
                Some((Msg::Data(Box::new((*event).clone())), Some(event)))
            }
            Entry::Unchanged {
                key,
                fetched_at,
                generation,
                ..
            } => {
                let before = self.last.get(&key)?;
                let event = DataEvent {
                    key,
                    data: Fetched {
                        fetched_at,
                        generation,
                        run: before.data.run,
                        result: before.data.result.clone(),
                    },
                };
                Some((Msg::Data(Box::new(event)), None))
            }
            other => other.into_msg().map(|msg| (msg, None)),
        }
    }

    /// Keeps `event` as its job's last data.
    pub(crate) fn remember(&mut self, event: Arc<DataEvent>) {
        if self.last.len() < MAX_JOBS || self.last.contains_key(&event.key) {
            self.last.insert(event.key.clone(), event);
        }
    }
}

/// A recording's messages, in order, each at the instant it plays at: what
/// a replay feeds to `update`.
pub struct Messages<R> {
    reader: Reader<R>,
    jobs: Jobs,
}

impl<R: BufRead> Messages<R> {
    /// The reader underneath, for its header, ending and warnings.
    pub fn reader(&self) -> &Reader<R> {
        &self.reader
    }
}

impl<R: BufRead> Iterator for Messages<R> {
    type Item = Result<(Timestamp, Msg), RecordingError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let entry = match self.reader.next()? {
                Ok(entry) => entry,
                Err(e) => return Some(Err(e)),
            };
            if let Some((msg, remember)) = self.jobs.message(entry) {
                if let Some(event) = remember {
                    self.jobs.remember(event);
                }
                return Some(Ok((self.reader.instant(), msg)));
            }
        }
    }
}
