//! Configuration: a TOML file found with the `directories` crate (XDG on
//! Linux), overridden by `--config`. Errors name file, line and column;
//! unknown keys are errors, never silently ignored.
//!
//! Precedence: defaults < config file < environment section < environment
//! variables < flags (merged by `crate::options`).

mod paths;
pub mod scenarios;

pub use paths::Paths;

use flightdeck_tui::diagnostic::FileError;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// The documented example, shipped in the binary for `config init`.
pub const EXAMPLE: &str = include_str!("../../config.example.toml");

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Theme name (built-in or from the user's themes directory).
    pub theme: Option<Spanned<String>>,
    /// Refuse every write in every environment.
    #[serde(default)]
    pub read_only: bool,
    /// `tracing` filter for the log file, e.g. `info` or `flightdeck=debug`.
    pub log_level: Option<String>,
    /// Minutes without progress after which a rollout is STUCK (default 10).
    pub stuck_after_minutes: Option<u32>,
    /// Log lines the logs pane keeps per log group (default 50,000).
    pub log_buffer_lines: Option<Spanned<u32>>,
    #[serde(default)]
    pub demo: DemoConfig,
    #[serde(default)]
    pub recording: RecordingConfig,
    #[serde(default, rename = "environment")]
    pub environments: Vec<EnvironmentConfig>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// Seed of the simulated production; the same seed replays the same world.
    pub seed: Option<u64>,
}

/// The flight recorder's automatic recordings in the state directory.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RecordingConfig {
    pub enabled: bool,
    /// How many sessions are kept (the oldest go first).
    pub keep: u32,
    /// How many megabytes the kept sessions may take together, at a
    /// session's start (the oldest go first).
    pub max_mb: u64,
}

impl Default for RecordingConfig {
    fn default() -> Self {
        RecordingConfig {
            enabled: true,
            keep: 10,
            max_mb: 500,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    pub name: Spanned<String>,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<Spanned<String>>,
    /// Only these clusters; all when absent.
    pub clusters: Option<Vec<String>>,
    /// Defaults to the name convention: `-prod` or `-production` suffix.
    pub production: Option<bool>,
    #[serde(default)]
    pub read_only: bool,
    pub theme: Option<Spanned<String>>,
}

impl EnvironmentConfig {
    pub fn is_production(&self) -> bool {
        self.production
            .unwrap_or_else(|| flightdeck_model::is_production_name(self.name.get_ref()))
    }
}

/// What `log_buffer_lines` may be.
const LOG_BUFFER_LINES: std::ops::RangeInclusive<u32> = 1000..=1_000_000;

impl Config {
    /// Log lines kept per log group.
    pub fn log_buffer_lines(&self) -> usize {
        self.log_buffer_lines
            .as_ref()
            .map_or(flightdeck_tui::app::LOG_BUFFER, |l| *l.get_ref() as usize)
    }

    /// How long a rollout may make no progress before it is STUCK, when
    /// the file says.
    pub fn stuck_after(&self) -> Option<chrono::Duration> {
        self.stuck_after_minutes
            .map(|m| chrono::Duration::minutes(i64::from(m.max(1))))
    }

    /// Parses and validates a config file's text.
    pub fn parse(path: &Path, source: &str) -> Result<Config, FileError> {
        let config: Config = FileError::parse_toml(path, source)?;
        config.validate(path, source)?;
        Ok(config)
    }

    /// Reads, parses and validates `path`, theme names included; a missing
    /// file at the default location is an empty config.
    pub fn load(
        path: &Path,
        must_exist: bool,
        known_theme: impl Fn(&str) -> bool,
    ) -> Result<Config, FileError> {
        if !must_exist && !path.exists() {
            return Ok(Config::default());
        }
        let source = FileError::read(path)?;
        let config = Config::parse(path, &source)?;
        config.check_themes(path, &source, known_theme)?;
        Ok(config)
    }

    fn validate(&self, path: &Path, source: &str) -> Result<(), FileError> {
        if let Some(lines) = &self.log_buffer_lines
            && !LOG_BUFFER_LINES.contains(lines.get_ref())
        {
            return Err(FileError::at(
                path,
                source,
                lines.span().start,
                format!(
                    "log_buffer_lines must be {} to {} (it bounds the memory the logs pane takes)",
                    LOG_BUFFER_LINES.start(),
                    LOG_BUFFER_LINES.end()
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for env in &self.environments {
            let name = env.name.get_ref();
            let at = env.name.span().start;
            if name.trim().is_empty() {
                return Err(FileError::at(
                    path,
                    source,
                    at,
                    "environment name must not be empty",
                ));
            }
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(FileError::at(
                    path,
                    source,
                    at,
                    format!("environment name `{name}` may only use letters, digits, `-` and `_`"),
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(FileError::at(
                    path,
                    source,
                    at,
                    format!("environment `{name}` is defined twice"),
                ));
            }
            if let Some(url) = &env.endpoint_url
                && !(url.get_ref().starts_with("http://") || url.get_ref().starts_with("https://"))
            {
                return Err(FileError::at(
                    path,
                    source,
                    url.span().start,
                    format!(
                        "endpoint_url `{}` must start with http:// or https://",
                        url.get_ref()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks every theme name against the themes that exist.
    pub fn check_themes(
        &self,
        path: &Path,
        source: &str,
        exists: impl Fn(&str) -> bool,
    ) -> Result<(), FileError> {
        let named = self
            .theme
            .iter()
            .chain(self.environments.iter().filter_map(|e| e.theme.as_ref()));
        for theme in named {
            if !exists(theme.get_ref()) {
                return Err(FileError::at(
                    path,
                    source,
                    theme.span().start,
                    format!(
                        "unknown theme `{}` (see `flightdeck theme list`)",
                        theme.get_ref()
                    ),
                ));
            }
        }
        Ok(())
    }

    pub fn environment(&self, name: &str) -> Option<&EnvironmentConfig> {
        self.environments.iter().find(|e| e.name.get_ref() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<Config, FileError> {
        Config::parse(Path::new("c.toml"), src)
    }

    #[test]
    fn the_example_parses_and_documents_every_key() {
        let c = parse(EXAMPLE).unwrap();
        assert!(c.theme.is_some() && c.log_level.is_some() && c.demo.seed.is_some());
        let e = &c.environments[0];
        assert!(
            e.profile.is_some()
                && e.region.is_some()
                && e.endpoint_url.is_some()
                && e.clusters.is_some()
        );
        assert!(e.production.is_some() && e.theme.is_some());
    }

    #[test]
    fn unknown_keys_are_reported_with_line_and_column() {
        let err =
            parse("theme = \"dark\"\n[[environment]]\nname = \"a\"\nregoin = \"x\"\n").unwrap_err();
        assert_eq!((err.line, err.column), (4, 1), "{err}");
        assert!(err.message.contains("unknown field `regoin`"), "{err}");
    }

    #[test]
    fn the_log_buffer_is_bounded_and_a_bad_size_located() {
        assert_eq!(parse("").unwrap().log_buffer_lines(), 50_000);
        assert_eq!(
            parse("log_buffer_lines = 2000\n")
                .unwrap()
                .log_buffer_lines(),
            2000
        );
        for bad in ["10", "5000000", "0"] {
            let err = parse(&format!("read_only = true\nlog_buffer_lines = {bad}\n")).unwrap_err();
            assert_eq!((err.line, err.column), (2, 20), "{bad}: {err}");
            assert!(err.to_string().contains("1000 to 1000000"), "{err}");
        }
    }

    #[test]
    fn duplicate_environments_point_at_the_second() {
        let err =
            parse("[[environment]]\nname = \"a\"\n[[environment]]\nname = \"a\"\n").unwrap_err();
        assert_eq!((err.line, err.column), (4, 8), "{err}");
    }

    #[test]
    fn production_follows_the_name_unless_set() {
        let c = parse("[[environment]]\nname = \"x-prod\"\n[[environment]]\nname = \"y\"\nproduction = true\n[[environment]]\nname = \"z-prod\"\nproduction = false\n").unwrap();
        let p: Vec<bool> = c
            .environments
            .iter()
            .map(EnvironmentConfig::is_production)
            .collect();
        assert_eq!(p, [true, true, false]);
    }

    proptest::proptest! {
        #[test]
        fn any_config_text_parses_or_fails_at_a_place_with_a_safe_message(src in "(?s).{0,400}") {
            if let Err(e) = parse(&src) {
                proptest::prop_assert!(e.line <= src.matches('\n').count() + 1);
                let shown = e.to_string();
                proptest::prop_assert!(shown.starts_with("c.toml"), "{}", shown);
                proptest::prop_assert!(!shown.chars().any(flightdeck_model::text::is_unsafe), "{:?}", shown);
            }
        }

        #[test]
        fn environment_sections_with_any_values_never_panic(
            name in ".{0,20}", region in ".{0,20}", url in ".{0,30}", prod in proptest::bool::ANY,
        ) {
            let src = format!(
                "[[environment]]\nname = {name:?}\nregion = {region:?}\nendpoint_url = {url:?}\nproduction = {prod}\n"
            );
            let _ = parse(&src);
        }
    }
}
