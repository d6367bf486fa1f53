//! The normalised diff between two task definition revisions, as plans
//! show it before a deploy and the change timeline after one. Values of
//! secret-looking variables never appear in it: they are redacted here,
//! where the diff is built, so a plan's text, its JSON, the audit record and
//! a recording all hold the same redacted text. A redacted change still
//! says that it changed (`****** (redacted) -> ****** (changed)`).

use flightdeck_model::TaskDefinition;
use flightdeck_model::secrets::display_env_change;
use serde::Serialize;

/// One line of the normalised diff.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

impl Change {
    pub(crate) fn new(
        field: impl Into<String>,
        before: impl ToString,
        after: impl ToString,
    ) -> Self {
        Change {
            field: field.into(),
            before: before.to_string(),
            after: after.to_string(),
        }
    }
}

/// The tag of an image reference, if it names one.
pub(crate) fn tag(image: &str) -> Option<&str> {
    let name = image.rsplit('/').next().unwrap_or(image);
    name.split_once(':').map(|(_, t)| t)
}

/// An image change; within one repository only the tags are shown, so the
/// diff stays readable on 80 columns.
pub(crate) fn image_change(container: &str, before: &str, after: &str) -> Change {
    let repo = |i: &str| match tag(i) {
        Some(t) => i[..i.len() - t.len() - 1].to_string(),
        None => i.to_string(),
    };
    match (tag(before), tag(after)) {
        (Some(b), Some(a)) if repo(before) == repo(after) => Change::new(
            format!(
                "image {container} ({})",
                repo(after).rsplit('/').next().unwrap_or_default()
            ),
            b,
            a,
        ),
        _ => Change::new(format!("image {container}"), before, after),
    }
}

/// The diff between two revisions: images, sizes, environment (secret
/// values redacted, see [`display_env_change`]) and secret references.
pub fn revision_diff(from: &TaskDefinition, to: &TaskDefinition) -> Vec<Change> {
    let mut out = vec![Change::new(
        "task definition",
        &from.reference,
        &to.reference,
    )];
    if from.cpu != to.cpu {
        out.push(Change::new("task cpu", from.cpu, to.cpu));
    }
    if from.memory != to.memory {
        out.push(Change::new("task memory", from.memory, to.memory));
    }
    for c in &to.containers {
        let Some(old) = from.containers.iter().find(|o| o.name == c.name) else {
            out.push(Change::new(format!("container {}", c.name), "-", &c.image));
            continue;
        };
        if old.image != c.image {
            out.push(image_change(&c.name, &old.image, &c.image));
        }
        for e in &c.environment {
            if old
                .environment
                .iter()
                .any(|o| o.name == e.name && o.value == e.value)
            {
                continue;
            }
            let before = old
                .environment
                .iter()
                .find(|o| o.name == e.name)
                .map(|o| o.value.as_str());
            let (before, after) = display_env_change(&e.name, before, Some(&e.value));
            out.push(Change::new(
                format!("env {}.{}", c.name, e.name),
                before,
                after,
            ));
        }
        for e in &old.environment {
            if !c.environment.iter().any(|n| n.name == e.name) {
                let (before, after) = display_env_change(&e.name, Some(&e.value), None);
                out.push(Change::new(
                    format!("env {}.{}", c.name, e.name),
                    before,
                    after,
                ));
            }
        }
        for s in &c.secrets {
            if !old
                .secrets
                .iter()
                .any(|o| o.name == s.name && o.value_from == s.value_from)
            {
                out.push(Change::new(
                    format!("secret {}.{}", c.name, s.name),
                    "(changed or new reference)",
                    &s.value_from,
                ));
            }
        }
    }
    for old in &from.containers {
        if !to.containers.iter().any(|c| c.name == old.name) {
            out.push(Change::new(
                format!("container {}", old.name),
                &old.image,
                "-",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use flightdeck_model::{TaskDefRef, Timestamp};

    #[test]
    fn a_diff_from_a_newer_revision_to_an_older_says_it_reads_backwards() {
        let revisions = |from, to| Revisions {
            cluster: "main".into(),
            service: "api".into(),
            running: TaskDefRef::new("api", 42),
            from: TaskDefRef::new("api", from),
            to: TaskDefRef::new("api", to),
            changes: vec![],
        };
        let backwards = revisions(42, 40).lines();
        assert!(
            backwards[1].contains("backwards: from the newer :42"),
            "{backwards:?}"
        );
        assert!(!revisions(40, 42).lines().join("\n").contains("backwards"));
    }

    #[test]
    fn image_changes_show_tags_within_a_repository() {
        let c = image_change(
            "api",
            "1.dkr.ecr/radiox/api:v2.14.3",
            "1.dkr.ecr/radiox/api:v2.15.0",
        );
        assert_eq!(c.field, "image api (api)");
        assert_eq!(
            (c.before.as_str(), c.after.as_str()),
            ("v2.14.3", "v2.15.0")
        );
        let moved = image_change("api", "a/api:1", "b/api:1");
        assert_eq!(moved.after, "b/api:1");
        assert_eq!(tag("registry:5000/api"), None);
        assert_eq!(tag("registry:5000/api:v1"), Some("v1"));
    }

    #[test]
    fn a_changed_secret_value_is_in_the_diff_but_never_its_value() {
        use flightdeck_model::{ContainerDefinition, EnvVar, TaskDefinitionStatus};
        let td = |revision: u32, password: &str| TaskDefinition {
            reference: TaskDefRef::new("api", revision),
            cpu: 256,
            memory: 512,
            containers: vec![ContainerDefinition {
                name: "api".into(),
                image: "acme/api:v1".into(),
                cpu: 0,
                memory: 0,
                essential: true,
                port: None,
                environment: vec![
                    EnvVar {
                        name: "DB_PASSWORD".into(),
                        value: password.into(),
                    },
                    EnvVar {
                        name: "DATABASE_URL".into(),
                        value: format!("postgres://app:{password}@db/app"),
                    },
                ],
                secrets: vec![],
                log_group: None,
                log_stream_prefix: None,
                logs_elsewhere: None,
            }],
            registered_at: Timestamp::default(),
            status: TaskDefinitionStatus::Active,
        };
        let diff = revision_diff(&td(1, "hunter2"), &td(2, "correct-horse"));
        let text = format!("{diff:?}");
        assert!(text.contains("env api.DB_PASSWORD"), "{text}");
        assert!(text.contains("env api.DATABASE_URL"), "{text}");
        assert!(
            !text.contains("hunter2") && !text.contains("correct-horse"),
            "{text}"
        );
        let password = diff.iter().find(|c| c.field == "env api.DB_PASSWORD");
        assert_eq!(
            password.map(|c| (c.before.as_str(), c.after.as_str())),
            Some(("****** (redacted)", "****** (changed)"))
        );
    }

    /// Issue 22's shapes, changed, added and removed: every line says what
    /// happened to the variable and none holds a value.
    #[test]
    fn leaked_shapes_show_that_they_changed_and_nothing_else() {
        use crate::fixtures::{leaked, leaked_changed, task_definition};
        let leaked = leaked();
        let before: Vec<(&str, &str)> = leaked
            .iter()
            .map(|(n, v, _)| (n.as_str(), v.as_str()))
            .collect();
        let changed = leaked_changed();
        let after: Vec<(&str, &str)> = changed
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let diff = revision_diff(
            &task_definition(6, "acme/api:v1", &before),
            &task_definition(7, "acme/api:v1", &after),
        );
        let text = serde_json::to_string(&diff).unwrap();
        for (name, _, secret) in &leaked {
            assert!(!text.contains(secret.as_str()), "{secret} in {text}");
            let line = diff.iter().find(|c| c.field == format!("env api.{name}"));
            assert_eq!(
                line.map(|c| (c.before.as_str(), c.after.as_str())),
                Some(("****** (redacted)", "****** (changed)")),
                "{name}"
            );
        }
        // Added and removed: a dash on the side where it is absent.
        let added = revision_diff(
            &task_definition(6, "acme/api:v1", &[]),
            &task_definition(7, "acme/api:v1", &before),
        );
        let removed = revision_diff(
            &task_definition(7, "acme/api:v1", &before),
            &task_definition(8, "acme/api:v1", &[]),
        );
        for (diff, sides) in [
            (&added, ("-", "****** (redacted)")),
            (&removed, ("****** (redacted)", "-")),
        ] {
            let text = serde_json::to_string(diff).unwrap();
            for (name, _, secret) in &leaked {
                assert!(!text.contains(secret.as_str()), "{secret} in {text}");
                let line = diff.iter().find(|c| c.field == format!("env api.{name}"));
                assert_eq!(
                    line.map(|c| (c.before.as_str(), c.after.as_str())),
                    Some(sides),
                    "{name}"
                );
            }
        }
    }
}

/// Two revisions of a service's family side by side (`flightdeck diff`,
/// a service's detail): which, and the normalised diff between them.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Revisions {
    pub cluster: String,
    pub service: String,
    /// The revision the service runs now.
    pub running: flightdeck_model::TaskDefRef,
    pub from: flightdeck_model::TaskDefRef,
    pub to: flightdeck_model::TaskDefRef,
    pub changes: Vec<Change>,
}

impl Revisions {
    /// As text: which revisions, then each change on a line.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{}/{}: {} -> {} (running {})",
            self.cluster, self.service, self.from, self.to, self.running
        )];
        if self.from.family == self.to.family && self.from.revision > self.to.revision {
            out.push(format!(
                "  backwards: from the newer :{} to the older :{} (what a rollback to :{} changes)",
                self.from.revision, self.to.revision, self.to.revision
            ));
        }
        // The first change names the two revisions again.
        let changes = &self.changes[1.min(self.changes.len())..];
        if changes.is_empty() {
            out.push("  no difference in images, sizes, environment or secrets".into());
        }
        let width = changes.iter().map(|c| c.field.len()).max().unwrap_or(0);
        for c in changes {
            out.push(format!("  {:width$}  {} -> {}", c.field, c.before, c.after));
        }
        out
    }
}
