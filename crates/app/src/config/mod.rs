//! Configuration: a TOML file found with the `directories` crate (XDG on
//! Linux), overridden by `--config`. Errors name file, line and column;
//! unknown keys are errors, never silently ignored.
//!
//! Precedence: defaults < config file < environment section < environment
//! variables < flags (merged by `crate::options`).

pub mod actions;
mod paths;
pub mod scenarios;

pub use paths::Paths;

use flightdeck_tui::app::keymap::{Keymap, Overrides};
use flightdeck_tui::diagnostic::FileError;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// The documented example, shipped in the binary for `config init`.
pub const EXAMPLE: &str = include_str!("../../../../config.example.toml");

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
    /// Minutes without progress after which a rollout is STUCK (default
    /// 10; 1 to 1440, as `--stuck-after` takes 10 s to 1 d).
    pub stuck_after_minutes: Option<Spanned<u32>>,
    /// Log lines the logs pane keeps per log group (default 50,000).
    pub log_buffer_lines: Option<Spanned<u32>>,
    #[serde(default)]
    pub demo: DemoConfig,
    #[serde(default)]
    pub recording: RecordingConfig,
    /// Mouse clicks and the wheel in the cockpit (default on); off leaves
    /// the mouse to the terminal, to select text.
    pub mouse: Option<bool>,
    /// Keep each environment's last known state on disk and draw it at
    /// once on the next start (default on).
    pub remember_state: Option<bool>,
    /// Actions to keys: `deploy = "D"`, `down = ["j", "Down"]`, `exec = []`.
    #[serde(default)]
    pub keys: std::collections::BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default, rename = "environment")]
    pub environments: Vec<EnvironmentConfig>,
    /// Environments found in the organisation (`[[discover]]`).
    #[serde(default)]
    pub discover: Vec<DiscoverConfig>,
    /// What the team shares (`[team]`).
    #[serde(default)]
    pub team: TeamConfig,
    /// The team's runbook actions (`[[action]]`; more in `actions/*.toml`).
    #[serde(default, rename = "action")]
    pub actions: Vec<actions::ActionConfig>,
    /// The team's runbooks by alarm-name pattern (`[[runbook]]`), for
    /// alarms that name none themselves.
    #[serde(default, rename = "runbook")]
    pub runbooks: Vec<RunbookConfig>,
}

/// `[[runbook]]`: the runbook of the alarms whose name matches `alarm`
/// (a pattern: `*`, `?`, `[...]`); the first section that matches wins.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RunbookConfig {
    pub alarm: Spanned<String>,
    pub url: Spanned<String>,
}

/// `[team]`: the shared audit trail, leases and presence.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TeamConfig {
    /// A CloudWatch Logs group every audit record also goes to, one stream
    /// per operator.
    pub audit_log_group: Option<String>,
    /// A DynamoDB table of leases on services and of who is present
    /// (`flightdeck team init` creates it).
    pub lease_table: Option<String>,
    /// The environment (configured or discovered) whose account and
    /// credentials hold the group and the table.
    #[serde(alias = "audit_environment")]
    pub environment: Option<String>,
    /// The operator's name in the trail (default: the OS user and host).
    pub operator: Option<String>,
    /// Where finished recordings go: `s3://bucket/prefix/`, one folder per
    /// operator.
    pub recordings: Option<Spanned<String>>,
}

/// Where a `[[discover]]` section finds accounts.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiscoverFrom {
    /// IAM Identity Center, with the login `aws sso login` cached.
    Sso,
    /// AWS Organizations, from the management or a delegated-admin
    /// account, with a role assumed in each member account.
    Organizations,
}

/// The role assumed in each member account when a section names none:
/// the one Organizations creates in the accounts it creates.
pub const DEFAULT_ORGANIZATION_ROLE: &str = "OrganizationAccountAccessRole";

/// A `[[discover]]` section: the accounts of an IAM Identity Center login
/// or of an organisation, each in each of `regions`, as environments.
#[derive(Debug, Clone, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoverConfig {
    pub from: DiscoverFrom,
    /// sso: the AWS access portal's URL (`sso_start_url` of the AWS CLI).
    #[serde(default)]
    pub start_url: String,
    /// sso: the region of the IAM Identity Center instance.
    #[serde(default)]
    pub sso_region: String,
    /// sso: the roles to take in each account, the first the login has
    /// wins; an account with none of them is left out.
    #[serde(default)]
    pub roles: Vec<String>,
    /// organizations: the profile of the management or delegated-admin
    /// account (default: the default credential chain).
    pub profile: Option<String>,
    /// organizations: the role assumed in each member account (default
    /// `OrganizationAccountAccessRole`).
    pub role: Option<String>,
    /// The regions to open each account in.
    pub regions: Vec<String>,
    /// Only accounts whose name matches one of these globs (all when empty).
    #[serde(default)]
    pub include: Vec<toml::Spanned<String>>,
    /// No account whose name matches one of these globs.
    #[serde(default)]
    pub exclude: Vec<toml::Spanned<String>>,
    /// The environment's name: `{account}` (the account's name),
    /// `{account_id}`, `{region}`, `{role}`. Default `{account}` with one
    /// region, `{account}-{region}` with more.
    pub name: Option<String>,
    /// Accounts whose name matches one of these globs are not production;
    /// every other discovered account is, as everywhere.
    #[serde(default)]
    pub not_production: Vec<toml::Spanned<String>>,
    /// organizations: accounts with a tag matching one of these
    /// `key=value-glob` are not production (`environment=staging`).
    #[serde(default)]
    pub not_production_tags: Vec<toml::Spanned<String>>,
    /// organizations: accounts under an organizational unit (at any depth)
    /// whose name matches one of these globs are not production.
    #[serde(default)]
    pub not_production_ous: Vec<toml::Spanned<String>>,
    /// Refuse writes in every discovered environment.
    #[serde(default)]
    pub read_only: bool,
    /// Another endpoint for the portal and every AWS service (tests, a VPC
    /// endpoint).
    pub endpoint_url: Option<String>,
    /// How long a discovery is kept before it is made again (default 12).
    pub cache_hours: Option<u32>,
}

impl DiscoverConfig {
    /// The globs of the section, each with where it is written.
    fn globs(&self) -> impl Iterator<Item = &toml::Spanned<String>> {
        self.include
            .iter()
            .chain(&self.exclude)
            .chain(&self.not_production)
            .chain(&self.not_production_ous)
    }

    /// The role assumed in each member account (organizations).
    pub fn organization_role(&self) -> &str {
        self.role.as_deref().unwrap_or(DEFAULT_ORGANIZATION_ROLE)
    }

    /// What is wrong with the section: a key it needs and lacks, a key of
    /// the other source, a value no account could have; as the key to
    /// point at (`None`: the section's header) and the message.
    fn problem(&self) -> Option<(Option<&'static str>, String)> {
        let sso = self.from == DiscoverFrom::Sso;
        let other_source = if sso {
            [
                ("profile", self.profile.is_some()),
                ("role", self.role.is_some()),
                ("not_production_tags", !self.not_production_tags.is_empty()),
                ("not_production_ous", !self.not_production_ous.is_empty()),
            ]
            .into_iter()
            .find(|(_, set)| *set)
            .map(|(key, _)| {
                (
                    key,
                    format!("{key} is for from = \"organizations\", not from = \"sso\""),
                )
            })
        } else {
            [
                ("start_url", !self.start_url.is_empty()),
                ("sso_region", !self.sso_region.is_empty()),
                ("roles", !self.roles.is_empty()),
            ]
            .into_iter()
            .find(|(_, set)| *set)
            .map(|(key, _)| {
                (
                    key,
                    format!(
                        "{key} is for from = \"sso\"; from = \"organizations\" assumes `role` in each account"
                    ),
                )
            })
        };
        if let Some((key, message)) = other_source {
            return Some((Some(key), message));
        }
        if sso && (self.start_url.is_empty() || self.sso_region.is_empty()) {
            return Some((None, "from = \"sso\" needs start_url and sso_region".into()));
        }
        if sso && (self.roles.is_empty() || self.roles.iter().any(|r| r.trim().is_empty())) {
            return Some((
                Some("roles").filter(|_| !self.roles.is_empty()),
                "from = \"sso\" needs roles: the roles to take in each account, none empty".into(),
            ));
        }
        if self.role.as_deref().is_some_and(|r| r.trim().is_empty()) {
            return Some((
                Some("role"),
                "role is empty: name the role to assume".into(),
            ));
        }
        if self.regions.is_empty() {
            return Some((
                Some("regions"),
                "regions is empty: name the regions to open each account in".into(),
            ));
        }
        if let Some(bad) = self.regions.iter().find(|r| !is_region(r)) {
            return Some((
                Some("regions"),
                format!("`{bad}` is not a region's name (like eu-west-1)"),
            ));
        }
        None
    }
}

/// Whether `name` is shaped like an AWS region's name: `eu-west-1`,
/// `us-gov-east-1`, `cn-north-1`.
fn is_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
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
    /// Whether writes here need the typed confirmation. Production unless
    /// the config says `production = false`: a name is never trusted.
    pub production: Option<bool>,
    #[serde(default)]
    pub read_only: bool,
    pub theme: Option<Spanned<String>>,
}

impl EnvironmentConfig {
    /// Production unless the config says `production = false`.
    pub fn is_production(&self) -> bool {
        self.production.unwrap_or(true)
    }

    /// Whether this environment is production only because its config is
    /// silent (`doctor` names it, and how to mark it otherwise).
    pub fn production_by_default(&self) -> bool {
        self.production.is_none()
    }
}

fn keys_type(name: &str) -> String {
    format!("`{name}` takes a key or a list of keys, such as \"x\" or [\"x\", \"C-x\"]")
}

/// Where the `index`th string of the array at `span` starts in `source`
/// (the array's own start when it cannot be told).
/// The `*.toml` files of `dir` (the operator's drills, the team's actions),
/// by name; none when there is no such directory. A directory that cannot
/// be read, or a `*.toml` that is no regular file (a FIFO would block the
/// read for ever), is refused.
pub fn toml_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, FileError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(FileError::whole_file(dir, format!("cannot read: {e}"))),
    };
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for path in &files {
        if let Ok(m) = std::fs::metadata(path)
            && !m.is_file()
            && !m.is_dir()
        {
            return Err(FileError::whole_file(path, "is not a regular file"));
        }
    }
    Ok(files)
}

/// Where the `index`-th line that is `header` (`[[discover]]`) starts, or
/// the file's start when there are fewer.
fn nth_section_at(source: &str, header: &str, index: usize) -> usize {
    let mut at = 0;
    source
        .split_inclusive('\n')
        .filter_map(|line| {
            let start = at;
            at += line.len();
            (line.trim() == header).then_some(start)
        })
        .nth(index)
        .unwrap_or(0)
}

/// Where `key = ...` starts in the section whose header starts at
/// `header`, if it is written there.
fn key_in_section(source: &str, header: usize, key: &str) -> Option<usize> {
    let mut at = header;
    for (n, line) in source.get(header..)?.split_inclusive('\n').enumerate() {
        let start = at;
        at += line.len();
        let text = line.trim_start();
        if n > 0 && text.starts_with('[') {
            return None;
        }
        if let Some(rest) = text.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return Some(start + (line.len() - text.len()));
        }
    }
    None
}

fn nth_string_at(source: &str, span: std::ops::Range<usize>, index: usize) -> usize {
    let text = source.get(span.clone()).unwrap_or_default();
    let mut starts = vec![];
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '#' => {
                // A comment inside the array runs to the line's end.
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' | '\'' => {
                starts.push(at);
                let mut escaped = false;
                for (_, d) in chars.by_ref() {
                    match d {
                        '\\' if c == '"' && !escaped => escaped = true,
                        _ if d == c && !escaped => break,
                        _ => escaped = false,
                    }
                }
            }
            _ => {}
        }
    }
    starts
        .get(index)
        .map_or(span.start, |offset| span.start + offset)
}

/// What `stuck_after_minutes` may be: a minute to a day.
const STUCK_AFTER_MINUTES: std::ops::RangeInclusive<u32> = 1..=1440;

/// What `log_buffer_lines` may be.
const LOG_BUFFER_LINES: std::ops::RangeInclusive<u32> = 1000..=1_000_000;

impl Config {
    /// The team's map of runbooks (`[[runbook]]`), checked at load.
    pub fn runbooks(&self) -> flightdeck_core::runbook::TeamMap {
        flightdeck_core::runbook::TeamMap(
            self.runbooks
                .iter()
                .filter_map(|r| {
                    let pattern = glob::Pattern::new(r.alarm.get_ref()).ok()?;
                    Some((pattern, r.url.get_ref().trim().to_string()))
                })
                .collect(),
        )
    }

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
            .as_ref()
            .map(|m| chrono::Duration::minutes(i64::from(*m.get_ref())))
    }

    /// Whether each environment's last known state is kept and drawn on
    /// the next start.
    pub fn remember_state(&self) -> bool {
        self.remember_state.unwrap_or(true)
    }

    /// Whether the cockpit takes the mouse.
    pub fn mouse(&self) -> bool {
        self.mouse.unwrap_or(true)
    }

    /// `[keys]` as (action, keys) pairs; empty when it has none.
    pub fn key_overrides(&self) -> Overrides {
        self.keys_table().unwrap_or_default()
    }

    /// The keys in force: the defaults with `[keys]` over them. A config
    /// that passed [`Config::parse`] always has one.
    pub fn keymap(&self) -> Keymap {
        self.keys_table()
            .ok()
            .and_then(|entries| Keymap::with_overrides(&entries).ok())
            .unwrap_or_default()
    }

    /// `[keys]` as (action, keys) pairs, in the file's order of names; a
    /// value that is neither a key nor a list of keys: where it is.
    fn keys_table(&self) -> Result<Overrides, (usize, String)> {
        self.keys
            .iter()
            .map(|(name, value)| {
                let keys = match value.get_ref() {
                    toml::Value::String(key) => vec![key.clone()],
                    toml::Value::Array(keys) => keys
                        .iter()
                        .map(|k| k.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| (value.span().start, keys_type(name.get_ref())))?,
                    _ => return Err((value.span().start, keys_type(name.get_ref()))),
                };
                Ok((name.get_ref().clone(), keys))
            })
            .collect()
    }

    /// Checks `[keys]`: every action known, every key a key, no key bound
    /// to two actions; an error points at the entry (or the key) at fault.
    fn check_keys(&self, path: &Path, source: &str) -> Result<(), FileError> {
        let entries = self
            .keys_table()
            .map_err(|(at, message)| FileError::at(path, source, at, message))?;
        let Err(e) = Keymap::with_overrides(&entries) else {
            return Ok(());
        };
        let Some((name, value)) = self.keys.iter().nth(e.entry) else {
            return Err(FileError::at(path, source, 0, e.message));
        };
        let at = match (e.key, value.get_ref()) {
            (None, _) => name.span().start,
            (Some(_), toml::Value::String(_)) => value.span().start,
            (Some(i), toml::Value::Array(_)) => nth_string_at(source, value.span(), i),
            _ => value.span().start,
        };
        Err(FileError::at(path, source, at, e.message))
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
        self.check_keys(path, source)?;
        for r in &self.runbooks {
            if r.alarm.get_ref().trim().is_empty() {
                return Err(FileError::at(
                    path,
                    source,
                    r.alarm.span().start,
                    "the runbook's `alarm` pattern is empty: `*` for every alarm",
                ));
            }
            if let Err(e) = glob::Pattern::new(r.alarm.get_ref()) {
                return Err(FileError::at(
                    path,
                    source,
                    r.alarm.span().start,
                    format!("`{}` is not an alarm-name pattern: {e}", r.alarm.get_ref()),
                ));
            }
            if r.url.get_ref().trim().is_empty() {
                return Err(FileError::at(
                    path,
                    source,
                    r.url.span().start,
                    "the runbook's `url` is empty",
                ));
            }
        }
        for glob in self.discover.iter().flat_map(DiscoverConfig::globs) {
            if let Err(e) = glob::Pattern::new(glob.get_ref()) {
                return Err(FileError::at(
                    path,
                    source,
                    glob.span().start,
                    format!("`{}` is not a glob: {e}", glob.get_ref()),
                ));
            }
        }
        for tag in self.discover.iter().flat_map(|d| &d.not_production_tags) {
            let problem = match tag.get_ref().split_once('=') {
                None => Some("is not `key=value-glob`".to_string()),
                Some((key, _)) if key.trim().is_empty() => {
                    Some("has no tag key before `=`".to_string())
                }
                Some((_, value)) => glob::Pattern::new(value)
                    .err()
                    .map(|e| format!("has a value that is not a glob: {e}")),
            };
            if let Some(problem) = problem {
                return Err(FileError::at(
                    path,
                    source,
                    tag.span().start,
                    format!("`{}` {problem}", tag.get_ref()),
                ));
            }
        }
        if let Some(url) = &self.team.recordings
            && let Err(problem) = flightdeck_core::s3::Location::parse(url.get_ref())
        {
            return Err(FileError::at(
                path,
                source,
                url.span().start,
                format!("recordings must be an S3 folder, s3://bucket/prefix/: {problem}"),
            ));
        }
        for (i, section) in self.discover.iter().enumerate() {
            if let Some((key, message)) = section.problem() {
                let header = nth_section_at(source, "[[discover]]", i);
                let at = key.and_then(|k| key_in_section(source, header, k));
                return Err(FileError::at(path, source, at.unwrap_or(header), message));
            }
        }
        if let Some(minutes) = &self.stuck_after_minutes
            && !STUCK_AFTER_MINUTES.contains(minutes.get_ref())
        {
            return Err(FileError::at(
                path,
                source,
                minutes.span().start,
                format!(
                    "stuck_after_minutes must be {} to {} (a rollout without progress that long is STUCK)",
                    STUCK_AFTER_MINUTES.start(),
                    STUCK_AFTER_MINUTES.end()
                ),
            ));
        }
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
        assert!(c.mouse.is_some() && !c.keys.is_empty());
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
        for bad in ["0", "1441", "4294967295"] {
            let e = parse(&format!("stuck_after_minutes = {bad}\n")).unwrap_err();
            assert_eq!((e.line, e.column), (1, 23), "{e}");
            assert!(e.to_string().contains("1 to 1440"), "{e}");
        }
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
    fn keys_remap_actions_and_errors_point_at_the_entry_or_the_key() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        use flightdeck_tui::app::keymap::Action;
        let c = parse("[keys]\ndown = [\"C-n\", \"Down\"]\nup = \"C-p\"\nexec = []\n").unwrap();
        let map = c.keymap();
        let ctrl = |ch| KeyEvent::new(KeyCode::Char(ch), KeyModifiers::CONTROL);
        assert_eq!(map.action(&ctrl('n')), Some(Action::Down));
        assert_eq!(map.action(&ctrl('p')), Some(Action::Up));
        assert_eq!(map.keys(Action::Exec), []);
        for (src, at, words) in [
            ("[keys]\ndelpoy = \"d\"\n", (2, 1), "did you mean `deploy`"),
            (
                "[keys]\nexec = 5\n",
                (2, 8),
                "takes a key or a list of keys",
            ),
            (
                "[keys]\nexec = [\"x\", # shell\n  \"Ctl-x\"]\n",
                (3, 3),
                "`Ctl-x` is not a key",
            ),
            ("[keys]\nexec = \"j\"\n", (2, 8), "already `down`'s key"),
            (
                "[keys]\ncopy = [\"z\"]\nexec = [\"a\", \"z\"]\n",
                (3, 14),
                "bound to both `copy` and `exec`",
            ),
        ] {
            let err = parse(src).unwrap_err();
            assert_eq!((err.line, err.column), at, "{src}: {err}");
            assert!(err.message.contains(words), "{src}: {err}");
        }
    }

    #[test]
    fn the_mouse_is_on_unless_turned_off() {
        assert!(parse("").unwrap().mouse());
        assert!(!parse("mouse = false\n").unwrap().mouse());
    }

    #[test]
    fn duplicate_environments_point_at_the_second() {
        let err =
            parse("[[environment]]\nname = \"a\"\n[[environment]]\nname = \"a\"\n").unwrap_err();
        assert_eq!((err.line, err.column), (4, 8), "{err}");
    }

    #[test]
    fn every_environment_is_production_unless_its_config_says_otherwise() {
        let names = [
            "prod",
            "production",
            "Prod",
            "acme-PROD",
            "prod-us-east-1",
            "default",
            "staging",
            "dev",
            "x-prod",
        ];
        let mut text = String::new();
        for n in names {
            text.push_str(&format!("[[environment]]\nname = {n:?}\n"));
        }
        text.push_str("[[environment]]\nname = \"y\"\nproduction = true\n");
        text.push_str("[[environment]]\nname = \"z-prod\"\nproduction = false\n");
        let c = parse(&text).unwrap();
        let p: Vec<(bool, bool)> = c
            .environments
            .iter()
            .map(|e| (e.is_production(), e.production_by_default()))
            .collect();
        let mut expected = vec![(true, true); names.len()];
        expected.extend([(true, false), (false, false)]);
        assert_eq!(p, expected);
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
