//! What each subcommand calls: the application's command, with the
//! options resolved from the global flags; and the two made from the clap
//! definition itself, `completions` and `man`.

use super::{Cli, Command, ConfigAction, ScenarioAction, TeamAction, ThemeAction};
use flightdeck_app::commands::{self, Failure, replay};
use flightdeck_app::config::Paths;
use flightdeck_app::output;

type Result<T> = std::result::Result<T, Failure>;

pub fn run(cli: Cli) -> Result<()> {
    let flags = cli.global.flags();
    let options = |demo_seed| commands::options(&flags, demo_seed);
    let paths = || Paths::discover(flags.config.clone());
    match cli.command {
        Some(Command::Config { action }) => match action {
            ConfigAction::Path => commands::config_path(&paths()),
            ConfigAction::Check { file } => commands::config_check(&paths(), file.as_deref()),
            ConfigAction::Init => commands::config_init(&paths()),
        },
        Some(Command::Theme {
            action: ThemeAction::List,
        }) => commands::theme_list(&paths()),
        Some(Command::Demo { seed, scenario }) => {
            let mut options = options(Some(seed))?;
            options.scenario = scenario;
            commands::cockpit(&options)
        }
        Some(Command::Scenario {
            action: ScenarioAction::List { json },
        }) => commands::scenario_list(&paths(), json),
        Some(Command::Replay {
            file,
            timeline,
            json,
            markdown,
            export_cast,
        }) => {
            if timeline {
                // A local file needs no config; the team's bucket does.
                let shared = flightdeck_core::s3::Location::is_s3(&file.to_string_lossy());
                let options = if shared { Some(options(None)?) } else { None };
                replay::timeline(options.as_ref(), &file, json, markdown)
            } else {
                let options = options(None)?;
                replay::play(&options, &file, export_cast.as_deref())
            }
        }
        Some(Command::Completions { shell }) => completions(shell),
        Some(Command::Man) => man(),
        Some(Command::Doctor { json }) => commands::doctor::run(&flags, json),
        Some(Command::Envs { refresh, json }) => commands::envs(&options(None)?, refresh, json),
        Some(Command::Recordings { json }) => commands::recordings::list(&options(None)?, json),
        Some(Command::Action {
            name,
            service,
            cluster,
            task,
            container,
            alarm,
            dry_run,
            confirm,
            json,
        }) => {
            let options = options(None)?;
            if name == "list" {
                commands::action::list(&options, json)
            } else {
                commands::action::run(
                    &options,
                    &commands::action::ActionCommand {
                        name,
                        cluster,
                        service,
                        task,
                        container,
                        alarm,
                        dry_run,
                        confirm,
                        json,
                    },
                )
            }
        }
        Some(Command::Team {
            action: TeamAction::Init,
        }) => commands::team_init(&options(None)?),
        Some(Command::Tui) | None => commands::cockpit(&options(None)?),
        Some(Command::Read(read)) => commands::read::run(&options(None)?, &read.into()),
        Some(Command::Write(write)) => commands::write::run(&options(None)?, &write.into()),
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
    output::own_bytes(&script).map_err(Failure::failed)
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
    output::own_bytes(&page).map_err(Failure::failed)
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
