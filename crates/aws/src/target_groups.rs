//! ALB target groups' own metrics, for telling a deployment's blue and
//! green revisions apart. CloudWatch publishes them only under both the
//! `TargetGroup` and the `LoadBalancer` dimension; the ECS service names
//! the group alone, so ListMetrics finds its load balancer once (no
//! Elastic Load Balancing client needed), and GetMetricData reads them.

use super::AwsProvider;
use super::errors::Action;
use aws_sdk_cloudwatch::types::DimensionFilter;
use flightdeck_core::provider::Result;
use flightdeck_model::{
    MetricName, MetricNamespace, MetricQuery, MetricSeries, Statistic, TargetGroupSeries, Timestamp,
};
use std::collections::HashMap;

const NAMESPACE: MetricNamespace = MetricNamespace::ApplicationElb;

/// The three series read per group: metric and statistic.
const SERIES: [(MetricName, Statistic); 3] = [
    (MetricName::RequestCount, Statistic::Sum),
    (MetricName::HttpCodeTarget5xxCount, Statistic::Sum),
    (MetricName::TargetResponseTime, Statistic::P95),
];

/// Each group's dimensions (the group and its balancer), once found: they
/// never change. Kept as CloudWatch listed them (moto matches them in order).
pub(super) type LoadBalancers = HashMap<String, Dimensions>;
type Dimensions = Vec<(String, String)>;

impl AwsProvider {
    pub(super) async fn read_target_group_metrics(
        &self,
        groups: &[String],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<TargetGroupSeries>> {
        let mut queries = vec![];
        for (i, arn) in groups.iter().enumerate() {
            // A group that never had traffic has no metric yet: nothing to read.
            let Some(dimensions) = self.dimensions_of(arn).await? else {
                continue;
            };
            queries.extend(group_queries(i, &dimensions));
        }
        let series = if queries.is_empty() {
            vec![]
        } else {
            self.get_metrics(&queries, start, end).await?
        };
        Ok(assemble(groups, series))
    }

    /// The dimensions of a group's own metrics, from those CloudWatch has
    /// for it; `None` while it has none.
    async fn dimensions_of(&self, arn: &str) -> Result<Option<Dimensions>> {
        if let Some(found) = super::lock(&self.load_balancers).get(arn) {
            return Ok(Some(found.clone()));
        }
        let answer = self
            .clients
            .cloudwatch()
            .list_metrics()
            .namespace(NAMESPACE.as_str())
            .metric_name(MetricName::RequestCount.as_str())
            .dimensions(
                DimensionFilter::builder()
                    .name("TargetGroup")
                    .value(TargetGroupSeries::dimension(arn))
                    .build(),
            )
            .send()
            .await
            .map_err(self.fail(Action("cloudwatch:ListMetrics")))?;
        // The group-and-balancer set, not the per-zone one.
        let found: Option<Dimensions> = answer
            .metrics()
            .iter()
            .map(|m| {
                m.dimensions()
                    .iter()
                    .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                    .collect::<Dimensions>()
            })
            .find(|dims| dims.len() == 2 && dims.iter().any(|(n, _)| n == "LoadBalancer"));
        if let Some(lb) = &found {
            super::lock(&self.load_balancers).insert(arn.to_string(), lb.clone());
        }
        Ok(found)
    }
}

/// The queries of group `i`, with ids `g{i}_{n}` for [`assemble`].
fn group_queries(i: usize, dimensions: &Dimensions) -> Vec<MetricQuery> {
    SERIES
        .iter()
        .enumerate()
        .map(|(n, (metric, statistic))| MetricQuery {
            id: format!("g{i}_{n}"),
            namespace: NAMESPACE,
            metric: metric.clone(),
            dimensions: dimensions.clone(),
            statistic: statistic.clone(),
            period_secs: 60,
            ratio_of: None,
        })
        .collect()
}

/// One entry per group asked, in order, from the series read.
fn assemble(groups: &[String], series: Vec<MetricSeries>) -> Vec<TargetGroupSeries> {
    let mut by_id: HashMap<String, MetricSeries> =
        series.into_iter().map(|s| (s.id.clone(), s)).collect();
    let mut take = |i: usize, n: usize| {
        by_id
            .remove(&format!("g{i}_{n}"))
            .map(|s| s.points)
            .unwrap_or_default()
    };
    groups
        .iter()
        .enumerate()
        .map(|(i, arn)| TargetGroupSeries {
            target_group: arn.clone(),
            requests: take(i, 0),
            errors: take(i, 1),
            p95_secs: take(i, 2),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flightdeck_model::MetricPoint;

    #[test]
    fn queries_carry_the_listed_dimensions_and_come_back_in_the_order_asked() {
        let a = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/api-a/111";
        let b = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/api-b/222";
        let dims = vec![
            ("LoadBalancer".to_string(), "app/shop/9".to_string()),
            (
                "TargetGroup".to_string(),
                "targetgroup/api-b/222".to_string(),
            ),
        ];
        let q = group_queries(1, &dims);
        assert_eq!(q.len(), 3);
        assert_eq!(q[2].id, "g1_2");
        assert!(q.iter().all(|q| q.dimensions == dims));
        let at = chrono::DateTime::UNIX_EPOCH;
        let series = vec![MetricSeries {
            id: "g1_1".into(),
            points: vec![MetricPoint { at, value: 4.0 }],
        }];
        let out = assemble(&[a.to_string(), b.to_string()], series);
        assert_eq!(out[0].target_group, a);
        assert!(out[0].errors.is_empty());
        assert_eq!(out[1].errors[0].value, 4.0);
        assert!(out[1].requests.is_empty());
    }
}
