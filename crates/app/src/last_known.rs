//! The last known state of each environment on disk: one file per
//! environment in the cache directory (0600 in 0700, written whole by
//! rename), read at the start so the cockpit draws rows at once, and
//! written again as the run learns more and when it ends.
//!
//! What a file holds is `flightdeck_tui::app::last_known::LastKnown`: no task
//! definition, so no environment value. A file that cannot be read, is
//! too large, of another format or of another environment is left out
//! (and logged), never an error: the run only starts emptier.

use flightdeck_model::EnvironmentInfo;
use flightdeck_tui::app::App;
use flightdeck_tui::app::last_known::{LAST_KNOWN_VERSION, LastKnown};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often a running cockpit keeps what it knows.
pub const SAVE_EVERY: Duration = Duration::from_secs(120);

/// The largest file read back (2000 services with their events and
/// sparklines are a few MB).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The file of environment `env` in `dir` (its name escaped by
/// `files::file_part`, so no name reaches outside `dir`).
pub fn file_of(dir: &Path, env: &str) -> PathBuf {
    dir.join(format!(
        "state-{}.json",
        flightdeck_core::files::file_part(env)
    ))
}

/// Services in a first screen's file: a state of more is also kept as its
/// first screen (`LastKnown::head`), read before the first frame.
pub const HEAD_SERVICES: usize = 300;

/// The first screen's file of environment `env` in `dir`.
pub fn head_file_of(dir: &Path, env: &str) -> PathBuf {
    dir.join(format!(
        "state-{}.head.json",
        flightdeck_core::files::file_part(env)
    ))
}

/// What previous runs knew of `envs`, those that could be read.
pub fn load(dir: &Path, envs: &[EnvironmentInfo]) -> Vec<LastKnown> {
    load_from(envs, |env| file_of(dir, env))
}

/// The first screens of `envs` that have one (a large state's): drawn
/// before the first frame, the whole state read just after.
pub fn load_heads(dir: &Path, envs: &[EnvironmentInfo]) -> Vec<LastKnown> {
    load_from(envs, |env| head_file_of(dir, env))
}

fn load_from(envs: &[EnvironmentInfo], file_of: impl Fn(&str) -> PathBuf) -> Vec<LastKnown> {
    envs.iter()
        .filter_map(|env| {
            let file = file_of(&env.name);
            match read(&file) {
                Ok(Some(last)) if last.version == LAST_KNOWN_VERSION && last.env == env.name => {
                    Some(last)
                }
                Ok(Some(_)) => {
                    tracing::info!(file = %file.display(), "last known state of another format or environment left out");
                    None
                }
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(file = %file.display(), "last known state left out: {e}");
                    None
                }
            }
        })
        .collect()
}

/// The file's state; `None` when there is none.
fn read(file: &Path) -> std::io::Result<Option<LastKnown>> {
    let Some(bytes) = flightdeck_core::files::read_bounded(file, MAX_BYTES)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(std::io::Error::other)
}

/// What the app knows now of each environment, to be written.
pub fn take(app: &App) -> Vec<LastKnown> {
    app.envs.iter().filter_map(|e| e.last_known()).collect()
}

/// Writes each state to its file; a failure is logged.
pub fn save(dir: &Path, states: &[LastKnown]) {
    for state in states {
        let file = file_of(dir, &state.env);
        let written = serde_json::to_vec(state)
            .map_err(std::io::Error::other)
            .and_then(|json| flightdeck_core::files::write_atomic(&file, &json));
        if let Err(e) = written {
            tracing::warn!(file = %file.display(), "cannot keep the last known state: {e}");
            continue;
        }
        // Its first screen beside it when it is large; none when not (an
        // older one would draw what is gone).
        let head = head_file_of(dir, &state.env);
        let kept = match state.head(HEAD_SERVICES) {
            Some(first) => serde_json::to_vec(&first)
                .map_err(std::io::Error::other)
                .and_then(|json| flightdeck_core::files::write_atomic(&head, &json)),
            None => match std::fs::remove_file(&head) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
        };
        if let Err(e) = kept {
            tracing::warn!(file = %head.display(), "the last known state's first screen: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn info(name: &str) -> EnvironmentInfo {
        EnvironmentInfo {
            name: name.into(),
            region: "eu-west-1".into(),
            production: true,
            read_only: false,
        }
    }

    fn state(env: &str) -> LastKnown {
        LastKnown {
            version: LAST_KNOWN_VERSION,
            env: env.into(),
            identity: None,
            clusters: None,
            services: Some(flightdeck_tui::app::last_known::Known {
                fetched_at: chrono::DateTime::UNIX_EPOCH,
                data: vec![],
            }),
            metrics: None,
            scaling: None,
            alarms: None,
            head_of: None,
        }
    }

    #[test]
    fn no_environment_name_reaches_outside_the_directory() {
        let dir = Path::new("/cache");
        assert_eq!(file_of(dir, "prod-eu.1"), dir.join("state-prod-eu.1.json"));
        for hostile in ["../../etc/passwd", "a/b", "..", "x\0y", "é"] {
            let file = file_of(dir, hostile);
            assert_eq!(file.parent(), Some(dir), "{hostile}");
            assert!(
                !file.to_string_lossy().contains(".."),
                "{hostile}: {file:?}"
            );
        }
    }

    #[test]
    fn a_kept_state_is_private_and_read_back_for_its_own_environment_only() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &[state("prod"), state("staging")]);
        let file = file_of(dir.path(), "prod");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let read = load(dir.path(), &[info("prod"), info("other")]);
        assert_eq!(read, vec![state("prod")]);
        // A file of another environment under this one's name, of another
        // format, or not JSON is left out.
        std::fs::copy(file_of(dir.path(), "staging"), file_of(dir.path(), "other")).unwrap();
        assert!(load(dir.path(), &[info("other")]).is_empty());
        let mut old = state("prod");
        old.version = LAST_KNOWN_VERSION + 1;
        save(dir.path(), &[old]);
        assert!(load(dir.path(), &[info("prod")]).is_empty());
        std::fs::write(file_of(dir.path(), "prod"), "{ not json").unwrap();
        assert!(load(dir.path(), &[info("prod")]).is_empty());
    }

    #[test]
    fn a_link_in_place_of_a_kept_state_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere.json");
        std::fs::write(&elsewhere, serde_json::to_string(&state("prod")).unwrap()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, file_of(dir.path(), "prod")).unwrap();
        assert!(load(dir.path(), &[info("prod")]).is_empty());
    }
}
