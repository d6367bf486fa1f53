//! `triage`: what needs a human now across every environment, ranked, each
//! line saying why. Exit 0 when nothing does, 1 when something does, so a
//! script can gate on it.

use super::*;
use flightdeck_core::provider::all_services;
use flightdeck_core::triage::{EnvView, Finding, Read, Rules, age, suspected_crash_loops, triage};
use flightdeck_model::{Alarm, CostReport, Service, ServiceRef, Task, Timestamp};

/// What was read of one environment.
struct Gathered {
    services: Result<Vec<Service>, ProviderError>,
    alarms: Result<Vec<Alarm>, ProviderError>,
    costs: Result<CostReport, ProviderError>,
    /// Tasks of the services that look like crash loops (their stop reasons).
    tasks: Vec<(ServiceRef, Vec<Task>)>,
}

/// Days of costs triage compares: yesterday against the week before.
const COST_DAYS: u32 = 10;

/// Environments read at once: each has its own request budget, and a
/// hundred accounts read one after the other would take most of a minute.
const ENVIRONMENTS_AT_ONCE: usize = 16;

/// Reads what triage needs of one environment.
async fn gather(p: &Provider, rules: Rules, now: Timestamp) -> Gathered {
    let services = all_services(p.reads()).await;
    let mut tasks = vec![];
    for svc in suspected_crash_loops(services.as_deref().unwrap_or_default(), rules, now) {
        // Without the reasons the finding still stands, as a warning.
        if let Ok(t) = p.tasks(&svc.reference()).await {
            tasks.push((svc.reference(), t));
        }
    }
    Gathered {
        services,
        alarms: p.alarms().await,
        costs: p.costs(COST_DAYS).await,
        tasks,
    }
}

pub(super) async fn triage_command(
    providers: &[Arc<Provider>],
    runbooks: &flightdeck_core::runbook::TeamMap,
    json: bool,
    clock: &dyn Clock,
) -> Result<(), Failure> {
    let rules = Rules::default();
    let started = clock.now();
    let gate = Arc::new(tokio::sync::Semaphore::new(ENVIRONMENTS_AT_ONCE));
    let reading: Vec<_> = providers
        .iter()
        .map(|p| {
            let (p, gate) = (p.clone(), gate.clone());
            tokio::spawn(async move {
                let _turn = gate.acquire_owned().await;
                gather(&p, rules, started).await
            })
        })
        .collect();
    let mut gathered = Vec::with_capacity(reading.len());
    for read in reading {
        gathered.push(
            read.await
                .map_err(|e| Failure::failed(anyhow::anyhow!("reading an environment: {e}")))?,
        );
    }
    let now = clock.now();
    let views: Vec<EnvView> = providers
        .iter()
        .zip(&gathered)
        .map(|(p, g)| EnvView {
            info: p.environment(),
            services: Read::of(g.services.as_ref().map(Vec::as_slice), now),
            alarms: Read::of(g.alarms.as_ref().map(Vec::as_slice), now),
            // Costs lag by hours and may be denied: they never hide the rest.
            costs: g.costs.as_ref().map_or(Read::none(), |c| Read::ok(c, now)),
            tasks: g.tasks.iter().map(|(r, t)| (r, t.as_slice())).collect(),
        })
        .collect();
    let mut findings = triage(&views, &rules, now);
    flightdeck_core::triage::fill_runbooks(&mut findings, runbooks);
    if json {
        print_json(&findings)?;
    } else if findings.is_empty() {
        table::emit(&format!(
            "nothing needs a human: checked {} environments (services, rollouts, tasks, alarms, costs) at {}\n",
            providers.len(),
            now.format("%H:%M:%SZ")
        ));
    } else {
        print_findings(&findings, now);
    }
    match findings.len() {
        0 => Ok(()),
        n => Err(Failure::failed(anyhow!(
            "{n} thing{} need{} a human",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" }
        ))),
    }
}

fn print_findings(findings: &[Finding], now: Timestamp) {
    let cells: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            vec![
                format!("{:?}", f.urgency).to_uppercase(),
                f.environment.clone(),
                f.service
                    .as_ref()
                    .map(|s| s.name.clone())
                    .unwrap_or_else(|| "-".into()),
                age(now - f.since),
                match &f.runbook {
                    Some(r) => format!("{} (runbook: {})", f.why, r.url),
                    None => f.why.clone(),
                },
            ]
        })
        .collect();
    table::print(&["", "ENVIRONMENT", "SERVICE", "SINCE", "WHY"], &cells);
}
