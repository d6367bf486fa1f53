//! Where flightdeck keeps its files, by the platform's conventions.

use directories::ProjectDirs;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub themes_dir: PathBuf,
    /// The operator's own drills (`*.toml`), beside the embedded ones.
    pub scenarios_dir: PathBuf,
    /// The team's runbook actions (`*.toml` of `[[action]]` sections).
    pub actions_dir: PathBuf,
    pub state_dir: PathBuf,
    pub audit_log: PathBuf,
    pub log_file: PathBuf,
}

impl Paths {
    /// The platform's directories (XDG on Linux); `config_override` replaces
    /// the config file only.
    pub fn discover(config_override: Option<PathBuf>) -> Paths {
        let dirs = ProjectDirs::from("", "", "flightdeck");
        let config_dir = dirs.as_ref().map_or_else(
            || PathBuf::from(".flightdeck"),
            |d| d.config_dir().to_path_buf(),
        );
        let state_dir = dirs
            .as_ref()
            .map(|d| {
                d.state_dir()
                    .unwrap_or_else(|| d.data_local_dir())
                    .to_path_buf()
            })
            .unwrap_or_else(|| PathBuf::from(".flightdeck/state"));
        Paths {
            config_file: config_override.unwrap_or_else(|| config_dir.join("config.toml")),
            themes_dir: config_dir.join("themes"),
            scenarios_dir: config_dir.join("scenarios"),
            actions_dir: config_dir.join("actions"),
            audit_log: state_dir.join("audit.jsonl"),
            log_file: state_dir.join("flightdeck.log"),
            state_dir,
        }
    }

    /// The writes made on the simulation (`demo`, `--demo`, drills): kept
    /// apart from the audit log of real writes.
    pub fn demo_audit_log(&self) -> PathBuf {
        self.state_dir.join("demo-audit.jsonl")
    }

    /// The session recordings of the flight recorder.
    pub fn recordings_dir(&self) -> PathBuf {
        self.state_dir.join("recordings")
    }

    /// Cost Explorer's answers, kept between runs.
    pub fn cache_dir(&self) -> PathBuf {
        self.state_dir.join("cache")
    }

    /// Refuses a symbolic link planted where flightdeck keeps its own
    /// files (the state dir, the audit log, the log file, recordings,
    /// the cache): a run says so before it writes anything. Then takes
    /// the group's and others' rights away from flightdeck's own
    /// directories an older version made from the umask.
    pub fn prepare(&self) -> anyhow::Result<()> {
        flightdeck_core::files::refuse_symlinks([
            self.state_dir.as_path(),
            &self.audit_log,
            &self.demo_audit_log(),
            &self.log_file,
            &self.recordings_dir(),
            &self.cache_dir(),
        ])?;
        for dir in [
            self.state_dir.clone(),
            self.recordings_dir(),
            self.cache_dir(),
        ] {
            flightdeck_core::files::tighten_dir(&dir)
                .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        }
        Ok(())
    }

    /// `key: path` lines, as `flightdeck config path` prints them.
    pub fn describe(&self) -> String {
        format!(
            "config: {}\nthemes: {}\nscenarios: {}\nstate: {}\naudit: {}\nlog: {}\n",
            self.config_file.display(),
            self.themes_dir.display(),
            self.scenarios_dir.display(),
            self.state_dir.display(),
            self.audit_log.display(),
            self.log_file.display()
        )
    }
}
