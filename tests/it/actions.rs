//! The team's runbook actions from the command line, on the simulation:
//! the expansion shown exactly, the confirmation tiers, read-only refused,
//! the audit before and after with the exit status, the output streamed
//! sanitised, a file of actions in `actions/` checked against the config's
//! and the cockpit's keys.
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use crate::common::cli::{flightdeck, json};
use serde_json::Value;
use std::path::Path;

/// A config with two actions: one that writes (and fails with status 3,
/// printing an escape sequence), one that only reads.
fn config(home: &Path) {
    let dir = home.join("config/flightdeck");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        r#"[[action]]
name = "flush-cache"
description = "Flush the service's cache"
key = "U"
scope = "service"
command = ["sh", "-c", 'echo flushed $0 in $1 with $CACHE_NAME; printf "evil \033]0;pwned\007 title\n" >&2; exit 3', "{service}", "{cluster}"]
env = { CACHE_NAME = "{service}-cache" }
writes = true

[[action]]
name = "whoami"
scope = "environment"
command = ["sh", "-c", 'echo $0 $AWS_REGION', "{env}"]
writes = false
"#,
    )
    .unwrap();
}

fn audit(home: &Path) -> Vec<Value> {
    std::fs::read_to_string(home.join("state/flightdeck/demo-audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn an_action_is_planned_confirmed_audited_and_its_output_sanitised() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    config(h);
    let listed = json(&flightdeck(h, &["action", "list", "--json"], None));
    assert_eq!(listed[0]["name"], "flush-cache");
    assert!(
        listed[0]["source"]
            .as_str()
            .unwrap()
            .ends_with("config.toml:2"),
        "{listed}"
    );
    let flush = |env: &str, extra: &[&str]| {
        let mut args = vec![
            "--demo",
            "--env",
            env,
            "action",
            "flush-cache",
            "--service",
            "backend",
        ];
        args.extend_from_slice(extra);
        flightdeck(h, &args, None)
    };

    // The plan: the command exactly, its environment; nothing run.
    let dry = flush("muejam-staging", &["--dry-run"]);
    assert_eq!(dry.status.code(), Some(0));
    let plan = String::from_utf8_lossy(&dry.stdout);
    assert!(
        plan.contains("run action flush-cache on service backend in muejam-staging")
            && plan.contains("command: sh -c")
            && plan.contains("CACHE_NAME=backend-cache")
            && plan.contains("AWS_REGION="),
        "{plan}"
    );
    assert!(!plan.contains("flushed backend"), "not run: {plan}");

    // Not confirmed, or read-only: refused, nothing run or audited.
    let unconfirmed = flush("muejam-staging", &[]);
    assert_eq!(unconfirmed.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&unconfirmed.stderr).contains("--confirm backend"),
        "{unconfirmed:?}"
    );
    let ro = flightdeck(
        h,
        &[
            "--demo",
            "--read-only",
            "--env",
            "muejam-staging",
            "action",
            "flush-cache",
            "--service",
            "backend",
            "--confirm",
            "backend",
        ],
        None,
    );
    assert_eq!(ro.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&ro.stderr).contains("read-only"),
        "{ro:?}"
    );
    assert!(audit(h).is_empty(), "nothing was attempted");

    // Confirmed: it runs, its output streamed sanitised, its exit status
    // the command's failure and the audit's.
    let ran = flush("muejam-production", &["--confirm", "backend"]);
    assert_eq!(ran.status.code(), Some(1));
    let out = String::from_utf8_lossy(&ran.stdout);
    let err = String::from_utf8_lossy(&ran.stderr);
    assert!(
        out.contains("flushed backend in muejam-production with backend-cache"),
        "{out}"
    );
    assert!(err.contains("evil") && err.contains("title"), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("exited with status 3"), "{err}");
    let records = audit(h);
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0]["phase"], "before");
    assert_eq!(records[0]["operation"], "action flush-cache");
    assert_eq!(records[1]["phase"], "after");
    assert_eq!(records[1]["result"], "error");
    assert_eq!(records[1]["error"], "exit status 3");
    let call = records[1]["calls"][0].as_str().unwrap();
    assert_eq!(
        shell_split(call)[3..],
        ["backend", "muejam-production"],
        "the command line audited reads back as the arguments run: {call}"
    );

    // An action that only reads: no confirmation, no audit record.
    let before = audit(h).len();
    let who = flightdeck(
        h,
        &[
            "--demo",
            "--env",
            "muejam-staging",
            "action",
            "whoami",
            "--json",
        ],
        None,
    );
    let report = json(&who);
    assert_eq!(report["exit_code"], 0);
    assert_eq!(
        report["stdout"][0],
        format!(
            "muejam-staging {}",
            report["plan"]["region"].as_str().unwrap()
        )
    );
    assert_eq!(audit(h).len(), before);
}

/// The audited line's words, as a shell would split it.
fn shell_split(line: &str) -> Vec<String> {
    shell_words::split(line).unwrap()
}

#[test]
fn a_teams_file_of_actions_with_a_clashing_key_is_refused_where_it_is_written() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    config(h);
    let dir = h.join("config/flightdeck/actions");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("oncall.toml"),
        "[[action]]\nname = \"drain\"\nkey = \"U\"\nscope = \"service\"\ncommand = [\"drain\", \"{service}\"]\n",
    )
    .unwrap();
    let out = flightdeck(h, &["action", "list"], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("oncall.toml:3:7")
            && err.contains("already the key of the action flush-cache"),
        "{err}"
    );
    std::fs::write(
        dir.join("oncall.toml"),
        "[[action]]\nname = \"drain\"\nscope = \"alarm\"\ncommand = [\"drain\", \"{service}\"]\n",
    )
    .unwrap();
    let err = String::from_utf8_lossy(&flightdeck(h, &["action", "list"], None).stderr).to_string();
    assert!(
        err.contains("oncall.toml:4:") && err.contains("{service}"),
        "{err}"
    );
    std::fs::remove_file(dir.join("oncall.toml")).unwrap();
    let listed =
        String::from_utf8_lossy(&flightdeck(h, &["action", "list"], None).stdout).to_string();
    assert!(
        listed.contains("flush-cache") && listed.contains("whoami"),
        "{listed}"
    );
}

/// Output that is not UTF-8, an endless line, death by a signal, a flag
/// the scope does not take: each said, nothing lost or hung.
#[test]
fn hostile_output_and_misaimed_flags_are_said_not_lost() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let dir = h.join("config/flightdeck");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        r#"[[action]]
name = "noisy"
scope = "environment"
command = ["sh", "-c", 'echo before; printf "ok\377bad\n"; echo after; head -c 200000 /dev/zero | tr "\0" a; echo; printf "x\377\n" >&2; echo errafter >&2; i=0; while [ $i -lt 500 ]; do echo line$i; i=$((i+1)); done']
writes = false

[[action]]
name = "killed"
scope = "environment"
command = ["sh", "-c", 'kill -9 $$']
writes = true
"#,
    )
    .unwrap();
    let demo = |args: &[&str]| {
        let mut all = vec!["--demo", "--env", "muejam-staging", "action"];
        all.extend_from_slice(args);
        flightdeck(h, &all, None)
    };
    let noisy = json(&demo(&["noisy", "--json"]));
    let out: Vec<&str> = noisy["stdout"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(out[0], "before");
    assert!(
        out[1].starts_with("ok") && out[1].ends_with("bad"),
        "{:?}",
        out[1]
    );
    assert_eq!(out[2], "after");
    assert!(
        out[3].len() < 70_000 && out[3].ends_with("left out)"),
        "a bounded line"
    );
    assert_eq!(out.last().copied(), Some("line499"), "read to the end");
    assert_eq!(noisy["stderr"][1], "errafter");
    assert_eq!(noisy["exit_code"], 0);

    let killed = demo(&["killed", "--confirm", "muejam-staging"]);
    assert_eq!(killed.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&killed.stderr).contains("killed by signal 9"),
        "{killed:?}"
    );
    let audit = std::fs::read_to_string(h.join("state/flightdeck/demo-audit.jsonl")).unwrap();
    assert!(
        audit.contains("killed by signal 9") && audit.contains("environment muejam-staging"),
        "{audit}"
    );

    let misaimed = demo(&["noisy", "--service", "backend"]);
    assert_eq!(misaimed.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&misaimed.stderr)
            .contains("is about an environment: --service does not apply"),
        "{misaimed:?}"
    );
}

/// `config check` checks a team's `actions/` also where no config file is
/// (the defaults, and the team's actions alone).
#[test]
fn config_check_reads_the_actions_without_a_config_file() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/flightdeck/actions");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("team.toml"),
        "[[action]]\nname = \"hello\"\nscope = \"environment\"\ncommand = [\"echo\", \"{env}\"]\nwrites = false\n",
    )
    .unwrap();
    let o = flightdeck(home.path(), &["config", "check"], None);
    let said = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(said.contains("ok (0 environments, 1 actions)"), "{said}");
    // A broken one there is still located.
    std::fs::write(dir.join("team.toml"), "[[action]]\nname = 3\n").unwrap();
    let o = flightdeck(home.path(), &["config", "check"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("team.toml:2:"));
}
