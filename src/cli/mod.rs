//! The command line: the flags and subcommands of DESIGN.md, as clap
//! definitions, turned into the application's values (`Flags`, the read
//! and write commands) and dispatched to `flightdeck_app::commands`, whose
//! `Failure` says the exit code.

mod commands;
mod read;
mod write;

pub use commands::run;
pub use read::ReadSubcommand;
pub use write::WriteSubcommand;

use clap::{Args, Parser, Subcommand};
use flightdeck_app::options::Flags;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "flightdeck",
    version,
    about = "A terminal cockpit for operating AWS production environments built on ECS"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags given on the command line that the subcommand does not use
    /// (`demo --profile x`), for a warning: they change nothing.
    #[arg(skip)]
    pub ignored: Vec<String>,
}

/// The global flags each subcommand (and those below it) does not use,
/// left out of its help: a replay reads only its file (and the theme and
/// config for its drawing), the demo never reaches AWS, and the drills,
/// config, themes, completions and manual read no environment.
const NOT_USED_BY: [(&str, &[&str]); 7] = [
    ("replay", NOT_FOR_REPLAY),
    ("demo", &["profile", "region", "endpoint_url", "demo"]),
    ("scenario", NO_ENVIRONMENT),
    ("config", NO_ENVIRONMENT),
    ("theme", NO_ENVIRONMENT),
    ("completions", NO_ENVIRONMENT),
    ("man", NO_ENVIRONMENT),
];

/// Every global flag but `--config` (`--theme` last: a replay uses it).
const NO_ENVIRONMENT: &[&str] = &[
    "env",
    "stats",
    "profile",
    "region",
    "endpoint_url",
    "demo",
    "read_only",
    "record",
    "scale",
    "log_storm",
    "theme",
];

/// Every global flag but `--config` and `--theme`.
const NOT_FOR_REPLAY: &[&str] = match NO_ENVIRONMENT.split_last() {
    Some((_theme, rest)) => rest,
    None => &[],
};

/// Every command but the cockpit's draws nothing and records nothing.
const NOT_DRAWN: &[&str] = &["record", "theme"];

/// The global flags `name` does not use: [`NOT_USED_BY`], else, for every
/// command but the cockpit's (`tui`), `--record` and `--theme`.
fn unused_by(name: &str) -> &'static [&'static str] {
    match NOT_USED_BY.iter().find(|(n, _)| *n == name) {
        Some((_, unused)) => unused,
        None if name == "tui" => &[],
        None => NOT_DRAWN,
    }
}

impl Cli {
    /// The command line, with the global flags that do not apply to a
    /// subcommand left out of its help (`replay --help` lists only what a
    /// replay uses).
    pub fn command_line() -> clap::Command {
        use clap::CommandFactory;
        let mut command = Cli::command();
        let names: Vec<String> = command
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        for name in &names {
            let unused = unused_by(name);
            // The subcommand's own hidden copy of a global flag: clap then
            // does not add the global one to it, and still hands its value up.
            let hidden: Vec<clap::Arg> = command
                .get_arguments()
                .filter(|a| unused.contains(&a.get_id().as_str()))
                .map(|a| a.clone().global(false).hide(true))
                .collect();
            if let Some(sub) = command.find_subcommand_mut(name.as_str()) {
                hide_below(sub, &hidden);
            }
        }
        command
    }

    /// [`Cli::command_line`] parsed from `args`.
    pub fn parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::FromArgMatches;
        let command = Cli::command_line();
        let matches = command.clone().try_get_matches_from(args)?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        for (id, warning) in ignored_flags(&command, &matches) {
            // Ignored means ignored: not checked either (`--theme nope`).
            cli.global.forget(&id);
            cli.ignored.push(warning);
        }
        Ok(cli)
    }

    /// What to tell the operator about flags that were given but change
    /// nothing for the subcommand: `demo does not use --profile (ignored)`.
    pub fn ignored_warnings(&self) -> impl Iterator<Item = String> + '_ {
        self.ignored
            .iter()
            .map(String::as_str)
            .map(|w| format!("flightdeck: {w}"))
    }
}

/// The flags of [`NOT_USED_BY`] given on the command line (before or after
/// the subcommand) to a subcommand that does not use them.
fn ignored_flags(command: &clap::Command, matches: &clap::ArgMatches) -> Vec<(String, String)> {
    use clap::parser::ValueSource;
    let Some((name, mut sub)) = matches.subcommand() else {
        return vec![];
    };
    let unused = unused_by(name);
    // The flag's own matches: the deepest subcommand holds the hidden copy.
    let mut levels = vec![matches, sub];
    while let Some((_, child)) = sub.subcommand() {
        levels.push(child);
        sub = child;
    }
    let given = |id: &str| {
        levels.iter().any(|m| {
            m.try_get_raw(id).is_ok_and(|v| v.is_some())
                && m.value_source(id) == Some(ValueSource::CommandLine)
        })
    };
    command
        .get_arguments()
        .filter(|a| unused.contains(&a.get_id().as_str()) && given(a.get_id().as_str()))
        .map(|a| {
            let flag = a.get_long().unwrap_or(a.get_id().as_str());
            (
                a.get_id().to_string(),
                format!("{name} does not use --{flag} (ignored)"),
            )
        })
        .collect()
}

/// Gives `sub` and every subcommand below it the hidden copies.
fn hide_below(sub: &mut clap::Command, hidden: &[clap::Arg]) {
    *sub = std::mem::take(sub).args(hidden.iter().cloned());
    for child in sub.get_subcommands_mut() {
        hide_below(child, hidden);
    }
}

/// Flags that work before or after any subcommand, as in kubectl and the
/// AWS CLI. None takes an optional value separated by a space: that would
/// swallow the subcommand (`--read-only scale`), so optional values need `=`
/// (a test parses every global flag before every subcommand).
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Config file (default: see `flightdeck config path`).
    #[arg(long, global = true, env = "FLIGHTDECK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only this environment.
    #[arg(long, global = true, value_name = "NAME")]
    pub env: Option<String>,
    /// AWS profile.
    #[arg(long, global = true, value_name = "P")]
    pub profile: Option<String>,
    /// AWS region.
    #[arg(long, global = true, value_name = "R")]
    pub region: Option<String>,
    /// Endpoint URL for every AWS service (moto, LocalStack).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Use the embedded simulated production instead of AWS.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Refuse every write (`--read-only=false` overrides the config).
    #[arg(
        long,
        global = true,
        env = "FLIGHTDECK_READ_ONLY",
        value_parser = clap::builder::BoolishValueParser::new(),
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub read_only: Option<bool>,
    /// Theme name (see `flightdeck theme list`).
    #[arg(long, global = true, env = "FLIGHTDECK_THEME", value_name = "NAME")]
    pub theme: Option<String>,
    /// Record the cockpit session to FILE (the flight recorder; see `replay`).
    #[arg(long, global = true, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// With the simulation: add a generated estate of N services (1000 per
    /// environment), with alarms, scaling targets and logs in proportion;
    /// at most 10,000 (about 200 MB).
    #[arg(long, global = true, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub scale: Option<u32>,
    /// After the command, the API calls it made per operation and the
    /// throttling answers, on stderr.
    #[arg(long, global = true)]
    pub stats: bool,
    /// With --scale: one of its services logs this many lines a second.
    #[arg(long, global = true, value_name = "LINES", requires = "scale",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub log_storm: Option<u32>,
}

impl GlobalArgs {
    /// Drops the flag `id` (clap's id), as if it had not been given.
    fn forget(&mut self, id: &str) {
        match id {
            "env" => self.env = None,
            "profile" => self.profile = None,
            "region" => self.region = None,
            "endpoint_url" => self.endpoint_url = None,
            "demo" => self.demo = false,
            "read_only" => self.read_only = None,
            "theme" => self.theme = None,
            "record" => self.record = None,
            "scale" => self.scale = None,
            "stats" => self.stats = false,
            "log_storm" => self.log_storm = None,
            _ => {}
        }
    }

    /// The flags as the options resolver takes them.
    pub fn flags(&self) -> Flags {
        Flags {
            config: self.config.clone(),
            env: self.env.clone(),
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            demo: self.demo,
            read_only: self.read_only,
            theme: self.theme.clone(),
            record: self.record.clone(),
            scale: self.scale,
            stats: self.stats,
            log_storm: self.log_storm,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The cockpit on the embedded simulated production.
    Demo {
        /// Seed of the simulation (default: config `demo.seed`, else 42).
        #[arg(long)]
        seed: Option<u64>,
        /// Play this drill on the simulation (see `flightdeck scenario list`).
        #[arg(long, value_name = "NAME")]
        scenario: Option<String>,
    },
    /// A recorded session: replayed in the cockpit (read-only), its
    /// postmortem timeline (`--timeline`), or an asciicast (`--export-cast`).
    Replay {
        /// The recording (`--record FILE`, the state directory's
        /// `recordings/`, or `s3://bucket/key` from `flightdeck recordings`).
        file: PathBuf,
        /// List what happened and what the operator did, in time order.
        #[arg(long)]
        timeline: bool,
        /// With --timeline: one JSON object on stdout.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// With --timeline: a Markdown table for a postmortem document.
        #[arg(long)]
        markdown: bool,
        /// Write the replay as an asciicast v2 file (asciinema) instead.
        #[arg(long, value_name = "OUT", conflicts_with = "timeline")]
        export_cast: Option<PathBuf>,
    },
    /// Incident drills to play on the simulation.
    Scenario {
        #[command(subcommand)]
        action: ScenarioAction,
    },
    /// The cockpit on the configured environment(s) (the default command).
    Tui,
    /// Configuration file: check, path, init.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Themes.
    Theme {
        #[command(subcommand)]
        action: ThemeAction,
    },
    /// Shell completions on stdout: `flightdeck completions bash > ~/.local/share/bash-completion/completions/flightdeck`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The manual page (roff) on stdout: `flightdeck man | man -l -`.
    Man,
    /// What would stop the cockpit, and how to fix it: config, each
    /// environment's region, identity, SSO login, clock, endpoint and read
    /// permissions, session-manager-plugin, the terminal. Exit 1 on a FAIL.
    Doctor {
        /// One JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Every environment, configured and discovered ([[discover]]), with
    /// its account, region, source and whether it is production.
    Envs {
        /// Ask the organisation again instead of the kept discovery.
        #[arg(long)]
        refresh: bool,
        /// One JSON array on stdout.
        #[arg(long)]
        json: bool,
    },
    /// The team's runbook actions: `action list`, or `action NAME` run
    /// where the flags point (planned, confirmed and audited when it writes).
    Action {
        /// The action's name, or `list`.
        name: String,
        /// The service (scope service or task).
        #[arg(long)]
        service: Option<String>,
        /// The service's cluster (default: found by the service's name).
        #[arg(long)]
        cluster: Option<String>,
        /// The task (scope task; default: the service's first running one).
        #[arg(long)]
        task: Option<String>,
        /// The container (scope task; default: the task's first).
        #[arg(long)]
        container: Option<String>,
        /// The alarm (scope alarm).
        #[arg(long)]
        alarm: Option<String>,
        /// Print the plan (the expanded command) and stop.
        #[arg(long)]
        dry_run: bool,
        /// The target's name (service, task, alarm or environment): a
        /// writing action runs only with it.
        #[arg(long, value_name = "NAME")]
        confirm: Option<String>,
        /// One JSON object on stdout (`action list`: one array).
        #[arg(long)]
        json: bool,
    },
    /// The team's recordings in its bucket ([team] recordings), newest
    /// first, each with the address `replay` takes.
    Recordings {
        /// One JSON array on stdout.
        #[arg(long)]
        json: bool,
    },
    /// What the team shares ([team]): `init` creates the lease table.
    Team {
        #[command(subcommand)]
        action: TeamAction,
    },
    #[command(flatten)]
    Read(ReadSubcommand),
    #[command(flatten)]
    Write(WriteSubcommand),
}

#[derive(Debug, Subcommand)]
pub enum TeamAction {
    /// Create [team] lease_table (DynamoDB, on-demand) with TTL on, in
    /// the account of [team] environment; nothing when it exists.
    Init,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate a config file (default: the configured one); exit 2 on error.
    Check { file: Option<PathBuf> },
    /// Print where flightdeck keeps its files.
    Path,
    /// Write the documented example config to the config path.
    Init,
}

#[derive(Debug, Subcommand)]
pub enum ScenarioAction {
    /// The drills there are: embedded and the config directory's `scenarios/`.
    List {
        /// One JSON array on stdout.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ThemeAction {
    /// List the built-in and user themes.
    List,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// One valid invocation of every subcommand (its path and the arguments
    /// it needs). A subcommand missing here fails the test below.
    const EXAMPLES: &[&[&str]] = &[
        &["demo"],
        &["demo", "--scenario", "bad-deploy"],
        &["scenario", "list"],
        &["envs", "--refresh"],
        &["recordings", "--json"],
        &["action", "list"],
        &["team", "init"],
        &["replay", "r.jsonl", "--timeline"],
        &["tui"],
        &["config", "check"],
        &["config", "path"],
        &["config", "init"],
        &["theme", "list"],
        &["completions", "bash"],
        &["man"],
        &["doctor"],
        &["services"],
        &["alarms"],
        &["tasks", "--service", "s"],
        &["scaling"],
        &["logs", "--cluster", "c", "--service", "s"],
        &["costs"],
        &["triage"],
        &["diff", "--service", "s", "--from", "3"],
        &[
            "timeline",
            "--service",
            "s",
            "--since",
            "1h",
            "--kind",
            "deploy,write",
        ],
        &["deploy", "--cluster", "c", "--service", "s", "--force"],
        &["rollback", "--cluster", "c", "--service", "s"],
        &[
            "scale",
            "--cluster",
            "c",
            "--service",
            "s",
            "--desired",
            "3",
        ],
        &[
            "strategy",
            "--cluster",
            "c",
            "--service",
            "s",
            "--to",
            "canary:10:5",
        ],
        &["continue", "--cluster", "c", "--service", "s"],
        &["stop-task", "--service", "s", "--task", "0f1e2d3c"],
        &["run-task", "--service", "s", "--command", "bin/migrate"],
        &["exec", "--service", "s", "--command", "ls /"],
        &["port-forward", "--service", "s", "--remote-port", "5432"],
    ];

    /// The leaf subcommands of the command line, as paths of names.
    fn leaves(command: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let subs: Vec<_> = command.get_subcommands().collect();
        if subs.is_empty() {
            out.push(prefix);
            return;
        }
        for sub in subs {
            let mut path = prefix.clone();
            path.push(sub.get_name().to_string());
            leaves(sub, path, out);
        }
    }

    /// How to give a global flag on the command line, and what it must read as.
    fn spelled(arg: &clap::Arg) -> Vec<String> {
        let long = format!("--{}", arg.get_long().unwrap_or_default());
        // Counts are named N or LINES.
        let numeric = arg
            .get_value_names()
            .is_some_and(|v| v.iter().any(|n| *n == "N" || *n == "LINES"));
        let value = if numeric { "10" } else { "value" };
        // A flag that needs another comes with it.
        let mut out = if arg.get_id() == "log_storm" {
            vec!["--scale".to_string(), "10".to_string()]
        } else {
            vec![]
        };
        match arg.get_num_args() {
            Some(n) if n.takes_values() && n.min_values() == 0 => out.push(long),
            _ if arg.get_action().takes_values() => out.extend([long, value.into()]),
            _ => out.push(long),
        }
        out
    }

    #[test]
    fn every_global_flag_works_before_and_after_every_subcommand() {
        let command = Cli::command();
        let mut paths = vec![];
        leaves(&command, vec![], &mut paths);
        for path in &paths {
            assert!(
                EXAMPLES
                    .iter()
                    .any(|e| e.starts_with(&path.iter().map(String::as_str).collect::<Vec<_>>())),
                "no example of `{}` in EXAMPLES",
                path.join(" ")
            );
        }
        let globals: Vec<&clap::Arg> = command
            .get_arguments()
            .filter(|a| a.is_global_set() && a.get_long().is_some())
            .collect();
        assert!(globals.len() >= 8, "{globals:?}");
        for global in &globals {
            for example in EXAMPLES {
                let flag = spelled(global);
                let before: Vec<String> = ["flightdeck".to_string()]
                    .into_iter()
                    .chain(flag.iter().cloned())
                    .chain(example.iter().map(|s| s.to_string()))
                    .collect();
                let after: Vec<String> = ["flightdeck".to_string()]
                    .into_iter()
                    .chain(example.iter().map(|s| s.to_string()))
                    .chain(flag.iter().cloned())
                    .collect();
                for args in [before, after] {
                    let cli = Cli::try_parse_from(&args)
                        .unwrap_or_else(|e| panic!("`{}` does not parse: {e}", args.join(" ")));
                    assert!(
                        cli.command.is_some(),
                        "`{}` lost its subcommand",
                        args.join(" ")
                    );
                }
            }
        }
    }

    /// `replay --help` lists only what a replay uses; the flags it hides
    /// still parse (and reach the same place) if given.
    #[test]
    fn replay_help_lists_only_its_own_flags() {
        let mut command = Cli::command_line();
        command.build();
        let replay = command
            .find_subcommand_mut("replay")
            .unwrap()
            .render_help()
            .to_string();
        for hidden in [
            "--profile",
            "--region",
            "--endpoint-url",
            "--demo",
            "--scale",
            "--record <",
        ] {
            assert!(!replay.contains(hidden), "{hidden} in {replay}");
        }
        assert!(
            replay.contains("--export-cast") && replay.contains("--theme"),
            "{replay}"
        );
        let services = command
            .find_subcommand_mut("services")
            .unwrap()
            .render_help()
            .to_string();
        assert!(services.contains("--profile"), "{services}");
        let cli = Cli::parse_args(["flightdeck", "replay", "f.jsonl", "--profile", "x"]).unwrap();
        assert_eq!(cli.global.profile, None);
        assert_eq!(cli.ignored, ["replay does not use --profile (ignored)"]);
        let cli = Cli::parse_args(["flightdeck", "services", "--theme", "nope"]).unwrap();
        assert_eq!(cli.global.theme, None);
        let cli = Cli::parse_args(["flightdeck", "--demo", "services"]).unwrap();
        assert!(cli.global.demo);
    }

    /// Issue 23, item 16: `demo --help` lists no AWS flag, and the drills'
    /// help (and `scenario list`'s) none that reads an environment; given
    /// anyway, they still parse.
    #[test]
    fn the_demo_and_the_drills_help_list_only_their_own_flags() {
        let mut command = Cli::command_line();
        command.build();
        let help = |command: &mut clap::Command, path: &[&str]| {
            let mut sub = command.find_subcommand_mut(path[0]).unwrap();
            for name in &path[1..] {
                sub = sub.find_subcommand_mut(name).unwrap();
            }
            sub.render_help().to_string()
        };
        let demo = help(&mut command, &["demo"]);
        for hidden in ["--profile", "--region", "--endpoint-url", "--demo "] {
            assert!(!demo.contains(hidden), "{hidden} in {demo}");
        }
        assert!(
            demo.contains("--scenario") && demo.contains("--record"),
            "{demo}"
        );
        for path in [&["scenario"][..], &["scenario", "list"], &["theme", "list"]] {
            let text = help(&mut command, path);
            for hidden in ["--profile", "--region", "--env ", "--scale", "--read-only"] {
                assert!(!text.contains(hidden), "{hidden} in {path:?}: {text}");
            }
            assert!(text.contains("--config"), "{text}");
        }
        let cli = Cli::parse_args(["flightdeck", "demo", "--region", "eu-west-1"]).unwrap();
        assert_eq!(cli.global.region, None, "ignored");
        let cli = Cli::parse_args(["flightdeck", "scenario", "list", "--env", "x"]).unwrap();
        assert_eq!(cli.global.env, None, "ignored");
        assert_eq!(cli.ignored, ["scenario does not use --env (ignored)"]);
        let cli = Cli::parse_args(["flightdeck", "--profile", "p", "demo", "--read-only"]).unwrap();
        assert_eq!(cli.ignored, ["demo does not use --profile (ignored)"]);
        let cli = Cli::parse_args(["flightdeck", "--read-only", "services"]).unwrap();
        assert!(cli.ignored.is_empty(), "{:?}", cli.ignored);
        let cli = Cli::parse_args(["flightdeck", "replay", "f.jsonl", "--theme", "x"]).unwrap();
        assert!(cli.ignored.is_empty(), "{:?}", cli.ignored);
    }

    #[test]
    fn read_only_before_a_write_is_read_only_and_keeps_the_write() {
        let cli = Cli::try_parse_from([
            "flightdeck",
            "--read-only",
            "scale",
            "--cluster",
            "c",
            "--service",
            "s",
            "--desired",
            "3",
            "--confirm",
            "s",
        ])
        .unwrap();
        assert_eq!(cli.global.read_only, Some(true));
        assert!(matches!(
            cli.command,
            Some(Command::Write(WriteSubcommand::Scale { .. }))
        ));
        let cli = Cli::try_parse_from(["flightdeck", "--read-only=false", "services"]).unwrap();
        assert_eq!(cli.global.read_only, Some(false));
    }
}
