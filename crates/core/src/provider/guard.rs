//! The read-only guard: the one place where read-only is enforced.

use super::{
    LogQuery, ProviderError, ReadProvider, Result, WriteAnswer, WriteCall, WriteProvider, Written,
};
use async_trait::async_trait;
use flightdeck_model::{
    Alarm, AlarmHistoryItem, CallerIdentity, Cluster, CostReport, EnvironmentInfo, LogEvent,
    MetricQuery, MetricSeries, ScalableTarget, ScalingActivity, ScalingPolicy, Service,
    ServiceDeployment, TargetGroupSeries, Task, TaskDefRef, TaskDefinition, Timestamp, WriteEvent,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Wraps a provider and refuses every write while read-only is set, whatever
/// the UI or a script does above it. Reads pass through untouched.
pub struct ReadOnlyGuard<P> {
    inner: P,
    info: EnvironmentInfo,
    read_only: Arc<AtomicBool>,
}

impl<P: ReadProvider> ReadOnlyGuard<P> {
    pub fn new(inner: P, read_only: bool) -> Self {
        let mut info = inner.environment().clone();
        info.read_only = read_only;
        Self {
            inner,
            info,
            read_only: Arc::new(AtomicBool::new(read_only)),
        }
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only.load(Ordering::SeqCst)
    }

    fn refuse_if_read_only(&self, operation: &str) -> Result<()> {
        if self.is_read_only() {
            tracing::warn!(env = %self.info.name, operation, "write refused: read-only");
            return Err(ProviderError::ReadOnly {
                environment: self.info.name.clone(),
                operation: operation.to_string(),
            });
        }
        Ok(())
    }
}

#[async_trait]
impl<P: ReadProvider> ReadProvider for ReadOnlyGuard<P> {
    fn environment(&self) -> &EnvironmentInfo {
        &self.info
    }
    async fn caller_identity(&self) -> Result<CallerIdentity> {
        self.inner.caller_identity().await
    }
    async fn clusters(&self) -> Result<Vec<Cluster>> {
        self.inner.clusters().await
    }
    async fn services(&self, cluster: &str) -> Result<Vec<Service>> {
        self.inner.services(cluster).await
    }
    async fn tasks(&self, cluster: &str, service: &str) -> Result<Vec<Task>> {
        self.inner.tasks(cluster, service).await
    }
    async fn task_definition(&self, reference: &TaskDefRef) -> Result<TaskDefinition> {
        self.inner.task_definition(reference).await
    }
    async fn task_definition_revisions(&self, family: &str) -> Result<Vec<TaskDefRef>> {
        self.inner.task_definition_revisions(family).await
    }
    async fn scalable_targets(&self) -> Result<Vec<ScalableTarget>> {
        self.inner.scalable_targets().await
    }
    async fn scaling_policies(&self) -> Result<Vec<ScalingPolicy>> {
        self.inner.scaling_policies().await
    }
    async fn scaling_activities(&self) -> Result<Vec<ScalingActivity>> {
        self.inner.scaling_activities().await
    }
    async fn alarms(&self) -> Result<Vec<Alarm>> {
        self.inner.alarms().await
    }
    async fn alarm_history(&self, alarm: &str) -> Result<Vec<AlarmHistoryItem>> {
        self.inner.alarm_history(alarm).await
    }

    async fn service_deployments(
        &self,
        cluster: &str,
        service: &str,
        since: Timestamp,
    ) -> Result<Vec<ServiceDeployment>> {
        self.inner
            .service_deployments(cluster, service, since)
            .await
    }

    async fn write_events(&self, since: Timestamp) -> Result<Vec<WriteEvent>> {
        self.inner.write_events(since).await
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
    async fn log_events(&self, query: &LogQuery) -> Result<Vec<LogEvent>> {
        self.inner.log_events(query).await
    }
    fn api_stats(&self) -> Option<flightdeck_model::ApiStats> {
        self.inner.api_stats()
    }
    async fn costs(&self, days: u32) -> Result<CostReport> {
        self.inner.costs(days).await
    }
}

#[async_trait]
impl<P: ReadProvider + WriteProvider> WriteProvider for ReadOnlyGuard<P> {
    async fn write(&self, call: &WriteCall) -> Result<Written<WriteAnswer>> {
        // Ending a session is always allowed: it only closes what was opened.
        if !call.only_closes() {
            self.refuse_if_read_only(call.operation())?;
        }
        self.inner.write(call).await
    }
}
