//! One resolved configuration of a run: flags, environment variables, the
//! config file and defaults merged once, by [`Options::resolve`], into one
//! validated value that the session, the cockpit and the commands take.
//! Nothing below this module sees the command line.
//!
//! Precedence: defaults < config file < environment section < environment
//! variables < flags.

use crate::config::{Config, Paths};
use flightdeck_tui::theme::{self, ThemeSet};
use std::path::PathBuf;

/// The global flags as the command line gave them (clap fills in the
/// `FLIGHTDECK_*` variables it is told about).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flags {
    pub config: Option<PathBuf>,
    pub env: Option<String>,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub demo: bool,
    pub read_only: Option<bool>,
    pub theme: Option<String>,
    /// `--record FILE`: the cockpit session recorded there.
    pub record: Option<PathBuf>,
    /// `--scale N`: a generated estate beside the seed environments.
    pub scale: Option<u32>,
    /// `--stats`: the API calls a command made, on stderr.
    pub stats: bool,
    /// `--log-storm LINES`: lines a second one estate service logs.
    pub log_storm: Option<u32>,
}

/// What the process environment says, read once; tests pass their own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    /// `NO_COLOR` set to something (no-color.org).
    pub no_color: bool,
    /// `AWS_PROFILE`, which beats a config section only where it is silent.
    pub aws_profile: Option<String>,
    /// `FLIGHTDECK_LOG`, a `tracing` filter for the log file.
    pub log: Option<String>,
}

impl Vars {
    pub fn from_process() -> Vars {
        Vars {
            no_color: theme::no_color_requested(),
            aws_profile: std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()),
            log: std::env::var("FLIGHTDECK_LOG").ok(),
        }
    }
}

/// Where to reach AWS, overriding every selected environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsOverrides {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// Everything a run needs to know about how it was asked to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub paths: Paths,
    pub config: Config,
    pub themes: ThemeSet,
    /// The theme to draw with, known to exist in `themes`.
    pub theme: String,
    /// Whether `theme` was chosen by `--theme` or `NO_COLOR`, which beat
    /// the per-environment themes of the config.
    pub theme_is_explicit: bool,
    /// The embedded simulated production instead of AWS.
    pub demo: bool,
    pub seed: u64,
    /// The drill `demo --scenario` plays.
    pub scenario: Option<String>,
    /// `--stats`: print the API calls a command made.
    pub stats: bool,
    /// The generated estate of `--scale`, on the simulation.
    pub estate: Option<flightdeck_sim::estate::EstateSpec>,
    /// Only this environment.
    pub env: Option<String>,
    pub aws: AwsOverrides,
    /// `AWS_PROFILE`, for sections that name no profile.
    pub aws_profile_env: Option<String>,
    /// Every environment refuses writes.
    pub read_only: bool,
    /// No progress for this long is a STUCK rollout.
    pub stuck_after: chrono::Duration,
    /// `tracing` filter for the log file.
    pub log_filter: String,
    /// `--record FILE`.
    pub record: Option<PathBuf>,
    /// The automatic recordings in the state directory.
    pub recording: crate::config::RecordingConfig,
    /// The team's runbook actions, checked (`[[action]]`, `actions/*.toml`).
    pub actions: Vec<flightdeck_core::action::Spec>,
}

/// This process's run of the simulation, for its audit records: the
/// process and the instant it first asked, so no two runs share it.
fn demo_run() -> &'static str {
    static RUN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let now = flightdeck_model::clock::Clock::now(&flightdeck_model::clock::SystemClock);
        format!(
            "{}-{}",
            std::process::id(),
            now.timestamp_nanos_opt().unwrap_or_default()
        )
    })
}

/// This machine's name, read once (a hundred discovered environments each
/// name their session after the operator).
fn host() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "host".into())
    })
}

/// The seed of the simulation when neither `--seed` nor the config names one.
pub const DEFAULT_SEED: u64 = 42;

impl Options {
    /// The operator as the team sees them: `[team] operator`, else the OS
    /// user at the host; characters a log stream's name cannot hold (`:` `*`)
    /// become `-`.
    pub fn operator(&self) -> String {
        let name = self.config.team.operator.clone().unwrap_or_else(|| {
            let user = std::env::var("USER").unwrap_or_else(|_| "operator".into());
            format!("{user}@{}", host())
        });
        name.replace([':', '*'], "-")
    }

    /// Reads the config file and the themes and resolves the options of a
    /// run. `demo_seed` is `Some` for `flightdeck demo` (with its `--seed`).
    pub fn load(flags: &Flags, demo_seed: Option<Option<u64>>) -> anyhow::Result<Options> {
        let paths = Paths::discover(flags.config.clone());
        paths.prepare()?;
        let themes = ThemeSet::load(Some(&paths.themes_dir))?;
        let config = load_config(&paths, flags.config.is_some(), &themes)?;
        let source = paths
            .config_file
            .exists()
            .then(|| flightdeck_tui::diagnostic::FileError::read(&paths.config_file))
            .transpose()?;
        let actions = crate::config::actions::load(
            &paths.config_file,
            source.as_deref(),
            &config.actions,
            &paths.actions_dir,
            &config.keymap(),
        )?;
        let mut options = Options::resolve(
            flags,
            demo_seed,
            &Vars::from_process(),
            paths,
            config,
            themes,
        )?;
        // The demo offers the simulation's sample actions to a config
        // that has none of its own.
        options.actions = if actions.is_empty() && options.demo {
            crate::config::actions::samples(&options.config.keymap())
        } else {
            actions
        };
        Ok(options)
    }

    /// The audit log of this run's writes: the operator's for AWS; for the
    /// simulation a file of its own, its records stamped with this run and
    /// only they read back (each run makes a new world, which shows only
    /// its own writes; a drill's restart begins another, `AuditLog::restart`).
    pub fn audit_log(&self) -> flightdeck_core::ops::AuditLog {
        use flightdeck_core::ops::AuditLog;
        if self.demo {
            AuditLog::new(self.paths.demo_audit_log()).for_run(demo_run())
        } else {
            AuditLog::new(&self.paths.audit_log)
        }
    }

    /// The options of a test's run: no config, no flags, `paths`.
    #[cfg(test)]
    pub(crate) fn for_test(paths: Paths) -> Options {
        let config = Config::parse(std::path::Path::new("test.toml"), "").unwrap();
        let themes = ThemeSet::load(None).unwrap();
        Options::resolve(
            &Flags::default(),
            None,
            &Vars::default(),
            paths,
            config,
            themes,
        )
        .unwrap()
    }

    /// The pure part: merges what was read by the precedence of the module
    /// doc and validates the result.
    pub fn resolve(
        flags: &Flags,
        demo_seed: Option<Option<u64>>,
        vars: &Vars,
        paths: Paths,
        config: Config,
        themes: ThemeSet,
    ) -> anyhow::Result<Options> {
        let theme = theme::choose(
            flags.theme.as_deref(),
            vars.no_color,
            config.theme.as_ref().map(|t| t.get_ref().as_str()),
        );
        themes.require(&theme).map_err(anyhow::Error::msg)?;
        let theme_is_explicit = theme != theme::DEFAULT_THEME
            && config.theme.as_ref().is_none_or(|t| *t.get_ref() != theme);
        let seed = demo_seed
            .flatten()
            .or(config.demo.seed)
            .unwrap_or(DEFAULT_SEED);
        let demo = flags.demo || demo_seed.is_some();
        if flags.scale.is_some() && !demo {
            anyhow::bail!(
                "--scale generates services on the simulation: use it with `flightdeck demo` or --demo"
            );
        }
        Ok(Options {
            stats: flags.stats,
            demo,
            seed,
            scenario: None,
            estate: flags.scale.map(|n| flightdeck_sim::estate::EstateSpec {
                services: n as usize,
                log_storm: flags.log_storm.unwrap_or(0),
            }),
            env: flags.env.clone(),
            aws: AwsOverrides {
                profile: flags.profile.clone(),
                region: flags.region.clone(),
                endpoint_url: flags.endpoint_url.clone(),
            },
            aws_profile_env: vars.aws_profile.clone(),
            read_only: flags.read_only.unwrap_or(config.read_only),
            stuck_after: config
                .stuck_after()
                .unwrap_or(flightdeck_core::ops::STUCK_AFTER),
            record: flags.record.clone(),
            recording: config.recording.clone(),
            actions: vec![],
            log_filter: vars
                .log
                .clone()
                .or_else(|| config.log_level.clone())
                .unwrap_or_else(|| "info".into()),
            theme,
            theme_is_explicit,
            paths,
            config,
            themes,
        })
    }
}

/// Loads the config (the file must exist only when named explicitly) and
/// checks its theme names.
pub fn load_config(paths: &Paths, must_exist: bool, themes: &ThemeSet) -> anyhow::Result<Config> {
    Ok(Config::load(&paths.config_file, must_exist, |n| {
        themes.get(n).is_some()
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(flags: Flags, vars: Vars, config: &str) -> anyhow::Result<Options> {
        let paths = Paths::discover(None);
        let config = Config::parse(std::path::Path::new("test.toml"), config).unwrap();
        Options::resolve(
            &flags,
            None,
            &vars,
            paths,
            config,
            ThemeSet::load(None).unwrap(),
        )
    }

    #[test]
    fn flags_beat_the_config_file_which_beats_defaults() {
        let o = resolve(Flags::default(), Vars::default(), "").unwrap();
        assert!(!o.read_only);
        assert_eq!(o.seed, DEFAULT_SEED);
        assert_eq!(o.theme, theme::DEFAULT_THEME);
        assert_eq!(o.stuck_after, flightdeck_core::ops::STUCK_AFTER);
        assert_eq!(o.log_filter, "info");

        let file = "read_only = true\ntheme = \"light\"\nstuck_after_minutes = 3\nlog_level = \"debug\"\n[demo]\nseed = 7\n";
        let o = resolve(Flags::default(), Vars::default(), file).unwrap();
        assert!(o.read_only);
        assert_eq!((o.seed, o.theme.as_str()), (7, "light"));
        assert_eq!(o.stuck_after, chrono::Duration::minutes(3));
        assert_eq!(o.log_filter, "debug");
        assert!(!o.theme_is_explicit);

        let vars = Vars {
            log: Some("trace".into()),
            ..Vars::default()
        };
        let flags = Flags {
            read_only: Some(false),
            theme: Some("high-contrast".into()),
            ..Flags::default()
        };
        let o = resolve(flags, vars, file).unwrap();
        assert!(!o.read_only, "--read-only=false beats the file");
        assert_eq!(o.theme, "high-contrast");
        assert!(o.theme_is_explicit);
        assert_eq!(o.log_filter, "trace", "FLIGHTDECK_LOG beats log_level");
    }

    #[test]
    fn no_color_beats_the_configured_theme_but_not_an_explicit_one() {
        let vars = Vars {
            no_color: true,
            ..Vars::default()
        };
        let o = resolve(Flags::default(), vars.clone(), "theme = \"light\"\n").unwrap();
        assert_eq!(o.theme, "monochrome");
        let flags = Flags {
            theme: Some("dark".into()),
            ..Flags::default()
        };
        assert_eq!(resolve(flags, vars, "").unwrap().theme, "dark");
    }

    #[test]
    fn an_unknown_theme_is_refused_with_the_choices() {
        let flags = Flags {
            theme: Some("neon".into()),
            ..Flags::default()
        };
        let err = resolve(flags, Vars::default(), "").unwrap_err().to_string();
        assert!(err.contains("unknown theme `neon`"), "{err}");
        assert!(err.contains("monochrome"), "{err}");
    }
}
