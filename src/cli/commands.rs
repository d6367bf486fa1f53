//! What each subcommand does.

use super::{Cli, Command, ConfigAction, Failure, ScenarioAction, ThemeAction};
use crate::config::{Config, EXAMPLE, Paths};
use crate::options::Options;
use crate::runtime::CockpitError;
use anyhow::{Context, anyhow};
use flightdeck_tui::theme::{Origin, ThemeSet};

type Result<T> = std::result::Result<T, Failure>;

pub fn run(cli: Cli) -> Result<()> {
    let flags = cli.global.flags();
    let options = |demo_seed| Options::load(&flags, demo_seed).map_err(Failure::usage);
    match &cli.command {
        Some(Command::Config { action }) => {
            config_command(action, &Paths::discover(flags.config.clone()))
        }
        Some(Command::Theme {
            action: ThemeAction::List,
        }) => theme_list(&Paths::discover(flags.config.clone())),
        Some(Command::Demo { seed, scenario }) => {
            let mut options = options(Some(*seed))?;
            options.scenario = scenario.clone();
            cockpit(&options)
        }
        Some(Command::Scenario {
            action: ScenarioAction::List { json },
        }) => scenario_list(&Paths::discover(flags.config.clone()), *json),
        Some(Command::Replay {
            file,
            timeline,
            json,
            markdown,
            export_cast,
        }) => {
            if *timeline {
                super::replay::timeline(file, *json, *markdown)
            } else {
                let options = options(None)?;
                super::replay::play(&options, file, export_cast.as_deref())
            }
        }
        Some(Command::Completions { shell }) => completions(*shell),
        Some(Command::Man) => man(),
        Some(Command::Doctor { json }) => super::doctor::run(&flags, *json),
        Some(Command::Tui) | None => cockpit(&options(None)?),
        Some(Command::Read(read)) => super::read::run(&options(None)?, read),
        Some(Command::Write(write)) => super::write::run(&options(None)?, write),
    }
}

/// `completions SHELL`: the completion script of the clap definition itself,
/// so it never lags behind a new flag. Made in memory first: the generator
/// panics on a write error such as a closed pipe.
fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command_line(), "flightdeck", &mut script);
    // A script made from the clap definition alone, byte for byte (a
    // sanitiser would turn its tabs to spaces): no text from AWS in it.
    crate::output::own_bytes(&script).map_err(Failure::failed)
}

/// `man`: flightdeck(1) from the same clap definition as `--help`: the
/// page of the command, then a section for every subcommand with its
/// synopsis and options.
fn man() -> Result<()> {
    use std::io::Write;
    // Not built: the global flags stay on the main page, not on every subcommand's.
    let command = Cli::command_line();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .map_err(Failure::failed)?;
    let mut leaves = vec![];
    man_leaves(&command, "flightdeck", &mut leaves);
    for (path, sub) in leaves {
        writeln!(page, ".SH \"{}\"", path.to_uppercase()).map_err(Failure::failed)?;
        let man = clap_mangen::Man::new(sub.bin_name(path));
        let mut section = Vec::new();
        man.render_description_section(&mut section)
            .and_then(|()| man.render_synopsis_section(&mut section))
            .and_then(|()| man.render_options_section(&mut section))
            .map_err(Failure::failed)?;
        // The subcommand's sections become subsections of its own.
        let section = String::from_utf8_lossy(&section).replace("\n.SH ", "\n.SS ");
        page.extend_from_slice(section.replacen(".SH ", ".SS ", 1).as_bytes());
    }
    // The page of the clap definition alone, byte for byte.
    crate::output::own_bytes(&page).map_err(Failure::failed)
}

/// Every runnable subcommand under `command`, with its full name.
fn man_leaves(command: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let path = format!("{path} {}", sub.get_name());
        if sub.has_subcommands() {
            man_leaves(sub, &path, out);
        } else {
            out.push((path, sub.clone()));
        }
    }
}

fn cockpit(options: &Options) -> Result<()> {
    crate::runtime::cockpit(options).map_err(|e| match e {
        CockpitError::Session(e) => Failure::usage(e),
        CockpitError::Run(e) => Failure::failed(e),
    })
}

/// `scenario list`: name, environment, length and title of each drill.
fn scenario_list(paths: &Paths, json: bool) -> Result<()> {
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
        let text = super::table::json(&rows, true).map_err(Failure::failed)?;
        super::table::emit(&format!("{text}\n"));
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
    super::table::emit(&flightdeck_model::text::sanitize_with(&out, true));
    Ok(())
}

fn load_themes(paths: &Paths) -> Result<ThemeSet> {
    ThemeSet::load(Some(&paths.themes_dir)).map_err(Failure::usage)
}

fn config_command(action: &ConfigAction, paths: &Paths) -> Result<()> {
    match action {
        ConfigAction::Path => {
            crate::output::out(paths.describe());
            Ok(())
        }
        ConfigAction::Check { file } => {
            let path = file.clone().unwrap_or_else(|| paths.config_file.clone());
            let themes = load_themes(paths)?;
            let config =
                Config::load(&path, true, |n| themes.get(n).is_some()).map_err(Failure::usage)?;
            crate::output::out(format!(
                "{}: ok ({} environments)\n",
                path.display(),
                config.environments.len()
            ));
            Ok(())
        }
        ConfigAction::Init => {
            let path = &paths.config_file;
            if path.exists() {
                return Err(Failure::usage(anyhow!(
                    "{} exists already; not overwriting it",
                    path.display()
                )));
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))
                    .map_err(Failure::failed)?;
            }
            std::fs::write(path, EXAMPLE)
                .with_context(|| format!("cannot write {}", path.display()))
                .map_err(Failure::failed)?;
            crate::output::out(format!("wrote {}\n", path.display()));
            Ok(())
        }
    }
}

fn theme_list(paths: &Paths) -> Result<()> {
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
