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
    let settings = super::settings(options).await?;
    let trail = flightdeck_aws::team::Trail {
        log_group: group.clone(),
        stream: super::operator(options),
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
