//! The recording format: written, read back whole, short for repeated
//! polls, redacted, and refused or read as far as it goes when damaged.

use super::*;
use chrono::TimeZone;
use flightdeck_core::engine::{Fetched, JobKey, JobKind};
use flightdeck_model::{Alarm, Comparison, Severity};

fn t(secs: i64) -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
        .unwrap()
        + chrono::Duration::seconds(secs)
}

fn header() -> Header {
    Header {
        format: FORMAT.into(),
        version: VERSION,
        started: t(0),
        environments: vec![],
        demo: true,
        drill: None,
        current: None,
        read_only: false,
        keys: vec![],
    }
}

fn alarm(state: AlarmState, at: i64) -> Alarm {
    Alarm {
        name: "api-5xx".into(),
        description: String::new(),
        state,
        state_reason: "Threshold Crossed".into(),
        state_updated_at: t(at),
        metric: "HTTPCode_Target_5XX_Count".into(),
        namespace: "AWS/ApplicationELB".into(),
        dimensions: vec![("ServiceName".into(), "api".into())],
        statistic: "Sum".into(),
        threshold: 10.0,
        comparison: Comparison::GreaterThanThreshold,
        period_secs: 60,
        evaluation_periods: 1,
        unit: String::new(),
        severity: Severity::Critical,
        actions: vec![],
    }
}

fn alarms(state: AlarmState, at: i64) -> Msg {
    Msg::Data(Box::new(DataEvent {
        key: JobKey {
            env: "shop".into(),
            kind: JobKind::Alarms,
        },
        data: Fetched {
            fetched_at: t(at),
            generation: 1,
            result: Ok(Payload::Alarms(vec![alarm(state, at)])),
        },
    }))
}

use flightdeck_model::AlarmState;

#[test]
fn a_recording_reads_back_what_was_written_with_ticks_once_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let mut r = Recorder::create(&path, &header()).unwrap();
    let key = Msg::Key(KeyEvent::new(
        crossterm::event::KeyCode::Char('R'),
        crossterm::event::KeyModifiers::SHIFT,
    ));
    use crate::app::mouse::{MouseInput, Target};
    // A click is kept as what it hit, not where: a replay at another
    // size does the same.
    let click = Msg::Mouse(MouseInput::Click(Some(Target::Row(
        crate::app::Pane::Alarms,
        4,
    ))));
    for (msg, at) in [
        (Msg::Tick(t(1)), t(1)),
        (Msg::Tick(t(1)), t(1)),
        (alarms(AlarmState::Ok, 2), t(2)),
        (alarms(AlarmState::Ok, 2), t(2)),
        (key.clone(), t(3)),
        (Msg::Resize(80, 24), t(3)),
        (click.clone(), t(3)),
        (alarms(AlarmState::Alarm, 60), t(60)),
    ] {
        r.record(&msg, at).unwrap();
    }
    drop(r);
    let rec = read(&path).unwrap();
    assert_eq!(rec.header, header());
    assert!(!rec.truncated);
    assert_eq!(
        rec.entries.len(),
        7,
        "the second tick of the same second is left out"
    );
    assert!(
        matches!(rec.entries[2], Entry::Unchanged { .. }),
        "the same data again is written short: {:?}",
        rec.entries[2]
    );
    let messages = rec.messages();
    assert_eq!(
        messages[2].1,
        alarms(AlarmState::Ok, 2),
        "and read back whole"
    );
    assert_eq!(messages[3].1, key);
    assert_eq!(messages[5].1, click);
    assert_eq!(messages[6].0, t(60));
    let happened = postmortem(&rec);
    assert_eq!(happened.len(), 1, "{happened:?}");
    assert_eq!(happened[0].what, "api-5xx: OK -> ALARM: Threshold Crossed");
    assert_eq!(happened[0].service.as_deref(), Some("api"));
    let md = markdown(&rec, &happened);
    assert!(
        md.contains("| 14:01:00 | shop | api | alarm: api-5xx: OK -> ALARM: Threshold Crossed |"),
        "{md}"
    );
}

#[test]
fn newer_torn_and_foreign_files_are_refused_or_read_as_far_as_they_go() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let mut r = Recorder::create(&path, &header()).unwrap();
    r.record(&alarms(AlarmState::Ok, 1), t(1)).unwrap();
    r.record(&alarms(AlarmState::Alarm, 2), t(2)).unwrap();
    drop(r);
    let text = std::fs::read_to_string(&path).unwrap();
    // A crash in the middle of the last line.
    std::fs::write(&path, &text[..text.len() - 20]).unwrap();
    let rec = read(&path).unwrap();
    assert!(rec.truncated);
    assert_eq!(rec.entries.len(), 1);
    // A torn line in the middle is damage, not a crash: named by line.
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&path, format!("{}\n{{\"m\":\n{}\n", lines[0], lines[2])).unwrap();
    let e = read(&path).unwrap_err().to_string();
    assert!(e.contains("r.jsonl:2:"), "{e}");
    // A newer format is refused with what to do.
    let newer = text.replacen(&format!("\"version\":{VERSION}"), "\"version\":7", 1);
    std::fs::write(&path, newer).unwrap();
    let e = read(&path).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "newer flightdeck (format version 7; this one reads up to {VERSION})"
        )),
        "{e}"
    );
    std::fs::write(&path, "{\"hello\": 1}\n").unwrap();
    let e = read(&path).unwrap_err().to_string();
    assert!(e.contains("not a flightdeck recording"), "{e}");
}

#[test]
fn secret_environment_values_are_not_written() {
    use flightdeck_model::{
        ContainerDefinition, EnvVar, TaskDefRef, TaskDefinition, TaskDefinitionStatus,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let mut r = Recorder::create(&path, &header()).unwrap();
    let td = TaskDefinition {
        reference: TaskDefRef::new("api", 3),
        cpu: 256,
        memory: 512,
        containers: vec![ContainerDefinition {
            name: "api".into(),
            image: "acme/api:1".into(),
            cpu: 256,
            memory: 512,
            essential: true,
            port: None,
            environment: vec![
                EnvVar {
                    name: "DATABASE_PASSWORD".into(),
                    value: "hunter2-very-secret".into(),
                },
                EnvVar {
                    name: "LOG_LEVEL".into(),
                    value: "info".into(),
                },
            ]
            .into_iter()
            .chain(LEAKED.iter().map(|(name, value, _)| EnvVar {
                name: (*name).into(),
                value: (*value).into(),
            }))
            .collect(),
            secrets: vec![],
            log_group: None,
            log_stream_prefix: None,
            logs_elsewhere: None,
        }],
        registered_at: t(0),
        status: TaskDefinitionStatus::Active,
    };
    let msg = Msg::Data(Box::new(DataEvent {
        key: JobKey {
            env: "shop".into(),
            kind: JobKind::TaskDefinition(TaskDefRef::new("api", 3)),
        },
        data: Fetched {
            fetched_at: t(1),
            generation: 1,
            result: Ok(Payload::TaskDefinition(Box::new(td))),
        },
    }));
    r.record(&msg, t(1)).unwrap();
    drop(r);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("hunter2"), "{text}");
    for (name, _, secret) in LEAKED {
        assert!(!text.contains(secret), "{name}'s {secret:?} in {text}");
    }
    assert_eq!(
        text.matches("****** (redacted)").count(),
        1 + LEAKED.len(),
        "{text}"
    );
    assert!(text.contains("\"info\""), "{text}");
}

/// The shapes issue 22 found in clear: `(name, value, what must never
/// show)`. Fake, every one.
const LEAKED: [(&str, &str, &str); 9] = [
    ("DB_PASS", "s3cr3t-Pa55-one", "s3cr3t-Pa55"),
    ("DB_PWD", "hunter2hunter2", "hunter2"),
    (
        "ORDERS_DB",
        "Server=db.internal;Database=orders;User ID=app;Password=Tr0ub4dor&3;",
        "Tr0ub4dor",
    ),
    (
        "REPORTING_JDBC_URL",
        "jdbc:postgresql://db.internal:5432/reports?user=reporter&password=n0t-in-the-clear",
        "n0t-in-the-clear",
    ),
    ("CACHE_URL", "redis://:ab/cd@cache.internal:6379", "ab/cd"),
    (
        "SAML_SIGNER",
        " -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAfakeFAKEfake\n-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEA",
    ),
    (
        "IDP_CONFIG",
        "entity=https://idp.example.com;pem=-----BEGIN PRIVATE KEY-----MIIEvQIBADANfake-----END PRIVATE KEY-----",
        "MIIEvQIBADAN",
    ),
    (
        "ALERTS_URL",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "XXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    (
        "UPSTREAM_AUTHORIZATION",
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3jVmNHl0w5N",
    ),
];

/// A session's file is bounded: past its limit the recorder stops with a
/// message naming the setting, and what it wrote reads back whole.
#[test]
fn a_recording_stops_at_its_limit_and_stays_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let mut r = Recorder::create(&path, &header()).unwrap().limit(4096);
    let mut recorded = 0;
    let error = loop {
        let state = if recorded % 2 == 0 {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        };
        match r.record(&alarms(state, recorded), t(recorded)) {
            Ok(()) => recorded += 1,
            Err(e) => break e,
        }
        assert!(recorded < 1000, "never stopped");
    };
    assert!(matches!(error, RecordingError::Full { .. }), "{error}");
    assert!(error.to_string().contains("[recording] max_mb"), "{error}");
    drop(r);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!((4096..4096 + 2048).contains(&size), "{size}");
    let rec = read(&path).unwrap();
    assert!(!rec.truncated);
    assert_eq!(rec.entries.len(), recorded as usize);
}
