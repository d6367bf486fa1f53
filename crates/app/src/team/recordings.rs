//! The team's recordings (`[team] recordings = "s3://bucket/prefix/"`):
//! a finished session's recording goes up when the cockpit quits, as
//! `prefix/<operator>/<file>`; one a crash left behind (or whose upload
//! failed) goes up at the next start. What went up is noted in the
//! recordings directory (`.uploaded`), so nothing is sent twice; the
//! bucket refuses a second copy anyway (a conditional put). Never for the
//! simulation: a demo's recordings stay on the machine.

use crate::options::Options;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A recording untouched this long is no running session's (a running
/// cockpit writes every poll): what a crash or a failed upload left.
pub const LEFTOVER_AFTER: Duration = Duration::from_secs(10 * 60);
/// The recordings directory's note of what went up, a name a line.
const UPLOADED: &str = ".uploaded";
/// The note is never read past this size.
const MAX_NOTE_BYTES: u64 = 1024 * 1024;

/// The names in `dir`'s note of uploaded recordings.
pub fn uploaded(dir: &Path) -> BTreeSet<String> {
    flightdeck_core::files::read_bounded(&dir.join(UPLOADED), MAX_NOTE_BYTES)
        .ok()
        .flatten()
        .map(|bytes| {
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Notes `name` as uploaded; the names of files no longer there are
/// dropped from the note (the rotation deleted them).
pub fn mark_uploaded(dir: &Path, name: &str) -> std::io::Result<()> {
    let mut names = uploaded(dir);
    names.retain(|n| dir.join(n).exists());
    names.insert(name.to_string());
    let text: String = names.iter().map(|n| format!("{n}\n")).collect();
    flightdeck_core::files::write_atomic(&dir.join(UPLOADED), text.as_bytes())
}

/// The recordings of `dir` that should be in the bucket and are not: the
/// recorder's own (named as it names them, a recording's header first),
/// not the simulation's, not noted as uploaded. The rotation spares them.
pub fn unsent(dir: &Path) -> BTreeSet<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    let done = uploaded(dir);
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.starts_with("session-") && name.ends_with(".jsonl") && !done.contains(&name)
        })
        .map(|e| e.path())
        .filter(|p| flightdeck_tui::recording::Reader::open(p).is_ok_and(|r| !r.header().demo))
        .collect()
}

/// Of [`unsent`], what a crash or a failed upload left: not `current`,
/// untouched for [`LEFTOVER_AFTER`] at `now`. Oldest first.
pub fn leftovers(dir: &Path, current: Option<&Path>, now: SystemTime) -> Vec<PathBuf> {
    unsent(dir)
        .into_iter()
        .filter(|p| current != Some(p.as_path()))
        .filter(|p| {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .is_ok_and(|at| {
                    now.duration_since(at)
                        .is_ok_and(|age| age >= LEFTOVER_AFTER)
                })
        })
        .collect()
}

/// The key a recording goes up as: `prefix/<operator>/<file name>`.
pub fn key(prefix: &str, operator: &str, path: &Path) -> String {
    let operator = operator.replace('/', "-");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    format!("{prefix}{operator}/{name}")
}

#[cfg(feature = "aws")]
pub use shared::{Shared, list, open};

#[cfg(feature = "aws")]
mod shared {
    use super::*;
    use flightdeck_aws::recordings::{Bucket, Location, ObjectReader, SharedRecording, Uploaded};

    /// The team's bucket as this operator uses it.
    pub struct Shared {
        bucket: Bucket,
        operator: String,
        /// The recordings directory, whose note says what went up.
        dir: PathBuf,
    }

    /// The team's bucket, when the config names one (never in the
    /// simulation).
    async fn bucket(options: &Options) -> anyhow::Result<Option<Bucket>> {
        let Some(url) = &options.config.team.recordings else {
            return Ok(None);
        };
        if options.demo {
            return Ok(None);
        }
        let at = Location::parse(url.get_ref()).map_err(anyhow::Error::msg)?;
        let settings = crate::team::settings(options).await?;
        Ok(Some(Bucket::connect(&settings, at).await))
    }

    impl Shared {
        /// The team's bucket, when the config names one.
        pub async fn open(options: &Options) -> anyhow::Result<Option<Shared>> {
            Ok(bucket(options).await?.map(|bucket| Shared {
                bucket,
                operator: options.operator(),
                dir: options.paths.recordings_dir(),
            }))
        }

        /// Whether `path` is one of the recordings directory's, which a
        /// later start uploads when this upload fails.
        pub fn keeps(&self, path: &Path) -> bool {
            path.parent() == Some(self.dir.as_path())
        }

        /// Uploads the recording at `path`, notes it when it is one of the
        /// recordings directory's; what happened, in words.
        pub async fn upload(&self, path: &Path) -> anyhow::Result<String> {
            let key = key(&self.bucket.location().prefix, &self.operator, path);
            let done = self.bucket.upload(&key, path).await?;
            if self.keeps(path)
                && let Some(name) = path.file_name()
                && let Err(e) = mark_uploaded(&self.dir, &name.to_string_lossy())
            {
                tracing::warn!("the upload of {} is not noted: {e}", path.display());
            }
            Ok(match done {
                Uploaded::Sent { url, bytes, parts } => format!(
                    "the recording is in {url} ({} KB{})",
                    bytes.div_ceil(1024),
                    if parts > 1 {
                        format!(", {parts} parts")
                    } else {
                        String::new()
                    }
                ),
                Uploaded::AlreadyThere { url } => format!("the recording was already in {url}"),
            })
        }

        /// Uploads what earlier sessions left (see [`leftovers`]) at
        /// `now`. Each upload is logged; what the operator is told is one
        /// short line (the cockpit's notice is one row), or nothing when
        /// nothing was left.
        pub async fn upload_leftovers(
            &self,
            current: Option<&Path>,
            now: flightdeck_model::Timestamp,
        ) -> Option<String> {
            let (mut sent, mut failed) = (0, vec![]);
            for path in leftovers(&self.dir, current, SystemTime::from(now)) {
                match self.upload(&path).await {
                    Ok(done) => {
                        tracing::info!("an earlier session's recording: {done}");
                        sent += 1;
                    }
                    Err(e) => {
                        tracing::warn!("{} is not uploaded: {e:#}", path.display());
                        failed.push(format!("{e:#}"));
                    }
                }
            }
            let at = self.bucket.location();
            let url = at.url(&key(&at.prefix, &self.operator, Path::new("")));
            match (sent, failed.first()) {
                (0, None) => None,
                (n, None) => Some(format!(
                    "{n} earlier recording{} uploaded to {url}",
                    if n == 1 { "" } else { "s" }
                )),
                (_, Some(why)) => Some(format!(
                    "{} earlier recording{} not uploaded ({sent} were): {why}",
                    failed.len(),
                    if failed.len() == 1 { "" } else { "s" }
                )),
            }
        }
    }

    /// `flightdeck recordings`: the team's recordings, newest first.
    pub async fn list(options: &Options) -> anyhow::Result<Vec<SharedRecording>> {
        let Some(bucket) = bucket(options).await? else {
            anyhow::bail!("the config has no [team] recordings = \"s3://bucket/prefix/\"");
        };
        Ok(bucket.list().await?)
    }

    /// The recording at `url`, read in ranges with the team account's
    /// credentials (or the default chain when the config has no team).
    pub async fn open(options: &Options, url: &str) -> anyhow::Result<ObjectReader> {
        let (at, key) = Location::object(url).map_err(anyhow::Error::msg)?;
        let settings = match &options.config.team.environment {
            Some(_) => crate::team::settings(options).await?,
            None => crate::session::aws_settings(options, &[])?
                .into_iter()
                .next()
                .unwrap_or_default(),
        };
        Ok(Bucket::connect(&settings, at).await.open(&key)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_recording(dir: &Path, name: &str, demo: bool) -> PathBuf {
        let path = dir.join(name);
        let header = serde_json::json!({
            "format": flightdeck_tui::recording::FORMAT,
            "version": flightdeck_tui::recording::VERSION,
            "started": "2026-12-05T02:00:00Z",
            "environments": [],
            "demo": demo,
            "read_only": false,
        });
        std::fs::write(&path, format!("{header}\n")).unwrap();
        path
    }

    #[test]
    fn a_leftover_is_an_untouched_unsent_recording_of_a_real_session() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let crashed = write_recording(d, "session-20261205T020000.000Z-10.jsonl", false);
        let sent = write_recording(d, "session-20261205T030000.000Z-11.jsonl", false);
        write_recording(d, "session-20261205T040000.000Z-12.jsonl", true);
        let current = write_recording(d, "session-20261205T050000.000Z-13.jsonl", false);
        std::fs::write(d.join("notes.jsonl"), "mine\n").unwrap();
        mark_uploaded(d, "session-20261205T030000.000Z-11.jsonl").unwrap();
        let later = SystemTime::now() + LEFTOVER_AFTER + Duration::from_secs(1);
        assert_eq!(
            leftovers(d, Some(&current), later),
            vec![crashed.clone()],
            "not the sent one, the demo, the current session or a file of the operator's"
        );
        assert!(
            leftovers(d, Some(&current), SystemTime::now()).is_empty(),
            "a recording written a moment ago may be another running session's"
        );
        assert_eq!(
            unsent(d).into_iter().collect::<Vec<_>>(),
            vec![crashed.clone(), current.clone()],
            "what the rotation spares: not the sent one, the demo or the operator's file"
        );
        std::fs::remove_file(&sent).unwrap();
        mark_uploaded(d, "session-20261205T020000.000Z-10.jsonl").unwrap();
        assert_eq!(
            uploaded(d).into_iter().collect::<Vec<_>>(),
            ["session-20261205T020000.000Z-10.jsonl"],
            "a rotated-away name leaves the note"
        );
        assert!(leftovers(d, Some(&current), later).is_empty());
    }

    #[test]
    fn a_recording_goes_up_in_its_operators_folder() {
        assert_eq!(
            key("team/", "alice@desk", Path::new("/r/session-1.jsonl")),
            "team/alice@desk/session-1.jsonl"
        );
        assert_eq!(
            key("", "a/b", Path::new("session-1.jsonl")),
            "a-b/session-1.jsonl"
        );
    }
}
