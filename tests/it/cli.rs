//! The command line: config check/path/init, theme list, completions and the
//! man page; config and theme against valid
//! and broken fixtures. Errors name file, line and column and exit 2.
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn flightdeck(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("FLIGHTDECK_CONFIG")
        .env_remove("FLIGHTDECK_THEME")
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn config_check_accepts_the_example_and_a_valid_file() {
    let home = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    for file in [example, fixture("valid.toml")] {
        let o = flightdeck(home.path(), &["config", "check", file.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains(": ok ("), "{}", stdout(&o));
    }
}

#[test]
fn config_check_locates_every_kind_of_error_and_exits_2() {
    let home = tempfile::tempdir().unwrap();
    for (file, line, col, words) in [
        ("unknown_key.toml", 5, 1, "unknown field `regoin`"),
        ("bad_syntax.toml", 3, 20, "invalid basic string"),
        ("unknown_theme.toml", 3, 9, "unknown theme `solarized-neon`"),
        ("bad_endpoint.toml", 3, 16, "must start with http://"),
    ] {
        let path = fixture(file);
        let o = flightdeck(home.path(), &["config", "check", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{file}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{file}:{line}:{col}:")),
            "{file}: {err}"
        );
        assert!(err.contains(words), "{file}: {err}");
    }
}

#[test]
fn a_broken_config_stops_the_demo_with_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let path = fixture("unknown_key.toml");
    let o = flightdeck(home.path(), &["--config", path.to_str().unwrap(), "demo"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown_key.toml:5:1"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn config_path_names_every_file() {
    let home = tempfile::tempdir().unwrap();
    let o = flightdeck(home.path(), &["config", "path"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for key in ["config: ", "themes: ", "state: ", "audit: ", "log: "] {
        assert!(
            out.lines().any(|l| l.starts_with(key)),
            "{key} missing in {out}"
        );
    }
    assert!(
        out.contains(
            &home
                .path()
                .join("config/flightdeck/config.toml")
                .display()
                .to_string()
        ),
        "{out}"
    );
}

#[test]
fn config_init_writes_the_example_once() {
    let home = tempfile::tempdir().unwrap();
    let o = flightdeck(home.path(), &["config", "init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let written = home.path().join("config/flightdeck/config.toml");
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        include_str!("../../config.example.toml")
    );
    let again = flightdeck(home.path(), &["config", "init"]);
    assert_eq!(again.status.code(), Some(2));
    let check = flightdeck(home.path(), &["config", "check"]);
    assert!(check.status.success(), "{}", stderr(&check));
}

#[test]
fn theme_list_shows_five_builtins_and_user_overrides() {
    let home = tempfile::tempdir().unwrap();
    let o = flightdeck(home.path(), &["theme", "list"]);
    assert!(o.status.success());
    for name in ["dark", "light", "high-contrast", "colorblind", "monochrome"] {
        assert!(
            stdout(&o).lines().any(|l| l.starts_with(name)),
            "{name}: {}",
            stdout(&o)
        );
    }
    let dir = home.path().join("config/flightdeck/themes");
    std::fs::create_dir_all(&dir).unwrap();
    let dark = include_str!("../../themes/dark.toml")
        .replace("Default: calm colours on a dark terminal", "my own dark");
    std::fs::write(dir.join("dark.toml"), dark).unwrap();
    let o = flightdeck(home.path(), &["theme", "list"]);
    assert!(stdout(&o).contains("my own dark"), "{}", stdout(&o));
}

#[test]
fn a_broken_user_theme_is_located() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/flightdeck/themes");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixture("themes/broken.toml"), dir.join("broken.toml")).unwrap();
    let o = flightdeck(home.path(), &["theme", "list"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("broken.toml:4:1: palette colour `accent` = `#12345` is not a colour"),
        "{err}"
    );
}

#[test]
fn an_unknown_theme_flag_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let o = flightdeck(home.path(), &["--theme", "nope", "demo"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown theme `nope`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn global_flags_before_a_write_work_as_in_kubectl() {
    let home = tempfile::tempdir().unwrap();
    // The command line: --read-only before the subcommand.
    let o = flightdeck(
        home.path(),
        &[
            "--read-only",
            "--demo",
            "--env",
            "muejam-staging",
            "scale",
            "--cluster",
            "muejam-staging",
            "--service",
            "backend",
            "--desired",
            "3",
            "--confirm",
            "backend",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    // Without --cluster: the one cluster running `backend` is found.
    let o = flightdeck(
        home.path(),
        &[
            "--demo",
            "--env",
            "muejam-staging",
            "scale",
            "--service",
            "backend",
            "--desired",
            "3",
            "--dry-run",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("muejam-staging/backend"),
        "{}",
        stdout(&o)
    );
    // An unknown service names the near ones.
    let o = flightdeck(
        home.path(),
        &[
            "--demo",
            "--env",
            "muejam-staging",
            "deploy",
            "--service",
            "back",
            "--force",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no service `back`"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("muejam-staging/backend"),
        "{}",
        stderr(&o)
    );
}

/// Asks the bash completion of `flightdeck` what follows `words` (the last
/// one being completed), in a real bash with the script sourced.
fn bash_completes(home: &Path, words: &[&str]) -> Vec<String> {
    let script = home.join("flightdeck.bash");
    std::fs::write(&script, flightdeck(home, &["completions", "bash"]).stdout).unwrap();
    let line = words.join(" ");
    let program = format!(
        "source {script}; COMP_WORDS=({line}); COMP_CWORD={cword}; COMP_LINE='{line}'; \
         COMP_POINT=${{#COMP_LINE}}; _flightdeck flightdeck {cur} {prev}; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script = script.display(),
        cword = words.len() - 1,
        cur = words[words.len() - 1],
        prev = words[words.len() - 2],
    );
    let o = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).lines().map(str::to_string).collect()
}

#[test]
fn bash_completes_subcommands_and_their_flags() {
    let home = tempfile::tempdir().unwrap();
    let subcommands = bash_completes(home.path(), &["flightdeck", "sc"]);
    for name in ["scale", "scaling", "scenario"] {
        assert!(subcommands.iter().any(|c| c == name), "{subcommands:?}");
    }
    assert!(
        !subcommands.iter().any(|c| c == "deploy"),
        "{subcommands:?}"
    );
    let flags = bash_completes(home.path(), &["flightdeck", "scale", "--des"]);
    assert_eq!(flags, ["--desired"]);
}

#[test]
fn zsh_and_fish_completions_name_every_subcommand() {
    let home = tempfile::tempdir().unwrap();
    let zsh = stdout(&flightdeck(home.path(), &["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef flightdeck"), "{zsh:.200}");
    let fish = stdout(&flightdeck(home.path(), &["completions", "fish"]));
    for name in ["deploy", "rollback", "timeline", "completions", "man"] {
        assert!(zsh.contains(&format!("'{name}:")), "zsh lacks {name}");
        assert!(
            fish.contains(&format!("-a \"{name}\"")),
            "fish lacks {name}"
        );
    }
    let o = flightdeck(home.path(), &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("possible values"), "{}", stderr(&o));
}

#[test]
fn the_man_page_has_a_section_for_every_subcommand() {
    let home = tempfile::tempdir().unwrap();
    let o = flightdeck(home.path(), &["man"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH flightdeck 1"), "{page:.300}");
    for section in [
        "FLIGHTDECK DEPLOY",
        "FLIGHTDECK CONFIG CHECK",
        "FLIGHTDECK SCENARIO LIST",
        "FLIGHTDECK COMPLETIONS",
    ] {
        assert!(page.contains(&format!(".SH \"{section}\"")), "no {section}");
    }
    // A subcommand's own flags are under it; the global ones only once.
    let scale = &page[page.find(".SH \"FLIGHTDECK SCALE\"").unwrap()..];
    let scale = &scale[..scale[1..].find(".SH ").map_or(scale.len(), |i| i + 1)];
    assert!(scale.contains("\\-\\-desired"), "{scale}");
    assert!(!scale.contains("\\-\\-endpoint\\-url"), "{scale}");
    assert_eq!(page.matches("\\fB\\-\\-endpoint\\-url\\fR \\fI").count(), 1);
}

/// What flightdeck writes is the operator's alone (0600 in 0700, whatever
/// the umask), and a symbolic link planted where it keeps its files is
/// refused before anything is written: exit 2, the link named, its target
/// untouched.
#[test]
fn a_symlink_where_flightdeck_keeps_its_files_is_refused() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let write = [
        "--demo",
        "--env",
        "muejam-staging",
        "scale",
        "--service",
        "backend",
        "--desired",
        "3",
        "--confirm",
        "backend",
    ];
    let state = h.join("state/flightdeck");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

    // A write on the demo: its audit log is private.
    let o = flightdeck(h, &write);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("demo-audit.jsonl")), 0o600);

    // A link in place of the audit logs, then of the state directory.
    let victim = h.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::remove_file(state.join("demo-audit.jsonl")).unwrap();
    for log in ["audit.jsonl", "demo-audit.jsonl"] {
        symlink(&victim, state.join(log)).unwrap();
        let o = flightdeck(h, &write);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("{log} is a symbolic link")),
            "{}",
            stderr(&o)
        );
        std::fs::remove_file(state.join(log)).unwrap();
    }
    std::fs::remove_dir_all(&state).unwrap();
    let elsewhere = h.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    symlink(&elsewhere, &state).unwrap();
    let o = flightdeck(h, &write);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is a symbolic link"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(std::fs::read_dir(&elsewhere).unwrap().next().is_none());

    // `--record` at a link: refused before the cockpit starts, not a
    // session silently unrecorded.
    std::fs::remove_file(&state).unwrap();
    let link = h.join("session.jsonl");
    symlink(&victim, &link).unwrap();
    let o = flightdeck(h, &["--record", link.to_str().unwrap(), "demo"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot record the session") && stderr(&o).contains("symbolic link"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

/// `flightdeck completions bash | head` (issue 23): a reader that goes away
/// ends the command quietly, exit 0, no "Broken pipe". The script is larger
/// than a pipe's buffer, so the write meets the closed pipe for sure.
#[test]
fn completions_into_a_pipe_closed_early_end_quietly() {
    use std::io::Read;
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(["completions", "bash"])
        .env("HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    out.read_exact(&mut first).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{:?}: {}", o.status, stderr(&o));
    assert_eq!(stderr(&o), "");
}

/// `doctor` with no config and no region (issue 23): the region fails, and
/// the fix names how to set one and the demo, which needs none.
#[test]
fn doctor_without_a_config_names_the_region_and_the_demo() {
    let home = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(["doctor", "--json"])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("AWS_CONFIG_FILE", home.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env_remove("FLIGHTDECK_CONFIG")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let region = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "region")
        .unwrap()
        .clone();
    assert_eq!(region["status"], "fail", "{region}");
    let fix = region["fix"].as_str().unwrap();
    assert!(
        fix.contains("AWS_REGION") && fix.contains("flightdeck demo"),
        "{fix}"
    );
}

/// Issue 23 (QA): the cockpit without a terminal (a pipe, a cron job, CI)
/// says what it needs and exits 2 instead of panicking; a flag the command
/// does not use is named, not silently dropped.
#[test]
fn the_cockpit_without_a_terminal_says_so_and_unused_flags_are_named() {
    let home = tempfile::tempdir().unwrap();
    let o = flightdeck(home.path(), &["demo", "--profile", "x"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("demo does not use --profile (ignored)"),
        "{err}"
    );
    assert!(err.contains("the cockpit needs a terminal"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
