//! One-off tasks (RunTask) in the simulation. The simulation runs no
//! containers: what a task's command does is played from its words, and
//! the same command always plays the same way.
//!
//! - `migrate` (any word containing it): applies two migrations, exit 0
//! - `sleep N`: runs N seconds (at most 600), exit 0
//! - `echo WORDS`: prints them, exit 0
//! - `false`: exit 1; `exit N` (as in `sh -c "exit N"`): exit N
//! - anything else: says it started and finished, exit 0
//!
//! A task is PROVISIONING for [`PROVISIONING`], PENDING for [`PENDING`],
//! then RUNNING, a line every [`LINE_EVERY`], and STOPPED.

use chrono::Duration;
use flightdeck_model::{LogEvent, TaskDefRef, TaskStatus, Timestamp};

pub const PROVISIONING: Duration = Duration::seconds(2);
pub const PENDING: Duration = Duration::seconds(2);
pub const LINE_EVERY: Duration = Duration::seconds(1);
/// One-off tasks kept per service (the oldest go first).
pub const KEPT: usize = 20;
/// ECS's stop reason when the essential container exits.
pub const EXITED: &str = "Essential container in task exited";

/// A one-off task started for a service.
#[derive(Debug, Clone, PartialEq)]
pub struct OneOff {
    pub id: String,
    pub task_definition: TaskDefRef,
    pub container: String,
    pub command: Vec<String>,
    pub created: Timestamp,
    pub availability_zone: String,
    /// The log stream prefix of its container (`ecs`).
    pub stream_prefix: String,
    /// Stopped before its command ended (StopTask): when, and why.
    pub stopped: Option<(Timestamp, String)>,
}

/// The exit code of a container stopped by StopTask (SIGTERM).
pub const STOPPED_EXIT: i32 = 143;

/// What its command does: its lines and its exit code.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub lines: Vec<String>,
    pub exit_code: i32,
    /// How long it runs past its lines (a `sleep`).
    pub extra: Duration,
}

impl OneOff {
    pub fn script(&self) -> Script {
        let words = &self.command;
        let word = |i: usize| words.get(i).map(String::as_str).unwrap_or_default();
        let plain = |lines: Vec<String>| Script {
            lines,
            exit_code: 0,
            extra: Duration::zero(),
        };
        // `sh -c "LINE"`: the line's words.
        let inner: Vec<String> = if (word(0).ends_with("sh")) && word(1) == "-c" {
            shell_words::split(word(2)).unwrap_or_default()
        } else {
            words.clone()
        };
        let first = inner.first().map(String::as_str).unwrap_or_default();
        if let Some(at) = inner.iter().position(|w| w == "exit") {
            let code = inner.get(at + 1).and_then(|c| c.parse().ok()).unwrap_or(0);
            // What an `echo` before it says (`echo migrating; exit 3`).
            let said = match first {
                "echo" => vec![inner[1..at].join(" ").trim_end_matches(';').to_string()],
                _ => vec![],
            };
            return Script {
                exit_code: code,
                ..plain(said)
            };
        }
        match first {
            "false" => Script {
                exit_code: 1,
                ..plain(vec![])
            },
            "true" => plain(vec![]),
            "sleep" => {
                let seconds = inner
                    .get(1)
                    .and_then(|s| s.parse::<i64>().ok())
                    .unwrap_or(1)
                    .clamp(0, 600);
                Script {
                    extra: Duration::seconds(seconds),
                    ..plain(vec![])
                }
            }
            "echo" => plain(vec![inner[1..].join(" ")]),
            _ if inner.iter().any(|w| w.contains("migrat")) => plain(vec![
                format!("Running migrations for {}", self.task_definition.family),
                "  Applying 0041_orders_created_at_index... OK (1.8s)".into(),
                "  Applying 0042_refund_reason... OK (0.2s)".into(),
                "2 migrations applied; the schema is up to date".into(),
            ]),
            _ => plain(vec![
                format!(
                    "starting {}",
                    shell_words::join(flightdeck_model::secrets::shown_args(&inner))
                ),
                "done".into(),
            ]),
        }
    }

    pub fn started_at(&self) -> Timestamp {
        self.created + PROVISIONING + PENDING
    }

    /// When its command exits by itself.
    fn exits_at(&self) -> Timestamp {
        let script = self.script();
        self.started_at() + LINE_EVERY * (script.lines.len() as i32 + 1) + script.extra
    }

    /// The stop before its command exited (StopTask), if any.
    fn stopped_early(&self) -> Option<&(Timestamp, String)> {
        self.stopped
            .as_ref()
            .filter(|(at, _)| *at < self.exits_at())
    }

    /// When its command exits, or it was stopped.
    pub fn stopped_at(&self) -> Timestamp {
        self.stopped_early()
            .map_or_else(|| self.exits_at(), |(at, _)| *at)
    }

    /// Why it stopped, once stopped.
    pub fn stopped_reason(&self) -> String {
        self.stopped_early()
            .map_or_else(|| EXITED.to_string(), |(_, why)| why.clone())
    }

    pub fn status(&self, now: Timestamp) -> TaskStatus {
        if now >= self.stopped_at() {
            TaskStatus::Stopped
        } else if now < self.created + PROVISIONING {
            TaskStatus::Provisioning
        } else if now < self.started_at() {
            TaskStatus::Pending
        } else {
            TaskStatus::Running
        }
    }

    /// Its exit code, once stopped.
    pub fn exit_code(&self, now: Timestamp) -> Option<i32> {
        if self.status(now) != TaskStatus::Stopped {
            return None;
        }
        Some(match self.stopped_early() {
            Some(_) => STOPPED_EXIT,
            None => self.script().exit_code,
        })
    }

    pub fn stream(&self) -> String {
        format!("{}/{}/{}", self.stream_prefix, self.container, self.id)
    }

    /// Its lines written by `now`, oldest first.
    pub fn lines(&self, now: Timestamp) -> Vec<LogEvent> {
        let stream = self.stream();
        self.script()
            .lines
            .into_iter()
            .enumerate()
            .map(|(i, message)| LogEvent {
                id: format!("{}-{i}", self.id),
                timestamp: self.started_at() + LINE_EVERY * (i as i32 + 1),
                stream: stream.clone(),
                message,
            })
            .filter(|e| e.timestamp <= now && e.timestamp < self.stopped_at())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(command: &[&str]) -> OneOff {
        OneOff {
            id: "0a1b2c".into(),
            task_definition: TaskDefRef::new("orders", 12),
            container: "app".into(),
            command: command.iter().map(|s| s.to_string()).collect(),
            created: chrono::DateTime::UNIX_EPOCH,
            availability_zone: "us-east-1a".into(),
            stream_prefix: "ecs".into(),
            stopped: None,
        }
    }

    #[test]
    fn a_command_plays_by_its_words_through_every_status() {
        let migrate = run(&["bin/rails", "db:migrate"]);
        let t0 = migrate.created;
        assert_eq!(migrate.status(t0), TaskStatus::Provisioning);
        assert_eq!(
            migrate.status(t0 + Duration::seconds(3)),
            TaskStatus::Pending
        );
        assert_eq!(migrate.status(migrate.started_at()), TaskStatus::Running);
        assert_eq!(migrate.exit_code(migrate.started_at()), None);
        let end = migrate.stopped_at();
        assert_eq!(migrate.status(end), TaskStatus::Stopped);
        assert_eq!(migrate.exit_code(end), Some(0));
        assert_eq!(migrate.lines(end).len(), 4);
        assert_eq!(migrate.lines(migrate.started_at()).len(), 0);
        assert_eq!(migrate.lines(end)[0].stream, "ecs/app/0a1b2c");
        assert_eq!(run(&["false"]).script().exit_code, 1);
        assert_eq!(run(&["sh", "-c", "exit 3"]).script().exit_code, 3);
        let sleep = run(&["sleep", "30"]);
        assert_eq!(
            sleep.stopped_at() - sleep.started_at(),
            Duration::seconds(31)
        );
        assert_eq!(run(&["echo", "a", "b"]).script().lines, ["a b"]);
    }
}
