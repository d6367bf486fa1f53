//! What each command does, given the resolved [`Options`] of its run (the
//! binary parses the command line into them): the read and write commands,
//! `doctor`, `replay`, and the small ones (`config`, `theme list`,
//! `scenario list`, the cockpit itself). Each returns a [`Failure`] that
//! says how the process exits.

pub mod action;
pub mod doctor;
pub mod read;
pub mod recordings;
pub mod replay;
pub mod table;
pub mod write;

pub use read::ReadCommand;
pub use write::{WriteAction, WriteCommand};

use crate::config::{Config, EXAMPLE, Paths};
use crate::options::Options;
use crate::runtime::CockpitError;
use anyhow::{Context, anyhow};
use flightdeck_core::provider::LocateError;
use flightdeck_tui::theme::{Origin, ThemeSet};
use std::path::Path;

/// Exit codes: 0 success, 1 operation failed, 2 usage or configuration
/// error, 3 refused (not confirmed, read-only, stale plan, guard; nothing
/// changed), 4 changed but not recorded (AWS calls ran, the audit record of
/// their outcome could not be written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Failed = 1,
    Usage = 2,
    Refused = 3,
    Unrecorded = 4,
}

/// A failed command: what to print and how to exit.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn usage(error: impl Into<anyhow::Error>) -> Self {
        Self {
            exit: Exit::Usage,
            error: error.into(),
        }
    }

    pub fn failed(error: impl Into<anyhow::Error>) -> Self {
        Self {
            exit: Exit::Failed,
            error: error.into(),
        }
    }
}

/// An unknown or ambiguous service is the caller's to fix (exit 2); a
/// failure to read the environment is not.
impl From<LocateError> for Failure {
    fn from(e: LocateError) -> Self {
        match e {
            LocateError::Provider(_) => Failure::failed(e),
            _ => Failure::usage(e),
        }
    }
}

type Result<T> = std::result::Result<T, Failure>;

/// The options of a run: `--config` and the other global flags resolved
/// with the config file; a configuration error is the caller's (exit 2).
/// `demo_seed` is `Some` for `flightdeck demo` (with its `--seed`).
pub fn options(flags: &crate::options::Flags, demo_seed: Option<Option<u64>>) -> Result<Options> {
    Options::load(flags, demo_seed).map_err(Failure::usage)
}

/// The cockpit (`tui`, `demo`) on the environments of `options`.
pub fn cockpit(options: &Options) -> Result<()> {
    crate::runtime::cockpit(options).map_err(|e| match e {
        CockpitError::Session(e) => Failure::usage(e),
        CockpitError::Run(e) => Failure::failed(e),
    })
}

/// `scenario list`: name, environment, length and title of each drill.
pub fn scenario_list(paths: &Paths, json: bool) -> Result<()> {
    use crate::config::scenarios::{Source, load};
    let all = load(&paths.scenarios_dir).map_err(Failure::usage)?;
    if json {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|(s, source)| {
                serde_json::json!({
                    "name": s.name,
                    "environment": s.environment.get_ref(),
                    "minutes": s.minutes,
                    "title": s.title,
                    "description": s.description,
                    "goal": s.goal,
                    "outcome": s.outcome,
                    "file": match source {
                        Source::Embedded => None,
                        Source::File(p) => Some(p.display().to_string()),
                    },
                })
            })
            .collect();
        let text = table::json(&rows, true).map_err(Failure::failed)?;
        table::emit(&format!("{text}\n"));
        return Ok(());
    }
    let mut out = String::new();
    for (s, source) in &all {
        let from = match source {
            Source::Embedded => String::new(),
            Source::File(p) => format!("  ({})", p.display()),
        };
        out.push_str(&format!(
            "{:<16} {:<22} {:>3} min  {}{from}\n  {}\n  goal: {}\n",
            s.name,
            s.environment.get_ref(),
            s.minutes,
            s.title,
            s.description,
            s.goal
        ));
    }
    out.push_str("\nPlay one: flightdeck demo --scenario NAME\n");
    table::emit(&flightdeck_model::text::sanitize_with(&out, true));
    Ok(())
}

fn load_themes(paths: &Paths) -> Result<ThemeSet> {
    ThemeSet::load(Some(&paths.themes_dir)).map_err(Failure::usage)
}

/// `config path`: where flightdeck keeps its files.
pub fn config_path(paths: &Paths) -> Result<()> {
    crate::output::out(paths.describe());
    Ok(())
}

/// `config check [FILE]`: validates `file` (default: the configured one).
pub fn config_check(paths: &Paths, file: Option<&Path>) -> Result<()> {
    let path = file.map_or_else(|| paths.config_file.clone(), Path::to_path_buf);
    let themes = load_themes(paths)?;
    // The default file may be absent (the defaults, and `actions/` alone);
    // a file named on the command line must be there.
    let config =
        Config::load(&path, file.is_some(), |n| themes.get(n).is_some()).map_err(Failure::usage)?;
    // The team's actions are part of the config: checked as every command
    // checks them.
    let source = (file.is_some() || path.exists())
        .then(|| flightdeck_tui::diagnostic::FileError::read(&path))
        .transpose()
        .map_err(Failure::usage)?;
    let actions = crate::config::actions::load(
        &path,
        source.as_deref(),
        &config.actions,
        &paths.actions_dir,
        &config.keymap(),
    )
    .map_err(Failure::usage)?;
    crate::output::out(format!(
        "{}: ok ({} environments, {} actions)\n",
        path.display(),
        config.environments.len(),
        actions.len()
    ));
    Ok(())
}

/// `config init`: the documented example at the config path, never over a
/// file that is there.
pub fn config_init(paths: &Paths) -> Result<()> {
    let path = &paths.config_file;
    if path.exists() {
        return Err(Failure::usage(anyhow!(
            "{} exists already; not overwriting it",
            path.display()
        )));
    }
    // A new file only (never over one that appeared meanwhile), 0600 in a
    // private directory, like every file flightdeck writes.
    flightdeck_core::files::open(path, flightdeck_core::files::Mode::New)
        .and_then(|mut f| std::io::Write::write_all(&mut f, EXAMPLE.as_bytes()))
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(Failure::failed)?;
    crate::output::out(format!("wrote {}\n", path.display()));
    Ok(())
}

/// `theme list`: the built-in and user themes, and where each is from.
pub fn theme_list(paths: &Paths) -> Result<()> {
    let themes = load_themes(paths)?;
    for (origin, theme) in themes.iter() {
        let from = match origin {
            Origin::Builtin => "built-in".to_string(),
            Origin::User(p) => p.display().to_string(),
        };
        crate::output::out(format!(
            "{:<14} {:<44} {from}\n",
            theme.name, theme.description
        ));
    }
    Ok(())
}

/// `team init`: the lease table of `[team] lease_table`, with TTL on.
#[cfg(feature = "aws")]
pub fn team_init(options: &Options) -> Result<()> {
    let runtime = crate::runtime::async_runtime().map_err(Failure::failed)?;
    let said = runtime
        .block_on(crate::team::leases::init(options))
        .map_err(Failure::failed)?;
    for line in said {
        crate::output::out(format!("{}\n", flightdeck_model::text::sanitize(&line)));
    }
    Ok(())
}

/// `team init` needs the AWS provider.
#[cfg(not(feature = "aws"))]
pub fn team_init(_options: &Options) -> Result<()> {
    Err(Failure::usage(anyhow!(
        "this flightdeck was built without the `aws` feature: it has no lease table"
    )))
}

/// `envs` needs the AWS provider to discover.
#[cfg(not(feature = "aws"))]
pub fn envs(_options: &Options, _refresh: bool, _json: bool) -> Result<()> {
    Err(Failure::usage(anyhow!(
        "this flightdeck was built without the `aws` feature: it discovers no environment"
    )))
}

/// One row of `envs`: an environment, configured or discovered.
#[cfg(feature = "aws")]
#[derive(Debug, serde::Serialize)]
struct EnvRow {
    name: String,
    /// `config`, `sso` or `organizations`.
    source: &'static str,
    account: Option<String>,
    region: Option<String>,
    /// The profile or the IAM Identity Center role it is reached with.
    access: Option<String>,
    production: bool,
    read_only: bool,
}

/// `envs`: every environment, configured and discovered (from the
/// discovery cache unless `refresh`), with its account, region, source and
/// whether it is production.
#[cfg(feature = "aws")]
pub fn envs(options: &Options, refresh: bool, json: bool) -> Result<()> {
    let runtime = crate::runtime::async_runtime().map_err(Failure::failed)?;
    let now = flightdeck_model::clock::Clock::now(&flightdeck_model::clock::SystemClock);
    let discovered = runtime
        .block_on(crate::discover::environments(options, now, refresh))
        .map_err(Failure::failed)?;
    let config = &options.config;
    let ro = options.read_only;
    let mut rows: Vec<EnvRow> = config
        .environments
        .iter()
        .map(|e| EnvRow {
            name: e.name.get_ref().clone(),
            source: "config",
            account: None,
            region: e.region.clone(),
            access: e.profile.as_ref().map(|p| format!("profile {p}")),
            production: e.is_production(),
            read_only: ro || e.read_only,
        })
        .collect();
    rows.extend(
        discovered
            .iter()
            .filter(|d| {
                !config
                    .environments
                    .iter()
                    .any(|e| *e.name.get_ref() == d.name)
            })
            .map(|d| EnvRow {
                name: d.name.clone(),
                source: d.access.source(),
                account: Some(format!("{} ({})", d.account_id, d.account_name)),
                region: Some(d.region.clone()),
                access: Some(d.access.describe()),
                production: d.production,
                read_only: ro || d.read_only,
            }),
    );
    if json {
        let text = table::json(&rows, true).map_err(Failure::failed)?;
        table::emit(&format!("{text}\n"));
        return Ok(());
    }
    let dash = || "-".to_string();
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.source.to_string(),
                r.account.clone().unwrap_or_else(dash),
                r.region.clone().unwrap_or_else(dash),
                r.access.clone().unwrap_or_else(dash),
                if r.production { "yes" } else { "no" }.to_string(),
                if r.read_only { "yes" } else { "no" }.to_string(),
            ]
        })
        .collect();
    let text = table::render(
        &[
            "ENVIRONMENT",
            "SOURCE",
            "ACCOUNT",
            "REGION",
            "ACCESS",
            "PRODUCTION",
            "RO",
        ],
        &lines,
    );
    table::emit(&flightdeck_model::text::sanitize_with(&text, true));
    Ok(())
}
