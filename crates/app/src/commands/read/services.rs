//! `services`: every service with its counts, task definition and rollout
//! state.

use super::*;

#[derive(Debug, Serialize)]
pub(super) struct ServiceRow {
    environment: String,
    cluster: String,
    name: String,
    status: flightdeck_model::ServiceStatus,
    desired: u32,
    running: u32,
    pending: u32,
    task_definition: String,
    rollout_state: Option<String>,
    launch_type: String,
    deployments: usize,
    /// How it deploys: controller, strategy and its parameters.
    deployment_config: flightdeck_model::DeploymentConfig,
}

pub(super) async fn services(
    providers: &[Arc<Provider>],
    cluster: Option<&str>,
    json: bool,
) -> Result<(), Failure> {
    if let Some(name) = cluster {
        known_cluster(providers, name).await?;
    }
    let (rows, outcome) =
        Outcome::gather(providers, async |p| service_rows(p, cluster).await).await;
    if json {
        print_json(&rows)?;
    } else {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.environment.clone(),
                    r.cluster.clone(),
                    r.name.clone(),
                    r.status.to_string(),
                    format!("{}/{}/{}", r.desired, r.running, r.pending),
                    r.task_definition.clone(),
                    r.rollout_state.clone().unwrap_or_else(|| "-".into()),
                    strategy_label(&r.deployment_config),
                ]
            })
            .collect();
        table::print(
            &[
                "ENVIRONMENT",
                "CLUSTER",
                "SERVICE",
                "STATUS",
                "DES/RUN/PEND",
                "TASK DEFINITION",
                "ROLLOUT",
                "DEPLOYS",
            ],
            &cells,
        );
    }
    outcome.finish()
}

/// The table's short name of how a service deploys.
fn strategy_label(c: &flightdeck_model::DeploymentConfig) -> String {
    use flightdeck_model::{Controller, Strategy};
    match (&c.controller, &c.strategy) {
        (Controller::CodeDeploy, _) => "CODE_DEPLOY".into(),
        (Controller::External, _) => "EXTERNAL".into(),
        (Controller::Ecs, Strategy::Rolling { .. }) => "ROLLING".into(),
        (Controller::Ecs, Strategy::BlueGreen) => "BLUE_GREEN".into(),
        (Controller::Ecs, Strategy::Canary { percent, .. }) => {
            format!("CANARY {}%", flightdeck_model::trim_float(*percent))
        }
        (Controller::Ecs, Strategy::Linear { step_percent, .. }) => {
            format!("LINEAR {}%", flightdeck_model::trim_float(*step_percent))
        }
    }
}

/// A cluster named on the command line must exist in some environment:
/// otherwise it is a typo (exit 2), named with the clusters there are.
/// When an environment cannot be read, its read reports that instead.
pub(super) async fn known_cluster(providers: &[Arc<Provider>], name: &str) -> Result<(), Failure> {
    let mut known = vec![];
    for p in providers {
        match p.clusters().await {
            Ok(clusters) if clusters.iter().any(|c| c.name == name) => return Ok(()),
            Ok(clusters) => known.extend(clusters.into_iter().map(|c| c.name)),
            Err(_) => return Ok(()),
        }
    }
    let envs: Vec<&str> = providers
        .iter()
        .map(|p| p.environment().name.as_str())
        .collect();
    Err(Failure::usage(anyhow!(
        "no cluster `{}` in {}; there are: {}",
        sanitize(name),
        envs.join(", "),
        sanitize(&known.join(", "))
    )))
}

pub(super) async fn service_rows(
    p: &Provider,
    only: Option<&str>,
) -> Result<Vec<ServiceRow>, ProviderError> {
    let env = &p.environment().name;
    let clusters: Vec<String> = p
        .clusters()
        .await?
        .into_iter()
        .map(|c| c.name)
        .filter(|c| only.is_none_or(|o| o == c))
        .collect();
    let mut rows = Vec::new();
    for c in clusters {
        for s in p.services(&c).await? {
            rows.push(ServiceRow {
                environment: env.clone(),
                cluster: s.cluster.clone(),
                status: s.status.clone(),
                desired: s.desired,
                running: s.running,
                pending: s.pending,
                task_definition: s.task_definition.to_string(),
                rollout_state: s.rollout_state().map(|r| r.to_string()),
                launch_type: s.launch_type.to_string(),
                deployments: s.deployments.len(),
                deployment_config: s.deployment_config,
                name: s.name,
            });
        }
    }
    Ok(rows)
}
