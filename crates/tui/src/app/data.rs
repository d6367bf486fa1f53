//! What the app holds of each environment: every datum with the moment it
//! was fetched, its generation and the last error, so panes show data age
//! and failures where the data belongs.

use flightdeck_core::engine::{DataEvent, JobKind, Payload, ScalingData};
use flightdeck_core::provider::ProviderError;
use flightdeck_core::timeline::{Scope, Timeline};
use flightdeck_core::triage::{EnvView, Read};
use flightdeck_model::{
    Alarm, AlarmHistoryItem, CallerIdentity, Cluster, CostReport, EnvironmentInfo, LogEvent,
    LogSource, MetricSeries, Service, ServiceDeployment, ServiceRef, TargetGroupSeries, Task,
    TaskDefRef, TaskDefinition, Timestamp,
};
use std::collections::{HashMap, HashSet, VecDeque};

/// One datum as the app last received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot<T> {
    pub data: Option<T>,
    pub fetched_at: Option<Timestamp>,
    pub generation: u64,
    /// The last failure, kept beside the last good data.
    pub error: Option<(ProviderError, Timestamp)>,
    /// The data is the last known state a previous run left on disk, not
    /// an answer of this run (drawn dimmed, its age in the header).
    pub cached: bool,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self {
            data: None,
            fetched_at: None,
            generation: 0,
            error: None,
            cached: false,
        }
    }
}

impl<T> Slot<T> {
    /// Nothing has come back yet, neither data nor an error (the first
    /// second of a session).
    pub fn unanswered(&self) -> bool {
        self.data.is_none() && self.error.is_none()
    }

    /// Data a previous run knew, fetched at `at`: taken only while this
    /// run has nothing of its own here (a previous run's first screen
    /// gives way to its whole state).
    pub(super) fn remember(&mut self, at: Timestamp, data: T) -> bool {
        if !self.unanswered() && !self.cached {
            return false;
        }
        self.data = Some(data);
        self.fetched_at = Some(at);
        self.cached = true;
        true
    }

    /// The data with the instant it was fetched (by this run or, while
    /// it is cached, by a previous one).
    pub(super) fn known(&self) -> Option<(Timestamp, &T)> {
        Some((self.fetched_at?, self.data.as_ref()?))
    }

    /// Stores a result unless a newer one is already held.
    fn store(&mut self, generation: u64, at: Timestamp, result: Result<T, ProviderError>) -> bool {
        if generation < self.generation {
            return false;
        }
        self.generation = generation;
        match result {
            Ok(v) => {
                self.data = Some(v);
                self.fetched_at = Some(at);
                self.error = None;
                self.cached = false;
            }
            Err(e) => self.error = Some((e, at)),
        }
        true
    }
}

/// Lines kept per log group in the logs pane unless the config says
/// (`log_buffer_lines`).
pub const LOG_BUFFER: usize = 50_000;

/// A bounded, de-duplicated buffer of one log group's events, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct LogBuffer {
    pub events: VecDeque<LogEvent>,
    ids: HashSet<String>,
    pub fetched_at: Option<Timestamp>,
    pub error: Option<(ProviderError, Timestamp)>,
    /// The most lines kept.
    capacity: usize,
    /// Bumped whenever the lines change (what is worked out from them is
    /// kept until then).
    pub version: u64,
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::with_capacity(LOG_BUFFER)
    }
}

impl LogBuffer {
    pub fn with_capacity(capacity: usize) -> Self {
        LogBuffer {
            events: VecDeque::new(),
            ids: HashSet::new(),
            fetched_at: None,
            error: None,
            capacity: capacity.max(1),
            version: 0,
        }
    }

    /// Appends events not seen before, in timestamp order, dropping the
    /// oldest beyond its capacity. Returns how many were new.
    pub fn extend(&mut self, events: Vec<LogEvent>) -> usize {
        let mut added = 0;
        for e in events {
            if self.ids.insert(e.id.clone()) {
                let pos = self.events.partition_point(|x| x.timestamp <= e.timestamp);
                self.events.insert(pos, e);
                added += 1;
            }
        }
        while self.events.len() > self.capacity {
            if let Some(old) = self.events.pop_front() {
                self.ids.remove(&old.id);
            }
        }
        if added > 0 {
            self.version += 1;
        }
        added
    }

    pub fn newest(&self) -> Option<Timestamp> {
        self.events.back().map(|e| e.timestamp)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlarmDetail {
    pub history: Result<Vec<AlarmHistoryItem>, ProviderError>,
    pub series: MetricSeries,
}

/// Everything known about one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvData {
    pub info: EnvironmentInfo,
    pub identity: Slot<CallerIdentity>,
    pub clusters: Slot<Vec<Cluster>>,
    pub services: Slot<Vec<Service>>,
    pub metrics: Slot<HashMap<String, MetricSeries>>,
    pub scaling: Slot<ScalingData>,
    pub alarms: Slot<Vec<Alarm>>,
    pub alarm_details: HashMap<String, Slot<AlarmDetail>>,
    pub tasks: HashMap<ServiceRef, Slot<Vec<Task>>>,
    pub task_definitions: HashMap<TaskDefRef, Slot<TaskDefinition>>,
    pub logs: HashMap<LogSource, LogBuffer>,
    pub costs: Slot<CostReport>,
    /// Change timelines by scope (the environment's, services').
    pub timelines: HashMap<Scope, Slot<Timeline>>,
    /// Recent service deployments of a watched service (stage, traffic).
    pub deployments: HashMap<ServiceRef, Slot<Vec<ServiceDeployment>>>,
    /// A watched service's target groups' own metrics (blue's and green's).
    pub revision_metrics: HashMap<ServiceRef, Slot<Vec<TargetGroupSeries>>>,
    /// Lines kept per log group.
    pub log_capacity: usize,
    /// The other operators with this environment open now
    /// (`[team] lease_table`), by name.
    pub presence: Vec<flightdeck_core::lease::Presence>,
    /// The services drawn are a first screen of a previous run's (see
    /// `LastKnown::head`): not to be kept as they are.
    pub head_drawn: bool,
}

impl EnvData {
    pub fn new(info: EnvironmentInfo) -> Self {
        Self {
            info,
            identity: Slot::default(),
            clusters: Slot::default(),
            services: Slot::default(),
            metrics: Slot::default(),
            scaling: Slot::default(),
            alarms: Slot::default(),
            alarm_details: HashMap::new(),
            tasks: HashMap::new(),
            task_definitions: HashMap::new(),
            logs: HashMap::new(),
            costs: Slot::default(),
            timelines: HashMap::new(),
            deployments: HashMap::new(),
            revision_metrics: HashMap::new(),
            presence: vec![],
            log_capacity: LOG_BUFFER,
            head_drawn: false,
        }
    }

    /// What triage looks at here.
    pub fn triage_view(&self) -> EnvView<'_> {
        fn read<'a, T: ?Sized>(
            data: Option<&'a T>,
            fetched_at: Option<Timestamp>,
            error: &'a Option<(ProviderError, Timestamp)>,
        ) -> Read<'a, T> {
            Read {
                data,
                fetched_at,
                error: error.as_ref().map(|(e, at)| (e, *at)),
            }
        }
        EnvView {
            info: &self.info,
            services: read(
                self.services.data.as_deref(),
                self.services.fetched_at,
                &self.services.error,
            ),
            alarms: read(
                self.alarms.data.as_deref(),
                self.alarms.fetched_at,
                &self.alarms.error,
            ),
            costs: read(
                self.costs.data.as_ref(),
                self.costs.fetched_at,
                &self.costs.error,
            ),
            tasks: self
                .tasks
                .iter()
                .filter_map(|(service, slot)| slot.data.as_deref().map(|t| (service, t)))
                .collect(),
        }
    }

    pub fn services(&self) -> &[Service] {
        self.services.data.as_deref().unwrap_or(&[])
    }

    pub fn alarms(&self) -> &[Alarm] {
        self.alarms.data.as_deref().unwrap_or(&[])
    }

    /// Alarms in ALARM that page people: auto scaling's own alarms (which
    /// sit in ALARM whenever there is room to scale in) are not counted.
    pub fn alarms_firing(&self) -> usize {
        self.alarms()
            .iter()
            .filter(|a| {
                a.state == flightdeck_model::AlarmState::Alarm
                    && a.severity != flightdeck_model::Severity::Info
            })
            .count()
    }

    /// Applies one engine result; returns whether anything changed.
    pub fn apply(&mut self, event: DataEvent) -> bool {
        let DataEvent { key, data } = event;
        let (generation, at) = (data.generation, data.fetched_at);
        let result = data.result;
        match (key.kind, result) {
            (JobKind::Identity, r) => {
                self.identity
                    .store(generation, at, r.and_then(expect_identity))
            }
            (JobKind::Services, r) => {
                let r = r.and_then(expect_services);
                let (clusters, services) = match r {
                    // Kept by cluster and name: every list shows them so,
                    // and a frame need not sort thousands.
                    Ok((c, mut s)) => {
                        s.sort_by(|a, b| (&a.cluster, &a.name).cmp(&(&b.cluster, &b.name)));
                        (Ok(c), Ok(s))
                    }
                    Err(e) => (Err(e.clone()), Err(e)),
                };
                self.clusters.store(generation, at, clusters)
                    | self.services.store(generation, at, services)
            }
            (JobKind::Metrics(_), r) => self.metrics.store(
                generation,
                at,
                r.and_then(expect_metrics)
                    .map(|v| v.into_iter().map(|s| (s.id.clone(), s)).collect()),
            ),
            (JobKind::Scaling, r) => self
                .scaling
                .store(generation, at, r.and_then(expect_scaling)),
            (JobKind::Alarms, r) => {
                // Kept in the alarms pane's order: ALARM first; within a
                // state, what pages before what informs (auto scaling's
                // own alarms last); then by name.
                let r = r.and_then(expect_alarms).map(|mut alarms| {
                    alarms.sort_by(|a, b| {
                        (a.state, a.severity.rank(), &a.name).cmp(&(
                            b.state,
                            b.severity.rank(),
                            &b.name,
                        ))
                    });
                    alarms
                });
                self.alarms.store(generation, at, r)
            }
            (JobKind::AlarmDetail(name, _), r) => self
                .alarm_details
                .entry(name)
                .or_default()
                .store(generation, at, r.and_then(expect_alarm_detail)),
            (JobKind::Tasks(service), r) => self.tasks.entry(service).or_default().store(
                generation,
                at,
                r.and_then(expect_tasks),
            ),
            (JobKind::TaskDefinition(td), r) => self.task_definitions.entry(td).or_default().store(
                generation,
                at,
                r.and_then(expect_task_definition),
            ),
            (JobKind::Logs(source), r) => {
                let capacity = self.log_capacity;
                let buffer = self
                    .logs
                    .entry(source)
                    .or_insert_with(|| LogBuffer::with_capacity(capacity));
                match r.and_then(expect_logs) {
                    Ok(events) => {
                        buffer.fetched_at = Some(at);
                        buffer.error = None;
                        buffer.extend(events);
                    }
                    Err(e) => buffer.error = Some((e, at)),
                }
                true
            }
            (JobKind::Costs, r) => self.costs.store(generation, at, r.and_then(expect_costs)),
            (JobKind::Deployments(service), r) => self
                .deployments
                .entry(service)
                .or_default()
                .store(generation, at, r.and_then(expect_deployments)),
            (JobKind::RevisionMetrics(service, _), r) => self
                .revision_metrics
                .entry(service)
                .or_default()
                .store(generation, at, r.and_then(expect_revision_metrics)),
            (JobKind::Timeline(scope, _), r) => self.timelines.entry(scope).or_default().store(
                generation,
                at,
                r.and_then(expect_timeline),
            ),
        }
    }
}

fn mismatch() -> ProviderError {
    ProviderError::Other("engine returned a payload of the wrong kind".into())
}

macro_rules! expect {
    ($name:ident, $variant:pat => $out:expr, $t:ty) => {
        fn $name(p: Payload) -> Result<$t, ProviderError> {
            match p {
                $variant => Ok($out),
                _ => Err(mismatch()),
            }
        }
    };
}

expect!(expect_identity, Payload::Identity(v) => v, CallerIdentity);
expect!(expect_services, Payload::Services { clusters, services } => (clusters, services), (Vec<Cluster>, Vec<Service>));
expect!(expect_metrics, Payload::Metrics(v) => v, Vec<MetricSeries>);
expect!(expect_scaling, Payload::Scaling(v) => v, ScalingData);
expect!(expect_alarms, Payload::Alarms(v) => v, Vec<Alarm>);
expect!(expect_alarm_detail, Payload::AlarmDetail { history, series } => AlarmDetail { history, series }, AlarmDetail);
expect!(expect_tasks, Payload::Tasks(v) => v, Vec<Task>);
expect!(expect_task_definition, Payload::TaskDefinition(v) => *v, TaskDefinition);
expect!(expect_logs, Payload::Logs(v) => v, Vec<LogEvent>);
expect!(expect_costs, Payload::Costs(v) => v, CostReport);
expect!(expect_timeline, Payload::Timeline(v) => *v, Timeline);
expect!(expect_deployments, Payload::Deployments(v) => v, Vec<ServiceDeployment>);
expect!(expect_revision_metrics, Payload::RevisionMetrics(v) => v, Vec<TargetGroupSeries>);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ev(id: &str, secs: i64) -> LogEvent {
        LogEvent {
            id: id.into(),
            timestamp: Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap(),
            stream: "s".into(),
            message: id.into(),
        }
    }

    #[test]
    fn log_buffer_deduplicates_orders_and_bounds() {
        let mut b = LogBuffer::default();
        assert_eq!(b.extend(vec![ev("a", 1), ev("c", 3)]), 2);
        assert_eq!(b.extend(vec![ev("c", 3), ev("b", 2)]), 1);
        let ids: Vec<_> = b.events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        b.extend(
            (0..LOG_BUFFER as i64 + 10)
                .map(|i| ev(&format!("x{i}"), 10 + i))
                .collect(),
        );
        assert_eq!(b.events.len(), LOG_BUFFER);
        assert_eq!(b.ids.len(), LOG_BUFFER);
        // A configured size bounds it the same way.
        let mut small = LogBuffer::with_capacity(100);
        small.extend((0..150).map(|i| ev(&format!("y{i}"), i)).collect());
        assert_eq!(small.events.len(), 100);
        assert_eq!(small.events[0].id, "y50");
    }

    #[test]
    fn a_failed_alarm_detail_is_kept_beside_the_last_good_one() {
        use flightdeck_core::engine::{DataEvent, Fetched, JobKey};
        let info = EnvironmentInfo {
            name: "e".into(),
            region: "r".into(),
            production: false,
            read_only: false,
        };
        let mut env = EnvData::new(info);
        let query = flightdeck_model::MetricQuery::ecs_service(
            "c",
            "s",
            flightdeck_model::MetricName::CpuUtilization,
        );
        let key = JobKey {
            env: "e".into(),
            kind: JobKind::AlarmDetail("a".into(), query),
        };
        let at = Utc.timestamp_opt(0, 0).unwrap();
        let series = MetricSeries {
            id: "a".into(),
            points: vec![],
        };
        let ok = Payload::AlarmDetail {
            history: Ok(vec![]),
            series: series.clone(),
        };
        let event = |generation, result| DataEvent {
            key: key.clone(),
            data: Fetched {
                fetched_at: at,
                generation,
                run: None,
                result,
            },
        };
        assert!(env.apply(event(1, Ok(ok))));
        assert!(env.apply(event(2, Err(ProviderError::Throttled("slow down".into())))));
        let slot = &env.alarm_details["a"];
        assert_eq!(slot.data.as_ref().map(|d| &d.series), Some(&series));
        assert!(slot.error.is_some());
    }

    #[test]
    fn an_older_generation_never_replaces_newer_data() {
        let mut s: Slot<u32> = Slot::default();
        let t = Utc.timestamp_opt(0, 0).unwrap();
        assert!(s.store(5, t, Ok(5)));
        assert!(!s.store(4, t, Ok(4)));
        assert_eq!(s.data, Some(5));
        assert!(s.store(6, t, Err(ProviderError::Throttled("x".into()))));
        assert_eq!(s.data, Some(5), "an error keeps the last good data");
        assert!(s.error.is_some());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
        /// However events arrive (repeated, out of order, beyond the
        /// bound), the buffer is bounded, ordered and free of duplicates.
        #[test]
        fn the_log_buffer_stays_bounded_ordered_and_unique(
            batches in proptest::collection::vec(
                proptest::collection::vec((0u32..8000, 0i64..100_000), 0..3000),
                1..4,
            )
        ) {
            let mut buffer = LogBuffer::with_capacity(5000);
            for batch in batches {
                let events: Vec<LogEvent> =
                    batch.iter().map(|(id, t)| ev(&id.to_string(), *t)).collect();
                buffer.extend(events.clone());
                proptest::prop_assert!(buffer.events.len() <= 5000);
                proptest::prop_assert!(buffer.events.iter().zip(buffer.events.iter().skip(1)).all(|(a, b)| a.timestamp <= b.timestamp));
                let ids: HashSet<&str> = buffer.events.iter().map(|e| e.id.as_str()).collect();
                proptest::prop_assert_eq!(ids.len(), buffer.events.len());
                proptest::prop_assert_eq!(&ids, &buffer.ids.iter().map(String::as_str).collect());
                // What is held is never added twice.
                let held: Vec<LogEvent> = buffer.events.iter().cloned().collect();
                proptest::prop_assert_eq!(buffer.extend(held), 0);
            }
        }
    }
}
