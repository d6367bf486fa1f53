//! The terminal safety matrix: every field that comes from AWS, poisoned
//! with every kind of hostile text, through the real render path (ratatui's
//! crossterm backend writing the bytes a terminal would receive). Only the
//! cockpit's own CSI sequences may reach the terminal: no OSC (title,
//! clipboard, hyperlink), no DCS, no C1, no bare ESC, BEL, backspace, CR or
//! DEL, no bidi or zero-width trickery; wide characters and 1 MB lines
//! render without breaking the frame.
#![expect(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use crate::common;

use async_trait::async_trait;
use common::{Harness, theme};
use crossterm::event::KeyCode;
use flightdeck::clock::ManualClock;
use flightdeck::model::{
    ActivityStatus, Alarm, AlarmHistoryItem, CallerIdentity, Cluster, ClusterStatus, CostReport,
    EnvironmentInfo, HealthStatus, LogEvent, MetricQuery, MetricSeries, ScalableTarget,
    ScalingActivity, ScalingPolicy, Service, ServiceDeployment, ServiceDeploymentStatus,
    ServiceRef, ServiceStatus, TargetGroupSeries, Task, TaskDefRef, TaskDefinition, TaskStatus,
    Timestamp, WriteEvent,
};
use flightdeck::provider::{
    ChangeReads, CostReads, EcsReads, LogQuery, LogReads, MonitoringReads, Provider, ReadProvider,
    Result, ScalingReads, WriteAnswer, WriteCall, WriteProvider, Written,
};
use flightdeck::sim::SimProvider;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::sync::{Arc, Mutex};

/// Every kind of hostile text, each carrying the marker `PWN` so a test
/// can tell that the field really reached the screen.
const PAYLOADS: &[(&str, &str)] = &[
    ("CSI", "PWN\x1b[2J\x1b[31mred\x1b[0m\x1b[10;10H"),
    ("OSC title", "PWN\x1b]0;owned\x07"),
    ("OSC 52 clipboard", "PWN\x1b]52;c;cm0gLXJmIH4=\x1b\\"),
    (
        "OSC 8 hyperlink",
        "PWN\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    ),
    ("DCS", "PWN\x1bP+q544e\x1b\\"),
    ("C1", "PWN\u{9b}31m\u{9d}0;t\u{9c}\u{90}q\u{9c}"),
    ("bare ESC", "PWN\x1b"),
    ("BEL", "PWN\x07\x07"),
    ("backspace", "PWN\x08\x08\x08ok"),
    ("CR", "PWN\roverwritten"),
    ("DEL", "PWN\x7f"),
    ("bidi", "PWN\u{202e}txt.exe\u{2066}"),
    ("zero width", "PWN\u{200b}a\u{200d}b\u{feff}c\u{2028}d"),
    ("wide", "PWN服务器错误😀ｗｉｄｅ"),
    ("combining", "PWNe\u{301}\u{301}\u{301}\u{301}"),
];

/// Wraps a provider and appends `payload` to every string the cockpit
/// shows that AWS could have written: names, statuses, events, reasons,
/// images, environment values, log lines and streams, tags of cost lines.
struct Hostile {
    inner: Arc<Provider>,
    payload: String,
}

impl Hostile {
    fn poison(&self, s: &mut String) {
        s.push_str(&self.payload);
    }

    /// A name the cockpit sends back (a poisoned cluster or service name),
    /// as the inner provider knows it.
    fn clean(&self, s: &str) -> String {
        if self.payload.is_empty() {
            s.to_string()
        } else {
            s.replace(&self.payload, "")
        }
    }
}

#[async_trait]
impl ReadProvider for Hostile {
    fn environment(&self) -> &EnvironmentInfo {
        self.inner.environment()
    }
    /// The inner provider's calls: a wrapper makes none of its own.
    fn api_stats(&self) -> Option<flightdeck::model::ApiStats> {
        self.inner.api_stats()
    }
    async fn caller_identity(&self) -> Result<CallerIdentity> {
        let mut id = self.inner.caller_identity().await?;
        self.poison(&mut id.arn);
        Ok(id)
    }
}

#[async_trait]
impl EcsReads for Hostile {
    async fn clusters(&self) -> Result<Vec<Cluster>> {
        let mut clusters = self.inner.clusters().await?;
        for c in &mut clusters {
            // A status this version does not know arrives as AWS spelled it.
            c.status = ClusterStatus::Other(format!("{}{}", c.status, self.payload));
            self.poison(&mut c.name);
        }
        Ok(clusters)
    }
    async fn services(&self, cluster: &str) -> Result<Vec<Service>> {
        let mut services = self.inner.services(&self.clean(cluster)).await?;
        for s in &mut services {
            self.poison(&mut s.cluster);
            self.poison(&mut s.name);
            s.status = ServiceStatus::Other(format!("{}{}", s.status, self.payload));
            for e in &mut s.events {
                self.poison(&mut e.message);
            }
            for d in &mut s.deployments {
                self.poison(&mut d.rollout_reason);
            }
        }
        Ok(services)
    }
    async fn task(&self, cluster: &str, id: &str) -> Result<Task> {
        let mut task = self.inner.task(&self.clean(cluster), id).await?;
        task.stopped_reason = Some(format!("exited{}", self.payload));
        Ok(task)
    }
    async fn tasks(&self, service: &ServiceRef) -> Result<Vec<Task>> {
        let clean = ServiceRef::new(self.clean(&service.cluster), self.clean(&service.name));
        let mut tasks = self.inner.tasks(&clean).await?;
        for t in &mut tasks {
            t.last_status = TaskStatus::Other(format!("{}{}", t.last_status, self.payload));
            t.health = HealthStatus::Other(format!("{}{}", t.health, self.payload));
            self.poison(&mut t.availability_zone);
            t.stopped_reason = Some(format!("Essential container exited{}", self.payload));
            for c in &mut t.containers {
                c.reason = Some(format!("OOM{}", self.payload));
            }
        }
        Ok(tasks)
    }
    async fn task_definition(&self, reference: &TaskDefRef) -> Result<TaskDefinition> {
        let mut td = self.inner.task_definition(reference).await?;
        for c in &mut td.containers {
            self.poison(&mut c.image);
            for e in &mut c.environment {
                self.poison(&mut e.value);
            }
        }
        Ok(td)
    }
    async fn task_definition_revisions(&self, family: &str) -> Result<Vec<TaskDefRef>> {
        self.inner.task_definition_revisions(family).await
    }
    async fn service_deployments(
        &self,
        service: &ServiceRef,
        since: Timestamp,
    ) -> Result<Vec<ServiceDeployment>> {
        let name = service
            .name
            .strip_suffix(self.payload.as_str())
            .unwrap_or(&service.name);
        let clean = ServiceRef::new(&service.cluster, name);
        let mut history = self.inner.service_deployments(&clean, since).await?;
        for d in &mut history {
            d.status = ServiceDeploymentStatus::Other(format!("{}{}", d.status, self.payload));
            d.status_reason = Some(format!("failed{}", self.payload));
            d.rollback_reason = Some(format!("rolled back{}", self.payload));
            d.triggered_alarms.push(format!("alarm{}", self.payload));
            d.hooks.push(flightdeck_model::HookRun {
                timeout_action: Some(flightdeck_model::HookTimeoutAction::Other(format!(
                    "ROLLBACK{}",
                    self.payload
                ))),
                ..flightdeck_model::HookRun::new(
                    flightdeck_model::HookTarget::Function(format!("hook{}", self.payload)),
                    flightdeck_model::HookStatus::Other(format!("FAILED{}", self.payload)),
                )
            });
        }
        Ok(history)
    }
}

#[async_trait]
impl ScalingReads for Hostile {
    async fn scalable_targets(&self) -> Result<Vec<ScalableTarget>> {
        self.inner.scalable_targets().await
    }
    async fn scaling_policies(&self) -> Result<Vec<ScalingPolicy>> {
        let mut policies = self.inner.scaling_policies().await?;
        for p in &mut policies {
            self.poison(&mut p.name);
        }
        Ok(policies)
    }
    async fn scaling_activities(&self) -> Result<Vec<ScalingActivity>> {
        let mut activities = self.inner.scaling_activities().await?;
        for a in &mut activities {
            self.poison(&mut a.description);
            self.poison(&mut a.cause);
            a.status = ActivityStatus::Other(format!("{}{}", a.status, self.payload));
        }
        Ok(activities)
    }
}

#[async_trait]
impl MonitoringReads for Hostile {
    async fn alarms(&self) -> Result<Vec<Alarm>> {
        let mut alarms = self.inner.alarms().await?;
        for a in &mut alarms {
            self.poison(&mut a.description);
            self.poison(&mut a.state_reason);
            self.poison(&mut a.name);
        }
        Ok(alarms)
    }
    async fn alarm_history(&self, alarm: &str) -> Result<Vec<AlarmHistoryItem>> {
        let name = alarm.strip_suffix(self.payload.as_str()).unwrap_or(alarm);
        let mut history = self.inner.alarm_history(name).await?;
        for h in &mut history {
            self.poison(&mut h.summary);
        }
        Ok(history)
    }
    async fn metrics(
        &self,
        queries: &[MetricQuery],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<MetricSeries>> {
        self.inner.metrics(queries, start, end).await
    }
    async fn target_group_metrics(
        &self,
        groups: &[String],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<TargetGroupSeries>> {
        self.inner.target_group_metrics(groups, start, end).await
    }
}

#[async_trait]
impl LogReads for Hostile {
    async fn log_events(&self, query: &LogQuery) -> Result<Vec<LogEvent>> {
        let query = LogQuery {
            log_group: self.clean(&query.log_group),
            ..query.clone()
        };
        let mut events = self.inner.log_events(&query).await?;
        for e in &mut events {
            self.poison(&mut e.message);
            self.poison(&mut e.stream);
        }
        Ok(events)
    }
}

#[async_trait]
impl ChangeReads for Hostile {
    async fn write_events(&self, since: Timestamp) -> Result<Vec<WriteEvent>> {
        let mut events = self.inner.write_events(since).await?;
        for w in &mut events {
            self.poison(&mut w.who);
            w.from = flightdeck_model::WriteSource::Other(format!("{}{}", w.from, self.payload));
            self.poison(&mut w.call);
            w.parameters.push(format!("tag={}", self.payload));
        }
        Ok(events)
    }
}

#[async_trait]
impl CostReads for Hostile {
    async fn costs(&self, days: u32) -> Result<CostReport> {
        let mut report = self.inner.costs(days).await?;
        for s in &mut report.by_service {
            self.poison(&mut s.service);
        }
        Ok(report)
    }
}

#[async_trait]
impl WriteProvider for Hostile {
    /// The names the cockpit writes to came poisoned from the reads above;
    /// the world knows them clean.
    async fn write(&self, call: &WriteCall) -> Result<Written<WriteAnswer>> {
        let mut call = call.clone();
        if let WriteCall::UpdateService { service, .. } = &mut call {
            service.cluster = self.clean(&service.cluster);
            service.name = self.clean(&service.name);
        }
        self.inner.write(&call).await
    }
}

fn hostile_harness(payload: &str) -> Harness {
    let clock = ManualClock::new(common::start());
    let world = Arc::new(Mutex::new(common::seed_world()));
    let shared: Arc<dyn flightdeck::clock::Clock> = Arc::new(clock.clone());
    let providers: Vec<Arc<Provider>> = SimProvider::all(world, shared)
        .into_iter()
        .map(|p| {
            Arc::new(Provider::new(Hostile {
                inner: Arc::new(Provider::new(p)),
                payload: payload.to_string(),
            }))
        })
        .collect();
    Harness::with_providers(providers, clock, true)
}

/// The bytes a terminal of `width`x`height` receives for one frame.
fn terminal_bytes(h: &mut Harness, width: u16, height: u16) -> Vec<u8> {
    flightdeck::app::update(&mut h.app, flightdeck::app::Msg::Resize(width, height));
    let sink = Sink::default();
    let backend = CrosstermBackend::new(sink.clone());
    let mut terminal = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
        },
    )
    .unwrap();
    let dark = theme("dark");
    terminal
        .draw(|f| flightdeck::ui::render(f, &h.app, &dark))
        .unwrap();
    drop(terminal);
    sink.0.lock().unwrap().clone()
}

/// What the terminal would have received.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Fails unless every escape sequence in `bytes` is one the cockpit
/// itself writes (CSI: cursor moves, colours, attributes) and nothing else
/// controls the terminal.
fn assert_only_our_csi(bytes: &[u8], context: &str) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{context}: not UTF-8: {e}"));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            assert_eq!(chars.next(), Some('['), "{context}: ESC not starting a CSI");
            // Parameters, then one final byte.
            loop {
                let p = chars
                    .next()
                    .unwrap_or_else(|| panic!("{context}: CSI cut off"));
                if p.is_ascii_digit() || [';', '?', ':'].contains(&p) {
                    continue;
                }
                assert!(('@'..='~').contains(&p), "{context}: odd CSI final {p:?}");
                break;
            }
            continue;
        }
        if flightdeck::text::is_unsafe(c) {
            let at = text.find(c).unwrap_or(0);
            let around: String = text[at.saturating_sub(120)..].chars().take(160).collect();
            panic!("{context}: {c:?} reached the terminal in {around:?}");
        }
    }
}

/// The places the cockpit shows AWS text, reached with keys.
const SCREENS: &[(&str, &[KeyCode])] = &[
    ("services", &[KeyCode::Char('1')]),
    ("service detail", &[KeyCode::Char('1'), KeyCode::Enter]),
    ("scaling", &[KeyCode::Esc, KeyCode::Char('2')]),
    ("alarms", &[KeyCode::Char('3')]),
    ("logs", &[KeyCode::Char('4')]),
    ("costs", &[KeyCode::Char('5')]),
    ("changes", &[KeyCode::Char('6')]),
];

#[test]
fn hostile_text_in_every_field_never_controls_the_terminal() {
    for (kind, payload) in PAYLOADS {
        let mut h = hostile_harness(payload);
        for (screen, keys) in SCREENS {
            for key in *keys {
                h.key(*key);
            }
            let mut shown = false;
            for (w, hgt) in [(80, 24), (200, 60)] {
                let bytes = terminal_bytes(&mut h, w, hgt);
                assert_only_our_csi(&bytes, &format!("{kind} on {screen} at {w}x{hgt}"));
                shown |= String::from_utf8_lossy(&bytes).contains("PWN");
            }
            assert!(shown, "{kind}: no poisoned field reached {screen}");
        }
    }
}

#[test]
fn a_one_megabyte_log_line_renders_within_the_frame() {
    let mut h = hostile_harness("");
    h.keys("4");
    let source = h.app.log_source().unwrap();
    let huge = format!("PWN{}\x1b]0;end\x07", "x\u{7f}".repeat(512 * 1024));
    h.app.envs[0]
        .logs
        .get_mut(&source)
        .unwrap()
        .extend(vec![LogEvent {
            id: "huge".into(),
            timestamp: common::start(),
            stream: "ecs/backend-api/1".into(),
            message: huge,
        }]);
    for (w, hgt) in [(80, 24), (200, 60)] {
        let bytes = terminal_bytes(&mut h, w, hgt);
        assert_only_our_csi(&bytes, &format!("1 MB line at {w}x{hgt}"));
        assert!(String::from_utf8_lossy(&bytes).contains("PWN"));
        // One frame of a small terminal, not a megabyte of output.
        assert!(
            bytes.len() < 64 * 1024,
            "{} bytes for one frame",
            bytes.len()
        );
    }
    // Wrapped, it still fits the screen.
    h.keys("w");
    let bytes = terminal_bytes(&mut h, 80, 24);
    assert_only_our_csi(&bytes, "1 MB line wrapped");
}
