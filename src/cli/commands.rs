//! What each subcommand does.

use super::{Cli, Command, ConfigAction, Failure, ThemeAction};
use crate::config::{Config, EXAMPLE, Paths};
use crate::theme::{Origin, ThemeSet, choose, no_color_requested};
use anyhow::{Context, anyhow};

type Result<T> = std::result::Result<T, Failure>;

pub fn run(cli: Cli) -> Result<()> {
    let paths = Paths::discover(cli.config.clone());
    match &cli.command {
        Some(Command::Config { action }) => config_command(action, &paths),
        Some(Command::Theme {
            action: ThemeAction::List,
        }) => theme_list(&paths),
        Some(Command::Demo { seed }) => crate::runtime::cockpit(&cli, &paths, Some(*seed)),
        Some(Command::Tui) | None if cli.demo => crate::runtime::cockpit(&cli, &paths, Some(None)),
        Some(Command::Tui) | None => crate::runtime::cockpit(&cli, &paths, None),
        Some(Command::Read(read)) => super::read::run(&cli, &paths, read),
        Some(Command::Write(write)) => super::write::run(&cli, &paths, write),
    }
}

/// Loads the config (the file must exist only when named explicitly) and
/// checks its theme names.
pub fn load_config(cli: &Cli, paths: &Paths, themes: &ThemeSet) -> Result<Config> {
    let path = &paths.config_file;
    let config = Config::load(path, cli.config.is_some()).map_err(Failure::usage)?;
    if let Ok(source) = std::fs::read_to_string(path) {
        config
            .check_themes(path, &source, |n| themes.get(n).is_some())
            .map_err(Failure::usage)?;
    }
    Ok(config)
}

pub fn load_themes(paths: &Paths) -> Result<ThemeSet> {
    ThemeSet::load(Some(&paths.themes_dir)).map_err(Failure::usage)
}

/// The theme name to use, by the precedence of DESIGN.md.
pub fn theme_name(cli: &Cli, config: &Config) -> String {
    choose(
        cli.theme.as_deref(),
        no_color_requested(),
        config.theme.as_ref().map(|t| t.get_ref().as_str()),
    )
}

fn config_command(action: &ConfigAction, paths: &Paths) -> Result<()> {
    match action {
        ConfigAction::Path => {
            print!("{}", paths.describe());
            Ok(())
        }
        ConfigAction::Check { file } => {
            let path = file.clone().unwrap_or_else(|| paths.config_file.clone());
            let themes = load_themes(paths)?;
            let source = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))
                .map_err(Failure::usage)?;
            let config = Config::parse(&path, &source).map_err(Failure::usage)?;
            config
                .check_themes(&path, &source, |n| themes.get(n).is_some())
                .map_err(Failure::usage)?;
            println!(
                "{}: ok ({} environments)",
                path.display(),
                config.environments.len()
            );
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
            println!("wrote {}", path.display());
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
        println!("{:<14} {:<44} {from}", theme.name, theme.description);
    }
    Ok(())
}
