//! Two revisions of a service's task definition family side by side
//! (`flightdeck diff`, `v` in a service's detail): which two (by default the
//! one before the running one, and it) and the normalised diff between
//! them, secret values redacted as in a plan.

use crate::diff::{Revisions, revision_diff};

/// Why two revisions cannot be put side by side.
#[derive(Debug, thiserror::Error)]
pub enum RevisionsError {
    #[error("{0}")]
    Read(#[from] crate::provider::ProviderError),
    #[error("{family} has no revision {revision}; it has {known}")]
    NoRevision {
        family: String,
        revision: u32,
        known: String,
    },
    #[error("{0} has no earlier revision to compare with: give --from")]
    NoEarlier(flightdeck_model::TaskDefRef),
}

/// The diff of `service` between revisions `from` and `to` of its family;
/// by default the previous revision and the running one.
pub async fn revisions(
    reads: &dyn crate::provider::EcsReads,
    service: &flightdeck_model::Service,
    from: Option<u32>,
    to: Option<u32>,
) -> Result<Revisions, RevisionsError> {
    let running = service.task_definition.clone();
    let family = running.family.clone();
    let mut known = reads.task_definition_revisions(&family).await?;
    known.sort_by_key(|r| r.revision);
    let pick = |revision: u32| {
        known
            .iter()
            .find(|r| r.revision == revision)
            .cloned()
            .ok_or_else(|| RevisionsError::NoRevision {
                family: family.clone(),
                revision,
                known: described(&known),
            })
    };
    let to = match to {
        Some(r) => pick(r)?,
        None => running.clone(),
    };
    let from = match from {
        Some(r) => pick(r)?,
        None => known
            .iter()
            .rev()
            .find(|r| r.revision < to.revision)
            .cloned()
            .ok_or_else(|| RevisionsError::NoEarlier(to.clone()))?,
    };
    let (before, after) = (
        reads.task_definition(&from).await?,
        reads.task_definition(&to).await?,
    );
    Ok(Revisions {
        cluster: service.cluster.clone(),
        service: service.name.clone(),
        running,
        changes: revision_diff(&before, &after),
        from,
        to,
    })
}

/// `3, 4, 7` (the last ten, when there are more).
fn described(known: &[flightdeck_model::TaskDefRef]) -> String {
    if known.is_empty() {
        return "none".into();
    }
    let skip = known.len().saturating_sub(10);
    let list: Vec<String> = known[skip..]
        .iter()
        .map(|r| r.revision.to_string())
        .collect();
    format!("{}{}", if skip > 0 { "… " } else { "" }, list.join(", "))
}
