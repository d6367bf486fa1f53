//! What to fetch and when: adaptive intervals, fast for what is on screen,
//! slow for what is not, hours for costs. Pure: no I/O, no clock of its own.

use super::budget::ApiFamily;
use crate::timeline::Scope;
use chrono::Duration;
use flightdeck_model::{LogSource, MetricQuery, ServiceRef, TaskDefRef, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;

/// The part of the cockpit the operator is looking at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum View {
    /// What needs a human in every environment: alarms and services of
    /// all of them, faster than in the background.
    Triage,
    #[default]
    Services,
    Scaling,
    Alarms,
    Logs,
    Costs,
    /// The rollout watch: the service, its tasks, alarms and logs, fast.
    Rollout,
    /// The change timeline of the environment or one service.
    Changes,
}

/// What the app tells the engine about the screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Focus {
    pub env: String,
    /// Every environment, for slow background polls (alarm counts).
    pub all_envs: Vec<String>,
    pub view: View,
    /// The sparkline queries of every service known in `env`.
    pub metrics: Queries,
    /// The service whose detail is open, with its task definition.
    pub service_detail: Option<(ServiceRef, TaskDefRef)>,
    /// The alarm selected in the alarms pane, with its metric.
    pub alarm: Option<(String, MetricQuery)>,
    /// The log group shown in the logs pane and the newest event held.
    pub log_source: Option<LogSource>,
    pub logs_since: Option<Timestamp>,
    /// Where nothing is held yet, how far back the first read goes (the
    /// first failure of a triage finding); the usual backfill when `None`.
    pub logs_backfill: Option<Timestamp>,
    pub logs_following: bool,
    /// Bumped by the operator's refresh key: everything visible is re-fetched.
    pub refresh: u64,
    /// The task definition of the selected service (a deploy form needs it).
    pub selected_task_definition: Option<TaskDefRef>,
    /// The change timeline shown (in the changes pane or a service's
    /// detail): its scope and how far back it goes.
    pub timeline: Option<(Scope, Duration)>,
    /// Services of any environment that look like crash loops: triage
    /// reads their tasks for the stop reasons, `(environment, service)`.
    pub crash_loops: Vec<(String, ServiceRef)>,
    /// The watched service whose deployment shifts traffic: its service
    /// deployments (stage, traffic, hooks) are read while it is watched.
    pub deployment_progress: Option<ServiceRef>,
    /// Its ALB target groups (blue's and green's), whose own metrics are
    /// read while it is watched; empty without an alternate group.
    pub revision_groups: Vec<String>,
    /// Services known in each environment: what a services round of it
    /// costs, and so how often it may run.
    pub services_known: Vec<(String, usize)>,
}

impl Focus {
    /// Services known in `env` (0 before its first read).
    pub fn known_services(&self, env: &str) -> usize {
        self.services_known
            .iter()
            .find(|(e, _)| e == env)
            .map_or(0, |(_, n)| *n)
    }
}

/// The sparkline queries of a focus and of its metrics job: shared, so a
/// round of the scheduler clones and compares them without copying
/// thousands; hashed by their count and ends, not all of them (equal sets
/// still hash alike). Serialised as the list.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Queries(pub Arc<[MetricQuery]>);

impl std::hash::Hash for Queries {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.len().hash(state);
        self.0.first().hash(state);
        self.0.last().hash(state);
    }
}

impl std::ops::Deref for Queries {
    type Target = [MetricQuery];

    fn deref(&self) -> &[MetricQuery] {
        &self.0
    }
}

impl From<Vec<MetricQuery>> for Queries {
    fn from(queries: Vec<MetricQuery>) -> Self {
        Queries(queries.into())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum JobKind {
    Identity,
    Services,
    Metrics(Queries),
    Scaling,
    Alarms,
    AlarmDetail(String, MetricQuery),
    Tasks(ServiceRef),
    TaskDefinition(TaskDefRef),
    Logs(LogSource),
    Costs,
    /// The change timeline of a scope over a window back from now.
    Timeline(
        Scope,
        #[serde(with = "flightdeck_model::duration_secs")] Duration,
    ),
    /// A service's recent service deployments (a watched rollout's stages).
    Deployments(ServiceRef),
    /// The metrics of a watched service's target groups (ARNs): each
    /// revision's own.
    RevisionMetrics(ServiceRef, Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct JobKey {
    pub env: String,
    pub kind: JobKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub key: JobKey,
    pub logs_since: Option<Timestamp>,
    /// Services known in the job's environment (0 when not known), for the
    /// cost of a Services round: DescribeServices takes 10 at a time.
    pub known_services: usize,
}

impl Job {
    pub fn family(&self) -> ApiFamily {
        match self.key.kind {
            JobKind::Identity
            | JobKind::Services
            | JobKind::Tasks(..)
            | JobKind::Deployments(_)
            | JobKind::TaskDefinition(_) => ApiFamily::Ecs,
            JobKind::Metrics(_)
            | JobKind::Alarms
            | JobKind::AlarmDetail(..)
            | JobKind::RevisionMetrics(..) => ApiFamily::CloudWatch,
            JobKind::Scaling => ApiFamily::AutoScaling,
            JobKind::Logs(_) => ApiFamily::Logs,
            JobKind::Costs => ApiFamily::CostExplorer,
            // Its scarce calls: CloudTrail's 2 a second.
            JobKind::Timeline(..) => ApiFamily::CloudTrail,
        }
    }

    /// Requests the job makes, as tokens.
    pub fn cost(&self) -> f64 {
        match &self.key.kind {
            JobKind::Services => services_cost(self.known_services),
            JobKind::Scaling => 3.0,
            JobKind::Tasks(..) => 2.0,
            JobKind::AlarmDetail(..) => 2.0,
            // A LookupEvents call per write call name (served from the
            // provider's cache for two minutes after).
            JobKind::Timeline(..) => WRITE_CALL_LOOKUPS,
            // List, DescribeServiceDeployments, DescribeServiceRevisions.
            JobKind::Deployments(_) => 3.0,
            _ => 1.0,
        }
    }
}

/// CloudTrail lookups of one timeline: one per write call name.
const WRITE_CALL_LOOKUPS: f64 = 8.0;

/// Time since a job last ran. A clock set back (a drill restarted from its
/// start) makes everything due at once rather than nothing for a while.
fn elapsed(last: Timestamp, now: Timestamp) -> Duration {
    if now < last {
        Duration::MAX
    } else {
        now - last
    }
}

/// Remembers when each job last ran.
#[derive(Debug, Default)]
pub struct Schedule {
    last_run: HashMap<JobKey, Timestamp>,
    last_refresh: u64,
    /// When it was first asked what is due.
    began: Option<Timestamp>,
}

const NEVER_AGAIN: Duration = Duration::days(3650);
/// How often environments not on screen are polled.
const BACKGROUND: Duration = Duration::seconds(60);
/// How often every environment is polled while the triage pane is shown.
const TRIAGE_SWEEP: Duration = Duration::seconds(30);
/// Past 50 environments, a sweep of the others slows by this much per
/// environment: each costs a few calls (and their signing and decoding),
/// so a hundred accounts at rest cost a cockpit what fifty do, about 1 %
/// of a core (a hundred at the base pace took 2.7 %).
const SWEEP_PER_ENVIRONMENT: Duration = Duration::milliseconds(600);

/// Past this many environments, the others' first reads wait
/// [`OTHERS_WAIT`]: the environment on screen is read, and the operator's
/// first keys answered, before a hundred accounts' credentials and reads
/// take both cores.
const MANY_ENVIRONMENTS: usize = 50;
const OTHERS_WAIT: Duration = Duration::milliseconds(400);

/// How often the environments not on screen are swept, at `base` or
/// slower for many of them.
fn sweep(base: Duration, environments: usize) -> Duration {
    let count = i32::try_from(environments).unwrap_or(i32::MAX);
    base.max(SWEEP_PER_ENVIRONMENT * count)
}

/// A services round of `known` services: ListClusters, DescribeClusters,
/// a ListServices page per 100 services and a DescribeServices call per 10.
fn services_cost(known: usize) -> f64 {
    (2 + known.div_ceil(100).max(1) + known.div_ceil(10)) as f64
}

/// How often a services round of `known` services may run: every `base`,
/// or less often where a round would spend more than half of what the ECS
/// budget refills meanwhile (2,000 services are 222 calls: every 44.4 s
/// at most), so the rest of the panes' ECS reads still get through.
fn services_every(base: Duration, known: usize) -> Duration {
    let (_, per_sec) = ApiFamily::Ecs.limits();
    let share = Duration::milliseconds((2.0 * services_cost(known) / per_sec * 1000.0) as i64);
    base.max(share)
}

fn interval(key: &JobKey, focus: &Focus) -> Duration {
    let visible = |v: View| focus.view == v;
    let known = focus.known_services(&key.env);
    match &key.kind {
        JobKind::Identity => Duration::hours(1),
        JobKind::Services
            if visible(View::Services) || visible(View::Scaling) || visible(View::Rollout) =>
        {
            services_every(Duration::seconds(5), known)
        }
        JobKind::Services if visible(View::Triage) => services_every(TRIAGE_SWEEP, known),
        JobKind::Alarms if visible(View::Triage) => TRIAGE_SWEEP,
        JobKind::Services => services_every(Duration::seconds(30), known),
        // CloudWatch data is per minute: no point asking faster.
        JobKind::Metrics(_) | JobKind::RevisionMetrics(..) => Duration::seconds(30),
        JobKind::Scaling if visible(View::Scaling) => Duration::seconds(10),
        JobKind::Scaling => Duration::seconds(60),
        JobKind::Alarms if visible(View::Alarms) || visible(View::Rollout) => Duration::seconds(10),
        JobKind::Alarms => Duration::seconds(30),
        JobKind::AlarmDetail(..) => Duration::seconds(30),
        JobKind::Tasks(s) if focus.service_detail.as_ref().is_some_and(|(d, _)| d == s) => {
            Duration::seconds(5)
        }
        // A crash loop's stop reasons, for triage.
        JobKind::Tasks(..) => Duration::seconds(30),
        // A revision never changes.
        JobKind::TaskDefinition(_) => NEVER_AGAIN,
        JobKind::Logs(_) => Duration::seconds(2),
        // Cost Explorer lags hours and bills per request.
        JobKind::Costs => Duration::hours(6),
        // History and CloudTrail: read on demand, a minute apart.
        JobKind::Timeline(..) => Duration::seconds(60),
        // A watched deployment's stage and traffic.
        JobKind::Deployments(_) => Duration::seconds(10),
    }
}

/// What the environment on screen needs polled, for its view and selection.
fn focused_kinds(focus: &Focus) -> Vec<JobKind> {
    let mut kinds = vec![
        JobKind::Identity,
        JobKind::Services,
        JobKind::Alarms,
        JobKind::Scaling,
    ];
    if !focus.metrics.is_empty() && matches!(focus.view, View::Services | View::Scaling) {
        kinds.push(JobKind::Metrics(focus.metrics.clone()));
    }
    if let Some((service, td)) = &focus.service_detail {
        kinds.push(JobKind::Tasks(service.clone()));
        kinds.push(JobKind::TaskDefinition(td.clone()));
    }
    if focus.view == View::Alarms
        && let Some((name, query)) = &focus.alarm
    {
        kinds.push(JobKind::AlarmDetail(name.clone(), query.clone()));
    }
    if let Some(td) = &focus.selected_task_definition {
        kinds.push(JobKind::TaskDefinition(td.clone()));
    }
    if matches!(focus.view, View::Logs | View::Rollout)
        && let Some(source) = &focus.log_source
        && (focus.logs_following || focus.logs_since.is_none())
    {
        kinds.push(JobKind::Logs(source.clone()));
    }
    // Triage looks for a cost anomaly too: Cost Explorer's answers are
    // cached for hours, so this costs a call per environment per 6 h.
    if matches!(focus.view, View::Costs | View::Triage) {
        kinds.push(JobKind::Costs);
    }
    if let Some((scope, window)) = &focus.timeline {
        kinds.push(JobKind::Timeline(scope.clone(), *window));
    }
    if let Some(service) = &focus.deployment_progress {
        kinds.push(JobKind::Deployments(service.clone()));
        if !focus.revision_groups.is_empty() {
            kinds.push(JobKind::RevisionMetrics(
                service.clone(),
                focus.revision_groups.clone(),
            ));
        }
    }
    kinds
}

impl Schedule {
    /// The jobs that are due at `now` for `focus`.
    pub fn due(&mut self, focus: &Focus, now: Timestamp) -> Vec<Job> {
        let began = *self.began.get_or_insert(now);
        if focus.refresh != self.last_refresh {
            self.last_refresh = focus.refresh;
            // Everything but the costs and immutable task definitions.
            self.last_run.retain(|k, _| {
                k.env != focus.env || matches!(k.kind, JobKind::Costs | JobKind::TaskDefinition(_))
            });
        }
        let mut jobs: Vec<Job> = focused_kinds(focus)
            .into_iter()
            .map(|kind| Job {
                key: JobKey {
                    env: focus.env.clone(),
                    kind,
                },
                logs_since: focus.logs_since.or(focus.logs_backfill),
                known_services: focus.known_services(&focus.env),
            })
            .filter(|job| self.is_due(&job.key, focus, now))
            .collect();
        self.crash_loop_tasks(focus, now, &mut jobs);
        if focus.all_envs.len() <= MANY_ENVIRONMENTS || elapsed(began, now) >= OTHERS_WAIT {
            self.other_environments(focus, now, &mut jobs);
        }
        jobs
    }

    /// The tasks of crash-looping services in any environment (their stop
    /// reasons), unless the focused jobs have them already.
    fn crash_loop_tasks(&self, focus: &Focus, now: Timestamp, jobs: &mut Vec<Job>) {
        for (env, service) in &focus.crash_loops {
            let key = JobKey {
                env: env.clone(),
                kind: JobKind::Tasks(service.clone()),
            };
            if !jobs.iter().any(|j| j.key == key) && self.is_due(&key, focus, now) {
                jobs.push(Job {
                    key,
                    logs_since: None,
                    known_services: 0,
                });
            }
        }
    }

    /// Other environments, slowly: alarms for the switcher's counts,
    /// services for the palette, costs while triage is open.
    fn other_environments(&self, focus: &Focus, now: Timestamp, jobs: &mut Vec<Job>) {
        let triage = focus.view == View::Triage;
        for env in focus.all_envs.iter().filter(|e| **e != focus.env) {
            let costs = triage.then_some(JobKind::Costs);
            for kind in [JobKind::Alarms, JobKind::Services]
                .into_iter()
                .chain(costs)
            {
                let key = JobKey {
                    env: env.clone(),
                    kind,
                };
                let known = focus.known_services(env);
                let (triage_sweep, background) = (
                    sweep(TRIAGE_SWEEP, focus.all_envs.len()),
                    sweep(BACKGROUND, focus.all_envs.len()),
                );
                let every = match key.kind {
                    JobKind::Costs => interval(&key, focus),
                    JobKind::Services if triage => services_every(triage_sweep, known),
                    JobKind::Services => services_every(background, known),
                    _ if triage => triage_sweep,
                    _ => background,
                };
                if self
                    .last_run
                    .get(&key)
                    .is_none_or(|t| elapsed(*t, now) >= every)
                {
                    jobs.push(Job {
                        key,
                        logs_since: None,
                        known_services: known,
                    });
                }
            }
        }
    }

    fn is_due(&self, key: &JobKey, focus: &Focus, now: Timestamp) -> bool {
        self.last_run
            .get(key)
            .is_none_or(|t| elapsed(*t, now) >= interval(key, focus))
    }

    pub fn started(&mut self, key: &JobKey, now: Timestamp) {
        self.last_run.insert(key.clone(), now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn focus(view: View) -> Focus {
        Focus {
            env: "radiox-prod".into(),
            all_envs: vec!["radiox-prod".into(), "reelnet-prod".into()],
            view,
            metrics: vec![MetricQuery::ecs_service(
                "radiox-prod",
                "backend-api",
                flightdeck_model::MetricName::CpuUtilization,
            )]
            .into(),
            ..Focus::default()
        }
    }

    fn kinds(jobs: &[Job]) -> Vec<(String, JobKind)> {
        jobs.iter()
            .map(|j| (j.key.env.clone(), j.key.kind.clone()))
            .collect()
    }

    #[test]
    fn visible_services_poll_fast_and_costs_only_when_shown() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap();
        let mut s = Schedule::default();
        let f = focus(View::Services);
        let first = s.due(&f, t0);
        assert!(kinds(&first).contains(&("radiox-prod".into(), JobKind::Services)));
        assert!(kinds(&first).contains(&("reelnet-prod".into(), JobKind::Alarms)));
        assert!(!kinds(&first).iter().any(|(_, k)| *k == JobKind::Costs));
        for j in &first {
            s.started(&j.key, t0);
        }
        assert!(s.due(&f, t0 + Duration::seconds(4)).is_empty());
        let later = kinds(&s.due(&f, t0 + Duration::seconds(5)));
        assert_eq!(later, vec![("radiox-prod".to_string(), JobKind::Services)]);
        // The clock set back (a drill restarted): everything is due again.
        let back = s.due(&f, t0 - Duration::minutes(20));
        assert_eq!(back.len(), first.len());
    }

    /// A hundred environments on the triage pane: the others are swept a
    /// minute apart, not every 30 s; a handful as ever.
    #[test]
    fn many_environments_are_swept_more_slowly() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap();
        for (count, every) in [(2, 30), (100, 60)] {
            let mut f = focus(View::Triage);
            f.all_envs = (0..count).map(|i| format!("env-{i}")).collect();
            f.env = f.all_envs[0].clone();
            let mut s = Schedule::default();
            let first = s.due(&f, t0);
            // Past 50 environments the others' first reads wait a moment:
            // the one on screen is read first.
            assert_eq!(
                kinds(&first).iter().any(|(e, _)| e == "env-1"),
                count <= MANY_ENVIRONMENTS,
                "{count}"
            );
            for j in first {
                s.started(&j.key, t0);
            }
            let t0 = t0 + OTHERS_WAIT;
            for j in s.due(&f, t0) {
                s.started(&j.key, t0);
            }
            let alarms_of_env_1 = |s: &mut Schedule, at| {
                kinds(&s.due(&f, at)).contains(&("env-1".to_string(), JobKind::Alarms))
            };
            assert!(
                !alarms_of_env_1(&mut s, t0 + Duration::seconds(every - 1)),
                "{count}"
            );
            assert!(
                alarms_of_env_1(&mut s, t0 + Duration::seconds(every)),
                "{count}"
            );
        }
    }

    #[test]
    fn a_services_round_costs_more_with_more_services() {
        let job = |n| Job {
            key: JobKey {
                env: "e".into(),
                kind: JobKind::Services,
            },
            logs_since: None,
            known_services: n,
        };
        assert_eq!(job(0).cost(), 3.0);
        assert_eq!(job(10).cost(), 4.0);
        assert_eq!(job(23).cost(), 6.0);
        assert_eq!(job(2000).cost(), 222.0);
    }

    /// A large estate's services are read less often, so a round spends
    /// at most half of what the ECS budget refills meanwhile; a small one's
    /// as often as ever.
    #[test]
    fn a_large_estates_services_are_read_less_often() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap();
        let mut f = focus(View::Services);
        let services_due = |s: &mut Schedule, f: &Focus, at| {
            s.due(f, at)
                .into_iter()
                .filter(|j| j.key.kind == JobKind::Services)
                .map(|j| (j.key.env.clone(), j.known_services))
                .collect::<Vec<_>>()
        };
        // 2,000 services: 222 calls, at half of 10 a second.
        for (known, every) in [(40, 5000), (2000, 44_400)] {
            f.services_known = vec![("radiox-prod".into(), known), ("reelnet-prod".into(), 2000)];
            let mut s = Schedule::default();
            let first = services_due(&mut s, &f, t0);
            assert!(
                first.contains(&("radiox-prod".to_string(), known)),
                "{first:?}"
            );
            for j in s.due(&f, t0) {
                s.started(&j.key, t0);
            }
            let soon = t0 + Duration::milliseconds(every - 100);
            assert!(services_due(&mut s, &f, soon).is_empty(), "{known}");
            let due = services_due(&mut s, &f, t0 + Duration::milliseconds(every));
            assert_eq!(due, vec![("radiox-prod".to_string(), known)], "{known}");
        }
    }

    /// A metrics job's queries: equal sets are equal keys with equal
    /// hashes, whether shared or not, and read back from a recording as the
    /// plain list they always were.
    #[test]
    fn query_sets_are_keys_and_serialise_as_lists() {
        use std::hash::{BuildHasher, RandomState};
        let list: Vec<MetricQuery> = (0..3)
            .map(|i| {
                MetricQuery::ecs_service(
                    "c",
                    &format!("s{i}"),
                    flightdeck_model::MetricName::CpuUtilization,
                )
            })
            .collect();
        let shared = Queries::from(list.clone());
        let copy = Queries::from(list.clone());
        let hasher = RandomState::new();
        assert_eq!(shared, copy);
        assert_eq!(hasher.hash_one(&shared), hasher.hash_one(&copy));
        let other = Queries::from(list[..2].to_vec());
        assert_ne!(shared, other);
        let json = serde_json::to_string(&JobKind::Metrics(shared.clone())).unwrap();
        assert_eq!(
            json,
            format!("{{\"Metrics\":{}}}", serde_json::to_string(&list).unwrap())
        );
        let back: JobKind = serde_json::from_str(&json).unwrap();
        assert_eq!(back, JobKind::Metrics(shared));
    }

    #[test]
    fn costs_are_fetched_once_then_after_hours() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap();
        let mut s = Schedule::default();
        let f = focus(View::Costs);
        let costs = |jobs: Vec<Job>| jobs.iter().filter(|j| j.key.kind == JobKind::Costs).count();
        let first = s.due(&f, t0);
        for j in &first {
            s.started(&j.key, t0);
        }
        assert_eq!(costs(first), 1);
        assert_eq!(costs(s.due(&f, t0 + Duration::minutes(30))), 0);
        assert_eq!(costs(s.due(&f, t0 + Duration::hours(6))), 1);
    }

    #[test]
    fn triage_reads_every_environments_costs_once_then_after_hours() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap();
        let mut s = Schedule::default();
        let f = focus(View::Triage);
        let costs = |jobs: &[Job]| {
            let mut envs: Vec<String> = jobs
                .iter()
                .filter(|j| j.key.kind == JobKind::Costs)
                .map(|j| j.key.env.clone())
                .collect();
            envs.sort();
            envs
        };
        let first = s.due(&f, t0);
        assert_eq!(costs(&first), ["radiox-prod", "reelnet-prod"]);
        for j in &first {
            s.started(&j.key, t0);
        }
        assert!(costs(&s.due(&f, t0 + Duration::minutes(30))).is_empty());
        assert_eq!(costs(&s.due(&f, t0 + Duration::hours(6))).len(), 2);
        // Not on the other panes.
        let mut quiet = Schedule::default();
        assert!(costs(&quiet.due(&focus(View::Services), t0)).is_empty());
    }

    #[test]
    fn refresh_makes_visible_work_due_again() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap();
        let mut s = Schedule::default();
        let mut f = focus(View::Alarms);
        for j in s.due(&f, t0) {
            s.started(&j.key, t0);
        }
        assert!(s.due(&f, t0 + Duration::seconds(1)).is_empty());
        f.refresh += 1;
        assert!(
            kinds(&s.due(&f, t0 + Duration::seconds(1)))
                .contains(&("radiox-prod".into(), JobKind::Alarms))
        );
    }
}
