//! One job, one round of provider calls, one [`DataEvent`].

use super::schedule::{Job, JobKey, JobKind};
use crate::provider::{LogQuery, Provider, ProviderError};
use crate::timeline::Records;
use crate::timeline::{Timeline, gather};
use chrono::Duration;
use flightdeck_model::clock::Clock;
use flightdeck_model::{
    Alarm, AlarmHistoryItem, CallerIdentity, Cluster, CostReport, LogEvent, MetricSeries,
    ScalableTarget, ScalingActivity, ScalingPolicy, Service, ServiceDeployment, TargetGroupSeries,
    Task, TaskDefinition, Timestamp,
};

/// Sparklines show the last hour; alarm charts the last three.
pub const SPARKLINE_WINDOW: Duration = Duration::minutes(60);
pub const ALARM_CHART_WINDOW: Duration = Duration::hours(3);
/// The first look at a log group goes this far back.
pub const LOG_BACKFILL: Duration = Duration::minutes(15);
pub const LOG_PAGE: usize = 1000;
pub const COST_DAYS: u32 = 30;
/// A watched deployment's history goes back this far (its own start is in it).
pub const DEPLOYMENTS_WINDOW: Duration = Duration::hours(2);
/// Target groups' metrics go back this far: the traffic before a watched
/// deployment tells blue from green.
pub const REVISION_METRICS_WINDOW: Duration = Duration::hours(1);

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScalingData {
    pub targets: Vec<ScalableTarget>,
    pub policies: Vec<ScalingPolicy>,
    /// Newest first, across every target.
    pub activities: Result<Vec<ScalingActivity>, ProviderError>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Payload {
    Identity(CallerIdentity),
    Services {
        clusters: Vec<Cluster>,
        services: Vec<Service>,
    },
    Metrics(Vec<MetricSeries>),
    Scaling(ScalingData),
    Alarms(Vec<Alarm>),
    AlarmDetail {
        /// The chart still shows when the history cannot be read.
        history: Result<Vec<AlarmHistoryItem>, ProviderError>,
        series: MetricSeries,
    },
    Tasks(Vec<Task>),
    TaskDefinition(Box<TaskDefinition>),
    Logs(Vec<LogEvent>),
    Costs(CostReport),
    Timeline(Box<Timeline>),
    Deployments(Vec<ServiceDeployment>),
    RevisionMetrics(Vec<TargetGroupSeries>),
}

/// A result with the moment it was fetched and a generation, so the app
/// drops results older than what it already shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fetched<T> {
    /// When the read began: what it says is at least this recent, never
    /// more (a read that began before a write may not show it, however
    /// late it ends).
    pub fetched_at: Timestamp,
    pub generation: u64,
    /// The run of the world it was read from: a drill's restart begins
    /// another, and what the earlier world answered is not this one's.
    /// `None` in recordings made before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<u64>,
    pub result: Result<T, ProviderError>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DataEvent {
    pub key: JobKey,
    pub data: Fetched<Payload>,
}

/// Runs one job against one provider; `records` are where the writes made
/// with flightdeck are read (the operator's audit log, the team's trail)
/// for the change timeline.
pub async fn fetch(
    provider: &Provider,
    job: &Job,
    generation: u64,
    clock: &dyn Clock,
    records: &Records,
) -> DataEvent {
    let began = clock.now();
    let result = run(provider, job, began, records).await;
    DataEvent {
        key: job.key.clone(),
        data: Fetched {
            fetched_at: began,
            generation,
            run: Some(clock.run()),
            result,
        },
    }
}

async fn run(
    p: &Provider,
    job: &Job,
    now: Timestamp,
    records: &Records,
) -> Result<Payload, ProviderError> {
    Ok(match &job.key.kind {
        JobKind::Identity => Payload::Identity(p.caller_identity().await?),
        JobKind::Services => {
            let clusters = p.clusters().await?;
            let mut services = Vec::new();
            for c in &clusters {
                services.extend(p.services(&c.name).await?);
            }
            Payload::Services { clusters, services }
        }
        JobKind::Metrics(queries) => {
            Payload::Metrics(p.metrics(queries, now - SPARKLINE_WINDOW, now).await?)
        }
        JobKind::Scaling => {
            let targets = p.scalable_targets().await?;
            let policies = p.scaling_policies().await?;
            // Activities are context: the targets and policies still show
            // when they cannot be read (moto, missing permission).
            let activities = p.scaling_activities().await;
            Payload::Scaling(ScalingData {
                targets,
                policies,
                activities,
            })
        }
        JobKind::Alarms => Payload::Alarms(p.alarms().await?),
        JobKind::AlarmDetail(name, query) => {
            let history = p.alarm_history(name).await;
            let series = p
                .metrics(std::slice::from_ref(query), now - ALARM_CHART_WINDOW, now)
                .await?
                .into_iter()
                .next()
                .unwrap_or(MetricSeries {
                    id: query.id.clone(),
                    points: vec![],
                });
            Payload::AlarmDetail { history, series }
        }
        JobKind::Tasks(service) => Payload::Tasks(p.tasks(service).await?),
        JobKind::TaskDefinition(r) => {
            Payload::TaskDefinition(Box::new(p.task_definition(r).await?))
        }
        JobKind::Logs(source) => {
            let since = job.logs_since.unwrap_or(now - LOG_BACKFILL);
            let query = LogQuery {
                log_group: source.group.clone(),
                stream_prefix: source.stream_prefix.clone(),
                live: true,
                since,
                filter: None,
                limit: LOG_PAGE,
            };
            Payload::Logs(p.log_events(&query).await?)
        }
        JobKind::Costs => Payload::Costs(p.costs(COST_DAYS).await?),
        JobKind::Deployments(service) => Payload::Deployments(
            p.service_deployments(service, now - DEPLOYMENTS_WINDOW)
                .await?,
        ),
        JobKind::RevisionMetrics(_, groups) => Payload::RevisionMetrics(
            p.target_group_metrics(groups, now - REVISION_METRICS_WINDOW, now)
                .await?,
        ),
        JobKind::Timeline(scope, window) => Payload::Timeline(Box::new(
            gather(p.reads(), scope, now - *window, records).await?,
        )),
    })
}
