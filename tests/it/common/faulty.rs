//! A provider that wraps another and misbehaves on request: a call that
//! fails with a chosen error, a call that panics, a hook run just before a
//! write (to break the audit log between its two records), and call counts.
//! Every other call is passed through unchanged.
#![expect(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test code: the injected panic is the point"
)]

use async_trait::async_trait;
use flightdeck::model::{
    Alarm, AlarmHistoryItem, CallerIdentity, Cluster, CostReport, EnvironmentInfo, LogEvent,
    MetricQuery, MetricSeries, ScalableTarget, ScalingActivity, ScalingPolicy, Service,
    ServiceDeployment, ServiceRef, TargetGroupSeries, Task, TaskDefRef, TaskDefinition, Timestamp,
    WriteEvent,
};
use flightdeck::provider::{
    ChangeReads, CostReads, EcsReads, LogQuery, LogReads, MonitoringReads, Provider, ProviderError,
    ReadProvider, Result, ScalingReads, WriteAnswer, WriteCall, WriteProvider, Written,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

type Hook = Box<dyn Fn() + Send + Sync>;

pub struct Faulty {
    pub inner: Arc<Provider>,
    /// StopServiceDeployment answers this instead of asking the inner provider.
    pub stop_rollback_error: Mutex<Option<ProviderError>>,
    /// UpdateService answers this instead of asking the inner provider.
    pub update_error: Mutex<Option<ProviderError>>,
    /// Run just before UpdateService reaches the inner provider.
    pub before_update: Mutex<Option<Hook>>,
    /// The next this many `alarms()` calls panic.
    pub alarm_panics: AtomicUsize,
    pub update_calls: AtomicUsize,
    pub alarm_calls: AtomicUsize,
}

impl Faulty {
    pub fn new(inner: Arc<Provider>) -> Faulty {
        Faulty {
            inner,
            stop_rollback_error: Mutex::new(None),
            update_error: Mutex::new(None),
            before_update: Mutex::new(None),
            alarm_panics: AtomicUsize::new(0),
            update_calls: AtomicUsize::new(0),
            alarm_calls: AtomicUsize::new(0),
        }
    }

    pub fn updates(&self) -> usize {
        self.update_calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl ReadProvider for Faulty {
    fn environment(&self) -> &EnvironmentInfo {
        self.inner.environment()
    }
    /// The inner provider's calls: a wrapper makes none of its own.
    fn api_stats(&self) -> Option<flightdeck::model::ApiStats> {
        self.inner.api_stats()
    }
    async fn caller_identity(&self) -> Result<CallerIdentity> {
        self.inner.caller_identity().await
    }
}

#[async_trait]
impl EcsReads for Faulty {
    async fn clusters(&self) -> Result<Vec<Cluster>> {
        self.inner.clusters().await
    }
    async fn services(&self, cluster: &str) -> Result<Vec<Service>> {
        self.inner.services(cluster).await
    }
    async fn tasks(&self, service: &ServiceRef) -> Result<Vec<Task>> {
        self.inner.tasks(service).await
    }
    async fn task(&self, cluster: &str, id: &str) -> Result<Task> {
        self.inner.task(cluster, id).await
    }
    async fn task_definition(&self, reference: &TaskDefRef) -> Result<TaskDefinition> {
        self.inner.task_definition(reference).await
    }
    async fn task_definition_revisions(&self, family: &str) -> Result<Vec<TaskDefRef>> {
        self.inner.task_definition_revisions(family).await
    }
    async fn service_deployments(
        &self,
        service: &ServiceRef,
        since: Timestamp,
    ) -> Result<Vec<ServiceDeployment>> {
        self.inner.service_deployments(service, since).await
    }
}

#[async_trait]
impl ScalingReads for Faulty {
    async fn scalable_targets(&self) -> Result<Vec<ScalableTarget>> {
        self.inner.scalable_targets().await
    }
    async fn scaling_policies(&self) -> Result<Vec<ScalingPolicy>> {
        self.inner.scaling_policies().await
    }
    async fn scaling_activities(&self) -> Result<Vec<ScalingActivity>> {
        self.inner.scaling_activities().await
    }
}

#[async_trait]
impl MonitoringReads for Faulty {
    async fn alarms(&self) -> Result<Vec<Alarm>> {
        self.alarm_calls.fetch_add(1, Ordering::SeqCst);
        let panics = self.alarm_panics.load(Ordering::SeqCst);
        if panics > 0 {
            self.alarm_panics.store(panics - 1, Ordering::SeqCst);
            panic!("injected panic in alarms()");
        }
        self.inner.alarms().await
    }
    async fn alarm_history(&self, alarm: &str) -> Result<Vec<AlarmHistoryItem>> {
        self.inner.alarm_history(alarm).await
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
impl LogReads for Faulty {
    async fn log_events(&self, query: &LogQuery) -> Result<Vec<LogEvent>> {
        self.inner.log_events(query).await
    }
}

#[async_trait]
impl ChangeReads for Faulty {
    async fn write_events(&self, since: Timestamp) -> Result<Vec<WriteEvent>> {
        self.inner.write_events(since).await
    }
}

#[async_trait]
impl CostReads for Faulty {
    async fn costs(&self, days: u32) -> Result<CostReport> {
        self.inner.costs(days).await
    }
}

#[async_trait]
impl WriteProvider for Faulty {
    async fn write(&self, call: &WriteCall) -> Result<Written<WriteAnswer>> {
        match call {
            WriteCall::UpdateService { .. } => {
                self.update_calls.fetch_add(1, Ordering::SeqCst);
                if let Some(hook) = self.before_update.lock().unwrap().as_ref() {
                    hook();
                }
                if let Some(e) = self.update_error.lock().unwrap().clone() {
                    return Err(e);
                }
            }
            WriteCall::StopDeploymentWithRollback { .. } => {
                if let Some(e) = self.stop_rollback_error.lock().unwrap().clone() {
                    return Err(e);
                }
            }
            _ => {}
        }
        self.inner.write(call).await
    }
}
