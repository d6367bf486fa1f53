//! Any two revisions of a service's task definition side by side:
//! `flightdeck diff` against moto (the previous and the running one by
//! default, `--from`/`--to` by number, secret values redacted, a revision
//! that does not exist refused with the ones that do) and `v` in the
//! cockpit's service detail, on the simulation.

use crate::common::cli::{Fixture, fixture, flightdeck};
use crate::common::{self, Harness};
use serde_json::Value;

#[test]
fn diff_puts_two_revisions_side_by_side_with_secrets_redacted() {
    let Some(Fixture {
        moto,
        env,
        rt,
        home,
        seeded,
    }) = fixture("diff_revisions", "muejam-staging")
    else {
        return;
    };
    let (service, _, _) = seeded.services[0].clone();
    let run = |args: &[&str]| flightdeck(home.path(), args, Some(&moto));
    // The running revision, and a newer one registered beside it: another
    // image and a password in its environment.
    let (family, running, newer) = rt.block_on(async {
        let ecs = aws_sdk_ecs::Client::new(&moto.sdk_config(&env.region).await);
        let described = ecs
            .describe_services()
            .cluster(env.cluster.as_str())
            .services(&service)
            .send()
            .await
            .unwrap();
        let arn = described.services()[0]
            .task_definition()
            .unwrap()
            .to_string();
        let td = ecs
            .describe_task_definition()
            .task_definition(&arn)
            .send()
            .await
            .unwrap()
            .task_definition()
            .unwrap()
            .clone();
        let mut container = td.container_definitions()[0].clone();
        container.image = Some("registry.example/app:v2-diff".into());
        container.environment = Some(vec![
            aws_sdk_ecs::types::KeyValuePair::builder()
                .name("DB_PASSWORD")
                .value("hunter2-very-secret")
                .build(),
        ]);
        // Fargate's sizes are the task's; moto asks for the container's.
        container.memory = Some(512);
        let registered = ecs
            .register_task_definition()
            .family(td.family().unwrap())
            .container_definitions(container)
            .send()
            .await
            .unwrap();
        (
            td.family().unwrap().to_string(),
            td.revision(),
            registered.task_definition().unwrap().revision(),
        )
    });
    let o = run(&[
        "diff",
        "--service",
        &service,
        "--from",
        &running.to_string(),
        "--to",
        &newer.to_string(),
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        !text.contains("hunter2"),
        "a secret's value is never shown: {text}"
    );
    let diff: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(diff["from"]["revision"], running);
    assert_eq!(diff["to"]["revision"], newer);
    assert_eq!(diff["running"]["revision"], running);
    let fields: Vec<&str> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert!(fields.iter().any(|f| f.starts_with("image ")), "{fields:?}");
    assert!(
        fields.iter().any(|f| f.contains("DB_PASSWORD")),
        "{fields:?}"
    );
    // By default: the running revision and the one before it.
    let o = run(&["diff", "--service", &service, "--json"]);
    let diff: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    if running > 1 {
        assert_eq!(diff["to"]["revision"], running, "{diff}");
        assert_eq!(diff["from"]["revision"], running - 1, "{diff}");
    } else {
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("no earlier revision"));
    }
    // A revision the family does not have is refused, naming those it has.
    let o = run(&["diff", "--service", &service, "--from", "999"]);
    assert_eq!(o.status.code(), Some(2));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(
        said.contains(&format!("{family} has no revision 999; it has")),
        "{said}"
    );
    // The text names both and lists the changes, one a line.
    let o = run(&[
        "diff",
        "--service",
        &service,
        "--from",
        &running.to_string(),
        "--to",
        &newer.to_string(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.starts_with(&format!(
            "{}/{service}: {family}:{running} -> {family}:{newer}",
            env.cluster
        )),
        "{text}"
    );
}

#[test]
fn v_in_a_services_detail_shows_its_running_revision_beside_the_one_before() {
    let mut h = Harness::new();
    h.keys("1");
    h.select_service("backend-api");
    h.key(crossterm::event::KeyCode::Enter);
    // A deploy makes a new revision, the running one once it is done.
    let before = h.app.detail_service().unwrap().task_definition.clone();
    h.keys("v");
    let Some(flightdeck::app::write::Dialog::Message(m)) = h.app.dialog.clone() else {
        panic!("{:?}", h.app.dialog);
    };
    let screen = h.screen(100, 30, &common::theme("monochrome"));
    if before.revision > 1 {
        assert!(m.title.starts_with("Revisions of backend-api"), "{m:?}");
        assert!(screen.contains("Revisions of backend-api"), "{screen}");
        assert!(
            m.lines[0].ends_with(&format!("-> {before} (running {before})")),
            "{m:?}"
        );
        assert!(
            m.lines.iter().any(|l| l.contains("image backend-api")),
            "{m:?}"
        );
    } else {
        assert_eq!(m.title, "Cannot compare revisions", "{m:?}");
    }
    h.key(crossterm::event::KeyCode::Esc);
    assert!(h.app.dialog.is_none());
}
