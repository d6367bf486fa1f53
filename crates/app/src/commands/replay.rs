//! `flightdeck replay FILE|s3://…`: a recorded session in the read-only cockpit,
//! as an asciicast (`--export-cast`), or its postmortem timeline
//! (`--timeline`) as text, JSON or a Markdown table. The recording is read
//! as a stream, in bounded memory whatever its size; what it cannot hold is
//! refused naming its line (exit 2), what was left out or clamped is said.

use super::Failure;
use super::table::{emit, json};
use anyhow::anyhow;
use flightdeck_model::text::sanitize;
use flightdeck_tui::recording::{self, Happening, Replay, ScreenSize};
use std::path::Path;

/// The replay in the cockpit, or written as an asciicast to `cast`.
pub fn play(
    options: &crate::options::Options,
    file: &Path,
    cast: Option<&Path>,
) -> Result<(), Failure> {
    let source = super::recordings::source(Some(options), file)?;
    let reader = recording::Reader::new(file, source).map_err(Failure::usage)?;
    let mut replay = Replay::from_reader(reader).map_err(Failure::usage)?;
    warn(file, replay.warnings());
    let Some(out) = cast else {
        if let Some(why) = crate::runtime::no_terminal() {
            return Err(Failure::usage(anyhow::anyhow!(why)));
        }
        return crate::runtime::replay(options, replay).map_err(Failure::failed);
    };
    let theme = options
        .themes
        .require(&options.theme)
        .map_err(|e| Failure::usage(anyhow!(e)))?;
    let size = ScreenSize::of(replay.first_size());
    if let Some((w, h)) = size.clamped_from {
        warn(
            file,
            &[format!(
                "the recorded screen is {w}x{h}; the cast is drawn at {}x{} (at most {}x{})",
                size.width,
                size.height,
                recording::MAX_WIDTH,
                recording::MAX_HEIGHT
            )],
        );
    }
    // Only what the recording names: the drill by name, from the embedded
    // ones; the config directory's scenarios are not read.
    replay.set_drill(crate::runtime::replayed_drill(None, replay.header()));
    let failed = |e: std::io::Error| Failure::failed(anyhow!("{}: {e}", out.display()));
    // The cast holds what the screens showed: private, like the recording.
    let file_out = flightdeck_core::files::open(out, flightdeck_core::files::Mode::Truncate)
        .map_err(failed)?;
    let mut writer = std::io::BufWriter::new(file_out);
    let written = recording::asciicast(&mut replay, theme, size, &mut writer).map_err(failed)?;
    std::io::Write::flush(&mut writer).map_err(failed)?;
    if let Some(e) = replay.problem() {
        warn(file, &[format!("the cast ends early: {e}")]);
    }
    if let Some(at) = written.stopped {
        warn(
            file,
            &[format!(
                "the cast stops at {} ({} frames, {} MB: the most an export writes is {} frames or {} MB)",
                at.format("%Y-%m-%d %H:%M:%SZ"),
                written.frames,
                written.bytes / (1024 * 1024),
                recording::MAX_FRAMES,
                recording::MAX_CAST_BYTES / (1024 * 1024)
            )],
        );
    }
    crate::output::err(format!(
        "flightdeck: wrote {} ({}x{}, {} frames): play it with `asciinema play {}`\n",
        out.display(),
        size.width,
        size.height,
        written.frames,
        out.display()
    ));
    Ok(())
}

/// What reading `file` left out or clamped, on stderr.
fn warn(file: &Path, warnings: &[String]) {
    for w in warnings {
        crate::output::err(format!("flightdeck: {}: {}\n", file.display(), sanitize(w)));
    }
}

/// The postmortem timeline; `options` are needed only to read a
/// recording in the team's bucket.
pub fn timeline(
    options: Option<&crate::options::Options>,
    file: &Path,
    as_json: bool,
    markdown: bool,
) -> Result<(), Failure> {
    let source = super::recordings::source(options, file)?;
    let reader = recording::Reader::new(file, source).map_err(Failure::usage)?;
    let report = recording::postmortem_of(reader).map_err(Failure::usage)?;
    warn(file, &report.warnings);
    let happened = &report.happenings;
    if as_json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            started: flightdeck_model::Timestamp,
            environments: Vec<&'a str>,
            drill: Option<&'a str>,
            truncated: bool,
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            warnings: &'a [String],
            timeline: &'a [Happening],
        }
        let out = Out {
            started: report.header.started,
            environments: report
                .header
                .environments
                .iter()
                .map(|e| e.name.as_str())
                .collect(),
            drill: report.header.drill.as_deref(),
            truncated: report.truncated,
            warnings: &report.warnings,
            timeline: happened,
        };
        let text = json(&out, true).map_err(Failure::failed)?;
        emit(&format!("{text}\n"));
        return Ok(());
    }
    if markdown {
        emit(&recording::markdown(&report));
        return Ok(());
    }
    let mut out = format!(
        "recorded {} · {} entries{}\n",
        report.header.started.format("%Y-%m-%d %H:%M:%SZ"),
        report.entries,
        report
            .header
            .drill
            .as_ref()
            .map(|d| format!(" · drill {d}"))
            .unwrap_or_default()
    );
    for h in happened {
        out.push_str(&format!(
            "{} {:<22} {:<20} {:<8} {}\n",
            h.at.format("%H:%M:%S"),
            h.environment,
            h.service.as_deref().unwrap_or("-"),
            h.kind,
            h.what
        ));
    }
    if happened.is_empty() {
        out.push_str("nothing changed and nothing was done during the recording\n");
    }
    emit(&sanitize_lines(&out));
    Ok(())
}

/// Every line sanitised: what AWS said never reaches the terminal raw.
fn sanitize_lines(text: &str) -> String {
    text.lines().map(|l| format!("{}\n", sanitize(l))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flightdeck_tui::app::Msg;

    /// The options of a run whose operator's scenarios are in `scenarios`.
    fn options_with_scenarios(scenarios: &Path) -> crate::options::Options {
        let mut paths = crate::config::Paths::discover(None);
        paths.scenarios_dir = scenarios.to_path_buf();
        crate::options::Options::for_test(paths)
    }

    /// An export needs nothing but the recording: the drill it names comes
    /// from the embedded ones; the operator's scenarios, a broken one and
    /// one of the same name among them, are not read.
    #[test]
    fn an_export_reads_no_scenario_of_the_operators() {
        let dir = tempfile::tempdir().unwrap();
        let scenarios = dir.path().join("scenarios");
        std::fs::create_dir(&scenarios).unwrap();
        std::fs::write(scenarios.join("broken.toml"), "name = [\n").unwrap();
        std::fs::write(
            scenarios.join("mine.toml"),
            include_str!("../../../sim/scenarios/bad-deploy.toml")
                .replace("minutes = 20", "minutes = 7"),
        )
        .unwrap();
        let started = chrono::DateTime::parse_from_rfc3339("2026-11-22T14:00:00Z")
            .unwrap()
            .to_utc();
        let header = recording::Header {
            format: recording::FORMAT.into(),
            version: recording::VERSION,
            started,
            environments: vec![flightdeck_model::EnvironmentInfo {
                name: "muejam-production".into(),
                region: "eu-west-1".into(),
                production: true,
                read_only: false,
            }],
            demo: true,
            drill: Some("bad-deploy".into()),
            current: None,
            read_only: false,
            keys: vec![],
        };
        let file = dir.path().join("drill.jsonl");
        let mut r = recording::Recorder::create(&file, &header).unwrap();
        r.record(&Msg::Resize(200, 30), started).unwrap();
        for s in 0..3 {
            let at = started + chrono::Duration::seconds(s);
            r.record(&Msg::Tick(at), at).unwrap();
        }
        drop(r);
        let out = dir.path().join("drill.cast");
        play(&options_with_scenarios(&scenarios), &file, Some(&out)).unwrap();
        let cast = std::fs::read_to_string(&out).unwrap();
        assert!(cast.contains("DRILL bad-deploy"), "{cast:.2000}");
        assert!(cast.contains("/20:00"), "the embedded drill: {cast:.2000}");
        assert!(!cast.contains("/7:00"), "{cast:.2000}");
    }
}
