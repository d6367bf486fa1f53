//! `costs`: Cost Explorer's daily costs by service, one bill per account.

use super::*;

#[derive(Debug, Serialize)]
pub(super) struct CostOutput {
    currency: String,
    total: f64,
    days: Vec<DailyCost>,
    by_service: Vec<ServiceCost>,
    month_to_date: f64,
    forecast_month: Option<f64>,
    /// One report per account: environments sharing an account share a bill.
    accounts: Vec<AccountCosts>,
}

#[derive(Debug, Serialize)]
pub(super) struct AccountCosts {
    account: String,
    environments: Vec<String>,
    #[serde(flatten)]
    report: CostReport,
}

pub(super) async fn costs(
    providers: &[Arc<Provider>],
    days: u32,
    json: bool,
) -> Result<(), Failure> {
    let mut outcome = Outcome::new(providers.len());
    // Environments in one account share one bill: ask once per account.
    let mut by_account: BTreeMap<String, (Vec<String>, &Arc<Provider>)> = BTreeMap::new();
    for p in providers {
        let env = p.environment().name.clone();
        match p.caller_identity().await {
            Ok(id) => by_account
                .entry(id.account)
                .or_insert_with(|| (vec![], p))
                .0
                .push(env),
            Err(e) => outcome.report(&env, &e),
        }
    }
    let mut accounts = Vec::new();
    for (account, (environments, p)) in by_account {
        match p.costs(days).await {
            Ok(report) => accounts.push(AccountCosts {
                account,
                environments,
                report,
            }),
            Err(e) => outcome.report(&environments.join(", "), &e),
        }
    }
    let output = combine(accounts);
    if json {
        print_json(&output)?;
    } else {
        print_costs(&output);
    }
    outcome.finish()
}

pub(super) fn combine(accounts: Vec<AccountCosts>) -> CostOutput {
    let mut days: BTreeMap<String, f64> = BTreeMap::new();
    let mut services: BTreeMap<String, f64> = BTreeMap::new();
    for a in &accounts {
        for d in &a.report.days {
            *days.entry(d.date.clone()).or_default() += d.amount;
        }
        for s in &a.report.by_service {
            *services.entry(s.service.clone()).or_default() += s.amount;
        }
    }
    // `+ 0.0` turns the `-0.0` of an empty sum into `0.0`.
    let cents = |v: f64| (v * 100.0).round() / 100.0 + 0.0;
    let mut by_service: Vec<ServiceCost> = services
        .into_iter()
        .map(|(service, amount)| ServiceCost {
            service,
            amount: cents(amount),
        })
        .collect();
    by_service.sort_by(|a, b| {
        b.amount
            .total_cmp(&a.amount)
            .then(a.service.cmp(&b.service))
    });
    let days: Vec<DailyCost> = days
        .into_iter()
        .map(|(date, amount)| DailyCost {
            date,
            amount: cents(amount),
        })
        .collect();
    let forecasts: Option<Vec<f64>> = accounts.iter().map(|a| a.report.forecast_month).collect();
    CostOutput {
        currency: accounts
            .first()
            .map(|a| a.report.currency.clone())
            .unwrap_or_else(|| "USD".into()),
        total: cents(days.iter().map(|d| d.amount).sum()),
        days,
        by_service,
        month_to_date: cents(accounts.iter().map(|a| a.report.month_to_date).sum()),
        forecast_month: forecasts
            .filter(|f| !f.is_empty())
            .map(|f| cents(f.iter().sum())),
        accounts,
    }
}

pub(super) fn print_costs(c: &CostOutput) {
    let money = |v: f64| format!("{} {}", trim_float((v * 100.0).round() / 100.0), c.currency);
    table::emit(&format!(
        "Total over {} days: {}   month to date: {}   forecast this month: {}\n",
        c.days.len(),
        money(c.total),
        money(c.month_to_date),
        c.forecast_month.map(money).unwrap_or_else(|| "-".into())
    ));
    for a in &c.accounts {
        table::emit(&format!(
            "  account {} ({}): {}\n",
            a.account,
            a.environments.join(", "),
            money(a.report.total)
        ));
    }
    table::emit("\n");
    let services: Vec<Vec<String>> = c
        .by_service
        .iter()
        .map(|s| vec![s.service.clone(), money(s.amount)])
        .collect();
    table::print(&["SERVICE", "COST"], &services);
    table::emit("\n");
    let days: Vec<Vec<String>> = c
        .days
        .iter()
        .map(|d| vec![d.date.clone(), money(d.amount)])
        .collect();
    table::print(&["DAY", "COST"], &days);
}
