//! ECS reads and writes: clusters, services (paged and batched), tasks,
//! task definitions, UpdateService.

use super::AwsProvider;
use super::errors::Action;
use super::time::from_sdk_opt;
use aws_sdk_ecs::operation::RequestId;
use aws_sdk_ecs::types::{self as ecs, DesiredStatus, SortOrder};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use flightdeck_core::provider::{
    ExecSession, OneOffTask, ProviderError, Result, STARTED_BY, ServiceUpdate, StrategyUpdate,
    Written,
};
use flightdeck_model::{
    CapacityProviderItem, Cluster, ClusterStatus, ContainerDefinition, ContainerState, Controller,
    Deployment, DeploymentConfig, DeploymentStatus, EnvVar, HealthStatus, HookKind, LaunchType,
    LifecycleHook, ManagedAgentStatus, Placement, RolloutState, SecretRef, Service, ServiceEvent,
    ServiceStatus, Strategy, Task, TaskDefRef, TaskDefinition, TaskDefinitionStatus, TaskStatus,
};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// DescribeServices takes at most this many services per call.
pub const DESCRIBE_SERVICES_BATCH: usize = 10;
/// DescribeTasks takes at most this many tasks per call.
pub const DESCRIBE_TASKS_BATCH: usize = 100;
/// DescribeClusters takes at most this many clusters per call.
const DESCRIBE_CLUSTERS_BATCH: usize = 100;
/// ECS list calls return at most this many items per page.
const LIST_PAGE: i32 = 100;
/// How many DescribeServices batches run at once; the engine's budget
/// bounds how often a whole round runs.
const CONCURRENT_BATCHES: usize = 4;
/// Stopped tasks shown per service (for their stop reasons).
const STOPPED_TASKS: usize = 20;

/// The last segment of an ARN: `arn:...:service/cluster/name` -> `name`.
pub fn arn_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// `arn:...:task-definition/family:7` or `family:7` -> `family:7`.
pub fn task_def_ref(arn: &str) -> Option<TaskDefRef> {
    let (family, revision) = arn_name(arn).rsplit_once(':')?;
    Some(TaskDefRef::new(family, revision.parse().ok()?))
}

impl AwsProvider {
    pub(super) async fn list_clusters(&self) -> Result<Vec<Cluster>> {
        let ecs = self.clients.ecs();
        let arns: Vec<String> = ecs
            .list_clusters()
            .max_results(LIST_PAGE)
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(self.fail(Action("ecs:ListClusters")))?;
        let wanted: Vec<String> = match &self.settings.clusters {
            Some(filter) => arns
                .into_iter()
                .filter(|a| filter.iter().any(|f| f == arn_name(a)))
                .collect(),
            None => arns,
        };
        let mut clusters = Vec::new();
        for batch in wanted.chunks(DESCRIBE_CLUSTERS_BATCH) {
            let out = ecs
                .describe_clusters()
                .set_clusters(Some(batch.to_vec()))
                .include(ecs::ClusterField::Settings)
                .send()
                .await
                .map_err(self.fail(Action("ecs:DescribeClusters")))?;
            clusters.extend(out.clusters().iter().map(cluster));
        }
        clusters.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(clusters)
    }

    pub(super) async fn list_services(&self, cluster: &str) -> Result<Vec<Service>> {
        let ecs = self.clients.ecs();
        let arns: Vec<String> = ecs
            .list_services()
            .cluster(cluster)
            .max_results(LIST_PAGE)
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(self.fail(Action("ecs:ListServices")))?;
        let limit = Arc::new(Semaphore::new(CONCURRENT_BATCHES));
        let mut batches = JoinSet::new();
        for (index, batch) in arns.chunks(DESCRIBE_SERVICES_BATCH).enumerate() {
            let (ecs, cluster, batch) = (ecs.clone(), cluster.to_string(), batch.to_vec());
            let limit = limit.clone();
            batches.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let out = ecs
                    .describe_services()
                    .cluster(&cluster)
                    .set_services(Some(batch))
                    .send()
                    .await;
                (index, out)
            });
        }
        let mut described = Vec::new();
        while let Some(joined) = batches.join_next().await {
            let (index, out) =
                joined.map_err(|e| ProviderError::Other(format!("ecs:DescribeServices: {e}")))?;
            let out = out.map_err(self.fail(Action("ecs:DescribeServices")))?;
            let services: Vec<Service> =
                out.services().iter().map(|s| service(cluster, s)).collect();
            described.push((index, services));
        }
        described.sort_by_key(|(i, _)| *i);
        Ok(described.into_iter().flat_map(|(_, s)| s).collect())
    }

    pub(super) async fn list_tasks(&self, cluster: &str, service: &str) -> Result<Vec<Task>> {
        let ecs = self.clients.ecs();
        let mut arns = Vec::new();
        for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
            let found: Vec<String> = ecs
                .list_tasks()
                .cluster(cluster)
                .service_name(service)
                .desired_status(status.clone())
                .max_results(LIST_PAGE)
                .into_paginator()
                .items()
                .send()
                .collect::<std::result::Result<_, _>>()
                .await
                .map_err(self.fail(Action("ecs:ListTasks")))?;
            let keep = if status == DesiredStatus::Stopped {
                STOPPED_TASKS
            } else {
                usize::MAX
            };
            arns.extend(found.into_iter().take(keep));
        }
        let mut tasks = Vec::new();
        for batch in arns.chunks(DESCRIBE_TASKS_BATCH) {
            let out = ecs
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(batch.to_vec()))
                .send()
                .await
                .map_err(self.fail(Action("ecs:DescribeTasks")))?;
            tasks.extend(out.tasks().iter().map(task));
        }
        Ok(tasks)
    }

    /// A revision never changes once registered: each is fetched once a session.
    pub(super) async fn describe_task_definition(
        &self,
        reference: &TaskDefRef,
    ) -> Result<TaskDefinition> {
        if let Some(cached) = self.task_definition_cache().get(reference) {
            return Ok(cached.clone());
        }
        let out = self
            .clients
            .ecs()
            .describe_task_definition()
            .task_definition(reference.to_string())
            .send()
            .await
            .map_err(self.fail(Action("ecs:DescribeTaskDefinition")))?;
        let td = out
            .task_definition()
            .and_then(task_definition)
            .ok_or_else(|| ProviderError::NotFound(format!("task definition {reference}")))?;
        self.task_definition_cache()
            .insert(reference.clone(), td.clone());
        Ok(td)
    }

    pub(super) async fn list_revisions(&self, family: &str) -> Result<Vec<TaskDefRef>> {
        let arns: Vec<String> = self
            .clients
            .ecs()
            .list_task_definitions()
            .family_prefix(family)
            .sort(SortOrder::Desc)
            .max_results(LIST_PAGE)
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(self.fail(Action("ecs:ListTaskDefinitions")))?;
        let mut refs: Vec<TaskDefRef> = arns
            .iter()
            .filter_map(|a| task_def_ref(a))
            .filter(|r| r.family == family)
            .collect();
        refs.sort_by_key(|r| std::cmp::Reverse(r.revision));
        Ok(refs)
    }

    /// Copies `base` into a new revision with some images replaced: every
    /// registrable field is carried over, the read-only ones (ARN, revision,
    /// status, compatibilities, requiresAttributes, registeredAt/By) are not.
    pub(super) async fn register_copy(
        &self,
        base: &TaskDefRef,
        images: &[(String, String)],
    ) -> Result<Written<TaskDefinition>> {
        let out = self
            .clients
            .ecs()
            .describe_task_definition()
            .task_definition(base.to_string())
            .include(ecs::TaskDefinitionField::Tags)
            .send()
            .await
            .map_err(self.fail(Action("ecs:DescribeTaskDefinition")))?;
        let td = out
            .task_definition()
            .ok_or_else(|| ProviderError::NotFound(format!("task definition {base}")))?;
        let mut containers = td.container_definitions().to_vec();
        for (name, image) in images {
            let c = containers
                .iter_mut()
                .find(|c| c.name() == Some(name.as_str()))
                .ok_or_else(|| {
                    ProviderError::Invalid(format!(
                        "task definition {base} has no container `{name}`"
                    ))
                })?;
            c.image = Some(image.clone());
        }
        let registered = self
            .clients
            .ecs()
            .register_task_definition()
            .family(&base.family)
            .set_task_role_arn(td.task_role_arn().map(str::to_string))
            .set_execution_role_arn(td.execution_role_arn().map(str::to_string))
            .set_network_mode(td.network_mode().cloned())
            .set_container_definitions(Some(containers))
            .set_volumes(non_empty(td.volumes()))
            .set_placement_constraints(non_empty(td.placement_constraints()))
            .set_requires_compatibilities(non_empty(td.requires_compatibilities()))
            .set_cpu(td.cpu().map(str::to_string))
            .set_memory(td.memory().map(str::to_string))
            .set_tags(non_empty(out.tags()))
            .set_pid_mode(td.pid_mode().cloned())
            .set_ipc_mode(td.ipc_mode().cloned())
            .set_proxy_configuration(td.proxy_configuration().cloned())
            .set_ephemeral_storage(td.ephemeral_storage().cloned())
            .set_runtime_platform(td.runtime_platform().cloned())
            .set_enable_fault_injection(td.enable_fault_injection())
            .send()
            .await
            .map_err(self.fail(Action("ecs:RegisterTaskDefinition")))?;
        let td = registered
            .task_definition()
            .and_then(task_definition)
            .ok_or_else(|| {
                ProviderError::Other("ecs:RegisterTaskDefinition returned nothing".into())
            })?;
        self.task_definition_cache()
            .insert(td.reference.clone(), td.clone());
        Ok(Written::new(
            td,
            registered.request_id().map(str::to_string),
        ))
    }

    /// StopServiceDeployment with stopType ROLLBACK on the service's
    /// current service deployment.
    pub(super) async fn stop_with_rollback(
        &self,
        cluster: &str,
        service_name: &str,
    ) -> Result<Written<Service>> {
        let arn = self
            .describe_one(cluster, service_name)
            .await?
            .current_service_deployment()
            .ok_or_else(|| {
                ProviderError::Unsupported(format!(
                    "{cluster}/{service_name} has no service deployment to stop"
                ))
            })?
            .to_string();
        let stopped = self
            .clients
            .ecs()
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(ecs::StopServiceDeploymentStopType::Rollback)
            .send()
            .await
            .map_err(|e| match native_rollback_refusal(&e) {
                Some(why) => ProviderError::Unsupported(why),
                None => self.fail(Action("ecs:StopServiceDeployment"))(e),
            })?;
        let after = self.describe_one(cluster, service_name).await?;
        Ok(Written::new(
            service(cluster, &after),
            stopped.request_id().map(str::to_string),
        ))
    }

    /// DescribeServices of one service.
    async fn describe_one(&self, cluster: &str, service_name: &str) -> Result<ecs::Service> {
        self.clients
            .ecs()
            .describe_services()
            .cluster(cluster)
            .services(service_name)
            .send()
            .await
            .map_err(self.fail(Action("ecs:DescribeServices")))?
            .services()
            .first()
            .cloned()
            .ok_or_else(|| ProviderError::NotFound(format!("service {cluster}/{service_name}")))
    }

    pub(super) async fn update(
        &self,
        cluster: &str,
        service_name: &str,
        update: &ServiceUpdate,
    ) -> Result<Written<Service>> {
        // UpdateService replaces the whole deploymentConfiguration: a new
        // strategy goes with everything else the service has now.
        let configuration = match &update.strategy {
            Some(change) => {
                let current = self.describe_one(cluster, service_name).await?;
                Some(with_strategy(current.deployment_configuration(), change))
            }
            None => None,
        };
        let out = self
            .clients
            .ecs()
            .update_service()
            .cluster(cluster)
            .service(service_name)
            .set_desired_count(update.desired.map(|d| d as i32))
            .set_task_definition(update.task_definition.as_ref().map(|t| t.to_string()))
            .force_new_deployment(update.force_new_deployment)
            .set_deployment_configuration(configuration)
            .send()
            .await
            .map_err(self.fail(Action("ecs:UpdateService")))?;
        let updated = out
            .service()
            .map(|s| service(cluster, s))
            .ok_or_else(|| ProviderError::Other("ecs:UpdateService returned no service".into()))?;
        Ok(Written::new(updated, out.request_id().map(str::to_string)))
    }
}

impl AwsProvider {
    /// ContinueServiceDeployment (action CONTINUE) of a deployment paused
    /// at `hook`, then the service as it is after.
    pub(super) async fn continue_paused(
        &self,
        cluster: &str,
        service_name: &str,
        deployment: &str,
        hook: &str,
    ) -> Result<Written<Service>> {
        let out = self
            .clients
            .ecs()
            .continue_service_deployment()
            .service_deployment_arn(deployment)
            .hook_id(hook)
            .action(ecs::DeploymentLifecycleHookAction::Continue)
            .send()
            .await
            .map_err(self.fail(Action("ecs:ContinueServiceDeployment")))?;
        let after = self.describe_one(cluster, service_name).await?;
        Ok(Written::new(
            service(cluster, &after),
            out.request_id().map(str::to_string),
        ))
    }

    /// ExecuteCommand, then the container's runtime id (DescribeTasks), as
    /// `aws ecs execute-command` does: together, the plugin's session.
    pub(super) async fn open_exec(
        &self,
        cluster: &str,
        task_id: &str,
        container: &str,
        command: &str,
    ) -> Result<Written<ExecSession>> {
        let ecs = self.clients.ecs();
        let out = ecs
            .execute_command()
            .cluster(cluster)
            .task(task_id)
            .container(container)
            .command(command)
            .interactive(true)
            .send()
            .await
            .map_err(self.fail(Action("ecs:ExecuteCommand")))?;
        let session = out.session().ok_or_else(|| {
            ProviderError::Invalid("ExecuteCommand answered without a session".into())
        })?;
        let described = ecs
            .describe_tasks()
            .cluster(cluster)
            .tasks(task_id)
            .send()
            .await
            .map_err(self.fail(Action("ecs:DescribeTasks")))?;
        let runtime_id = described
            .tasks()
            .first()
            .and_then(|t| t.containers().iter().find(|c| c.name() == Some(container)))
            .and_then(|c| c.runtime_id())
            .ok_or_else(|| {
                ProviderError::Invalid(format!(
                    "container {container} of task {task_id} has no runtime id yet"
                ))
            })?;
        let target = ExecSession::target(
            arn_name(out.cluster_arn().unwrap_or(cluster)),
            arn_name(out.task_arn().unwrap_or(task_id)),
            runtime_id,
        );
        let region = self.info.region.clone();
        let endpoint = self
            .endpoint_url
            .clone()
            .unwrap_or_else(|| format!("https://ecs.{region}.amazonaws.com"));
        let opened = ExecSession {
            session_id: session.session_id().unwrap_or_default().to_string(),
            stream_url: session.stream_url().unwrap_or_default().to_string(),
            token_value: session.token_value().unwrap_or_default().to_string(),
            target: target.clone(),
            request: ExecSession::exec_request(&target),
            region,
            endpoint,
            profile: self.settings.profile.clone().unwrap_or_default(),
        };
        Ok(Written::new(opened, out.request_id().map(str::to_string)))
    }

    /// One task by its id (DescribeTasks).
    pub(super) async fn describe_one_task(&self, cluster: &str, id: &str) -> Result<Task> {
        let out = self
            .clients
            .ecs()
            .describe_tasks()
            .cluster(cluster)
            .tasks(id)
            .send()
            .await
            .map_err(self.fail(Action("ecs:DescribeTasks")))?;
        out.tasks()
            .first()
            .map(task)
            .ok_or_else(|| ProviderError::NotFound(format!("task {id} in cluster {cluster}")))
    }

    /// Starts a one-off task (RunTask); a task ECS could not place is
    /// refused with ECS's reasons.
    pub(super) async fn run_one_off(&self, run: &OneOffTask) -> Result<Written<Task>> {
        let invalid = |e: aws_sdk_ecs::error::BuildError| ProviderError::Invalid(e.to_string());
        let p = &run.placement;
        let mut call = self
            .clients
            .ecs()
            .run_task()
            .cluster(&run.cluster)
            .task_definition(run.task_definition.to_string())
            .started_by(STARTED_BY)
            .count(1);
        if p.capacity_providers.is_empty() {
            call = call.launch_type(match run.launch_type {
                LaunchType::Fargate => ecs::LaunchType::Fargate,
                LaunchType::Ec2 => ecs::LaunchType::Ec2,
            });
        } else {
            for c in &p.capacity_providers {
                call = call.capacity_provider_strategy(
                    ecs::CapacityProviderStrategyItem::builder()
                        .capacity_provider(&c.name)
                        .weight(i32::try_from(c.weight).unwrap_or(i32::MAX))
                        .base(i32::try_from(c.base).unwrap_or(i32::MAX))
                        .build()
                        .map_err(invalid)?,
                );
            }
        }
        if let Some(v) = &p.platform_version {
            call = call.platform_version(v);
        }
        if p.has_network() {
            let vpc = ecs::AwsVpcConfiguration::builder()
                .set_subnets(Some(p.subnets.clone()))
                .set_security_groups(non_empty(&p.security_groups))
                .assign_public_ip(if p.assign_public_ip == Some(true) {
                    ecs::AssignPublicIp::Enabled
                } else {
                    ecs::AssignPublicIp::Disabled
                })
                .build()
                .map_err(invalid)?;
            call = call.network_configuration(
                ecs::NetworkConfiguration::builder()
                    .awsvpc_configuration(vpc)
                    .build(),
            );
        }
        let mut overrides = ecs::TaskOverride::builder().container_overrides(
            ecs::ContainerOverride::builder()
                .name(&run.container)
                .set_command(Some(run.command.clone()))
                .build(),
        );
        if let Some(cpu) = run.cpu {
            overrides = overrides.cpu(cpu.to_string());
        }
        if let Some(memory) = run.memory {
            overrides = overrides.memory(memory.to_string());
        }
        let out = call
            .overrides(overrides.build())
            .send()
            .await
            .map_err(self.fail(Action("ecs:RunTask")))?;
        let request_id = out.request_id().map(str::to_string);
        match out.tasks().first() {
            Some(t) => Ok(Written::new(task(t), request_id)),
            None => {
                let reasons: Vec<String> = out
                    .failures()
                    .iter()
                    .map(|f| {
                        format!(
                            "{}{}",
                            f.reason().unwrap_or("no reason"),
                            f.detail().map(|d| format!(" ({d})")).unwrap_or_default()
                        )
                    })
                    .collect();
                Err(ProviderError::Invalid(format!(
                    "ECS started no task: {}",
                    if reasons.is_empty() {
                        "it gave no reason".to_string()
                    } else {
                        reasons.join("; ")
                    }
                )))
            }
        }
    }

    pub(super) async fn stop_one_task(
        &self,
        cluster: &str,
        task_id: &str,
        reason: &str,
    ) -> Result<Written<Task>> {
        let out = self
            .clients
            .ecs()
            .stop_task()
            .cluster(cluster)
            .task(task_id)
            .reason(reason)
            .send()
            .await
            .map_err(self.fail(Action("ecs:StopTask")))?;
        let stopped = out
            .task()
            .map(task)
            .ok_or_else(|| ProviderError::NotFound(format!("task {task_id}")))?;
        Ok(Written::new(stopped, out.request_id().map(str::to_string)))
    }
}

/// `current` with `change`'s strategy and bake: the hooks, alarms, circuit
/// breaker and early success criteria stay, the rolling bounds stay unless
/// the new strategy is rolling with its own.
fn with_strategy(
    current: Option<&ecs::DeploymentConfiguration>,
    change: &StrategyUpdate,
) -> ecs::DeploymentConfiguration {
    let minutes = |m: u32| i32::try_from(m).unwrap_or(i32::MAX);
    let hooks = current.map(|c| c.lifecycle_hooks().to_vec());
    let b = ecs::DeploymentConfiguration::builder()
        .set_deployment_circuit_breaker(
            current.and_then(|c| c.deployment_circuit_breaker().cloned()),
        )
        .set_alarms(current.and_then(|c| c.alarms().cloned()))
        .set_lifecycle_hooks(hooks.filter(|h| !h.is_empty()))
        .set_early_success_criteria(current.and_then(|c| c.early_success_criteria().cloned()))
        .set_minimum_healthy_percent(current.and_then(|c| c.minimum_healthy_percent()))
        .set_maximum_percent(current.and_then(|c| c.maximum_percent()))
        .set_bake_time_in_minutes(change.bake_minutes.map(minutes));
    match &change.strategy {
        Strategy::Rolling {
            minimum_healthy_percent,
            maximum_percent,
        } => b
            .strategy(ecs::DeploymentStrategy::Rolling)
            .minimum_healthy_percent(minutes(*minimum_healthy_percent))
            .maximum_percent(minutes(*maximum_percent)),
        Strategy::BlueGreen => b.strategy(ecs::DeploymentStrategy::BlueGreen),
        Strategy::Canary {
            percent,
            bake_minutes,
        } => b
            .strategy(ecs::DeploymentStrategy::Canary)
            .canary_configuration(
                ecs::CanaryConfiguration::builder()
                    .canary_percent(*percent)
                    .canary_bake_time_in_minutes(minutes(*bake_minutes))
                    .build(),
            ),
        Strategy::Linear {
            step_percent,
            step_bake_minutes,
        } => b
            .strategy(ecs::DeploymentStrategy::Linear)
            .linear_configuration(
                ecs::LinearConfiguration::builder()
                    .step_percent(*step_percent)
                    .step_bake_time_in_minutes(minutes(*step_bake_minutes))
                    .build(),
            ),
    }
    .build()
}

/// `None` for an empty list: the SDK then leaves the field out.
fn non_empty<T: Clone>(v: &[T]) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

fn cluster(c: &ecs::Cluster) -> Cluster {
    let insights = c.settings().iter().any(|s| {
        s.name() == Some(&ecs::ClusterSettingName::ContainerInsights)
            && s.value().is_some_and(|v| v != "disabled")
    });
    Cluster {
        name: c.cluster_name().unwrap_or_default().to_string(),
        status: ClusterStatus::parse(c.status().unwrap_or_default()),
        launch_type: if c.registered_container_instances_count() > 0 {
            LaunchType::Ec2
        } else {
            LaunchType::Fargate
        },
        active_services: count(c.active_services_count()),
        running_tasks: count(c.running_tasks_count()),
        pending_tasks: count(c.pending_tasks_count()),
        container_insights: insights,
    }
}

fn launch_type(l: Option<&ecs::LaunchType>) -> LaunchType {
    match l {
        Some(ecs::LaunchType::Ec2) | Some(ecs::LaunchType::External) => LaunchType::Ec2,
        _ => LaunchType::Fargate,
    }
}

fn unknown_task_def() -> TaskDefRef {
    TaskDefRef::new("unknown", 0)
}

fn deployment(d: &ecs::Deployment) -> Deployment {
    let created_at = from_sdk_opt(d.created_at()).unwrap_or_default();
    Deployment {
        id: d.id().unwrap_or_default().to_string(),
        status: match d.status() {
            Some("PRIMARY") => DeploymentStatus::Primary,
            Some("ACTIVE") => DeploymentStatus::Active,
            _ => DeploymentStatus::Inactive,
        },
        task_definition: d
            .task_definition()
            .and_then(task_def_ref)
            .unwrap_or_else(unknown_task_def),
        desired: count(d.desired_count()),
        running: count(d.running_count()),
        pending: count(d.pending_count()),
        failed_tasks: count(d.failed_tasks()),
        rollout_state: match d.rollout_state() {
            Some(ecs::DeploymentRolloutState::Failed) => RolloutState::Failed,
            Some(ecs::DeploymentRolloutState::InProgress) => RolloutState::InProgress,
            Some(ecs::DeploymentRolloutState::Completed) => RolloutState::Completed,
            // No rollout state (moto, old services): PRIMARY with every task
            // running is as complete as ECS would report it.
            _ if d.running_count() >= d.desired_count() => RolloutState::Completed,
            _ => RolloutState::InProgress,
        },
        rollout_reason: d.rollout_state_reason().unwrap_or_default().to_string(),
        created_at,
        updated_at: from_sdk_opt(d.updated_at()).unwrap_or(created_at),
    }
}

pub(super) fn service(cluster: &str, s: &ecs::Service) -> Service {
    Service {
        cluster: cluster.to_string(),
        name: s.service_name().unwrap_or_default().to_string(),
        arn: s.service_arn().unwrap_or_default().to_string(),
        status: ServiceStatus::parse(s.status().unwrap_or_default()),
        desired: count(s.desired_count()),
        running: count(s.running_count()),
        pending: count(s.pending_count()),
        task_definition: s
            .task_definition()
            .and_then(task_def_ref)
            .unwrap_or_else(unknown_task_def),
        launch_type: launch_type(s.launch_type()),
        deployments: s.deployments().iter().map(deployment).collect(),
        target_groups: s
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.target_group_arn().map(str::to_string))
            .collect(),
        alternate_target_groups: s
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.advanced_configuration()?.alternate_target_group_arn())
            .map(str::to_string)
            .collect(),
        events: s
            .events()
            .iter()
            .map(|e| {
                ServiceEvent::read(
                    e.id().unwrap_or_default().to_string(),
                    from_sdk_opt(e.created_at()).unwrap_or_default(),
                    e.message().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        created_at: from_sdk_opt(s.created_at()).unwrap_or_default(),
        deployment_config: deployment_config(s),
        exec_enabled: s.enable_execute_command(),
        placement: placement(s),
    }
}

/// How the service starts its tasks: its awsvpc network, capacity
/// providers and platform version.
fn placement(s: &ecs::Service) -> Placement {
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    Placement {
        subnets: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
        security_groups: vpc
            .map(|v| v.security_groups().to_vec())
            .unwrap_or_default(),
        assign_public_ip: vpc.map(|v| v.assign_public_ip() == Some(&ecs::AssignPublicIp::Enabled)),
        capacity_providers: s
            .capacity_provider_strategy()
            .iter()
            .map(|c| CapacityProviderItem {
                name: c.capacity_provider().to_string(),
                weight: count(c.weight()),
                base: count(c.base()),
            })
            .collect(),
        platform_version: s.platform_version().map(str::to_string),
    }
}

/// The controller and the deployment configuration of a service; what
/// DescribeServices leaves out takes ECS's defaults.
fn deployment_config(s: &ecs::Service) -> DeploymentConfig {
    let controller = match s.deployment_controller().map(|c| c.r#type()) {
        Some(ecs::DeploymentControllerType::CodeDeploy) => Controller::CodeDeploy,
        Some(ecs::DeploymentControllerType::External) => Controller::External,
        _ => Controller::Ecs,
    };
    let defaults = DeploymentConfig::default();
    let Some(c) = s.deployment_configuration() else {
        return DeploymentConfig {
            controller,
            ..defaults
        };
    };
    let minutes = |m: Option<i32>| m.and_then(|m| u32::try_from(m).ok());
    let strategy = match c.strategy() {
        Some(ecs::DeploymentStrategy::BlueGreen) => Strategy::BlueGreen,
        Some(ecs::DeploymentStrategy::Canary) => Strategy::Canary {
            percent: c
                .canary_configuration()
                .and_then(|k| k.canary_percent())
                .unwrap_or(0.0),
            bake_minutes: minutes(
                c.canary_configuration()
                    .and_then(|k| k.canary_bake_time_in_minutes()),
            )
            .unwrap_or(0),
        },
        Some(ecs::DeploymentStrategy::Linear) => Strategy::Linear {
            step_percent: c
                .linear_configuration()
                .and_then(|l| l.step_percent())
                .unwrap_or(0.0),
            step_bake_minutes: minutes(
                c.linear_configuration()
                    .and_then(|l| l.step_bake_time_in_minutes()),
            )
            .unwrap_or(0),
        },
        _ => Strategy::Rolling {
            minimum_healthy_percent: minutes(c.minimum_healthy_percent()).unwrap_or(100),
            maximum_percent: minutes(c.maximum_percent()).unwrap_or(200),
        },
    };
    DeploymentConfig {
        controller,
        strategy,
        bake_minutes: minutes(c.bake_time_in_minutes()),
        hooks: c
            .lifecycle_hooks()
            .iter()
            .map(|h| LifecycleHook {
                kind: match h.target_type() {
                    Some(ecs::DeploymentLifecycleHookTargetType::Pause) => HookKind::Pause,
                    _ => HookKind::Lambda,
                },
                target: h.hook_target_arn().unwrap_or_default().to_string(),
                stages: h
                    .lifecycle_stages()
                    .iter()
                    .map(|stage| stage.as_str().to_string())
                    .collect(),
                timeout_minutes: minutes(
                    h.timeout_configuration()
                        .and_then(|t| t.timeout_in_minutes()),
                ),
            })
            .collect(),
        rollback_alarms: c
            .alarms()
            .filter(|a| a.enable() && a.rollback())
            .map(|a| a.alarm_names().to_vec())
            .unwrap_or_default(),
        circuit_breaker: c
            .deployment_circuit_breaker()
            .filter(|b| b.enable())
            .map(|b| b.rollback()),
        deployment_group: None,
    }
}

fn task(t: &ecs::Task) -> Task {
    Task {
        id: arn_name(t.task_arn().unwrap_or_default()).to_string(),
        arn: t.task_arn().unwrap_or_default().to_string(),
        task_definition: t
            .task_definition_arn()
            .and_then(task_def_ref)
            .unwrap_or_else(unknown_task_def),
        last_status: TaskStatus::parse(t.last_status().unwrap_or_default()),
        desired_status: TaskStatus::parse(t.desired_status().unwrap_or_default()),
        health: t
            .health_status()
            .map_or(HealthStatus::Unknown, |h| HealthStatus::parse(h.as_str())),
        availability_zone: t.availability_zone().unwrap_or_default().to_string(),
        started_at: from_sdk_opt(t.started_at()),
        stopped_at: from_sdk_opt(t.stopped_at()),
        stopped_reason: t.stopped_reason().map(str::to_string),
        containers: t
            .containers()
            .iter()
            .map(|c| ContainerState {
                name: c.name().unwrap_or_default().to_string(),
                last_status: TaskStatus::parse(c.last_status().unwrap_or_default()),
                exit_code: c.exit_code(),
                reason: c.reason().map(str::to_string),
                runtime_id: c.runtime_id().map(str::to_string),
                exec_agent: c
                    .managed_agents()
                    .iter()
                    .find(|a| a.name() == Some(&ecs::ManagedAgentName::ExecuteCommandAgent))
                    .and_then(|a| a.last_status())
                    .map(ManagedAgentStatus::parse),
            })
            .collect(),
        exec_enabled: t.enable_execute_command(),
    }
}

fn task_definition(td: &ecs::TaskDefinition) -> Option<TaskDefinition> {
    let reference = TaskDefRef::new(td.family()?, u32::try_from(td.revision()).ok()?);
    let parse = |v: Option<&str>| v.and_then(|s| s.parse().ok()).unwrap_or(0);
    Some(TaskDefinition {
        reference,
        cpu: parse(td.cpu()),
        memory: parse(td.memory()),
        containers: td.container_definitions().iter().map(container).collect(),
        registered_at: from_sdk_opt(td.registered_at()).unwrap_or_default(),
        status: td.status().map_or(TaskDefinitionStatus::Active, |s| {
            TaskDefinitionStatus::parse(s.as_str())
        }),
    })
}

/// Where a container logs: its CloudWatch Logs group and awslogs stream
/// prefix, or, elsewhere, where in words. FireLens whose output is the
/// CloudWatch Logs plugin (`cloudwatch_logs`, or the older `cloudwatch`)
/// logs to its `log_group_name`, every stream of it.
fn log_destination(
    c: &ecs::ContainerDefinition,
) -> (Option<String>, Option<String>, Option<String>) {
    let Some(config) = c.log_configuration() else {
        return (None, None, Some("nowhere: no logConfiguration".into()));
    };
    let option = |key: &str| config.options().and_then(|o| o.get(key).cloned());
    match config.log_driver() {
        ecs::LogDriver::Awslogs => (
            option("awslogs-group"),
            option("awslogs-stream-prefix"),
            None,
        ),
        ecs::LogDriver::Awsfirelens => {
            let output = option("Name").unwrap_or_default();
            match output.to_ascii_lowercase().as_str() {
                "cloudwatch_logs" | "cloudwatch" => (option("log_group_name"), None, None),
                "" => (
                    None,
                    None,
                    Some("FireLens (the log router's own outputs)".into()),
                ),
                _ => (None, None, Some(format!("FireLens to {output}"))),
            }
        }
        other => (None, None, Some(other.as_str().to_string())),
    }
}

fn container(c: &ecs::ContainerDefinition) -> ContainerDefinition {
    let (log_group, log_stream_prefix, logs_elsewhere) = log_destination(c);
    ContainerDefinition {
        name: c.name().unwrap_or_default().to_string(),
        image: c.image().unwrap_or_default().to_string(),
        cpu: count(c.cpu()),
        memory: c
            .memory()
            .or(c.memory_reservation())
            .map(count)
            .unwrap_or(0),
        essential: c.essential().unwrap_or(true),
        port: c
            .port_mappings()
            .first()
            .and_then(|p| p.container_port())
            .and_then(|p| u16::try_from(p).ok()),
        environment: c
            .environment()
            .iter()
            .map(|kv| EnvVar {
                name: kv.name().unwrap_or_default().to_string(),
                value: kv.value().unwrap_or_default().to_string(),
            })
            .collect(),
        secrets: c
            .secrets()
            .iter()
            .map(|s| SecretRef {
                name: s.name().to_string(),
                value_from: s.value_from().to_string(),
            })
            .collect(),
        log_group,
        log_stream_prefix,
        logs_elsewhere,
    }
}

/// ECS's recognisable "cannot roll back this one natively" answers to
/// StopServiceDeployment: the feature is not available, or the service
/// deployment is unknown to it. Anything else (throttling, a timeout, a 5xx)
/// may have been applied and is not a refusal.
fn native_rollback_refusal<E: ProvideErrorMetadata>(
    e: &SdkError<E, HttpResponse>,
) -> Option<String> {
    match e.code() {
        Some(code @ ("UnsupportedFeatureException" | "ServiceDeploymentNotFoundException")) => {
            Some(format!(
                "ecs:StopServiceDeployment: {code}: {}",
                e.message().unwrap_or_default()
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DescribeServices' deploymentConfiguration as the ECS API reference
    /// documents it for a canary with a bake, a smoke-test hook, alarm
    /// rollback and the circuit breaker (moto stores none of it).
    #[test]
    fn a_canary_configuration_is_read_whole() {
        let config = ecs::DeploymentConfiguration::builder()
            .strategy(ecs::DeploymentStrategy::Canary)
            .canary_configuration(
                ecs::CanaryConfiguration::builder()
                    .canary_percent(10.0)
                    .canary_bake_time_in_minutes(5)
                    .build(),
            )
            .bake_time_in_minutes(15)
            .lifecycle_hooks(
                ecs::DeploymentLifecycleHook::builder()
                    .hook_target_arn("arn:aws:lambda:us-east-1:1:function:smoke")
                    .lifecycle_stages(ecs::DeploymentLifecycleHookStage::PostTestTrafficShift)
                    .build(),
            )
            .alarms(
                ecs::DeploymentAlarms::builder()
                    .alarm_names("api-5xx")
                    .enable(true)
                    .rollback(true)
                    .build()
                    .unwrap(),
            )
            .deployment_circuit_breaker(
                ecs::DeploymentCircuitBreaker::builder()
                    .enable(true)
                    .rollback(true)
                    .build(),
            )
            .build();
        let svc = ecs::Service::builder()
            .service_name("api")
            .deployment_configuration(config)
            .build();
        let read = deployment_config(&svc);
        assert_eq!(read.controller, Controller::Ecs);
        assert_eq!(
            read.strategy,
            Strategy::Canary {
                percent: 10.0,
                bake_minutes: 5
            }
        );
        assert_eq!(read.bake_minutes, Some(15));
        assert_eq!(read.rollback_alarms, ["api-5xx"]);
        assert_eq!(read.circuit_breaker, Some(true));
        assert_eq!(read.hooks[0].stages, ["POST_TEST_TRAFFIC_SHIFT"]);
        // Nothing said: ECS's defaults; CodeDeploy: its controller.
        assert_eq!(
            deployment_config(&ecs::Service::builder().build()),
            DeploymentConfig::default()
        );
        let code_deploy = ecs::Service::builder()
            .deployment_controller(
                ecs::DeploymentController::builder()
                    .r#type(ecs::DeploymentControllerType::CodeDeploy)
                    .build()
                    .unwrap(),
            )
            .build();
        assert_eq!(
            deployment_config(&code_deploy).controller,
            Controller::CodeDeploy
        );
    }

    #[test]
    fn names_and_revisions_come_out_of_arns() {
        assert_eq!(
            arn_name("arn:aws:ecs:eu-west-1:1:service/radiox-prod/backend-api"),
            "backend-api"
        );
        assert_eq!(
            task_def_ref("arn:aws:ecs:eu-west-1:1:task-definition/radiox-api:42"),
            Some(TaskDefRef::new("radiox-api", 42))
        );
        assert_eq!(
            task_def_ref("radiox-api:7"),
            Some(TaskDefRef::new("radiox-api", 7))
        );
        assert_eq!(task_def_ref("radiox-api"), None);
    }
}
