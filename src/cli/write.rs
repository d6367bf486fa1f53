//! The write commands' clap definitions and the parsers of their values;
//! `flightdeck_app::commands::write` plans and runs them.

use clap::{Args, Subcommand};
use flightdeck_app::commands::write::{self, WriteAction, WriteCommand};

#[derive(Debug, Args)]
pub struct Target {
    /// The service's cluster; found by the service's name when left out.
    #[arg(long)]
    pub cluster: Option<String>,
    /// The service to act on.
    #[arg(long)]
    pub service: String,
}

/// Which task and container a session reaches.
#[derive(Debug, Args)]
pub struct TaskPick {
    /// The task's id, ARN or 6+ characters of its id (default: the first running one).
    #[arg(long)]
    pub task: Option<String>,
    /// The container (default: the task's first running one).
    #[arg(long)]
    pub container: Option<String>,
}

#[derive(Debug, Args)]
pub struct Guard {
    /// Print the plan and stop.
    #[arg(long)]
    pub dry_run: bool,
    /// The service's name: without it nothing changes.
    #[arg(long, value_name = "SERVICE")]
    pub confirm: Option<String>,
    /// One JSON object on stdout: the plan, what was executed, the rollout.
    #[arg(long)]
    pub json: bool,
    /// Take the service's lease over from the operator who holds it
    /// ([team] lease_table), or write without an unreachable lease table,
    /// for this reason: audited, and shown to the holder.
    #[arg(long, value_name = "REASON")]
    pub take_lease: Option<String>,
}

#[derive(Debug, Args)]
pub struct Follow {
    /// Follow the rollout; exit 0 only when it SUCCEEDED.
    #[arg(long)]
    pub wait: bool,
    /// No progress for this long is STUCK (30s, 10m, 1h; default: config, else 10m).
    #[arg(long, value_parser = parse_stuck_after)]
    pub stuck_after: Option<chrono::Duration>,
}

/// `--stuck-after`: from 10 seconds (a poll or two) to a day.
fn parse_stuck_after(
    s: &str,
) -> Result<chrono::Duration, flightdeck_model::duration::DurationError> {
    flightdeck_model::duration::parse(s, chrono::Duration::seconds(10)..=chrono::Duration::days(1))
}

#[derive(Debug, Subcommand)]
pub enum WriteSubcommand {
    /// Deploy new container images (a new task definition revision) or force a new deployment.
    Deploy {
        #[command(flatten)]
        target: Target,
        /// CONTAINER=IMAGE, repeatable.
        #[arg(long = "image", value_name = "CONTAINER=IMAGE", value_parser = parse_image, required_unless_present = "force")]
        images: Vec<(String, String)>,
        /// A new deployment of the current revision.
        #[arg(long, conflicts_with = "images")]
        force: bool,
        #[command(flatten)]
        guard: Guard,
        #[command(flatten)]
        follow: Follow,
    },
    /// Roll back to the last deployment that completed, or to --to REVISION.
    Rollback {
        #[command(flatten)]
        target: Target,
        /// The revision of the service's family to roll back to (default:
        /// the one its last completed deployment replaced).
        #[arg(long, value_name = "REVISION")]
        to: Option<u32>,
        #[command(flatten)]
        guard: Guard,
        #[command(flatten)]
        follow: Follow,
    },
    /// Change the desired count, the auto scaling range, or suspend/resume dynamic scaling.
    Scale {
        #[command(flatten)]
        target: Target,
        /// The desired count of tasks.
        #[arg(long)]
        desired: Option<u32>,
        /// The auto scaling range's minimum.
        #[arg(long)]
        min: Option<u32>,
        /// The auto scaling range's maximum.
        #[arg(long)]
        max: Option<u32>,
        /// Suspend dynamic scaling (target tracking and step policies).
        #[arg(long, conflicts_with = "resume")]
        suspend: bool,
        /// Resume dynamic scaling.
        #[arg(long)]
        resume: bool,
        #[command(flatten)]
        guard: Guard,
    },
    /// Change how the service's next deployments run: rolling, blue/green, canary or linear.
    Strategy {
        #[command(flatten)]
        target: Target,
        /// rolling, rolling:MIN_HEALTHY:MAX, blue-green, canary:PERCENT:MINUTES or linear:STEP_PERCENT:MINUTES.
        #[arg(long = "to", value_name = "STRATEGY", value_parser = flightdeck_model::Strategy::parse)]
        strategy: flightdeck_model::Strategy,
        /// Minutes both revisions run after all traffic moved (blue/green, canary, linear); kept when left out.
        #[arg(long, value_name = "MINUTES")]
        bake: Option<u32>,
        #[command(flatten)]
        guard: Guard,
    },
    /// Let a deployment waiting at a pause hook (an approval) go on to its next stage.
    Continue {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        guard: Guard,
        #[command(flatten)]
        follow: Follow,
    },
    /// A shell (or a command) in a container of one of the service's tasks,
    /// through ECS Exec and session-manager-plugin.
    Exec {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        pick: TaskPick,
        /// What to run, interactively.
        #[arg(long, default_value = "/bin/sh")]
        command: String,
        #[command(flatten)]
        guard: Guard,
    },
    /// Forward a local port to a container of one of the service's tasks, or
    /// through it to a host its network reaches (an RDS endpoint), until Ctrl-C.
    PortForward {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        pick: TaskPick,
        /// The port on the container, or on the remote host.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        remote_port: u16,
        /// A host reached through the task (default: the container itself).
        #[arg(long)]
        remote_host: Option<String>,
        /// The port on 127.0.0.1 (default: the remote port, or 10000 more below 1024).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1024..))]
        local_port: Option<u16>,
        #[command(flatten)]
        guard: Guard,
    },
    /// A one-off task (a migration): the service's revision with a command override.
    RunTask {
        #[command(flatten)]
        target: Target,
        /// What to run, split as a shell would (no shell runs it: `sh -c "..."` for one).
        #[arg(long)]
        command: String,
        /// The container whose command it is (default: the first essential one).
        #[arg(long)]
        container: Option<String>,
        /// The task's CPU units instead of the task definition's (1024 = 1 vCPU).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        cpu: Option<u32>,
        /// The task's memory in MiB instead of the task definition's.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        memory: Option<u32>,
        /// Follow the task and its log lines to its end; exit 0 only on exit code 0.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        guard: Guard,
    },
    /// Stop one task (a wedged or crash-looping one); the service starts a replacement.
    StopTask {
        #[command(flatten)]
        target: Target,
        /// The task's id, its ARN, or at least 6 characters of its id.
        #[arg(long)]
        task: String,
        /// The stop reason ECS records (default: "Stopped by flightdeck").
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        guard: Guard,
    },
}

fn parse_image(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((c, i)) if !c.is_empty() && !i.is_empty() => Ok((c.to_string(), i.to_string())),
        _ => Err(format!("`{s}` is not CONTAINER=IMAGE")),
    }
}

impl From<Target> for write::Target {
    fn from(t: Target) -> Self {
        write::Target {
            cluster: t.cluster,
            service: t.service,
        }
    }
}

impl From<TaskPick> for write::TaskPick {
    fn from(p: TaskPick) -> Self {
        write::TaskPick {
            task: p.task,
            container: p.container,
        }
    }
}

impl From<Guard> for write::Guard {
    fn from(g: Guard) -> Self {
        write::Guard {
            dry_run: g.dry_run,
            confirm: g.confirm,
            json: g.json,
            take_lease: g.take_lease,
        }
    }
}

impl From<Follow> for write::Follow {
    fn from(f: Follow) -> Self {
        write::Follow {
            wait: f.wait,
            stuck_after: f.stuck_after,
        }
    }
}

impl From<WriteSubcommand> for WriteCommand {
    fn from(command: WriteSubcommand) -> Self {
        let (target, guard, follow, action) = match command {
            WriteSubcommand::Deploy {
                target,
                images,
                force,
                guard,
                follow,
            } => (
                target,
                guard,
                Some(follow),
                WriteAction::Deploy { images, force },
            ),
            WriteSubcommand::Rollback {
                target,
                to,
                guard,
                follow,
            } => (target, guard, Some(follow), WriteAction::Rollback { to }),
            WriteSubcommand::Scale {
                target,
                desired,
                min,
                max,
                suspend,
                resume,
                guard,
            } => {
                let suspend = if suspend {
                    Some(true)
                } else if resume {
                    Some(false)
                } else {
                    None
                };
                let action = WriteAction::Scale {
                    desired,
                    min,
                    max,
                    suspend,
                };
                (target, guard, None, action)
            }
            WriteSubcommand::Strategy {
                target,
                strategy,
                bake,
                guard,
            } => (
                target,
                guard,
                None,
                WriteAction::Strategy { strategy, bake },
            ),
            WriteSubcommand::Continue {
                target,
                guard,
                follow,
            } => (target, guard, Some(follow), WriteAction::Continue),
            WriteSubcommand::Exec {
                target,
                pick,
                command,
                guard,
            } => {
                let action = WriteAction::Exec {
                    pick: pick.into(),
                    command,
                };
                (target, guard, None, action)
            }
            WriteSubcommand::PortForward {
                target,
                pick,
                remote_port,
                remote_host,
                local_port,
                guard,
            } => {
                let action = WriteAction::PortForward {
                    pick: pick.into(),
                    remote_port,
                    remote_host,
                    local_port,
                };
                (target, guard, None, action)
            }
            WriteSubcommand::StopTask {
                target,
                task,
                reason,
                guard,
            } => (target, guard, None, WriteAction::StopTask { task, reason }),
            WriteSubcommand::RunTask {
                target,
                command,
                container,
                cpu,
                memory,
                wait,
                guard,
            } => {
                let follow = Follow {
                    wait,
                    stuck_after: None,
                };
                let action = WriteAction::RunTask {
                    command,
                    container,
                    cpu,
                    memory,
                };
                (target, guard, Some(follow), action)
            }
        };
        WriteCommand {
            target: target.into(),
            guard: guard.into(),
            follow: follow.map(Into::into),
            action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};

    /// The write a command line asks the application for.
    fn write(args: &[&str]) -> WriteCommand {
        let cli = Cli::parse_args(["flightdeck"].iter().chain(args)).unwrap();
        match cli.command {
            Some(Command::Write(w)) => w.into(),
            other => panic!("not a write: {other:?}"),
        }
    }

    #[test]
    fn a_write_reaches_the_application_as_the_command_line_said_it() {
        let scale = ["scale", "--service", "s", "--desired", "3"];
        let w = write(&[&scale[..], &["--suspend", "--confirm", "s"]].concat());
        assert_eq!(w.target.service, "s");
        assert_eq!(w.target.cluster, None);
        assert_eq!(w.guard.confirm.as_deref(), Some("s"));
        assert_eq!(w.follow, None, "a scale starts no rollout to follow");
        let suspend = |w: WriteCommand| match w.action {
            WriteAction::Scale { suspend, .. } => suspend,
            other => panic!("not a scale: {other:?}"),
        };
        assert_eq!(suspend(w), Some(true));
        assert_eq!(
            suspend(write(&[&scale[..], &["--resume"]].concat())),
            Some(false)
        );
        assert_eq!(suspend(write(&scale)), None);

        let w = write(&[
            "deploy",
            "--cluster",
            "c",
            "--service",
            "s",
            "--image",
            "app=img:2",
            "--wait",
            "--dry-run",
        ]);
        assert_eq!(w.target.cluster.as_deref(), Some("c"));
        assert!(w.guard.dry_run && !w.guard.json);
        assert!(w.follow.is_some_and(|f| f.wait && f.stuck_after.is_none()));
        assert_eq!(
            w.action,
            WriteAction::Deploy {
                images: vec![("app".into(), "img:2".into())],
                force: false
            }
        );
    }
}
