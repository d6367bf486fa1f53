//! Running the binary as scripts do, against moto through a real AWS
//! profile: the helpers of the command tests.
#![expect(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use super::moto::{Moto, seed, spec};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

pub fn flightdeck(home: &Path, args: &[&str], moto: Option<&Moto>) -> Output {
    flightdeck_with(home, args, moto, &[])
}

/// [`flightdeck`] with more environment variables (a PATH, say).
pub fn flightdeck_with(
    home: &Path,
    args: &[&str],
    moto: Option<&Moto>,
    vars: &[(&str, &str)],
) -> Output {
    let mut cmd = flightdeck_command(home, moto);
    cmd.envs(vars.iter().copied());
    cmd.args(args);
    cmd.output().unwrap()
}

/// The binary with the test's home and moto's endpoint, to spawn.
pub fn flightdeck_command(home: &Path, moto: Option<&Moto>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("FLIGHTDECK_CONFIG");
    if let Some(m) = moto {
        cmd.env("AWS_ENDPOINT_URL", &m.endpoint);
    }
    cmd
}

pub fn json(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

/// An AWS config with one profile whose keys select the test's moto
/// account, and a flightdeck config naming it (`production = false` when
/// the seed environment of that name says so; production otherwise).
pub fn write_profile(home: &Path, moto: &Moto, env: &str, region: &str) {
    let production = super::moto::seed_production(env);
    std::fs::write(
        home.join("aws-config"),
        format!("[profile {env}]\nregion = {region}\n"),
    )
    .unwrap();
    std::fs::write(
        home.join("aws-credentials"),
        format!(
            "[{env}]\naws_access_key_id = {}\naws_secret_access_key = moto-secret\n",
            moto.access_key()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(home.join("config/flightdeck")).unwrap();
    std::fs::write(
        home.join("config/flightdeck/config.toml"),
        format!(
            "[[environment]]\nname = \"{env}\"\nprofile = \"{env}\"\nproduction = {production}\n"
        ),
    )
    .unwrap();
}

/// What most tests here start from: an isolated moto account seeded with a
/// seed environment, an AWS profile for it and a flightdeck config naming it.
pub struct Fixture {
    pub moto: Moto,
    pub env: flightdeck::sim::catalog::EnvSpec,
    pub rt: tokio::runtime::Runtime,
    pub seeded: super::moto::Seeded,
    pub home: tempfile::TempDir,
}

/// `None` when the suite runs without moto (the test then skips).
pub fn fixture(test: &str, env: &str) -> Option<Fixture> {
    let moto = Moto::new(test)?;
    let env = spec(env);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seeded = rt.block_on(seed(&moto, &env, chrono::Utc::now()));
    let home = tempfile::tempdir().unwrap();
    write_profile(home.path(), &moto, &env.name, &env.region);
    Some(Fixture {
        moto,
        env,
        rt,
        seeded,
        home,
    })
}

/// Starts `count` Fargate tasks for `service` in moto, as its scheduler
/// would (moto's services launch none), with ECS Exec enabled or not, and
/// returns their ids. moto places a task by its containers' memory, which
/// the seeded revisions leave to the task: the tasks run a revision of
/// `family` that sets it.
pub fn run_service_tasks(
    fx: &Fixture,
    service: &str,
    family: &str,
    count: i32,
    exec: bool,
) -> Vec<String> {
    fx.rt.block_on(async {
        let config = fx.moto.sdk_config(&fx.env.region).await;
        let ecs = aws_sdk_ecs::Client::new(&config);
        let registered = ecs
            .register_task_definition()
            .family(family)
            .container_definitions(
                aws_sdk_ecs::types::ContainerDefinition::builder()
                    .name(service)
                    .image("registry.example/app:1")
                    .cpu(256)
                    .memory(512)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let revision = registered.task_definition().unwrap().revision();
        let out = ecs
            .run_task()
            .cluster(&fx.env.cluster)
            .task_definition(format!("{family}:{revision}"))
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .started_by(format!("ecs-svc/{service}"))
            .group(format!("service:{service}"))
            .enable_execute_command(exec)
            .count(count)
            .send()
            .await
            .unwrap();
        out.tasks()
            .iter()
            .map(|t| {
                t.task_arn()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    })
}

/// A fake `session-manager-plugin` in `dir`: it writes the arguments it
/// was given to `dir/plugin-args`, one a line, says so, reads one line of
/// input (what the operator types in the session) into `dir/plugin-typed`,
/// and exits 0; with `FAKE_PLUGIN_STAY=1` it stays until killed (a port
/// forward), its pid in `dir/plugin-pid`. Returns a PATH that finds it first.
pub fn fake_plugin(dir: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("session-manager-plugin");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {dir}/plugin-args\necho \"fake plugin: session to $5\"\nif [ -n \"$FAKE_PLUGIN_STAY\" ]; then echo $$ > {dir}/plugin-pid; exec sleep 600; fi\nread line || true\nprintf '%s\\n' \"$line\" > {dir}/plugin-typed\nexit 0\n",
            dir = dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The seeded service `name`'s name and task definition family.
pub fn service_family(fx: &Fixture, name: &str) -> (String, String) {
    let (service, _, td) = fx
        .seeded
        .services
        .iter()
        .find(|s| s.0 == name)
        .unwrap_or_else(|| panic!("no seeded service {name}"));
    let family = td.split(':').next().unwrap_or_default();
    (service.clone(), family.to_string())
}

/// What a binary started by a test needs to reach the fixture's moto with
/// the profile of [`write_profile`], as an operator's shell would have it.
pub fn aws_env(fx: &Fixture) -> Vec<(&'static str, String)> {
    aws_env_at(fx.home.path(), &fx.moto)
}

/// The same for the AWS files of `home` (an operator beside the fixture's).
pub fn aws_env_at(home: &Path, moto: &Moto) -> Vec<(&'static str, String)> {
    vec![
        (
            "AWS_CONFIG_FILE",
            home.join("aws-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            home.join("aws-credentials").display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
    ]
}
