//! The flight recorder: what a cockpit session received and what the
//! operator did, in a versioned, append-only file, so a session can be
//! walked through afterwards (the postmortem timeline, replay).
//!
//! The file is JSON Lines: a header line naming the format and its version,
//! then one line per message the cockpit's `update` received (engine data,
//! keys, ticks once a second, plans and execution results with their
//! request ids). Secret-looking environment values are redacted before they
//! are written, as on screen. Lines are flushed at least once a second, so a
//! crash loses at most the last second; a torn last line is ignored.
//!
//! A recording is read as a stream ([`Reader`]): a line at a time, in
//! memory that does not grow with the file, and everything it can ask for
//! is bounded (the limits below), so a damaged or hostile file is refused
//! naming its line, or read as far as it makes sense and said so; never a
//! panic, an abort or a hang.

mod postmortem;
mod read;
mod replay;

pub use postmortem::{
    Happening, HappeningKind, Postmortem, Report, markdown, postmortem, postmortem_of,
};
pub use read::{Ending, Messages, Position, Reader};
pub use replay::{Cast, Replay, ScreenSize, asciicast};

/// Where a recording is read from when it is not a local file: any
/// buffered, seekable stream (an object in S3 read in ranges).
pub trait Input: std::io::BufRead + std::io::Seek + Send {}
impl<T: std::io::BufRead + std::io::Seek + Send> Input for T {}

/// A recording's source, whatever it is.
pub type Source = Box<dyn Input>;

/// The recording at `path`, as a [`Source`].
pub fn file_source(path: &Path) -> Result<Source, RecordingError> {
    let file = std::fs::File::open(path).map_err(|error| RecordingError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    Ok(Box::new(std::io::BufReader::with_capacity(64 * 1024, file)))
}

use crate::app::Msg;
use crossterm::event::KeyEvent;
use flightdeck_core::engine::{DataEvent, JobKey, Payload};
use flightdeck_core::files::Mode;
use flightdeck_core::ops::{ExecError, Executed, Operation, Plan, PlanError};
use flightdeck_model::{EnvironmentInfo, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the header calls the format.
pub const FORMAT: &str = "flightdeck-recording";
/// The version this build writes; it reads this one and the older ones.
pub const VERSION: u32 = 2;

/// The longest line a recording holds (the recorder stops rather than
/// write a longer one): the services of a 2,000-service estate with ECS's
/// 100 events each take some 45 MB (an estimate: 22 KB a service). A
/// longer line is refused, naming it.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;
/// The most entries read from one recording, some 2 GB of the shortest
/// lines (a 500 MB recording holds at most 13 million): what follows is
/// left out, and said.
pub const MAX_ENTRIES: u64 = 50_000_000;
/// The longest pause between two lines: a laptop asleep over a week-end is
/// the longest a session pauses. A line further ahead (a clock gone wrong,
/// a hostile file) ends the recording before it, said.
pub const MAX_GAP: chrono::Duration = chrono::Duration::days(7);
/// The years a recording's instants lie in; a line outside is refused.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;
/// The largest screen a replay or an export draws: more than a 4K monitor
/// shows at the smallest readable font (some 640x200).
pub const MAX_WIDTH: u16 = 1000;
pub const MAX_HEIGHT: u16 = 500;
/// The most frames an export draws, and bytes it writes: past either the
/// cast ends there, said (a frame a second: some 55 hours of activity).
pub const MAX_FRAMES: u64 = 200_000;
pub const MAX_CAST_BYTES: u64 = 1024 * 1024 * 1024;
/// The most lines a postmortem timeline keeps, and things (alarms,
/// deployments, events) it follows; past either, what is left out is said.
pub const MAX_HAPPENINGS: usize = 100_000;
pub const MAX_TRACKED: usize = 100_000;
/// The most jobs whose last data a replay keeps for the polls written
/// short; a short poll of another job is dropped (it brings nothing new).
pub const MAX_JOBS: usize = 10_000;
/// The most instants a replay can jump to with `n` and `N`.
pub const MAX_MARKERS: usize = 100_000;

/// The first line of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub started: Timestamp,
    pub environments: Vec<EnvironmentInfo>,
    /// The simulated production, and the drill played on it, if any.
    pub demo: bool,
    pub drill: Option<String>,
    /// The environment the cockpit opened on (the first when absent).
    #[serde(default)]
    pub current: Option<String>,
    /// Whether the session was read-only (`--read-only`, the config).
    #[serde(default)]
    pub read_only: bool,
    /// The config's `[keys]` (action, keys): a replay reads the recorded
    /// keys as the session's own keymap did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: crate::app::keymap::Overrides,
}

/// One message the cockpit received, at the instant it was received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "m", rename_all = "snake_case")]
pub enum Entry {
    Data {
        at: Timestamp,
        event: Box<DataEvent>,
    },
    /// What a previous run knew of an environment, drawn at the start.
    Remembered {
        at: Timestamp,
        last: Box<crate::app::last_known::LastKnown>,
    },
    /// The same data as the last `Data` of `key`, fetched again.
    Unchanged {
        at: Timestamp,
        key: JobKey,
        fetched_at: Timestamp,
        generation: u64,
    },
    Key {
        at: Timestamp,
        key: KeyEvent,
    },
    /// A click or the wheel (version 2).
    Mouse {
        at: Timestamp,
        input: crate::app::mouse::MouseInput,
    },
    Tick {
        at: Timestamp,
    },
    Resize {
        at: Timestamp,
        width: u16,
        height: u16,
    },
    Planned {
        at: Timestamp,
        request: u64,
        env: String,
        op: Operation,
        result: Result<Plan, PlanError>,
    },
    Executed {
        at: Timestamp,
        request: u64,
        env: String,
        plan: Box<Plan>,
        result: Result<Executed, ExecError>,
    },
    /// Two revisions side by side, as shown.
    Diffed {
        at: Timestamp,
        request: u64,
        result: Result<flightdeck_core::diff::Revisions, String>,
    },
    /// A runbook action's plan (its secrets redacted, as shown).
    ActionPlanned {
        at: Timestamp,
        request: u64,
        env: String,
        result: Result<flightdeck_core::action::ActionPlan, String>,
    },
    /// A line of a runbook action's output.
    ActionOutput {
        at: Timestamp,
        run: u64,
        stream: crate::app::actions::Stream,
        line: String,
    },
    ActionEnded {
        at: Timestamp,
        run: u64,
        env: String,
        plan: Box<flightdeck_core::action::ActionPlan>,
        outcome: Result<i32, String>,
    },
    /// A followed one-off task stopped.
    TaskEnded {
        at: Timestamp,
        run: u64,
        outcome: Result<i32, String>,
    },
}

impl Entry {
    pub fn at(&self) -> Timestamp {
        match self {
            Entry::Data { at, .. }
            | Entry::Remembered { at, .. }
            | Entry::Unchanged { at, .. }
            | Entry::Key { at, .. }
            | Entry::Mouse { at, .. }
            | Entry::Tick { at }
            | Entry::Resize { at, .. }
            | Entry::Planned { at, .. }
            | Entry::Executed { at, .. }
            | Entry::Diffed { at, .. }
            | Entry::ActionPlanned { at, .. }
            | Entry::ActionOutput { at, .. }
            | Entry::ActionEnded { at, .. }
            | Entry::TaskEnded { at, .. } => *at,
        }
    }

    /// The entry of `msg`, received at `at`, secrets redacted; `None` for
    /// what is not part of the session (the debug overlay's figures).
    fn of(msg: &Msg, at: Timestamp) -> Option<Entry> {
        Some(match msg {
            // The debug overlay's figures and the machine's open port
            // forwards are not part of the session's story.
            Msg::Api(_) | Msg::Forwards(_) | Msg::Presence { .. } | Msg::Notice(_) => return None,
            Msg::Key(key) => Entry::Key { at, key: *key },
            Msg::Mouse(input) => Entry::Mouse { at, input: *input },
            Msg::Data(event) => {
                let mut event = event.clone();
                redact(&mut event);
                Entry::Data { at, event }
            }
            Msg::Remembered(last) => Entry::Remembered {
                at,
                last: last.clone(),
            },
            Msg::Tick(at) => Entry::Tick { at: *at },
            Msg::Resize(width, height) => Entry::Resize {
                at,
                width: *width,
                height: *height,
            },
            Msg::Planned {
                request,
                env,
                op,
                result,
            } => Entry::Planned {
                at,
                request: request.0,
                env: env.clone(),
                op: op.clone(),
                result: result.clone(),
            },
            Msg::Executed {
                request,
                env,
                plan,
                result,
                ..
            } => Entry::Executed {
                at,
                request: request.0,
                env: env.clone(),
                plan: plan.clone(),
                result: result.clone(),
            },
            Msg::Diffed { request, result } => Entry::Diffed {
                at,
                request: request.0,
                result: result.clone(),
            },
            Msg::ActionPlanned {
                request,
                env,
                result,
            } => Entry::ActionPlanned {
                at,
                request: request.0,
                env: env.clone(),
                result: result.clone(),
            },
            Msg::ActionOutput { run, stream, line } => Entry::ActionOutput {
                at,
                run: *run,
                stream: *stream,
                line: line.clone(),
            },
            Msg::TaskEnded { run, outcome } => Entry::TaskEnded {
                at,
                run: *run,
                outcome: outcome.clone(),
            },
            Msg::ActionEnded {
                run,
                env,
                plan,
                outcome,
            } => Entry::ActionEnded {
                at,
                run: *run,
                env: env.clone(),
                plan: plan.clone(),
                outcome: outcome.clone(),
            },
        })
    }

    /// The message it records, for replay; `None` for an `Unchanged` (see
    /// [`Reader::messages`]).
    fn into_msg(self) -> Option<Msg> {
        use crate::app::write::RequestId;
        Some(match self {
            Entry::Data { event, .. } => Msg::Data(event),
            Entry::Remembered { last, .. } => Msg::Remembered(last),
            Entry::Unchanged { .. } => return None,
            Entry::Key { key, .. } => Msg::Key(key),
            Entry::Mouse { input, .. } => Msg::Mouse(input),
            Entry::Tick { at } => Msg::Tick(at),
            Entry::Resize { width, height, .. } => Msg::Resize(width, height),
            Entry::Planned {
                request,
                env,
                op,
                result,
                ..
            } => Msg::Planned {
                request: RequestId(request),
                env,
                op,
                result,
            },
            Entry::Executed {
                at,
                request,
                env,
                plan,
                result,
            } => Msg::Executed {
                request: RequestId(request),
                env,
                plan,
                result,
                at,
            },
            Entry::Diffed {
                request, result, ..
            } => Msg::Diffed {
                request: RequestId(request),
                result,
            },
            Entry::ActionPlanned {
                request,
                env,
                result,
                ..
            } => Msg::ActionPlanned {
                request: RequestId(request),
                env,
                result,
            },
            Entry::ActionOutput {
                run, stream, line, ..
            } => Msg::ActionOutput { run, stream, line },
            Entry::TaskEnded { run, outcome, .. } => Msg::TaskEnded { run, outcome },
            Entry::ActionEnded {
                run,
                env,
                plan,
                outcome,
                ..
            } => Msg::ActionEnded {
                run,
                env,
                plan,
                outcome,
            },
        })
    }
}

/// Secret-looking environment values of task definitions, as on screen.
fn redact(event: &mut DataEvent) {
    if let Ok(Payload::TaskDefinition(td)) = &mut event.data.result {
        for c in &mut td.containers {
            for var in &mut c.environment {
                if flightdeck_model::secrets::is_secret(&var.name, &var.value).is_some() {
                    var.value = flightdeck_model::secrets::REDACTED.to_string();
                }
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(
        "{path}: reached its limit of {mb} MB ([recording] max_mb); the session goes on unrecorded",
        mb = limit / (1024 * 1024)
    )]
    Full { path: PathBuf, limit: u64 },
    #[error(
        "{path}: a message of {mb} MB is more than a recording's line holds ({max} MB); the session goes on unrecorded",
        mb = bytes / (1024 * 1024),
        max = MAX_LINE_BYTES / (1024 * 1024)
    )]
    TooLong { path: PathBuf, bytes: usize },
    #[error("{path}: not a flightdeck recording ({why})")]
    NotARecording { path: PathBuf, why: String },
    #[error(
        "{path}: recorded by a newer flightdeck (format version {version}; this one reads up to {VERSION}): replay it with that version"
    )]
    Newer { path: PathBuf, version: u32 },
    #[error("{path}:{line}: {why}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        why: String,
    },
}

/// Writes a recording as the session goes.
pub struct Recorder {
    path: PathBuf,
    out: BufWriter<std::fs::File>,
    last_flush: Instant,
    /// Ticks are kept once a second: the screen's clock needs no more.
    last_tick: Option<i64>,
    /// A digest of the last data written per job: a poll that brings the
    /// same again is written as `Unchanged`.
    last_data: HashMap<JobKey, u64>,
    /// Bytes written so far, and the most the file may take.
    written: u64,
    limit: Option<u64>,
}

/// At most this much of a session is lost in a crash.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

impl Recorder {
    /// Starts a recording at `path` (a file that is there is replaced).
    pub fn create(path: &Path, header: &Header) -> Result<Recorder, RecordingError> {
        Recorder::start(path, header, Mode::Truncate)
    }

    /// Starts a recording at `path`, which must not be there yet: an
    /// [`RecordingError::Io`] of kind `AlreadyExists` says it is, and the
    /// caller picks another name.
    pub fn create_new(path: &Path, header: &Header) -> Result<Recorder, RecordingError> {
        Recorder::start(path, header, Mode::New)
    }

    fn start(path: &Path, header: &Header, how: Mode) -> Result<Recorder, RecordingError> {
        let io = |error| RecordingError::Io {
            path: path.to_path_buf(),
            error,
        };
        let file = flightdeck_core::files::open(path, how).map_err(io)?;
        let mut r = Recorder {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            last_flush: Instant::now(),
            last_tick: None,
            last_data: HashMap::new(),
            written: 0,
            limit: None,
        };
        r.line(header)?;
        r.flush()?;
        Ok(r)
    }

    /// Bounds the file: once it holds `bytes`, [`Recorder::record`] stops
    /// with [`RecordingError::Full`] (what is written stays readable).
    pub fn limit(mut self, bytes: u64) -> Recorder {
        self.limit = Some(bytes);
        self
    }

    fn line<T: Serialize>(&mut self, value: &T) -> Result<(), RecordingError> {
        let io = |error| RecordingError::Io {
            path: self.path.clone(),
            error,
        };
        let text = serde_json::to_string(value).map_err(|e| io(std::io::Error::other(e)))?;
        // A line no replay would read is not written: the recording stops
        // before it, and what it holds replays whole.
        if text.len() > MAX_LINE_BYTES {
            return Err(RecordingError::TooLong {
                path: self.path.clone(),
                bytes: text.len(),
            });
        }
        self.out.write_all(text.as_bytes()).map_err(io)?;
        self.written += text.len() as u64 + 1;
        self.out.write_all(b"\n").map_err(io)
    }

    /// Records one message received at `at`.
    pub fn record(&mut self, msg: &Msg, at: Timestamp) -> Result<(), RecordingError> {
        if let Some(limit) = self.limit.filter(|l| self.written >= *l) {
            self.flush()?;
            return Err(RecordingError::Full {
                path: self.path.clone(),
                limit,
            });
        }
        if let Msg::Tick(t) = msg {
            if self.last_tick == Some(t.timestamp()) {
                return Ok(());
            }
            self.last_tick = Some(t.timestamp());
        }
        let Some(entry) = Entry::of(msg, at) else {
            return Ok(());
        };
        match &entry {
            Entry::Data { event, .. } => {
                let payload = serde_json::to_string(&event.data.result).unwrap_or_default();
                let digest = {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    payload.hash(&mut h);
                    h.finish()
                };
                if self.last_data.insert(event.key.clone(), digest) == Some(digest) {
                    self.line(&Entry::Unchanged {
                        at,
                        key: event.key.clone(),
                        fetched_at: event.data.fetched_at,
                        generation: event.data.generation,
                    })?;
                } else {
                    self.line(&entry)?;
                }
            }
            _ => self.line(&entry)?,
        }
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush()?;
        }
        Ok(())
    }

    /// Where it records.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn flush(&mut self) -> Result<(), RecordingError> {
        self.last_flush = Instant::now();
        self.out.flush().map_err(|error| RecordingError::Io {
            path: self.path.clone(),
            error,
        })
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.out.flush();
    }
}

/// Whether the file at `path` starts with a flightdeck recording's header
/// (of any version): what the rotation of recordings checks before it
/// deletes a file. Only the first line is read, and only its first MB.
pub fn is_recording(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut first = Vec::new();
    let read = BufReader::new(file)
        .take(1024 * 1024)
        .read_until(b'\n', &mut first);
    read.is_ok()
        && serde_json::from_slice::<serde_json::Value>(&first)
            .is_ok_and(|header| header["format"] == FORMAT)
}

#[cfg(test)]
mod tests;
