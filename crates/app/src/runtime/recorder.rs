//! The flight recorder of a session: opened at the start, named so that
//! two sessions never share a file, and the old ones rotated away.

use crate::options::Options;
use flightdeck_model::clock::{Clock, SystemClock};
use flightdeck_tui::recording::{self, Recorder};
use std::path::PathBuf;

/// The session's flight recorder: `--record FILE`, else the automatic one
/// in the state directory (the newest `keep` sessions kept), unless the
/// config turned it off. An automatic recorder that cannot start is
/// logged, and the session runs unrecorded; `--record FILE` that cannot
/// (a symbolic link there, a directory that cannot be written) is an error
/// before the cockpit starts: the operator asked for that recording.
pub(super) fn open_recorder(
    options: &Options,
    infos: &[flightdeck_model::EnvironmentInfo],
    demo: bool,
    drill: Option<String>,
    current: Option<String>,
    now: flightdeck_model::Timestamp,
) -> anyhow::Result<Option<Recorder>> {
    let header = recording::Header {
        format: recording::FORMAT.into(),
        version: recording::VERSION,
        started: now,
        environments: infos.to_vec(),
        demo,
        drill,
        current,
        read_only: options.read_only,
        keys: options.config.key_overrides(),
    };
    let limit = options.recording.max_mb.saturating_mul(1024 * 1024);
    let recorder = match &options.record {
        Some(path) => {
            let r = Recorder::create(path, &header)
                .map_err(|e| anyhow::anyhow!("cannot record the session: {e}"))?;
            return Ok(Some(r.limit(limit)));
        }
        None if options.recording.enabled && options.recording.keep > 0 => {
            let dir = options.paths.recordings_dir();
            // With a team bucket, what has not gone up yet is never rotated
            // away: a later start uploads it.
            let unsent = if options.config.team.recordings.is_some() {
                crate::team::recordings::unsent(&dir)
            } else {
                std::collections::BTreeSet::new()
            };
            rotate(
                &dir,
                options.recording.keep.saturating_sub(1) as usize,
                limit,
                &unsent,
            );
            new_session_recording(&dir, SystemClock.now(), std::process::id(), &header)
        }
        None => return Ok(None),
    };
    match recorder {
        Ok(r) => Ok(Some(r.limit(limit))),
        Err(e) => {
            tracing::warn!("not recording: {e}");
            Ok(None)
        }
    }
}

/// The name of an automatic recording: its start to the millisecond, the
/// process and, past the first try, the try (`-2`, `-3`...).
fn session_name(now: flightdeck_model::Timestamp, pid: u32, attempt: u32) -> String {
    let stamp = now.format("%Y%m%dT%H%M%S%.3fZ");
    match attempt {
        0 | 1 => format!("session-{stamp}-{pid}.jsonl"),
        n => format!("session-{stamp}-{pid}-{n}.jsonl"),
    }
}

/// How many names an automatic recording tries before it gives up.
const SESSION_NAME_TRIES: u32 = 100;

/// A new automatic recording in `dir`: a file of its own, never one that
/// is there (two sessions started in the same millisecond by the same
/// process id get two files).
fn new_session_recording(
    dir: &std::path::Path,
    now: flightdeck_model::Timestamp,
    pid: u32,
    header: &recording::Header,
) -> Result<Recorder, recording::RecordingError> {
    let mut attempt = 1;
    loop {
        match Recorder::create_new(&dir.join(session_name(now, pid, attempt)), header) {
            Err(recording::RecordingError::Io { error, .. })
                if error.kind() == std::io::ErrorKind::AlreadyExists
                    && attempt < SESSION_NAME_TRIES =>
            {
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// The order of an automatic recording's name: its start (to the
/// millisecond), the process and the try; `None` for a name the recorder
/// does not give (`session-20261122T140000Z.jsonl` from older versions,
/// `session-20261122T140000.123Z-4242[-2].jsonl` from this one).
fn session_order(name: &str) -> Option<(String, u64, u64)> {
    let core = name.strip_prefix("session-")?.strip_suffix(".jsonl")?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let (date, rest) = core.split_at_checked(8)?;
    let rest = rest.strip_prefix('T')?;
    let (time, rest) = rest.split_at_checked(6)?;
    if !digits(date, 8) || !digits(time, 6) {
        return None;
    }
    let (millis, rest) = match rest.strip_prefix('.') {
        Some(r) => {
            let (ms, r) = r.split_at_checked(3)?;
            digits(ms, 3).then_some((ms, r))?
        }
        None => ("000", rest),
    };
    let rest = rest.strip_prefix('Z')?;
    let mut numbers = [0u64; 2];
    if !rest.is_empty() {
        let parts: Vec<&str> = rest.strip_prefix('-')?.split('-').collect();
        if parts.len() > 2 {
            return None;
        }
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            if part.is_empty() || part.len() > 10 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *slot = part.parse().ok()?;
        }
    }
    Some((format!("{date}{time}{millis}"), numbers[0], numbers[1]))
}

/// Leaves the newest `keep` recordings of `dir`, and of those no more
/// than `max_bytes` together (the oldest go first). Only the recorder's
/// own are counted and deleted: a regular file named as it names them
/// that starts with a recording's header. Anything else there (the
/// operator's notes, a recording copied in) is left alone, and so is
/// every file of `spared` (recordings not in the team's bucket yet).
pub fn rotate(
    dir: &std::path::Path,
    keep: usize,
    max_bytes: u64,
    spared: &std::collections::BTreeSet<PathBuf>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<((String, u64, u64), PathBuf, u64)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let order = session_order(e.file_name().to_str()?)?;
            let path = e.path();
            (!spared.contains(&path) && recording::is_recording(&path))
                .then(|| (order, path, e.metadata().map_or(0, |m| m.len())))
        })
        .collect();
    files.sort();
    let mut total: u64 = files.iter().map(|(_, _, len)| len).sum();
    let mut left = files.len();
    for (_, old, len) in files {
        if left <= keep && total <= max_bytes {
            break;
        }
        if std::fs::remove_file(&old).is_ok() {
            total = total.saturating_sub(len);
        }
        left -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options of a run whose state directory is `state`.
    fn options_in(state: &std::path::Path) -> Options {
        let mut paths = crate::config::Paths::discover(None);
        paths.state_dir = state.to_path_buf();
        Options::for_test(paths)
    }

    /// The recordings directory's file names, sorted.
    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    }

    /// A recording as the recorder starts it: its header line.
    fn header_line() -> String {
        let header = recording::Header {
            format: recording::FORMAT.into(),
            version: recording::VERSION,
            started: SystemClock.now(),
            environments: vec![],
            demo: true,
            drill: None,
            current: None,
            read_only: false,
            keys: vec![],
        };
        format!("{}\n", serde_json::to_string(&header).unwrap())
    }

    #[test]
    fn rotation_deletes_only_recordings_the_recorder_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        // The recorder's own, named as this version and as older ones did.
        write("session-20260101T000000Z.jsonl", &header_line());
        write("session-20260102T000000.000Z-10.jsonl", &header_line());
        write("session-20260103T000000.000Z-10.jsonl", &header_line());
        // The operator's: notes, a file named like a session that is no
        // recording, a recording copied in under a name of its own.
        write("notes.jsonl", "{\"note\": \"mine\"}\n");
        write(
            "session-20250101T000000Z.jsonl",
            "my notes, named like a session\n",
        );
        write("incident-42.jsonl", &header_line());
        rotate(dir.path(), 1, u64::MAX, &Default::default());
        assert_eq!(
            names(dir.path()),
            [
                "incident-42.jsonl",
                "notes.jsonl",
                "session-20250101T000000Z.jsonl",
                "session-20260103T000000.000Z-10.jsonl"
            ]
        );
    }

    #[test]
    fn two_sessions_started_in_the_same_second_record_to_two_files() {
        let dir = tempfile::tempdir().unwrap();
        let options = options_in(dir.path());
        let now = SystemClock.now();
        let first = open_recorder(&options, &[], true, None, None, now)
            .unwrap()
            .unwrap();
        let second = open_recorder(&options, &[], true, None, None, now)
            .unwrap()
            .unwrap();
        let recordings = dir.path().join("recordings");
        assert_eq!(names(&recordings).len(), 2, "{:?}", names(&recordings));
        drop((first, second));
    }

    #[test]
    fn old_recordings_go_first_by_count_then_by_size() {
        let dir = tempfile::tempdir().unwrap();
        // Each 10 bytes more than its header.
        let size = header_line().len() as u64 + 10;
        for i in 1..=5 {
            std::fs::write(
                dir.path()
                    .join(format!("session-2026010{i}T000000.000Z-7.jsonl")),
                format!("{}0123456789", header_line()),
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "not a recording").unwrap();
        rotate(dir.path(), 3, 2 * size + 5, &Default::default());
        assert_eq!(
            names(dir.path()),
            [
                "notes.txt",
                "session-20260104T000000.000Z-7.jsonl",
                "session-20260105T000000.000Z-7.jsonl"
            ]
        );
    }

    #[test]
    fn a_recording_not_in_the_teams_bucket_yet_is_never_rotated_away() {
        let dir = tempfile::tempdir().unwrap();
        let name = |i: u32| format!("session-2026010{i}T000000.000Z-7.jsonl");
        for i in 1..=4 {
            std::fs::write(dir.path().join(name(i)), header_line()).unwrap();
        }
        let unsent = std::collections::BTreeSet::from([dir.path().join(name(1))]);
        rotate(dir.path(), 1, u64::MAX, &unsent);
        assert_eq!(names(dir.path()), [name(1), name(4)]);
    }

    /// Names sort by their start to the millisecond, then the process and
    /// the try; only the recorder's own names are recognised.
    #[test]
    fn the_recorders_names_are_recognised_and_ordered_by_their_start() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-22T14:00:00.123Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            session_name(at, 4242, 1),
            "session-20261122T140000.123Z-4242.jsonl"
        );
        assert_eq!(
            session_name(at, 4242, 3),
            "session-20261122T140000.123Z-4242-3.jsonl"
        );
        let mut names = vec![
            "session-20261122T140000.123Z-4242-3.jsonl",
            "session-20261122T140000Z.jsonl",
            "session-20261122T140000.123Z-4242.jsonl",
            "session-20261122T140000.005Z-99999.jsonl",
            "session-20261121T235959Z.jsonl",
        ];
        names.sort_by_key(|n| session_order(n).unwrap());
        assert_eq!(
            names,
            [
                "session-20261121T235959Z.jsonl",
                "session-20261122T140000Z.jsonl",
                "session-20261122T140000.005Z-99999.jsonl",
                "session-20261122T140000.123Z-4242.jsonl",
                "session-20261122T140000.123Z-4242-3.jsonl",
            ]
        );
        for other in [
            "notes.jsonl",
            "session-.jsonl",
            "session-20261122T140000Z.json",
            "session-20261122T140000Z-mine.jsonl",
            "session-20261122T1400Z.jsonl",
            "session-20261122T140000.12Z.jsonl",
            "session-20261122T140000Z-1-2-3.jsonl",
            "session-2026112xT140000Z.jsonl",
            "session-20261122T140000Z-99999999999.jsonl",
            "backup-session-20261122T140000Z.jsonl",
        ] {
            assert_eq!(session_order(other), None, "{other}");
        }
    }

    /// The same instant and process twice (two sessions, or a clock that
    /// stands still): two files, the second with a try of its own; the
    /// first is never truncated.
    #[test]
    fn a_session_never_records_into_a_file_that_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemClock.now();
        let header: recording::Header = serde_json::from_str(&header_line()).unwrap();
        let mut first = new_session_recording(dir.path(), now, 7, &header).unwrap();
        first
            .record(&flightdeck_tui::app::Msg::Tick(now), now)
            .unwrap();
        first.flush().unwrap();
        let second = new_session_recording(dir.path(), now, 7, &header).unwrap();
        assert_ne!(first.path(), second.path());
        assert!(
            second.path().to_string_lossy().ends_with("-7-2.jsonl"),
            "{}",
            second.path().display()
        );
        let lines = |path: &std::path::Path| std::fs::read_to_string(path).unwrap().lines().count();
        assert_eq!(lines(first.path()), 2, "the first keeps its tick");
        assert_eq!(lines(second.path()), 1);
        assert_eq!(names(dir.path()).len(), 2);
    }
}
