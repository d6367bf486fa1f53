//! The bad input matrix: unknown environments, clusters and services,
//! numbers that are not numbers, negative or huge, broken, binary and huge
//! config files. Each gets a clear message and exit 2 (1 only when AWS
//! fails), never a panic, and nothing changes (no audit record).
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use std::path::Path;
use std::process::{Command, Output};

fn flightdeck(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("FLIGHTDECK_CONFIG")
        .env_remove("FLIGHTDECK_THEME")
        .env_remove("FLIGHTDECK_READ_ONLY")
        .output()
        .unwrap()
}

/// Runs `args` and checks the exit code, that stderr says `says` in a
/// flightdeck or clap message, that nothing panicked and nothing was
/// written to the audit log.
fn refused(home: &Path, args: &[&str], code: i32, says: &str) {
    let o = flightdeck(home, args);
    let err = String::from_utf8_lossy(&o.stderr);
    let context = args.join(" ");
    assert_eq!(o.status.code(), Some(code), "{context}: {err}");
    assert!(err.contains(says), "{context}: wanted `{says}` in: {err}");
    assert!(!err.contains("panicked"), "{context}: {err}");
    assert!(
        err.starts_with("flightdeck: ") || err.starts_with("error: "),
        "{context}: not a plain message: {err}"
    );
    for log in ["audit.jsonl", "demo-audit.jsonl"] {
        assert!(
            !home.join("state/flightdeck").join(log).exists(),
            "{context}: something was written"
        );
    }
}

const DEMO: &[&str] = &["--demo", "--env", "muejam-staging"];

fn demo<'a>(args: &[&'a str]) -> Vec<&'a str> {
    DEMO.iter().copied().chain(args.iter().copied()).collect()
}

#[test]
fn unknown_names_are_refused_with_the_choices() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    refused(
        h,
        &["--demo", "--env", "nope", "services"],
        2,
        "there are: radiox-prod",
    );
    refused(
        h,
        &demo(&["services", "--cluster", "nope"]),
        2,
        "no cluster `nope`",
    );
    refused(
        h,
        &demo(&["logs", "--service", "nope"]),
        2,
        "no service `nope`",
    );
    refused(
        h,
        &demo(&[
            "scale",
            "--cluster",
            "nope",
            "--service",
            "backend",
            "--desired",
            "2",
            "--confirm",
            "backend",
        ]),
        2,
        "no service `nope/backend`",
    );
    refused(
        h,
        &demo(&[
            "deploy",
            "--service",
            "backend",
            "--image",
            "nope=img:1",
            "--confirm",
            "backend",
        ]),
        2,
        "no container `nope`",
    );
    refused(
        h,
        &demo(&[
            "rollback",
            "--service",
            "backend",
            "--to",
            "99999",
            "--confirm",
            "backend",
        ]),
        2,
        "does not exist",
    );
    refused(
        h,
        &["--demo", "--theme", "neon", "demo"],
        2,
        "unknown theme `neon`",
    );
    // A write needs one environment.
    refused(
        h,
        &["--demo", "scale", "--service", "backend", "--desired", "2"],
        2,
        "--env",
    );
}

#[test]
fn numbers_that_are_not_numbers_or_not_sane_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let scale = |n: &'static str| {
        demo(&[
            "scale",
            "--service",
            "backend",
            "--desired",
            n,
            "--confirm",
            "backend",
        ])
    };
    refused(h, &scale("abc"), 2, "invalid value 'abc'");
    refused(h, &scale("-1"), 2, "error:");
    refused(h, &scale("3.5"), 2, "invalid value '3.5'");
    refused(h, &scale("99999999999999999999"), 2, "invalid value");
    refused(h, &scale("10001"), 2, "more than ECS allows");
    refused(
        h,
        &demo(&[
            "scale",
            "--service",
            "backend",
            "--min",
            "5",
            "--max",
            "2",
            "--confirm",
            "backend",
        ]),
        2,
        "min 5 is greater than max 2",
    );
    refused(
        h,
        &demo(&["scale", "--service", "backend", "--confirm", "backend"]),
        2,
        "nothing to scale",
    );
    refused(
        h,
        &demo(&["rollback", "--service", "backend", "--to", "x"]),
        2,
        "invalid value 'x'",
    );
    refused(
        h,
        &demo(&["logs", "--service", "backend", "--since", "0m"]),
        2,
        "not a duration",
    );
    refused(
        h,
        &demo(&["logs", "--service", "backend", "--since", "-5m"]),
        2,
        "error:",
    );
    refused(
        h,
        &demo(&["logs", "--service", "backend", "--since", "99999d"]),
        2,
        "not a duration",
    );
    // One duration parser, bounded: a stray byte, an overflow of hours or
    // of seconds says the accepted range, never a panic (exit 101).
    for since in ["5é", "9999999999999h", "9223372036854776s"] {
        refused(
            h,
            &demo(&["logs", "--service", "backend", "--since", since]),
            2,
            "from 1s to 30d",
        );
    }
    refused(
        h,
        &demo(&[
            "rollback",
            "--service",
            "backend",
            "--wait",
            "--stuck-after",
            "9223372036854776s",
        ]),
        2,
        "from 10s to 1d",
    );
    refused(h, &["--demo", "--scale", "50000", "services"], 2, "10000");
    refused(h, &demo(&["costs", "--days", "0"]), 2, "invalid value '0'");
    refused(
        h,
        &demo(&["costs", "--days", "100000"]),
        2,
        "invalid value '100000'",
    );
    refused(
        h,
        &demo(&["alarms", "--state", "BROKEN"]),
        2,
        "is not OK, ALARM or INSUFFICIENT_DATA",
    );
    refused(
        h,
        &demo(&["deploy", "--service", "backend", "--image", "no-equals"]),
        2,
        "is not CONTAINER=IMAGE",
    );
    refused(h, &["demo", "--seed", "-3"], 2, "error:");
}

#[test]
fn broken_binary_and_huge_config_files_are_located_or_read_never_panic() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let file = |name: &str, bytes: &[u8]| {
        let path = h.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let cases: Vec<(String, &str)> = vec![
        (file("garbage.toml", &garbage), "not UTF-8 text"),
        (
            file("half.toml", b"read_only = true\n\xff\xfe\n"),
            ":2:1: not UTF-8 text (byte 0xff)",
        ),
        (file("nul.toml", b"theme = \"dark\0\"\n"), ":1:"),
        (
            file(
                "deep.toml",
                format!("a = {}{}\n", "[".repeat(50_000), "]".repeat(50_000)).as_bytes(),
            ),
            "recursion",
        ),
        (file("escape.toml", b"\x1b]0;owned\x07 = 1\n"), ":1:"),
        (
            file(
                "unknown.toml",
                b"[[environment]]\nname = \"a\"\nregion = \"eu-west-1\"\nprofil = \"x\"\n",
            ),
            ":4:1:",
        ),
        (file("type.toml", b"read_only = \"yes\"\n"), ":1:13:"),
        (h.join("missing.toml").display().to_string(), "cannot read"),
    ];
    for (path, says) in &cases {
        refused(h, &["--config", path, "--demo", "services"], 2, says);
        refused(h, &["config", "check", path], 2, says);
        let o = flightdeck(h, &["--config", path, "--demo", "services"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !err.chars()
                .any(|c| c != '\n' && flightdeck::text::is_unsafe(c)),
            "{err:?}"
        );
    }
    // Larger than any file written by hand: refused unread.
    let big = file("big.toml", &vec![b'#'; (16 << 20) + 1]);
    refused(
        h,
        &["--config", &big, "--demo", "services"],
        2,
        "larger than 16 MiB",
    );
    // A scenario asking for what the world cannot play: located or said,
    // exit 2, for `scenario list` and the demo alike.
    let scenarios = h.join("config/flightdeck/scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    let drill = |at: &str, extra: &str| {
        format!(
            "name = \"mine\"\nenvironment = \"muejam-staging\"\ntitle = \"t\"\ndescription = \"d\"\ngoal = \"g\"\noutcome = \"o\"\nminutes = 10\n[good]\nservice = \"backend\"\nacknowledge_minutes = 1\ncause_minutes = 2\nmitigate_minutes = 3\ncause = \"c\"\nmitigation = \"m\"\n[[steps]]\nat = \"{at}\"\nfault = \"deploy\"\nservice = \"backend\"\ntag = \"unhealthy\"\n{extra}"
        )
    };
    std::fs::write(scenarios.join("mine.toml"), drill("9999999999999999d", "")).unwrap();
    refused(h, &["scenario", "list"], 2, "from -30d to 1d");
    refused(h, &["demo", "--scenario", "mine"], 2, "from -30d to 1d");
    let million =
        "[[steps]]\nat = \"1m\"\nfault = \"deploy\"\nservice = \"backend\"\ntag = \"x\"\n"
            .repeat(10_000);
    std::fs::write(scenarios.join("mine.toml"), drill("1m", &million)).unwrap();
    refused(h, &["scenario", "list"], 2, "KiB");
    std::fs::remove_file(scenarios.join("mine.toml")).unwrap();

    // Huge but valid: read in full.
    let mut huge = String::from("# many environments\n");
    for i in 0..20_000 {
        huge.push_str(&format!(
            "[[environment]]\nname = \"env-{i}\"\nregion = \"eu-west-1\"\n"
        ));
    }
    let path = file("huge.toml", huge.as_bytes());
    let o = flightdeck(h, &["config", "check", &path]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok (20000 environments, 0 actions)"));
}

/// A theme file (perhaps from a shared dotfiles repository) cannot send
/// escape sequences through `theme list`: its description is printed
/// through the one sanitising way out, like everything else.
#[test]
fn a_hostile_theme_description_is_defused_by_theme_list() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let themes = h.join("config/flightdeck/themes");
    std::fs::create_dir_all(&themes).unwrap();
    let dark =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/themes/dark.toml")).unwrap();
    let description = dark.lines().find(|l| l.starts_with("description")).unwrap();
    let evil = dark.replace("name = \"dark\"", "name = \"evil\"").replace(
        description,
        "description = \"PWN \\u001b]52;c;cm0gLXJmIH4=\\u0007\\u001b[2J\\u009b31m\"",
    );
    std::fs::write(themes.join("evil.toml"), evil).unwrap();
    let o = flightdeck(h, &["theme", "list"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("evil") && out.contains("PWN ?]52;c;"), "{out}");
    assert!(
        !out.chars()
            .any(|c| c != '\n' && flightdeck::text::is_unsafe(c)),
        "{out:?}"
    );
}

/// clap's own words (a usage error naming the rejected value, `--help`
/// showing a variable's value) go through the one sanitising way out too.
#[test]
fn usage_errors_and_help_never_carry_escape_sequences() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let hostile = "\x1b]0;PWNED\x07\x1b[2J\u{9b}31m\u{202e}";
    let unsafe_in = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .chars()
            .any(|c| c != '\n' && flightdeck::text::is_unsafe(c))
    };
    for args in [
        demo(&["scale", "--service", "backend", "--desired", hostile]),
        demo(&["alarms", "--state", hostile]),
        vec![hostile],
        vec!["completions", hostile],
    ] {
        let o = flightdeck(h, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            !unsafe_in(&o.stderr),
            "{args:?}: {:?}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: "));
    }
    let o = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .arg("--help")
        .env("HOME", h)
        .env("FLIGHTDECK_CONFIG", format!("x{hostile}"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("FLIGHTDECK_CONFIG") && !unsafe_in(&o.stdout),
        "{help:?}"
    );
}
