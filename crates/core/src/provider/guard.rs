//! The read-only guard: the one place where read-only is enforced.

use super::{
    ExecSession, LogQuery, PortForward, ProviderError, ReadProvider, Result, ServiceUpdate,
    TargetUpdate, WriteProvider, Written,
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
    async fn register_task_definition(
        &self,
        base: &TaskDefRef,
        images: &[(String, String)],
    ) -> Result<Written<TaskDefinition>> {
        self.refuse_if_read_only("ecs:RegisterTaskDefinition")?;
        self.inner.register_task_definition(base, images).await
    }
    async fn stop_deployment_with_rollback(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Written<Service>> {
        self.refuse_if_read_only("ecs:StopServiceDeployment")?;
        self.inner
            .stop_deployment_with_rollback(cluster, service)
            .await
    }
    async fn continue_deployment(
        &self,
        cluster: &str,
        service: &str,
        deployment: &str,
        hook: &str,
    ) -> Result<Written<Service>> {
        self.refuse_if_read_only("ecs:ContinueServiceDeployment")?;
        self.inner
            .continue_deployment(cluster, service, deployment, hook)
            .await
    }
    async fn stop_task(
        &self,
        cluster: &str,
        service: &str,
        task: &str,
        reason: &str,
    ) -> Result<Written<Task>> {
        self.refuse_if_read_only("ecs:StopTask")?;
        self.inner.stop_task(cluster, service, task, reason).await
    }
    async fn execute_command(
        &self,
        cluster: &str,
        task: &str,
        container: &str,
        command: &str,
    ) -> Result<Written<ExecSession>> {
        self.refuse_if_read_only("ecs:ExecuteCommand")?;
        self.inner
            .execute_command(cluster, task, container, command)
            .await
    }
    async fn start_port_forward(&self, forward: &PortForward) -> Result<Written<ExecSession>> {
        self.refuse_if_read_only("ssm:StartSession")?;
        self.inner.start_port_forward(forward).await
    }
    async fn terminate_session(&self, session_id: &str) -> Result<()> {
        // Ending a session is always allowed: it only closes what was opened.
        self.inner.terminate_session(session_id).await
    }
    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> Result<Written<Service>> {
        self.refuse_if_read_only("ecs:UpdateService")?;
        self.inner.update_service(cluster, service, update).await
    }
    async fn register_scalable_target(
        &self,
        cluster: &str,
        service: &str,
        update: &TargetUpdate,
    ) -> Result<Written<ScalableTarget>> {
        self.refuse_if_read_only("application-autoscaling:RegisterScalableTarget")?;
        self.inner
            .register_scalable_target(cluster, service, update)
            .await
    }
}
