//! `diff`: two revisions of a service's task definition side by side (by
//! default the previous one and the running one), normalised as a deploy's
//! plan shows them, secret values redacted.

use super::*;
use flightdeck_core::ops::compare::RevisionsError;

pub(super) async fn diff(
    p: &Provider,
    cluster: &str,
    service: &str,
    (from, to): (Option<u32>, Option<u32>),
    json: bool,
) -> Result<(), Failure> {
    let described = p
        .reads()
        .services(cluster)
        .await
        .map_err(Failure::failed)?
        .into_iter()
        .find(|s| s.name == service)
        .ok_or_else(|| Failure::usage(anyhow!("no service `{service}` in {cluster}")))?;
    let revisions = flightdeck_core::ops::compare::revisions(p.reads(), &described, from, to)
        .await
        .map_err(|e| match e {
            RevisionsError::Read(e) => Failure::failed(anyhow::Error::new(e)),
            e => Failure::usage(anyhow::Error::new(e)),
        })?;
    if json {
        print_json(&revisions)
    } else {
        table::emit(&flightdeck_model::text::sanitize_with(
            &format!("{}\n", revisions.lines().join("\n")),
            true,
        ));
        Ok(())
    }
}
