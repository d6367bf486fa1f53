//! The audit log: append-only JSON lines in the state directory, one record
//! before and one after every write attempt. The record before is on disk
//! (written and synced) before the call is made.

use flightdeck_model::{TaskDefRef, Timestamp};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// AWS request ids of the calls made, for support cases and CloudTrail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The audit log file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
    /// Only records from this instant on are read back: a simulated world
    /// made at that instant shows its own writes, never an earlier one's.
    since: Option<Timestamp>,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        AuditLog {
            path: path.into(),
            since: None,
        }
    }

    /// The same file, read back only from `start` on (a simulated world's
    /// writes; the file may hold an earlier world's).
    pub fn since(mut self, start: Timestamp) -> Self {
        self.since = Some(start);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and syncs it to disk (0600, never through a link).
    pub fn append(&self, record: &Record) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut file = crate::files::open(&self.path, crate::files::Mode::Append)?;
        file.write_all(&line)?;
        file.sync_data()
    }

    /// Every record, oldest first; unreadable lines are skipped.
    pub fn records(&self) -> Vec<Record> {
        std::fs::read_to_string(&self.path)
            .map(|text| {
                text.lines()
                    .filter_map(|l| serde_json::from_str::<Record>(l).ok())
                    .filter(|r| self.since.is_none_or(|since| r.time >= since))
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
