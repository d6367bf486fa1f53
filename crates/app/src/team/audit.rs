//! The shared audit trail (`[team] audit_log_group`): after a write, and
//! every half minute in the cockpit, the local audit file's records not yet
//! sent go to the team's CloudWatch Logs group, in the operator's stream.
//! The local file stays the source of truth: what cannot be sent (an
//! unreachable endpoint, a missing permission) waits there and is sent
//! next time, never twice. The simulation's writes are never sent.

use crate::options::Options;
use flightdeck_core::outbox::Outbox;
use flightdeck_core::timeline::{Records, TeamTrail};

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
        stream: options.operator(),
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

/// The team's trail read back for the change timeline, when the config
/// shares one (never for the simulation); `None` also when it cannot be
/// reached from here, said in the log.
#[cfg(feature = "aws")]
pub async fn trail(options: &Options) -> Option<std::sync::Arc<dyn TeamTrail>> {
    let group = options.config.team.audit_log_group.as_ref()?;
    if options.demo {
        return None;
    }
    match super::settings(options).await {
        Ok(settings) => Some(std::sync::Arc::new(
            flightdeck_aws::team::SharedTrail::new(&settings, group, &options.operator()).await,
        )),
        Err(e) => {
            tracing::warn!("the team's audit trail is not read: {e:#}");
            None
        }
    }
}

#[cfg(not(feature = "aws"))]
pub async fn trail(_options: &Options) -> Option<std::sync::Arc<dyn TeamTrail>> {
    None
}

/// Where a timeline reads the writes made with flightdeck: the local
/// audit log and the team's trail.
pub async fn records(options: &Options, local: flightdeck_core::ops::AuditLog) -> Records {
    Records {
        local: Some(local),
        team: trail(options).await,
    }
}
