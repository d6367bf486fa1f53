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

mod postmortem;
mod replay;

pub use postmortem::{Happening, markdown, postmortem};
pub use replay::{Replay, asciicast};

use crate::app::Msg;
use crossterm::event::KeyEvent;
use flightdeck_core::engine::{DataEvent, Fetched, JobKey, Payload};
use flightdeck_core::ops::{ExecError, Executed, Operation, Plan, PlanError};
use flightdeck_model::{EnvironmentInfo, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the header calls the format.
pub const FORMAT: &str = "flightdeck-recording";
/// The version this build writes; it reads this one and the older ones.
pub const VERSION: u32 = 2;

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
}

impl Entry {
    pub fn at(&self) -> Timestamp {
        match self {
            Entry::Data { at, .. }
            | Entry::Unchanged { at, .. }
            | Entry::Key { at, .. }
            | Entry::Mouse { at, .. }
            | Entry::Tick { at }
            | Entry::Resize { at, .. }
            | Entry::Planned { at, .. }
            | Entry::Executed { at, .. } => *at,
        }
    }

    /// The entry of `msg`, received at `at`, secrets redacted; `None` for
    /// what is not part of the session (the debug overlay's figures).
    fn of(msg: &Msg, at: Timestamp) -> Option<Entry> {
        Some(match msg {
            // The debug overlay's figures and the machine's open port
            // forwards are not part of the session's story.
            Msg::Api(_) | Msg::Forwards(_) => return None,
            Msg::Key(key) => Entry::Key { at, key: *key },
            Msg::Mouse(input) => Entry::Mouse { at, input: *input },
            Msg::Data(event) => {
                let mut event = event.clone();
                redact(&mut event);
                Entry::Data { at, event }
            }
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
            } => Entry::Executed {
                at,
                request: request.0,
                env: env.clone(),
                plan: plan.clone(),
                result: result.clone(),
            },
        })
    }

    /// The message it records, for replay; `None` for an `Unchanged` (see
    /// [`Recording::messages`]).
    fn msg(&self) -> Option<Msg> {
        use crate::app::write::RequestId;
        Some(match self.clone() {
            Entry::Data { event, .. } => Msg::Data(event),
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
                request,
                env,
                plan,
                result,
                ..
            } => Msg::Executed {
                request: RequestId(request),
                env,
                plan,
                result,
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
        let io = |error| RecordingError::Io {
            path: path.to_path_buf(),
            error,
        };
        let file = flightdeck_core::files::open(path, flightdeck_core::files::Mode::Truncate)
            .map_err(io)?;
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

/// A recording read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub header: Header,
    pub entries: Vec<Entry>,
    /// The last line was cut short (a crash): replay stops before it.
    pub truncated: bool,
}

impl Recording {
    /// The messages the cockpit received, in order, each at its instant:
    /// what a replay feeds to `update` (an `Unchanged` is the last data of
    /// its job again, with its new fetch time).
    pub fn messages(&self) -> Vec<(Timestamp, Msg)> {
        let mut last: HashMap<JobKey, DataEvent> = HashMap::new();
        let mut out = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            match entry {
                Entry::Data { at, event } => {
                    last.insert(event.key.clone(), (**event).clone());
                    out.push((*at, Msg::Data(event.clone())));
                }
                Entry::Unchanged {
                    at,
                    key,
                    fetched_at,
                    generation,
                } => {
                    if let Some(before) = last.get(key) {
                        let event = DataEvent {
                            key: key.clone(),
                            data: Fetched {
                                fetched_at: *fetched_at,
                                generation: *generation,
                                result: before.data.result.clone(),
                            },
                        };
                        out.push((*at, Msg::Data(Box::new(event))));
                    }
                }
                other => {
                    if let Some(msg) = other.msg() {
                        out.push((other.at(), msg));
                    }
                }
            }
        }
        out
    }
}

/// Reads a recording: older versions are read, newer ones refused with a
/// clear message, and a torn last line is left out.
pub fn read(path: &Path) -> Result<Recording, RecordingError> {
    let io = |error| RecordingError::Io {
        path: path.to_path_buf(),
        error,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut lines = BufReader::new(file).lines();
    let first =
        lines
            .next()
            .transpose()
            .map_err(io)?
            .ok_or_else(|| RecordingError::NotARecording {
                path: path.to_path_buf(),
                why: "it is empty".into(),
            })?;
    let probe: serde_json::Value =
        serde_json::from_str(&first).map_err(|e| RecordingError::NotARecording {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
    if probe["format"] != FORMAT {
        return Err(RecordingError::NotARecording {
            path: path.to_path_buf(),
            why: "its first line names no flightdeck recording format".into(),
        });
    }
    let version = probe["version"].as_u64().unwrap_or(0);
    if version > u64::from(VERSION) {
        return Err(RecordingError::Newer {
            path: path.to_path_buf(),
            version: u32::try_from(version).unwrap_or(u32::MAX),
        });
    }
    let header: Header = serde_json::from_value(probe).map_err(|e| RecordingError::Corrupt {
        path: path.to_path_buf(),
        line: 1,
        why: e.to_string(),
    })?;
    let texts: Vec<String> = lines.collect::<Result<_, _>>().map_err(io)?;
    let mut entries = Vec::with_capacity(texts.len());
    let mut truncated = false;
    for (i, text) in texts.iter().enumerate() {
        match serde_json::from_str::<Entry>(text) {
            Ok(e) => entries.push(e),
            // Only the last line can be torn by a crash.
            Err(_) if i + 1 == texts.len() => truncated = true,
            Err(e) => {
                return Err(RecordingError::Corrupt {
                    path: path.to_path_buf(),
                    line: i + 2,
                    why: e.to_string(),
                });
            }
        }
    }
    Ok(Recording {
        header,
        entries,
        truncated,
    })
}

#[cfg(test)]
mod tests;
