//! CloudWatch: metric and composite alarms (paginated), alarm history, and
//! metrics with GetMetricData in calls of at most 500 queries.

use super::AwsProvider;
use super::errors::Action;
use super::time::{from_sdk, from_sdk_opt, to_sdk};
use aws_sdk_cloudwatch::types::{
    self as cw, AlarmType, Dimension, HistoryItemType, Metric, MetricDataQuery, MetricStat, ScanBy,
    StateValue,
};
use flightdeck_core::provider::Result;
use flightdeck_model::{
    Alarm, AlarmHistoryItem, AlarmState, Comparison, MetricName, MetricNamespace, MetricPoint,
    MetricQuery, MetricSeries, Severity, Statistic, Timestamp,
};
use std::collections::HashMap;

/// GetMetricData takes at most this many queries per call.
pub const METRIC_QUERIES_PER_CALL: usize = 500;
/// History items kept per alarm, newest first.
const HISTORY: i32 = 50;
/// Alarms whose tags are read in one poll (a storm's first poll reads
/// the rest at the next ones).
const TAGS_PER_POLL: usize = 10;

impl AwsProvider {
    pub(super) async fn list_alarms(&self) -> Result<Vec<Alarm>> {
        let pages: Vec<_> = self
            .clients
            .cloudwatch()
            .describe_alarms()
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .max_records(100)
            .into_paginator()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(self.fail(Action("cloudwatch:DescribeAlarms")))?;
        let mut alarms = Vec::new();
        let mut arns = HashMap::new();
        for page in &pages {
            alarms.extend(page.metric_alarms().iter().filter_map(metric_alarm));
            alarms.extend(page.composite_alarms().iter().filter_map(composite_alarm));
            let metric = page
                .metric_alarms()
                .iter()
                .map(|a| (a.alarm_name(), a.alarm_arn()));
            let composite = page
                .composite_alarms()
                .iter()
                .map(|a| (a.alarm_name(), a.alarm_arn()));
            for (name, arn) in metric.chain(composite) {
                if let (Some(name), Some(arn)) = (name, arn) {
                    arns.insert(name.to_string(), arn.to_string());
                }
            }
        }
        alarms.sort_by(|a, b| a.name.cmp(&b.name));
        self.alarm_histories().seen(&alarms);
        self.tag_alarms(&mut alarms, &arns).await;
        Ok(alarms)
    }

    /// The tags of the alarms in ALARM (where a runbook may be named),
    /// read once per state change and at most [`TAGS_PER_POLL`] alarms a
    /// poll; a refusal leaves them untagged, the alarms still listed.
    async fn tag_alarms(&self, alarms: &mut [Alarm], arns: &HashMap<String, String>) {
        let mut asked = 0;
        for alarm in alarms.iter_mut().filter(|a| a.state == AlarmState::Alarm) {
            if let Some(tags) = self.alarm_histories().tags(&alarm.name) {
                alarm.tags = tags;
                continue;
            }
            let Some(arn) = arns.get(&alarm.name) else {
                continue;
            };
            if asked == TAGS_PER_POLL {
                break;
            }
            asked += 1;
            match self
                .clients
                .cloudwatch()
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
            {
                Ok(out) => {
                    alarm.tags = out
                        .tags()
                        .iter()
                        .map(|t| {
                            (
                                t.key().unwrap_or_default().to_string(),
                                t.value().unwrap_or_default().to_string(),
                            )
                        })
                        .collect();
                    self.alarm_histories().keep_tags(&alarm.name, &alarm.tags);
                }
                Err(e) => {
                    let e = self.fail(Action("cloudwatch:ListTagsForResource"))(e);
                    tracing::debug!("the tags of alarm {} are not read: {e}", alarm.name);
                    // Not asked again until its state changes.
                    self.alarm_histories().keep_tags(&alarm.name, &[]);
                }
            }
        }
    }

    /// An alarm's state changes, newest first. Its history changes only when
    /// its state does: what was read since the last state change DescribeAlarms
    /// reported is answered again without a call.
    pub(super) async fn list_alarm_history(&self, alarm: &str) -> Result<Vec<AlarmHistoryItem>> {
        if let Some(items) = self.alarm_histories().get(alarm) {
            return Ok(items);
        }
        let items = self.read_alarm_history(alarm).await?;
        self.alarm_histories().keep(alarm, &items);
        Ok(items)
    }

    async fn read_alarm_history(&self, alarm: &str) -> Result<Vec<AlarmHistoryItem>> {
        let out = self
            .clients
            .cloudwatch()
            .describe_alarm_history()
            .alarm_name(alarm)
            .history_item_type(HistoryItemType::StateUpdate)
            .scan_by(ScanBy::TimestampDescending)
            .max_records(HISTORY)
            .send()
            .await
            .map_err(self.fail(Action("cloudwatch:DescribeAlarmHistory")))?;
        Ok(out
            .alarm_history_items()
            .iter()
            .filter_map(|h| {
                let (from, to) = transition(h.history_data()?)?;
                Some(AlarmHistoryItem {
                    timestamp: from_sdk_opt(h.timestamp())?,
                    from,
                    to,
                    summary: h.history_summary().unwrap_or_default().to_string(),
                })
            })
            .collect())
    }

    pub(super) async fn get_metrics(
        &self,
        queries: &[MetricQuery],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<MetricSeries>> {
        let mut series = Vec::new();
        for chunk in chunks(queries) {
            // GetMetricData ids must match ^[a-z][a-zA-Z0-9_]*$: use positions.
            let requests: Vec<MetricDataQuery> = chunk
                .iter()
                .enumerate()
                .flat_map(|(i, q)| metric_data_queries(i, q))
                .collect();
            let pages: Vec<_> = self
                .clients
                .cloudwatch()
                .get_metric_data()
                .set_metric_data_queries(Some(requests))
                .start_time(to_sdk(start))
                .end_time(to_sdk(end))
                .scan_by(ScanBy::TimestampAscending)
                .into_paginator()
                .send()
                .collect::<std::result::Result<_, _>>()
                .await
                .map_err(self.fail(Action("cloudwatch:GetMetricData")))?;
            let mut points: HashMap<usize, Vec<MetricPoint>> = HashMap::new();
            for page in &pages {
                for result in page.metric_data_results() {
                    let Some(index) = result
                        .id()
                        .and_then(|id| id.strip_prefix('q'))
                        .and_then(|i| i.parse::<usize>().ok())
                    else {
                        continue;
                    };
                    let entry = points.entry(index).or_default();
                    for (t, v) in result.timestamps().iter().zip(result.values()) {
                        entry.push(MetricPoint {
                            at: from_sdk(t),
                            value: *v,
                        });
                    }
                }
            }
            for (i, q) in chunk.iter().enumerate() {
                let mut p = points.remove(&i).unwrap_or_default();
                p.sort_by_key(|p| p.at);
                p.dedup_by_key(|p| p.at);
                series.push(MetricSeries {
                    id: q.id.clone(),
                    points: p,
                });
            }
        }
        Ok(series)
    }
}

/// GetMetricData queries one query needs: one, or three for a ratio.
fn cost(q: &MetricQuery) -> usize {
    if q.ratio_of.is_some() { 3 } else { 1 }
}

/// Consecutive runs of queries that fit one GetMetricData call.
fn chunks(queries: &[MetricQuery]) -> Vec<&[MetricQuery]> {
    let mut out = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, q) in queries.iter().enumerate() {
        if used + cost(q) > METRIC_QUERIES_PER_CALL {
            out.push(&queries[start..i]);
            (start, used) = (i, 0);
        }
        used += cost(q);
    }
    if start < queries.len() {
        out.push(&queries[start..]);
    }
    out
}

/// The GetMetricData queries of query number `i`: `q{i}` is what comes
/// back; a ratio is `100*n{i}/d{i}` over two hidden metric queries.
fn metric_data_queries(i: usize, q: &MetricQuery) -> Vec<MetricDataQuery> {
    let Some(denominator) = &q.ratio_of else {
        return vec![metric_data_query(&format!("q{i}"), q, &q.metric, true)];
    };
    vec![
        metric_data_query(&format!("n{i}"), q, &q.metric, false),
        metric_data_query(&format!("d{i}"), q, denominator, false),
        MetricDataQuery::builder()
            .id(format!("q{i}"))
            .expression(format!("100*n{i}/d{i}"))
            .return_data(true)
            .build(),
    ]
}

fn metric_data_query(
    id: &str,
    q: &MetricQuery,
    metric: &MetricName,
    returned: bool,
) -> MetricDataQuery {
    let metric = Metric::builder()
        .namespace(q.namespace.as_str())
        .metric_name(metric.as_str())
        .set_dimensions(Some(
            q.dimensions
                .iter()
                .map(|(k, v)| Dimension::builder().name(k).value(v).build())
                .collect(),
        ))
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(q.period_secs as i32)
                .stat(q.statistic.as_str())
                .build(),
        )
        .return_data(returned)
        .build()
}

fn state(s: Option<&StateValue>) -> AlarmState {
    match s {
        Some(StateValue::Alarm) => AlarmState::Alarm,
        Some(StateValue::Ok) => AlarmState::Ok,
        _ => AlarmState::InsufficientData,
    }
}

fn comparison(c: Option<&cw::ComparisonOperator>) -> Comparison {
    match c {
        Some(cw::ComparisonOperator::GreaterThanOrEqualToThreshold) => {
            Comparison::GreaterThanOrEqualToThreshold
        }
        Some(cw::ComparisonOperator::LessThanThreshold) => Comparison::LessThanThreshold,
        Some(cw::ComparisonOperator::LessThanOrEqualToThreshold) => {
            Comparison::LessThanOrEqualToThreshold
        }
        _ => Comparison::GreaterThanThreshold,
    }
}

/// How loud an alarm is, from what AWS tells without extra calls: alarms
/// that drive auto scaling are informational; names or descriptions saying
/// `critical`, `sev1` or `p1` are critical; the rest are warnings.
pub fn severity(name: &str, description: &str, actions: &[String]) -> Severity {
    let text = format!("{name} {description}").to_lowercase();
    if name.starts_with(flightdeck_model::TARGET_TRACKING_PREFIX)
        || actions
            .iter()
            .any(|a| a.starts_with("arn:aws:autoscaling:"))
    {
        Severity::Info
    } else if ["critical", "sev1", "p1"].iter().any(|w| text.contains(w)) {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

fn metric_alarm(a: &cw::MetricAlarm) -> Option<Alarm> {
    let name = a.alarm_name()?.to_string();
    let description = a.alarm_description().unwrap_or_default().to_string();
    let actions = a.alarm_actions().to_vec();
    // Metric-math alarms have no single metric: name the first metric used.
    let math_metric = a
        .metrics()
        .iter()
        .find_map(|m| m.metric_stat().and_then(|s| s.metric()));
    let metric = a
        .metric_name()
        .or(math_metric.and_then(|m| m.metric_name()))
        .unwrap_or("metric math");
    let namespace = a
        .namespace()
        .or(math_metric.and_then(|m| m.namespace()))
        .unwrap_or_default();
    let dims = if a.dimensions().is_empty() {
        math_metric.map(|m| m.dimensions()).unwrap_or_default()
    } else {
        a.dimensions()
    };
    Some(Alarm {
        severity: severity(&name, &description, &actions),
        name,
        description,
        state: state(a.state_value()),
        state_reason: a.state_reason().unwrap_or_default().to_string(),
        state_updated_at: from_sdk_opt(a.state_updated_timestamp()).unwrap_or_default(),
        metric: MetricName::parse(metric),
        namespace: MetricNamespace::parse(namespace),
        dimensions: dims
            .iter()
            .map(|d| {
                (
                    d.name().unwrap_or_default().to_string(),
                    d.value().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        statistic: a
            .statistic()
            .map(|s| s.as_str())
            .or_else(|| a.extended_statistic())
            .map_or(Statistic::Average, Statistic::parse),
        threshold: a.threshold().unwrap_or_default(),
        comparison: comparison(a.comparison_operator()),
        period_secs: a.period().and_then(|p| u32::try_from(p).ok()).unwrap_or(60),
        evaluation_periods: a
            .evaluation_periods()
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(1),
        unit: a.unit().map(|u| u.as_str().to_string()).unwrap_or_default(),
        actions,
        tags: vec![],
    })
}

/// Composite alarms have a rule instead of a metric; the rule is shown
/// where the metric would be.
fn composite_alarm(a: &cw::CompositeAlarm) -> Option<Alarm> {
    let name = a.alarm_name()?.to_string();
    let description = a.alarm_description().unwrap_or_default().to_string();
    let actions = a.alarm_actions().to_vec();
    Some(Alarm {
        severity: severity(&name, &description, &actions),
        name,
        description,
        state: state(a.state_value()),
        state_reason: a.state_reason().unwrap_or_default().to_string(),
        state_updated_at: from_sdk_opt(a.state_updated_timestamp()).unwrap_or_default(),
        metric: MetricName::Other(a.alarm_rule().unwrap_or("composite").to_string()),
        namespace: MetricNamespace::Other("composite".into()),
        dimensions: vec![],
        statistic: Statistic::Other(String::new()),
        threshold: 0.0,
        comparison: Comparison::GreaterThanThreshold,
        period_secs: 60,
        evaluation_periods: 1,
        unit: String::new(),
        actions,
        tags: vec![],
    })
}

/// A state-update history item's JSON data -> `(from, to)`.
fn transition(data: &str) -> Option<(AlarmState, AlarmState)> {
    let v: serde_json::Value = serde_json::from_str(data).ok()?;
    let from = v.get("oldState")?.get("stateValue")?.as_str()?;
    let to = v.get("newState")?.get("stateValue")?.as_str()?;
    Some((AlarmState::parse(from)?, AlarmState::parse(to)?))
}

/// Alarm histories as read, each valid while its alarm's state is the one
/// DescribeAlarms last reported.
#[derive(Debug, Default)]
pub(super) struct AlarmHistories {
    /// When each alarm last changed state, by the last DescribeAlarms.
    states: HashMap<String, Timestamp>,
    /// History read at a given state change.
    read: HashMap<String, (Timestamp, Vec<AlarmHistoryItem>)>,
    /// Tags read at a given state change.
    tags: HashMap<String, (Timestamp, Vec<(String, String)>)>,
}

impl AlarmHistories {
    fn seen(&mut self, alarms: &[Alarm]) {
        self.states = alarms
            .iter()
            .map(|a| (a.name.clone(), a.state_updated_at))
            .collect();
    }

    fn get(&self, alarm: &str) -> Option<Vec<AlarmHistoryItem>> {
        let state = self.states.get(alarm)?;
        let (at, items) = self.read.get(alarm)?;
        (at == state).then(|| items.clone())
    }

    /// The tags read at the alarm's last state change, if they were.
    fn tags(&self, alarm: &str) -> Option<Vec<(String, String)>> {
        let state = self.states.get(alarm)?;
        let (at, tags) = self.tags.get(alarm)?;
        (at == state).then(|| tags.clone())
    }

    fn keep_tags(&mut self, alarm: &str, tags: &[(String, String)]) {
        if let Some(state) = self.states.get(alarm) {
            self.tags.insert(alarm.to_string(), (*state, tags.to_vec()));
        }
    }

    fn keep(&mut self, alarm: &str, items: &[AlarmHistoryItem]) {
        if let Some(state) = self.states.get(alarm) {
            self.read
                .insert(alarm.to_string(), (*state, items.to_vec()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An alarm history item's data, however broken or hostile: a
    /// transition or nothing, never a panic (`fuzz/corpus/aws`).
    #[test]
    fn the_crash_corpus_of_history_data_decodes_or_is_dropped() {
        for json in crate::trail::tests::CORPUS {
            let _ = transition(json);
        }
        assert_eq!(
            transition(include_str!(
                "../../../fuzz/corpus/aws/alarm-history-escape.json"
            )),
            None,
            "a state AWS does not have is not a transition"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_history_data_is_a_transition_or_nothing(
            json in "\\PC{0,120}|\\{\"oldState\":\\{\"stateValue\":\"\\PC{0,12}\"\\},\"newState\":\\{\"stateValue\":\"(OK|ALARM|INSUFFICIENT_DATA|\\PC{0,8})\"\\}\\}",
        ) {
            let _ = transition(&json);
        }
    }

    #[test]
    fn history_data_gives_the_transition() {
        let data = r#"{"version":"1.0","oldState":{"stateValue":"OK"},"newState":{"stateValue":"ALARM","stateReason":"x"}}"#;
        assert_eq!(transition(data), Some((AlarmState::Ok, AlarmState::Alarm)));
        assert_eq!(transition("not json"), None);
    }

    #[test]
    fn ratios_become_expressions_and_calls_stay_under_500_queries() {
        let plain = MetricQuery::ecs_service("c", "s", MetricName::CpuUtilization);
        let ratio = MetricQuery::service_utilisation("c", "s", MetricName::CpuUtilization, true);
        let built = metric_data_queries(7, &ratio);
        assert_eq!(built.len(), 3);
        assert_eq!(built[2].id(), Some("q7"));
        assert_eq!(built[2].expression(), Some("100*n7/d7"));
        assert_eq!(built[0].return_data(), Some(false));
        let many: Vec<MetricQuery> = (0..400).map(|_| ratio.clone()).collect();
        let parts = chunks(&many);
        assert!(
            parts
                .iter()
                .all(|c| c.iter().map(cost).sum::<usize>() <= 500)
        );
        assert_eq!(parts.iter().map(|c| c.len()).sum::<usize>(), 400);
        assert_eq!(chunks(&vec![plain; 500]).len(), 1);
    }

    #[test]
    fn severity_from_names_descriptions_and_actions() {
        let scaling = vec!["arn:aws:autoscaling:eu-west-1:1:scalingPolicy:x".to_string()];
        assert_eq!(severity("api-cpu-high", "", &scaling), Severity::Info);
        assert_eq!(severity("api-5xx-critical", "", &[]), Severity::Critical);
        assert_eq!(severity("api-cpu-high", "", &[]), Severity::Warning);
    }
}
