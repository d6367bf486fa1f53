//! The audit log: append-only JSON lines in the state directory, one record
//! before and one after every write attempt. The record before is on disk
//! (written and synced) before the call is made.

use flightdeck_model::{TaskDefRef, Timestamp};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// About to call AWS.
    Before,
    /// The calls returned (`result` says how).
    After,
    /// Refused before any call (stale plan, read-only).
    Refused,
}

/// How the calls of an attempt ended (the record after them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every call succeeded.
    Ok,
    /// A call failed; `request_ids` name those that ran before it.
    Error,
}

/// One line of the audit log. It is built from a plan by the executor;
/// this module only stores and queries records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub time: Timestamp,
    pub phase: Phase,
    /// The caller identity's ARN.
    pub who: String,
    pub environment: String,
    pub account: String,
    pub region: String,
    pub operation: String,
    pub cluster: String,
    pub service: String,
    pub calls: Vec<String>,
    pub diff: Vec<String>,
    pub from_task_definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_task_definition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    /// The task a run-task started (its after record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// AWS request ids of the calls made, for support cases and CloudTrail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The operator whose lease this write took over, and why
    /// (`[team] lease_table`); a reason alone: written without the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_taken_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_reason: Option<String>,
}

/// The audit log file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
    /// A simulated world's run, shared by every clone of this log: records
    /// are stamped with it and only its own are read back, so a world
    /// shows only its own writes, never an earlier run's (the file may
    /// hold them, even stamped later than this world's clock).
    run: Option<Arc<Run>>,
}

/// A run of a simulated world: this run's id and how many times its world
/// was made again (a drill restarted from its start).
#[derive(Debug)]
struct Run {
    id: String,
    restarts: AtomicU64,
}

/// A line of the file: the record and, for a simulated world's, its run.
#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    record: &'a Record,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<String>,
}

/// A line as read back.
#[derive(Deserialize)]
struct Stored {
    #[serde(flatten)]
    record: Record,
    #[serde(default)]
    run: Option<String>,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        AuditLog {
            path: path.into(),
            run: None,
        }
    }

    /// The same file, for a simulated world's writes: stamped with `run`
    /// (unique to the run), and only they are read back.
    pub fn for_run(mut self, run: impl Into<String>) -> Self {
        self.run = Some(Arc::new(Run {
            id: run.into(),
            restarts: AtomicU64::new(0),
        }));
        self
    }

    /// The simulated world was made again (a drill restarted): from now
    /// on, every clone of this log stamps and reads back the new world's
    /// records only.
    pub fn restart(&self) {
        if let Some(run) = &self.run {
            run.restarts.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The stamp of this world's records, for a simulated one.
    fn stamp(&self) -> Option<String> {
        self.run
            .as_ref()
            .map(|r| format!("{}.{}", r.id, r.restarts.load(Ordering::SeqCst)))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and syncs it to disk (0600, never through a link).
    pub fn append(&self, record: &Record) -> std::io::Result<()> {
        let stamped = Line {
            record,
            run: self.stamp(),
        };
        let mut line = serde_json::to_vec(&stamped).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut file = crate::files::open(&self.path, crate::files::Mode::Append)?;
        file.write_all(&line)?;
        file.sync_data()
    }

    /// Every record (a simulated world's: of its run), oldest first;
    /// unreadable lines are skipped.
    pub fn records(&self) -> Vec<Record> {
        let stamp = self.stamp();
        std::fs::read_to_string(&self.path)
            .map(|text| {
                text.lines()
                    .filter_map(|l| serde_json::from_str::<Stored>(l).ok())
                    .filter(|r| stamp.is_none() || r.run == stamp)
                    .map(|r| r.record)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The revision a service ran before its last successful change to
    /// `current`, by this log.
    pub fn previous_revision(
        &self,
        cluster: &str,
        service: &str,
        current: &TaskDefRef,
    ) -> Option<TaskDefRef> {
        let current = current.to_string();
        self.records()
            .into_iter()
            .rev()
            .find(|r| {
                r.phase == Phase::After
                    && r.result == Some(Outcome::Ok)
                    && r.cluster == cluster
                    && r.service == service
                    && r.to_task_definition.as_deref() == Some(current.as_str())
                    && r.from_task_definition != current
            })
            .and_then(|r| {
                let (family, revision) = r.from_task_definition.rsplit_once(':')?;
                Some(TaskDefRef::new(family, revision.parse().ok()?))
            })
    }
}
