//! Peak memory of reading a large recording: `cargo run --release -p
//! flightdeck-tui --example recording_memory -- gen FILE MB [polls]`
//! writes a synthetic session of about MB megabytes: a services poll every
//! 5 s that changes, alarms every 10 s, a page of log lines every 2 s, a
//! tick a second; or (`polls`) 30 jobs a second that bring nothing new,
//! written short; `timeline FILE`, `export FILE OUT` and `replay FILE` then do
//! what `flightdeck replay` does with it and print the process's peak
//! resident set (VmHWM). BENCHMARKS.md reports the figures.
#![expect(
    clippy::disallowed_macros,
    reason = "a measuring tool prints its figures"
)]
#![expect(
    clippy::unwrap_used,
    reason = "a measuring tool: a failed unwrap is the report"
)]

use chrono::TimeZone;
use flightdeck_core::engine::{DataEvent, Fetched, JobKey, JobKind, Payload};
use flightdeck_model::{
    Alarm, AlarmState, Comparison, Deployment, DeploymentStatus, EnvironmentInfo, LaunchType,
    LogEvent, LogSource, RolloutState, Service, ServiceEvent, ServiceStatus, Severity, TaskDefRef,
    Timestamp,
};
use flightdeck_tui::app::Msg;
use flightdeck_tui::recording::{self, Header, Recorder};
use std::path::Path;

fn t0() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
        .unwrap()
}

fn data(kind: JobKind, at: Timestamp, generation: u64, payload: Payload) -> Msg {
    Msg::Data(Box::new(DataEvent {
        key: JobKey {
            env: "shop".into(),
            kind,
        },
        data: Fetched {
            fetched_at: at,
            generation,
            run: None,
            result: Ok(payload),
        },
    }))
}

fn service(i: usize, second: i64) -> Service {
    let name = format!("svc-{i:03}");
    let at = t0() + chrono::Duration::seconds(second);
    Service {
        cluster: "c".into(),
        name: name.clone(),
        arn: format!("arn:aws:ecs:us-east-1:123456789012:service/c/{name}"),
        status: ServiceStatus::Active,
        desired: 4,
        running: 4,
        pending: 0,
        task_definition: TaskDefRef::new(&name, 7),
        launch_type: LaunchType::Fargate,
        target_groups: vec![],
        alternate_target_groups: vec![],
        deployments: vec![Deployment {
            id: format!("ecs-svc/{name}"),
            status: DeploymentStatus::Primary,
            task_definition: TaskDefRef::new(&name, 7),
            desired: 4,
            running: 4,
            pending: 0,
            failed_tasks: 0,
            rollout_state: RolloutState::Completed,
            rollout_reason: String::new(),
            created_at: t0() - chrono::Duration::days(3),
            updated_at: t0() - chrono::Duration::days(3),
        }],
        // ECS's last few events: a new one each poll.
        events: (0..5)
            .map(|k| {
                ServiceEvent::read(
                    format!("{name}-{}", second - k),
                    at - chrono::Duration::seconds(k * 5),
                    format!(
                        "(service {name}) has reached a steady state. (poll {})",
                        second - k
                    ),
                )
            })
            .collect(),
        created_at: t0() - chrono::Duration::days(30),
        deployment_config: flightdeck_model::DeploymentConfig::default(),
        exec_enabled: false,
        placement: Default::default(),
    }
}

fn alarm(i: usize, state: AlarmState) -> Alarm {
    Alarm {
        name: format!("svc-{i:03}-5xx"),
        description: String::new(),
        state,
        state_reason: "Threshold Crossed".into(),
        state_updated_at: t0(),
        metric: flightdeck_model::MetricName::HttpCodeTarget5xxCount,
        namespace: flightdeck_model::MetricNamespace::ApplicationElb,
        dimensions: vec![("ServiceName".into(), format!("svc-{i:03}"))],
        statistic: flightdeck_model::Statistic::Sum,
        threshold: 10.0,
        comparison: Comparison::GreaterThanThreshold,
        period_secs: 60,
        evaluation_periods: 1,
        unit: String::new(),
        severity: Severity::Critical,
        actions: vec![],
        tags: vec![],
    }
}

fn generate(path: &Path, mb: u64, shape: &str) {
    let header = Header {
        format: recording::FORMAT.into(),
        version: recording::VERSION,
        started: t0(),
        environments: vec![EnvironmentInfo {
            name: "shop".into(),
            region: "eu-west-1".into(),
            production: true,
            read_only: false,
        }],
        demo: true,
        drill: None,
        current: None,
        read_only: false,
        keys: vec![],
    };
    let mut r = Recorder::create(path, &header).unwrap();
    r.record(&Msg::Resize(120, 40), t0()).unwrap();
    let mut second = 0i64;
    while std::fs::metadata(path).unwrap().len() < mb * 1024 * 1024 {
        let at = t0() + chrono::Duration::seconds(second);
        r.record(&Msg::Tick(at), at).unwrap();
        if shape == "polls" {
            // Many jobs polled each second that bring nothing new: short
            // lines, each the whole payload again once read back.
            for job in 0..30 {
                let alarms = (0..20).map(|i| alarm(i, AlarmState::Ok)).collect();
                let kind = JobKind::Logs(LogSource::group(format!("/ecs/job-{job}")));
                r.record(&data(kind, at, second as u64, Payload::Alarms(alarms)), at)
                    .unwrap();
            }
        } else if second % 5 == 0 {
            let services = (0..40).map(|i| service(i, second)).collect();
            let payload = Payload::Services {
                clusters: vec![],
                services,
            };
            r.record(&data(JobKind::Services, at, second as u64, payload), at)
                .unwrap();
        }
        if second % 10 == 0 {
            // An alarm goes off every ten minutes for a minute.
            let alarms = (0..20)
                .map(|i| {
                    let off = i == 0 && (second / 60) % 10 == 0;
                    alarm(
                        i,
                        if off {
                            AlarmState::Alarm
                        } else {
                            AlarmState::Ok
                        },
                    )
                })
                .collect();
            r.record(
                &data(JobKind::Alarms, at, second as u64, Payload::Alarms(alarms)),
                at,
            )
            .unwrap();
        }
        if second % 2 == 0 {
            let lines = (0..40)
                .map(|k| LogEvent {
                    id: format!("{second}-{k}"),
                    timestamp: at,
                    stream: "api/api/0123456789abcdef".into(),
                    message: format!(
                        "GET /api/v1/orders/{k} 200 12ms request_id=req-{second}-{k} user_agent=Mozilla/5.0"
                    ),
                })
                .collect();
            r.record(
                &data(
                    JobKind::Logs(LogSource::group("/ecs/api")),
                    at,
                    second as u64,
                    Payload::Logs(lines),
                ),
                at,
            )
            .unwrap();
        }
        second += 1;
        if second % 600 == 0 {
            r.flush().unwrap();
        }
    }
    r.flush().unwrap();
    println!(
        "wrote {} ({} MB, {} recorded seconds)",
        path.display(),
        std::fs::metadata(path).unwrap().len() / (1024 * 1024),
        second
    );
}

/// The peak resident set, in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let started = std::time::Instant::now();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["gen", file, mb] => generate(Path::new(file), mb.parse().unwrap(), "data"),
        ["gen", file, mb, shape] => generate(Path::new(file), mb.parse().unwrap(), shape),
        ["timeline", file] => {
            let report = recording::postmortem(Path::new(file)).unwrap();
            println!(
                "{} entries, {} happenings",
                report.entries,
                report.happenings.len()
            );
        }
        ["export", file, out] => {
            let mut replay = recording::Replay::open(Path::new(file)).unwrap();
            let theme = flightdeck_tui::theme::ThemeSet::load(None).unwrap();
            let theme = theme.require("monochrome").unwrap();
            let size = recording::ScreenSize::of(Some((120, 40)));
            let mut writer = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
            let cast = recording::asciicast(&mut replay, theme, size, &mut writer).unwrap();
            std::io::Write::flush(&mut writer).unwrap();
            println!("{} frames, {} MB", cast.frames, cast.bytes / (1024 * 1024));
        }
        ["replay", file] => {
            let mut replay = recording::Replay::open(Path::new(file)).unwrap();
            replay.advance_to(replay.end());
            replay.seek(replay.started + chrono::Duration::minutes(7));
            println!(
                "replayed to the end and back ({} checkpoints)",
                replay.checkpoints()
            );
        }
        _ => {
            eprintln!(
                "usage: recording_memory gen FILE MB | timeline FILE | export FILE OUT | replay FILE"
            );
            std::process::exit(2);
        }
    }
    println!(
        "peak resident set {:.0} MB, {:.1} s",
        peak_mb(),
        started.elapsed().as_secs_f64()
    );
}
