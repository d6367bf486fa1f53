//! The shared audit trail (`[team] audit_log_group`): after a write, and
//! every half minute in the cockpit, the local audit file's records not yet
//! sent go to the team's CloudWatch Logs group, in the operator's stream.
//! The local file stays the source of truth: what cannot be sent (an
//! unreachable endpoint, a missing permission) waits there and is sent
//! next time, never twice. The simulation's writes are never sent.

use crate::options::Options;
use flightdeck_core::outbox::Outbox;

/// How often the cockpit sends what is pending.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The operator's stream name: `[team] operator`, else the OS user at the
/// host; characters a stream name cannot hold (`:` `*`) become `-`.
pub fn operator(options: &Options) -> String {
    let name = options.config.team.operator.clone().unwrap_or_else(|| {
        let user = std::env::var("USER").unwrap_or_else(|_| "operator".into());
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "host".into());
        format!("{user}@{host}")
    });
    name.replace([':', '*'], "-")
}

/// The outbox of this run's audit log: its file and what was sent of it.
pub fn outbox(options: &Options) -> Outbox {
    let audit = options.paths.audit_log.clone();
    let cursor = audit.with_extension("sent");
    Outbox::new(audit, cursor)
}

/// Sends what is pending, when the config shares the audit trail (never
/// for the simulation). `Ok(None)`: nothing to do.
#[cfg(feature = "aws")]
pub async fn catch_up(options: &Options) -> anyhow::Result<Option<flightdeck_aws::team::Shipped>> {
    let team = &options.config.team;
    let Some(group) = &team.audit_log_group else {
        return Ok(None);
    };
    if options.demo {
        return Ok(None);
    }
    let Some(env) = &team.audit_environment else {
        anyhow::bail!(
            "[team] audit_log_group needs audit_environment: the environment whose account holds the group"
        );
    };
    // The audit environment may be a discovered one (as last kept).
    let now = flightdeck_model::clock::Clock::now(&flightdeck_model::clock::SystemClock);
    let discovered = crate::discover::environments(options, now, false)
        .await
        .unwrap_or_default();
    let mut scoped = options.clone();
    scoped.env = Some(env.clone());
    let settings = crate::session::aws_settings(&scoped, &discovered)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("[team] audit_environment `{env}` is not an environment"))?;
    let trail = flightdeck_aws::team::Trail {
        log_group: group.clone(),
        stream: operator(options),
    };
    let shipped = flightdeck_aws::team::catch_up(&settings, &trail, &outbox(options)).await?;
    Ok(Some(shipped))
}

/// Sends what is pending and says on stderr what could not be, which is
/// never the command's failure: the records wait in the local file.
#[cfg(feature = "aws")]
pub async fn catch_up_or_warn(options: &Options) {
    if let Err(e) = catch_up(options).await {
        tracing::warn!("shared audit trail: {e:#}");
        crate::output::errln(format!(
            "the shared audit trail was not reached ({e:#}); the records wait in the local audit log and are sent next time"
        ));
    }
}
