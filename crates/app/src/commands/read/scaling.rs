//! `scaling`: auto scaling targets with their policies and the service's counts.

use super::*;

#[derive(Debug, Serialize)]
pub(super) struct ScalingRow {
    environment: String,
    cluster: String,
    service: String,
    min: u32,
    max: u32,
    /// `None` when the service itself could not be found.
    desired: Option<u32>,
    running: Option<u32>,
    dynamic_scaling_suspended: bool,
    policies: Vec<String>,
}

pub(super) async fn scaling(providers: &[Arc<Provider>], json: bool) -> Result<(), Failure> {
    let (rows, outcome) = Outcome::gather(providers, async |p| scaling_rows(p).await).await;
    if json {
        print_json(&rows)?;
    } else {
        let count = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.environment.clone(),
                    r.cluster.clone(),
                    r.service.clone(),
                    format!("{}..{}", r.min, r.max),
                    count(r.desired),
                    count(r.running),
                    if r.dynamic_scaling_suspended {
                        "SUSPENDED".into()
                    } else {
                        r.policies.join(", ")
                    },
                ]
            })
            .collect();
        table::print(
            &[
                "ENVIRONMENT",
                "CLUSTER",
                "SERVICE",
                "MIN..MAX",
                "DESIRED",
                "RUNNING",
                "POLICIES",
            ],
            &cells,
        );
    }
    outcome.finish()
}

pub(super) async fn scaling_rows(p: &Provider) -> Result<Vec<ScalingRow>, ProviderError> {
    let env = &p.environment().name;
    let targets = p.scalable_targets().await?;
    let policies = p.scaling_policies().await?;
    let clusters: HashSet<&str> = targets.iter().map(|t| t.cluster.as_str()).collect();
    let mut services = Vec::new();
    for c in clusters {
        services.extend(p.services(c).await?);
    }
    let mut rows: Vec<ScalingRow> = targets
        .into_iter()
        .map(|t| {
            let svc = services
                .iter()
                .find(|s| s.cluster == t.cluster && s.name == t.service);
            ScalingRow {
                environment: env.clone(),
                desired: svc.map(|s| s.desired),
                running: svc.map(|s| s.running),
                min: t.min,
                max: t.max,
                dynamic_scaling_suspended: t.dynamic_scaling_suspended,
                policies: policies
                    .iter()
                    .filter(|p| p.resource_id == t.resource_id)
                    .map(|p| p.name.clone())
                    .collect(),
                cluster: t.cluster,
                service: t.service,
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.cluster, &a.service).cmp(&(&b.cluster, &b.service)));
    Ok(rows)
}
