//! The colleagues: other people and the CI pipeline change the environments
//! while the operator watches, the way they do in any real estate. Their
//! writes run through the same paths as the operator's and land in the
//! service's CloudTrail record ([`ServiceState::trail`]), so the change
//! timeline has "writes by someone else" to show.
//!
//! They draw from a generator of their own, so the rest of the world's
//! randomness does not shift each time one of them acts.

use super::*;

/// Chance per environment and minute that someone changes something
/// (about once in two and a half hours).
const CHANCE_PER_MINUTE: f64 = 1.0 / 150.0;

/// The CI pipeline's role session and address (documentation ranges).
pub(super) const PIPELINE: (&str, &str) = ("assumed-role/ci-deploy/GitHubActions", "198.51.100.20");

/// People with console or CLI access, and where they work from.
const PEOPLE: [(&str, &str); 2] = [
    (
        "assumed-role/AWSReservedSSO_PowerUser_9f03b7/maria.k",
        "203.0.113.57",
    ),
    (
        "assumed-role/AWSReservedSSO_AdministratorAccess_5c1e2a/tom.b",
        "203.0.113.88",
    ),
];

/// The image with the last number of its tag one higher (`v2.14.3` ->
/// `v2.14.4`), or `-next` appended: what CI builds next.
fn next_image(image: &str) -> String {
    let Some((repo, tag)) = image.rsplit_once(':') else {
        return image.to_string();
    };
    let Some(end) = tag.rfind(|c: char| c.is_ascii_digit()).map(|i| i + 1) else {
        return format!("{image}-next");
    };
    let start = tag[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    match tag[start..end].parse::<u32>() {
        Ok(n) => format!("{repo}:{}{}{}", &tag[..start], n + 1, &tag[end..]),
        Err(_) => format!("{image}-next"),
    }
}

/// Once a minute, perhaps: one colleague changes one service of `env`.
pub(super) fn maybe_colleague_acts(env: &mut EnvState, now: Timestamp, rng: &mut ChaCha8Rng) {
    if env.services.is_empty() || !rng.random_bool(CHANCE_PER_MINUTE) {
        return;
    }
    let index = rng.random_range(0..env.services.len());
    let svc = &mut env.services[index];
    match rng.random_range(0..10) {
        0..5 => ci_deploys(svc, now, rng, PIPELINE, None),
        _ => {
            // Where auto scaling owns the desired count, people leave it be
            // (and the seeds' scaling ranges stay as their documents say).
            let person = PEOPLE[rng.random_range(0..PEOPLE.len())];
            if svc.target.is_none() {
                person_sets_desired(svc, now, rng, person);
            }
        }
    }
}

/// CI registers a revision with every image one build newer (its tag
/// followed by `-suffix`, the demo's way of saying what is wrong with it)
/// and deploys it.
pub(super) fn ci_deploys(
    svc: &mut ServiceState,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
    by: (&str, &str),
    suffix: Option<&str>,
) {
    let base = svc.current_revision;
    let images: Vec<(String, String)> = svc
        .images(base)
        .into_iter()
        .map(|(c, i)| {
            let next = next_image(&i);
            (c, suffix.map_or(next.clone(), |s| format!("{next}-{s}")))
        })
        .collect();
    let revision = svc.register_revision(base, &images, now);
    let td = TaskDefRef::new(svc.spec.family.clone(), revision);
    let mut register = write_event(
        rng,
        now,
        "RegisterTaskDefinition",
        by,
        svc,
        images.iter().map(|(c, i)| format!("{c}={i}")).collect(),
    );
    // RegisterTaskDefinition names a family, not a service.
    register.cluster = None;
    register.service = None;
    register
        .parameters
        .insert(0, format!("family={}", td.family));
    svc.record_write(register);
    let update = write_event(
        rng,
        now,
        "UpdateService",
        by,
        svc,
        vec![format!("taskDefinition={td}")],
    );
    svc.record_write(update);
    start_deployment(svc, td, now, rng);
    // CI's release process approves its own deployments at a pause hook.
    if let Some(shift) = svc.shift.as_mut() {
        shift.pipeline_approves = true;
    }
}

/// Someone sets the desired count by hand, one up or down, on a service
/// auto scaling does not manage.
fn person_sets_desired(
    svc: &mut ServiceState,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
    by: (&str, &str),
) {
    let desired = if rng.random_bool(0.6) || svc.desired <= 1 {
        svc.desired + 1
    } else {
        svc.desired - 1
    };
    let event = write_event(
        rng,
        now,
        "UpdateService",
        by,
        svc,
        vec![format!("desiredCount={desired}")],
    );
    svc.record_write(event);
    svc.desired = desired;
}

#[cfg(test)]
mod tests {
    use super::next_image;

    #[test]
    fn ci_builds_the_next_tag() {
        assert_eq!(next_image("repo/api:v2.14.3"), "repo/api:v2.14.4");
        assert_eq!(next_image("repo/api:1.9-alpine"), "repo/api:1.10-alpine");
        assert_eq!(next_image("repo/api:latest"), "repo/api:latest-next");
        assert_eq!(next_image("repo/api"), "repo/api");
    }
}
