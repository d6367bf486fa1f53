//! CloudWatch alarms and metrics, and CloudWatch Logs events.

use super::{MetricName, MetricNamespace, Statistic, Timestamp};
use serde::Serialize;
use std::fmt;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    /// Ordered so that sorting puts ALARM first.
    Alarm,
    InsufficientData,
    Ok,
}

impl AlarmState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
            AlarmState::Ok => "OK",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "ALARM" => Some(AlarmState::Alarm),
            "INSUFFICIENT_DATA" => Some(AlarmState::InsufficientData),
            "OK" => Some(AlarmState::Ok),
            _ => None,
        }
    }
}

impl fmt::Display for AlarmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Comparison {
    GreaterThanThreshold,
    GreaterThanOrEqualToThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::GreaterThanThreshold => ">",
            Comparison::GreaterThanOrEqualToThreshold => ">=",
            Comparison::LessThanThreshold => "<",
            Comparison::LessThanOrEqualToThreshold => "<=",
        }
    }

    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanThreshold => value > threshold,
            Comparison::GreaterThanOrEqualToThreshold => value >= threshold,
            Comparison::LessThanThreshold => value < threshold,
            Comparison::LessThanOrEqualToThreshold => value <= threshold,
        }
    }
}

/// How loud an alarm is meant to be, from its name or tags (`warning`, `critical`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    /// Sort key: critical first.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Critical => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Alarm {
    pub name: String,
    pub description: String,
    pub state: AlarmState,
    pub state_reason: String,
    pub state_updated_at: Timestamp,
    pub metric: MetricName,
    pub namespace: MetricNamespace,
    /// `(name, value)` pairs, e.g. `("ServiceName", "backend-api")`.
    pub dimensions: Vec<(String, String)>,
    pub statistic: Statistic,
    pub threshold: f64,
    pub comparison: Comparison,
    pub period_secs: u32,
    pub evaluation_periods: u32,
    pub unit: String,
    pub severity: Severity,
    /// ARNs of alarm actions (scaling policies, SNS topics).
    pub actions: Vec<String>,
    /// Its tags, where they were read (an alarm in ALARM): where its
    /// runbook may be (`runbook`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
}

impl Alarm {
    /// How tables show the alarm. AWS names the alarms of a target-tracking
    /// policy `TargetTracking-service/<cluster>/<service>-AlarmHigh-<uuid>`,
    /// which 80 columns cut before the service: they read
    /// `<service> target tracking high (<metric>)`. Every other alarm
    /// shows its own name; the detail always shows the full one.
    pub fn display_name(&self) -> std::borrow::Cow<'_, str> {
        match target_tracking_parts(&self.name) {
            Some((resource, side)) => std::borrow::Cow::Owned(format!(
                "{} target tracking {} ({})",
                resource.rsplit('/').next().unwrap_or(resource),
                side.label(),
                self.metric
            )),
            None => std::borrow::Cow::Borrowed(&self.name),
        }
    }

    /// The service this alarm watches: by its `ServiceName` (and
    /// `ClusterName`) dimensions, by its `TargetGroup` dimension (an ALB
    /// alarm: the service registering that target group), else the
    /// service whose name the alarm's name contains (the longest such).
    pub fn watched_service<'a>(
        &self,
        services: &'a [super::Service],
    ) -> Option<&'a super::Service> {
        if let Some(name) = self.dimension("ServiceName") {
            let cluster = self.dimension("ClusterName");
            return services
                .iter()
                .find(|s| s.name == name && cluster.is_none_or(|c| c == s.cluster));
        }
        if let Some(group) = self.dimension("TargetGroup") {
            // The dimension is the ARN's resource part: `targetgroup/name/id`.
            return services.iter().find(|s| {
                s.target_groups
                    .iter()
                    .chain(&s.alternate_target_groups)
                    .any(|arn| TargetGroupSeries::dimension(arn) == group)
            });
        }
        services
            .iter()
            .filter(|s| self.name.contains(&s.name))
            .max_by_key(|s| s.name.len())
    }

    /// Whether auto scaling owns it (a scaling policy's alarm): its
    /// activities say what it did; it pages no one.
    pub fn is_auto_scalings(&self) -> bool {
        self.severity == Severity::Info || self.name.starts_with(TARGET_TRACKING_PREFIX)
    }

    pub fn dimension(&self, name: &str) -> Option<&str> {
        self.dimensions
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `CPUUtilization > 70 for 2x300s`
    pub fn condition(&self) -> String {
        format!(
            "{} {} {} for {}x{}s",
            self.metric,
            self.comparison.symbol(),
            crate::text::trim_float(self.threshold),
            self.evaluation_periods,
            self.period_secs
        )
    }

    /// A metric query that fetches this alarm's own metric.
    pub fn metric_query(&self) -> MetricQuery {
        MetricQuery {
            id: self.name.clone(),
            namespace: self.namespace.clone(),
            metric: self.metric.clone(),
            dimensions: self.dimensions.clone(),
            statistic: self.statistic.clone(),
            period_secs: self.period_secs.min(60),
            ratio_of: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AlarmHistoryItem {
    pub timestamp: Timestamp,
    pub from: AlarmState,
    pub to: AlarmState,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct MetricQuery {
    pub id: String,
    pub namespace: MetricNamespace,
    pub metric: MetricName,
    pub dimensions: Vec<(String, String)>,
    pub statistic: Statistic,
    pub period_secs: u32,
    /// When set, the series is `100 * metric / ratio_of` (same namespace,
    /// dimensions and statistic): utilisation from used and reserved.
    pub ratio_of: Option<MetricName>,
}

impl MetricQuery {
    /// CPU or memory utilisation of a service in percent (`metric` is
    /// `CPUUtilization` or `MemoryUtilization`). With Container Insights it
    /// is computed from `ECS/ContainerInsights` used/reserved, which keeps
    /// its own per-minute data; otherwise it is `AWS/ECS`'s. The id is the
    /// same either way, so the screen does not care which.
    pub fn service_utilisation(
        cluster: &str,
        service: &str,
        metric: MetricName,
        container_insights: bool,
    ) -> Self {
        let mut q = Self::ecs_service(cluster, service, metric.clone());
        if container_insights {
            let (used, reserved) = if metric == MetricName::MemoryUtilization {
                (MetricName::MemoryUtilized, MetricName::MemoryReserved)
            } else {
                (MetricName::CpuUtilized, MetricName::CpuReserved)
            };
            q.namespace = MetricNamespace::ContainerInsights;
            q.metric = used;
            q.ratio_of = Some(reserved);
        }
        q
    }

    /// AWS/ECS service-level utilisation, `metric` is `CPUUtilization` or `MemoryUtilization`.
    pub fn ecs_service(cluster: &str, service: &str, metric: MetricName) -> Self {
        Self {
            id: Self::service_id(cluster, service, &metric),
            namespace: MetricNamespace::Ecs,
            metric,
            dimensions: vec![
                ("ClusterName".into(), cluster.into()),
                ("ServiceName".into(), service.into()),
            ],
            statistic: Statistic::Average,
            period_secs: 60,
            ratio_of: None,
        }
    }

    /// The id of a service's utilisation query (and of its series):
    /// `cluster/service/CPUUtilization`.
    pub fn service_id(cluster: &str, service: &str, metric: &MetricName) -> String {
        format!("{cluster}/{service}/{metric}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct MetricPoint {
    pub at: Timestamp,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct MetricSeries {
    /// The `id` of the query that produced this series.
    pub id: String,
    /// Oldest first. Empty means "no data" (e.g. no task running), never zero.
    pub points: Vec<MetricPoint>,
}

impl MetricSeries {
    pub fn last(&self) -> Option<f64> {
        self.points.last().map(|p| p.value)
    }
}

/// An ALB target group's own traffic, per minute (`AWS/ApplicationELB`,
/// dimensioned by the group and its load balancer): what tells a blue/green
/// deployment's two revisions apart, each registered in its own group.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TargetGroupSeries {
    /// The group's ARN.
    pub target_group: String,
    /// `RequestCount`, Sum. Oldest first; no point means no request.
    pub requests: Vec<MetricPoint>,
    /// `HTTPCode_Target_5XX_Count`, Sum.
    pub errors: Vec<MetricPoint>,
    /// `TargetResponseTime`, p95, in seconds.
    pub p95_secs: Vec<MetricPoint>,
}

impl TargetGroupSeries {
    /// The resource part of an ARN, `targetgroup/name/id`: the group's
    /// CloudWatch dimension.
    pub fn dimension(arn: &str) -> &str {
        arn.rsplit_once(':').map_or(arn, |(_, r)| r)
    }

    /// The group's name, from its ARN.
    pub fn name(arn: &str) -> &str {
        Self::dimension(arn).split('/').nth(1).unwrap_or(arn)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LogEvent {
    /// Unique within a log group; used to de-duplicate overlapping polls.
    pub id: String,
    pub timestamp: Timestamp,
    pub stream: String,
    pub message: String,
}

/// How AWS begins the name of a target-tracking scaling policy's alarm:
/// `TargetTracking-<resource id>-AlarmHigh-<id>`.
pub const TARGET_TRACKING_PREFIX: &str = "TargetTracking-";

/// Which of its two alarms a target-tracking policy's alarm is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackingSide {
    /// Above the target: scale out.
    High,
    /// Below the target: scale in.
    Low,
}

impl TrackingSide {
    /// The marker in the alarm's name.
    fn marker(self) -> &'static str {
        match self {
            TrackingSide::High => "-AlarmHigh-",
            TrackingSide::Low => "-AlarmLow-",
        }
    }

    /// How the alarm's display name says it.
    fn label(self) -> &'static str {
        match self {
            TrackingSide::High => "high",
            TrackingSide::Low => "low",
        }
    }

    /// The side of an alarm name AWS gave a target-tracking policy's
    /// alarm; `None` for any other alarm.
    pub fn of(name: &str) -> Option<TrackingSide> {
        target_tracking_parts(name).map(|(_, side)| side)
    }

    /// The name AWS gives a target-tracking policy's alarm on `resource`
    /// (`service/<cluster>/<service>`), ending in `id`.
    pub fn alarm_name(self, resource: &str, id: &str) -> String {
        format!("{TARGET_TRACKING_PREFIX}{resource}{}{id}", self.marker())
    }
}

/// `(resource id, side)` of an alarm name AWS gave a target-tracking
/// policy's alarm.
fn target_tracking_parts(name: &str) -> Option<(&str, TrackingSide)> {
    let rest = name.strip_prefix(TARGET_TRACKING_PREFIX)?;
    [TrackingSide::High, TrackingSide::Low]
        .into_iter()
        .find_map(|side| {
            let at = rest.rfind(side.marker())?;
            let resource = &rest[..at];
            (!resource.is_empty()).then_some((resource, side))
        })
}

/// The alarms of `service`, as every view counts them: those that watch
/// it ([`Alarm::watched_service`]: its dimensions, its target groups, its
/// name), auto scaling's own left out. The one source for "the alarms of a
/// service".
pub fn alarms_of<'a>(
    alarms: &'a [Alarm],
    services: &[super::Service],
    service: &super::Service,
) -> Vec<&'a Alarm> {
    alarms
        .iter()
        .filter(|a| !a.is_auto_scalings())
        .filter(|a| {
            a.watched_service(services)
                .is_some_and(|s| s.cluster == service.cluster && s.name == service.name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_state_sorts_alarm_first() {
        let mut v = vec![
            AlarmState::Ok,
            AlarmState::InsufficientData,
            AlarmState::Alarm,
        ];
        v.sort();
        assert_eq!(
            v,
            vec![
                AlarmState::Alarm,
                AlarmState::InsufficientData,
                AlarmState::Ok
            ]
        );
    }

    #[test]
    fn comparisons_breach_on_the_right_side() {
        assert!(Comparison::GreaterThanThreshold.breaches(71.0, 70.0));
        assert!(!Comparison::GreaterThanThreshold.breaches(70.0, 70.0));
        assert!(Comparison::GreaterThanOrEqualToThreshold.breaches(70.0, 70.0));
        assert!(Comparison::LessThanThreshold.breaches(24.0, 25.0));
    }

    #[test]
    fn an_alb_alarm_watches_the_service_that_registers_its_target_group() {
        use crate::{LaunchType, Service, ServiceStatus, TaskDefRef};
        let service = |name: &str, groups: Vec<String>| Service {
            cluster: "c".into(),
            name: name.into(),
            arn: String::new(),
            status: ServiceStatus::Active,
            desired: 1,
            running: 1,
            pending: 0,
            task_definition: TaskDefRef::new(name, 1),
            launch_type: LaunchType::Fargate,
            deployments: vec![],
            target_groups: groups,
            alternate_target_groups: vec![],
            events: vec![],
            created_at: chrono::DateTime::UNIX_EPOCH,
            deployment_config: crate::DeploymentConfig::default(),
            exec_enabled: false,
            placement: Default::default(),
        };
        let services = [
            service("worker", vec![]),
            service(
                "web",
                vec!["arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/shop-web/0a1b2c3d4e5f6071".into()],
            ),
        ];
        let alarm = Alarm {
            name: "shop-5xx-critical".into(),
            description: String::new(),
            state: AlarmState::Alarm,
            state_reason: String::new(),
            state_updated_at: chrono::DateTime::UNIX_EPOCH,
            metric: MetricName::HttpCodeTarget5xxCount,
            namespace: MetricNamespace::ApplicationElb,
            dimensions: vec![
                ("LoadBalancer".into(), "app/shop/50dc6c495c0c9188".into()),
                (
                    "TargetGroup".into(),
                    "targetgroup/shop-web/0a1b2c3d4e5f6071".into(),
                ),
            ],
            statistic: Statistic::Sum,
            threshold: 10.0,
            comparison: Comparison::GreaterThanThreshold,
            period_secs: 60,
            evaluation_periods: 1,
            unit: String::new(),
            severity: Severity::Critical,
            actions: vec![],
            tags: vec![],
        };
        assert_eq!(
            alarm.watched_service(&services).map(|s| s.name.as_str()),
            Some("web")
        );
        let other = Alarm {
            dimensions: vec![("TargetGroup".into(), "targetgroup/other/1".into())],
            ..alarm.clone()
        };
        assert!(other.watched_service(&services).is_none());
        let by_name = Alarm {
            name: "shop-worker-queue-depth".into(),
            dimensions: vec![],
            ..alarm
        };
        assert_eq!(
            by_name.watched_service(&services).map(|s| s.name.as_str()),
            Some("worker")
        );
    }

    #[test]
    fn target_tracking_alarms_lead_with_their_service() {
        let mut alarm = Alarm {
            name: "TargetTracking-service/radiox-prod/backend-api-AlarmHigh-3f2a9c1e-8d4b-4c55-9a61-1b2c3d4e5f60".into(),
            description: String::new(),
            state: AlarmState::Ok,
            state_reason: String::new(),
            state_updated_at: chrono::DateTime::UNIX_EPOCH,
            metric: MetricName::CpuUtilization,
            namespace: MetricNamespace::Ecs,
            dimensions: vec![],
            statistic: Statistic::Average,
            threshold: 70.0,
            comparison: Comparison::GreaterThanThreshold,
            period_secs: 60,
            evaluation_periods: 3,
            unit: String::new(),
            severity: Severity::Info,
            actions: vec![],
            tags: vec![],
        };
        assert_eq!(
            alarm.display_name(),
            "backend-api target tracking high (CPUUtilization)"
        );
        assert!(alarm.display_name().len() <= 60);
        alarm.name = "TargetTracking-service/c/worker-AlarmLow-0000".into();
        assert_eq!(
            alarm.display_name(),
            "worker target tracking low (CPUUtilization)"
        );
        for own in [
            "radiox-prod-backend-api-response-time",
            "TargetTracking-",
            "TargetTracking--AlarmHigh-x",
            "TargetTrackingX-service/c/s-AlarmHigh-1",
        ] {
            alarm.name = own.into();
            assert_eq!(alarm.display_name(), own);
        }
    }
}

/// What a provider asked of its API so far: attempts by operation
/// (`ecs:ListServices`), and the throttling answers among them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ApiStats {
    pub calls: std::collections::BTreeMap<String, u64>,
    pub throttles: std::collections::BTreeMap<String, u64>,
}

impl ApiStats {
    pub fn total(&self) -> u64 {
        self.calls.values().sum()
    }
}
