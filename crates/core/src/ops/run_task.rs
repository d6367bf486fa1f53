//! A one-off task (a migration, a script): planning its RunTask from the
//! service's task definition, network and capacity with a command
//! override, and following the task it started to its exit code with its
//! log lines (the command's `--wait` and the cockpit's output pane).

use super::plan::{Plan, PlanError, Step};
use crate::diff::Change;
use crate::provider::{LogQuery, OneOffTask, ProviderError, ReadProvider};
use flightdeck_model::{LaunchType, LogEvent, Service, Task, TaskStatus, Timestamp};
use std::collections::HashSet;

/// What the operator asked for.
pub struct Wanted<'a> {
    /// A shell line, split into words as a shell would (no shell runs it).
    pub command: &'a str,
    pub container: Option<&'a str>,
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
}

/// The task CPU units Fargate takes, with the memory (MiB) each allows:
/// from, to, step.
const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// Why Fargate would refuse `cpu` with `memory`, in words.
fn fargate_refusal(cpu: u32, memory: u32) -> Option<String> {
    let Some(&(_, from, to, step)) = FARGATE_SIZES.iter().find(|s| s.0 == cpu) else {
        let sizes: Vec<String> = FARGATE_SIZES.iter().map(|s| s.0.to_string()).collect();
        return Some(format!(
            "Fargate takes a task CPU of {} units, not {cpu}",
            sizes.join(", ")
        ));
    };
    // 256 CPU units take 512, 1024 or 2048 MiB.
    let fits = if cpu == 256 {
        [512, 1024, 2048].contains(&memory)
    } else {
        (from..=to).contains(&memory) && (memory - from).is_multiple_of(step)
    };
    (!fits).then(|| {
        format!(
            "Fargate takes {cpu} CPU units with {from} to {to} MiB of memory in steps of {}, not {memory}",
            if cpu == 256 { 512 } else { step }
        )
    })
}

/// Whether tasks of the service run on Fargate (its launch type, or a
/// FARGATE or FARGATE_SPOT capacity provider).
fn on_fargate(svc: &Service) -> bool {
    if svc.placement.capacity_providers.is_empty() {
        svc.launch_type == LaunchType::Fargate
    } else {
        svc.placement
            .capacity_providers
            .iter()
            .any(|c| c.name.starts_with("FARGATE"))
    }
}

/// A one-off task's command line as its words, as a shell splits them,
/// or why it cannot be run.
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    let words = shell_words::split(line)
        .map_err(|e| format!("the command does not split into words ({e}): close its quotes"))?;
    if words.is_empty() {
        return Err("give the command to run, such as `bin/migrate --check`".into());
    }
    Ok(words)
}

/// A one-off task of `svc`'s running revision.
pub(super) async fn plan_run_task(
    p: &dyn ReadProvider,
    plan: &mut Plan,
    svc: &Service,
    wanted: &Wanted<'_>,
) -> Result<(), PlanError> {
    let command = split_command(wanted.command).map_err(PlanError::Invalid)?;
    let td = p.task_definition(&svc.task_definition).await?;
    let container = match wanted.container.map(str::trim).filter(|c| !c.is_empty()) {
        Some(name) => super::plan::named_container(&td, name)?,
        None => td
            .containers
            .iter()
            .find(|c| c.essential)
            .or_else(|| td.containers.first())
            .ok_or_else(|| PlanError::Refused(format!("{} lists no containers", td.reference)))?,
    };
    for (what, value) in [("CPU", wanted.cpu), ("memory", wanted.memory)] {
        if value == Some(0) {
            return Err(PlanError::Invalid(format!(
                "the task {what} must be above 0"
            )));
        }
    }
    let fargate = on_fargate(svc);
    if fargate && (wanted.cpu.is_some() || wanted.memory.is_some()) {
        let cpu = wanted.cpu.unwrap_or(td.cpu);
        let memory = wanted.memory.unwrap_or(td.memory);
        if let Some(why) = fargate_refusal(cpu, memory) {
            return Err(PlanError::Invalid(why));
        }
    }
    if let Some(memory) = wanted.memory {
        let reserved: u32 = td.containers.iter().map(|c| c.memory).sum();
        if memory < reserved {
            return Err(PlanError::Invalid(format!(
                "{memory} MiB is less than the {reserved} MiB its containers reserve"
            )));
        }
    }
    if fargate && !svc.placement.has_network() {
        return Err(PlanError::Refused(format!(
            "{}/{} has no awsvpc network configuration to start a Fargate task in",
            svc.cluster, svc.name
        )));
    }
    let task = OneOffTask {
        cluster: svc.cluster.clone(),
        service: svc.name.clone(),
        task_definition: svc.task_definition.clone(),
        launch_type: svc.launch_type,
        placement: svc.placement.clone(),
        container: container.name.clone(),
        command,
        cpu: wanted.cpu,
        memory: wanted.memory,
    };
    plan.diff.push(Change::new(
        "one-off task",
        "none",
        format!(
            "{} in {} of {}",
            task.command_line(),
            task.container,
            td.reference
        ),
    ));
    if let Some(cpu) = wanted.cpu {
        plan.diff
            .push(Change::new("task cpu", td.cpu.to_string(), cpu.to_string()));
    }
    if let Some(memory) = wanted.memory {
        plan.diff.push(Change::new(
            "task memory",
            format!("{} MiB", td.memory),
            format!("{memory} MiB"),
        ));
    }
    plan.notes.push(
        "it runs beside the service, not in it: the desired count and deployments stay; ECS stops it when its essential container exits".into(),
    );
    match (&container.log_group, &container.logs_elsewhere) {
        (Some(group), _) => plan.notes.push(format!(
            "its output goes to {group}, stream {}",
            stream_name(
                container.log_stream_prefix.as_deref(),
                &task.container,
                "<task id>"
            )
            .unwrap_or_else(|| "named by ECS".into())
        )),
        (None, Some(elsewhere)) => plan.notes.push(format!(
            "its output goes to {elsewhere}: flightdeck cannot stream it"
        )),
        (None, None) => plan
            .notes
            .push("the container has no log configuration: its output is lost".into()),
    }
    plan.steps.push(Step::RunTask { task });
    Ok(())
}

/// The AWS CLI command that stops one-off task `id` of `run`: flightdeck's
/// `stop-task` acts on a service's own tasks only.
pub fn stop_command(run: &OneOffTask, id: &str, region: &str) -> String {
    shell_words::join([
        "aws",
        "ecs",
        "stop-task",
        "--cluster",
        &run.cluster,
        "--task",
        id,
        "--region",
        region,
    ])
}

/// The awslogs stream of a task's container: `prefix/container/task`.
fn stream_name(prefix: Option<&str>, container: &str, task: &str) -> Option<String> {
    prefix.map(|p| format!("{p}/{container}/{task}"))
}

/// How a one-off task ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ending {
    /// The exit code of its command's container; `None` when it never ran
    /// (the image could not be pulled, no capacity) or ECS does not say.
    pub exit_code: Option<i32>,
    /// ECS's stop reason and the container's reason, in words.
    pub reason: String,
}

impl Ending {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// `exit code 0 (Essential container in task exited)`.
    pub fn describe(&self) -> String {
        match self.exit_code {
            Some(code) => format!("exit code {code} ({})", self.reason),
            None => format!("no exit code: {}", self.reason),
        }
    }
}

/// What one look at a followed task found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Progress {
    /// Its status, when it changed since the last look.
    pub status: Option<TaskStatus>,
    /// Log lines not seen before, oldest first.
    pub lines: Vec<LogEvent>,
    /// Set once it stopped.
    pub ended: Option<Ending>,
}

/// Log lines read per look.
const LINES_PER_LOOK: usize = 1000;

/// A one-off task followed to its end: its status and its container's log
/// stream, each line given once.
#[derive(Debug, Clone)]
pub struct Follower {
    cluster: String,
    task: String,
    container: String,
    /// The log group and the task's stream, when it logs to CloudWatch.
    log: Option<(String, String)>,
    since: Timestamp,
    seen: HashSet<String>,
    status: Option<TaskStatus>,
}

impl Follower {
    /// Follows `started`, the task `run` started: its log stream is found
    /// from the task definition.
    pub async fn start(
        p: &dyn ReadProvider,
        run: &OneOffTask,
        started: &Task,
        now: Timestamp,
    ) -> Result<Follower, ProviderError> {
        let td = p.task_definition(&run.task_definition).await?;
        let log = td
            .containers
            .iter()
            .find(|c| c.name == run.container)
            .and_then(|c| {
                let stream =
                    stream_name(c.log_stream_prefix.as_deref(), &run.container, &started.id)?;
                Some((c.log_group.clone()?, stream))
            });
        Ok(Follower {
            cluster: run.cluster.clone(),
            task: started.id.clone(),
            container: run.container.clone(),
            log,
            since: started.started_at.unwrap_or(now) - chrono::Duration::minutes(1),
            seen: HashSet::new(),
            status: None,
        })
    }

    pub fn task(&self) -> &str {
        &self.task
    }

    /// Where its lines come from, in words (`the group's stream S`), or
    /// why there are none.
    pub fn source(&self) -> String {
        match &self.log {
            Some((group, stream)) => format!("log group {group}, stream {stream}"),
            None => "its container does not log to CloudWatch Logs: no lines to show".into(),
        }
    }

    /// One look: the task, then its new lines (read after the task, so the
    /// lines of a task seen stopped are all there but CloudWatch's lag).
    pub async fn look(&mut self, p: &dyn ReadProvider) -> Result<Progress, ProviderError> {
        let task = p.task(&self.cluster, &self.task).await?;
        let mut progress = Progress::default();
        if self.status.as_ref() != Some(&task.last_status) {
            self.status = Some(task.last_status.clone());
            progress.status = Some(task.last_status.clone());
        }
        if let Some((group, stream)) = &self.log {
            let query = LogQuery {
                log_group: group.clone(),
                stream_prefix: Some(stream.clone()),
                since: self.since,
                filter: None,
                limit: LINES_PER_LOOK,
                live: false,
            };
            match p.log_events(&query).await {
                Ok(events) => {
                    for e in events {
                        if self.seen.insert(e.id.clone()) {
                            self.since = self.since.max(e.timestamp);
                            progress.lines.push(e);
                        }
                    }
                }
                // The stream appears with the container's first line.
                Err(ProviderError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if task.last_status == TaskStatus::Stopped {
            progress.ended = Some(self.ending(&task));
        }
        Ok(progress)
    }

    fn ending(&self, task: &Task) -> Ending {
        let container = task
            .containers
            .iter()
            .find(|c| c.name == self.container)
            .or_else(|| task.containers.iter().find(|c| c.exit_code.is_some()));
        let mut reasons = vec![];
        if let Some(r) = &task.stopped_reason {
            reasons.push(r.clone());
        }
        if let Some(r) = container.and_then(|c| c.reason.clone()) {
            reasons.push(r);
        }
        if reasons.is_empty() {
            reasons.push("ECS gives no reason".into());
        }
        Ending {
            exit_code: container.and_then(|c| c.exit_code),
            reason: reasons.join("; "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_sizes_are_checked_before_ecs_refuses_them() {
        assert_eq!(fargate_refusal(256, 512), None);
        assert_eq!(fargate_refusal(1024, 4096), None);
        assert_eq!(fargate_refusal(16384, 32768 + 8192), None);
        let bad_cpu = fargate_refusal(300, 1024).unwrap();
        assert!(bad_cpu.contains("256, 512, 1024"), "{bad_cpu}");
        let bad_memory = fargate_refusal(1024, 1024).unwrap();
        assert!(bad_memory.contains("2048 to 8192"), "{bad_memory}");
        assert!(fargate_refusal(256, 1536).is_some());
        assert!(fargate_refusal(8192, 18000).is_some());
    }

    #[test]
    fn an_ending_says_the_exit_code_or_why_there_is_none() {
        let ok = Ending {
            exit_code: Some(0),
            reason: "Essential container in task exited".into(),
        };
        assert!(ok.succeeded());
        assert_eq!(
            ok.describe(),
            "exit code 0 (Essential container in task exited)"
        );
        let pulled = Ending {
            exit_code: None,
            reason: "CannotPullContainerError".into(),
        };
        assert!(!pulled.succeeded());
        assert!(pulled.describe().starts_with("no exit code"));
    }
}
