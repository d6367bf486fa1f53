//! Tidy: the codebase's structural rules as ordinary tests (after
//! rust-analyzer's `xtask/src/tidy.rs`). The crates are the API boundaries
//! and the compiler enforces what each may use; these tests hold the
//! manifests to that layering, the modules inside a crate to theirs, and
//! every file to its `//!` line.
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file of the binary and of each crate.
fn sources() -> Vec<PathBuf> {
    let mut files = vec![];
    rust_files(&root().join("src"), &mut files);
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        rust_files(&entry.unwrap().path().join("src"), &mut files);
    }
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap().display().to_string()
}

#[test]
fn every_module_says_what_it_is_for() {
    let missing: Vec<String> = sources()
        .iter()
        .filter(|p| !std::fs::read_to_string(p).unwrap().starts_with("//!"))
        .map(|p| relative(p))
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` first line: {missing:?}"
    );
}

/// The `[dependencies]` names of a manifest (not dev-dependencies).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn crates_depend_only_downward() {
    // crate -> the flightdeck crates it may use. The SDK belongs to `aws`.
    let layers: &[(&str, &[&str])] = &[
        ("model", &[]),
        ("core", &["flightdeck-model"]),
        ("aws", &["flightdeck-model", "flightdeck-core"]),
        ("sim", &["flightdeck-model", "flightdeck-core"]),
        ("tui", &["flightdeck-model", "flightdeck-core"]),
        (
            "app",
            &[
                "flightdeck-model",
                "flightdeck-core",
                "flightdeck-aws",
                "flightdeck-sim",
                "flightdeck-tui",
            ],
        ),
    ];
    let mut crates: Vec<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    crates.sort();
    let mut known: Vec<String> = layers.iter().map(|(c, _)| c.to_string()).collect();
    known.sort();
    assert_eq!(
        crates, known,
        "a new crate needs its place in the layering here"
    );
    for (name, allowed) in layers {
        let deps = dependencies(&root().join("crates").join(name).join("Cargo.toml"));
        for dep in &deps {
            if dep.starts_with("flightdeck-") {
                assert!(
                    allowed.contains(&dep.as_str()),
                    "crates/{name} must not depend on {dep}"
                );
            }
            if dep.starts_with("aws-") {
                assert_eq!(
                    *name, "aws",
                    "crates/{name} must not depend on {dep}: the SDK stays in crates/aws"
                );
            }
            if ["ratatui", "crossterm"].contains(&dep.as_str()) {
                assert!(
                    ["tui", "app"].contains(name),
                    "crates/{name} must not depend on {dep}: the terminal is the tui's \
                     (and the app's runtime, which sets it up)"
                );
            }
            if dep == "clap" {
                panic!(
                    "crates/{name} must not depend on clap: only the binary sees the command line"
                );
            }
        }
    }
    for dep in dependencies(&root().join("Cargo.toml")) {
        assert!(
            !dep.starts_with("aws-"),
            "the binary must not use the SDK ({dep}) but through crates/aws"
        );
        assert!(
            !["ratatui", "crossterm"].contains(&dep.as_str()),
            "the binary must not use the terminal ({dep}): the runtime is crates/app's"
        );
    }
}

/// `(directory, module, modules it must not import)` inside one crate.
const MODULE_LAYERS: &[(&str, &str, &[&str])] = &[
    // app: commands > runtime > session > options > config; output, the
    // one way out, below them all.
    (
        "crates/app/src",
        "output",
        &["config", "options", "session", "runtime", "commands"],
    ),
    (
        "crates/app/src",
        "config",
        &["options", "session", "runtime", "commands"],
    ),
    (
        "crates/app/src",
        "options",
        &["session", "runtime", "commands"],
    ),
    ("crates/app/src", "session", &["runtime", "commands"]),
    ("crates/app/src", "runtime", &["commands"]),
    // core: provider, audit, diff < timeline < engine; ops beside
    // timeline and engine.
    (
        "crates/core/src",
        "provider",
        &["ops", "engine", "timeline"],
    ),
    (
        "crates/core/src",
        "audit",
        &["ops", "engine", "timeline", "provider"],
    ),
    (
        "crates/core/src",
        "diff",
        &["ops", "engine", "timeline", "provider"],
    ),
    ("crates/core/src", "lease", &["ops", "engine", "timeline"]),
    ("crates/core/src", "timeline", &["ops", "engine"]),
    ("crates/core/src", "ops", &["engine", "timeline"]),
    ("crates/core/src", "engine", &["ops"]),
    // tui: diagnostic < theme < app < ui.
    ("crates/tui/src", "diagnostic", &["theme", "app", "ui"]),
    ("crates/tui/src", "theme", &["app", "ui"]),
    ("crates/tui/src", "app", &["ui"]),
];

/// Files of module `module` under `dir` (`module.rs` or `module/`).
fn module_files(dir: &str, module: &str) -> Vec<PathBuf> {
    let base = root().join(dir);
    let mut files = vec![];
    let file = base.join(format!("{module}.rs"));
    if file.exists() {
        files.push(file);
    }
    let folder = base.join(module);
    if folder.is_dir() {
        rust_files(&folder, &mut files);
    }
    files
}

#[test]
fn modules_import_only_downward() {
    let mut wrong = vec![];
    for (dir, module, forbidden) in MODULE_LAYERS {
        let files = module_files(dir, module);
        assert!(!files.is_empty(), "no module {module} in {dir}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for upper in *forbidden {
                if text.contains(&format!("crate::{upper}::"))
                    || text.contains(&format!("crate::{upper}}}"))
                    || text.contains(&format!("crate::{{{upper}"))
                    || text.contains(&format!("crate::{upper};"))
                {
                    wrong.push(format!("{} imports {upper}", relative(&file)));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "upward imports: {wrong:?}");
}

#[test]
fn the_audit_log_knows_nothing_of_plans() {
    // audit stores and queries records; the executor builds them.
    let text = std::fs::read_to_string(root().join("crates/core/src/audit.rs")).unwrap();
    for other in ["ops", "plan", "execute", "watch"] {
        assert!(
            !text.contains(&format!("crate::{other}"))
                && !text.contains(&format!("super::{other}")),
            "audit imports {other}"
        );
    }
}

/// The one way out to the terminal is `crates/app/src/output.rs`, and it
/// takes only sanitised text: anywhere else a print would tear the
/// cockpit's screen or let AWS text reach the terminal raw. (clippy.toml
/// refuses the same outside that module; this holds the code to it even
/// where a lint is expected away.)
#[test]
fn only_the_output_module_prints() {
    let mut wrong = vec![];
    for file in sources()
        .iter()
        .filter(|p| relative(p) != "crates/app/src/output.rs")
    {
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for needle in [
            "println!",
            "eprintln!",
            "print!(",
            "eprint!(",
            "dbg!(",
            "io::stdout",
            "io::stderr",
        ] {
            if code.contains(needle) {
                wrong.push(format!("{} uses {needle}", relative(file)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "print through flightdeck_app::output: {wrong:?}"
    );
}

/// The binary is the command line and `main`: what it does lives in
/// `crates/app` (ARCHITECTURE.md). Its sources growing past this is the
/// application layer moving back into it.
#[test]
fn the_binary_is_clap_and_main() {
    const MOST_LINES: usize = 1_500;
    let mut files = vec![];
    rust_files(&root().join("src"), &mut files);
    let lines: usize = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
        .sum();
    assert!(
        lines <= MOST_LINES,
        "src/ has {lines} lines of Rust, more than {MOST_LINES}: \
         move what is not clap or main to crates/app"
    );
}

/// ARCHITECTURE.md says nothing reads the wall clock but `SystemClock`:
/// tests, replays and drills run on a clock of their own, so a stray
/// `Utc::now()` is a time no test controls (a drill at 20x, a replay).
#[test]
fn nothing_reads_the_wall_clock_but_the_clock() {
    let mut wrong = vec![];
    for file in sources()
        .iter()
        .filter(|p| !relative(p).ends_with("model/src/clock.rs"))
    {
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for needle in [
            "Utc::now()",
            "Local::now()",
            "SystemTime::now()",
            "chrono::offset::Utc::now",
        ] {
            if code.contains(needle) {
                wrong.push(format!(
                    "{} reads the wall clock ({needle})",
                    relative(file)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "ask the injected Clock instead: {wrong:#?}"
    );
}

/// ARCHITECTURE.md says every file flightdeck writes is opened by
/// `core::files` (0600 in 0700 directories, never through a planted link):
/// no other module creates a file or a directory of its own.
#[test]
fn no_module_but_files_creates_a_file() {
    let mut wrong = vec![];
    for file in sources().iter().filter(|p| {
        let r = relative(p);
        !r.ends_with("core/src/files.rs") && !r.ends_with("tests.rs")
    }) {
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for needle in [
            "fs::write(",
            "fs::create_dir",
            "File::create(",
            "OpenOptions::new(",
            "fs::copy(",
        ] {
            if code.contains(needle) {
                wrong.push(format!("{} creates a file ({needle})", relative(file)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "open it with flightdeck_core::files instead: {wrong:#?}"
    );
}

#[test]
fn the_integration_tests_are_one_binary() {
    // Cargo makes a test binary of each `tests/*.rs` and `tests/*/main.rs`,
    // and each one links the whole AWS SDK again: minutes of CI on two
    // cores. Every integration test is a module of `tests/it/main.rs`.
    let mut binaries = vec![];
    for entry in std::fs::read_dir(root().join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let rust = path.extension().is_some_and(|e| e == "rs");
        if rust || (path.join("main.rs").is_file() && !path.ends_with("it")) {
            binaries.push(relative(&path));
        }
    }
    assert!(
        binaries.is_empty(),
        "{binaries:?}: a test binary of its own links the AWS SDK again; \
         make it a module of tests/it/main.rs (tests/it/<name>.rs) instead"
    );
    // A file of tests/it that main.rs does not declare compiles nowhere and
    // its tests never run.
    let main = std::fs::read_to_string(root().join("tests/it/main.rs")).unwrap();
    let mut undeclared = vec![];
    for entry in std::fs::read_dir(root().join("tests/it")).unwrap() {
        let path = entry.unwrap().path();
        let module = if path.extension().is_some_and(|e| e == "rs") {
            path.file_stem()
        } else if path.join("mod.rs").is_file() {
            path.file_name()
        } else {
            None
        };
        let Some(module) = module.map(|m| m.to_string_lossy().to_string()) else {
            continue;
        };
        if module != "main" && !main.lines().any(|l| l == format!("mod {module};")) {
            undeclared.push(relative(&path));
        }
    }
    assert!(
        undeclared.is_empty(),
        "{undeclared:?}: not a module of tests/it/main.rs, so never run"
    );
}
