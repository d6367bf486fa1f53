//! A plan's lease (`[team] lease_table`): the plan shows another
//! operator's lease on its service; executing takes the lease first, and
//! is refused while someone else holds it, unless the operator takes it
//! over with a reason (`Plan::take_lease`).

use super::{Operation, Plan};
use crate::lease::{Lease, LeaseError, Team};
use flightdeck_model::Timestamp;

/// Whether `op` changes its service, and so takes a lease: an ECS Exec
/// session or a port forward changes nothing in AWS.
pub fn needs_lease(op: &Operation) -> bool {
    !matches!(op, Operation::Exec { .. } | Operation::PortForward { .. })
}

/// The service `plan` writes to, as the lease table names it.
pub fn service_key(plan: &Plan) -> String {
    let op = &plan.operation;
    Team::key(&plan.account, &plan.region, op.cluster(), op.service())
}

/// What the holder is doing, as others are shown it.
pub fn what(plan: &Plan) -> String {
    let op = &plan.operation;
    format!("{} {}/{}", op.verb(), op.cluster(), op.service())
}

/// Marks `plan` with another operator's live lease on its service; a table
/// that cannot be read is a note (executing will say so again).
pub async fn mark(team: &Team, plan: &mut Plan, now: Timestamp) {
    if !needs_lease(&plan.operation) {
        return;
    }
    match team.held_by_other(&service_key(plan), now).await {
        Ok(lease) => plan.lease = lease,
        Err(e) => plan.notes.push(format!(
            "the lease table could not be read ({e}); executing needs it, or a reason to write without it"
        )),
    }
}

/// Takes the lease for `plan` before its first call, as `identity`.
/// `Ok(None)`: no lease needed, or the table unreachable and the operator
/// gave a reason to write without it (`plan.take_lease`, audited). A lease
/// found free after all clears `plan.lease`: the audit then names no one
/// it was taken from.
pub async fn take(
    team: &Team,
    plan: &mut Plan,
    identity: &str,
    now: Timestamp,
) -> Result<Option<Lease>, LeaseError> {
    if !needs_lease(&plan.operation) {
        return Ok(None);
    }
    let reason = plan.take_lease.as_deref().filter(|r| !r.trim().is_empty());
    match team
        .take(&service_key(plan), identity, &what(plan), now, reason)
        .await
    {
        Ok(lease) => {
            if lease.taken_from.is_none() {
                plan.lease = None;
            }
            Ok(Some(lease))
        }
        Err(LeaseError::Unavailable(_)) if reason.is_some() => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lease::{LeaseStore, MemoryStore};
    use std::sync::Arc;

    fn scale_plan() -> Plan {
        let mut plan = crate::ops::confirm::tests::plan(
            Operation::Scale {
                cluster: "prod".into(),
                service: "api".into(),
                desired: Some(4),
                min: None,
                max: None,
                suspend: None,
            },
            true,
        );
        plan.account = "1111".into();
        plan.region = "eu-west-1".into();
        plan
    }

    #[tokio::test]
    async fn the_plan_shows_the_holder_and_only_a_reason_takes_the_lease_over() {
        let store: Arc<dyn LeaseStore> = Arc::new(MemoryStore::default());
        let (alice, bob) = (Team::new(store.clone(), "alice"), Team::new(store, "bob"));
        let now = chrono::Utc::now();
        let mut plan = scale_plan();
        let hers = take(&alice, &mut plan, "arn:alice", now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hers.service, "1111/eu-west-1/prod/api");
        assert_eq!(hers.what, "scale prod/api");

        mark(&bob, &mut plan, now).await;
        let shown = plan.lease.clone().unwrap();
        assert_eq!(shown.holder, "alice");
        assert!(
            plan.lines()
                .join("\n")
                .contains("LEASE: alice holds the lease (scale prod/api")
        );
        assert!(matches!(
            take(&bob, &mut plan, "arn:bob", now).await,
            Err(LeaseError::Held(_))
        ));

        plan.take_lease = Some("she is asleep, paged twice".into());
        let his = take(&bob, &mut plan, "arn:bob", now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(his.taken_from.as_deref(), Some("alice"));
        let record =
            crate::ops::execute::record(&plan, "arn:bob", crate::audit::Phase::Before, now);
        assert_eq!(record.lease_taken_from.as_deref(), Some("alice"));
        assert_eq!(
            record.lease_reason.as_deref(),
            Some("she is asleep, paged twice")
        );
    }

    #[tokio::test]
    async fn an_exec_takes_no_lease() {
        let team = Team::new(Arc::new(MemoryStore::default()), "alice");
        let mut plan = crate::ops::confirm::tests::plan(
            Operation::Exec {
                cluster: "prod".into(),
                service: "api".into(),
                task: None,
                container: None,
                command: "sh".into(),
            },
            true,
        );
        assert_eq!(
            take(&team, &mut plan, "arn", chrono::Utc::now()).await,
            Ok(None)
        );
    }
}
