//! `flightdeck replay FILE`: a recorded session in the read-only cockpit,
//! as an asciicast (`--export-cast`), or its postmortem timeline
//! (`--timeline`) as text, JSON or a Markdown table.

use super::Failure;
use super::table::{emit, json};
use anyhow::anyhow;
use flightdeck_model::text::sanitize;
use flightdeck_tui::recording::{self, Happening};
use std::path::Path;

/// The replay in the cockpit, or written as an asciicast to `cast`.
pub fn play(
    options: &crate::options::Options,
    file: &Path,
    cast: Option<&Path>,
) -> Result<(), Failure> {
    let rec = recording::read(file).map_err(Failure::usage)?;
    warn_truncated(file, &rec);
    let Some(out) = cast else {
        return crate::runtime::replay(options, &rec).map_err(Failure::failed);
    };
    let theme = options
        .themes
        .require(&options.theme)
        .map_err(|e| Failure::usage(anyhow!(e)))?;
    let (width, height) = rec
        .entries
        .iter()
        .find_map(|e| match e {
            recording::Entry::Resize { width, height, .. } => Some((*width, *height)),
            _ => None,
        })
        .unwrap_or((100, 30));
    let drill = crate::runtime::replayed_drill(options, &rec);
    let text = recording::asciicast(&rec, drill, theme, width, height);
    std::fs::write(out, text).map_err(|e| Failure::failed(anyhow!("{}: {e}", out.display())))?;
    crate::output::err(format!(
        "flightdeck: wrote {} ({}x{}): play it with `asciinema play {}`\n",
        out.display(),
        width,
        height,
        out.display()
    ));
    Ok(())
}

fn warn_truncated(file: &Path, rec: &recording::Recording) {
    if rec.truncated {
        crate::output::err(format!(
            "flightdeck: {}: the last record was cut short (a crash?); the replay ends before it\n",
            file.display()
        ));
    }
}

/// The postmortem timeline.
pub fn timeline(file: &Path, as_json: bool, markdown: bool) -> Result<(), Failure> {
    let rec = recording::read(file).map_err(Failure::usage)?;
    if rec.truncated {
        crate::output::err(format!(
            "flightdeck: {}: the last record was cut short (a crash?); the timeline ends before it\n",
            file.display()
        ));
    }
    let happened = recording::postmortem(&rec);
    if as_json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            started: flightdeck_model::Timestamp,
            environments: Vec<&'a str>,
            drill: Option<&'a str>,
            truncated: bool,
            timeline: &'a [Happening],
        }
        let out = Out {
            started: rec.header.started,
            environments: rec
                .header
                .environments
                .iter()
                .map(|e| e.name.as_str())
                .collect(),
            drill: rec.header.drill.as_deref(),
            truncated: rec.truncated,
            timeline: &happened,
        };
        let text = json(&out, true).map_err(Failure::failed)?;
        emit(&format!("{text}\n"));
        return Ok(());
    }
    if markdown {
        emit(&recording::markdown(&rec, &happened));
        return Ok(());
    }
    let mut out = format!(
        "recorded {} · {} entries{}\n",
        rec.header.started.format("%Y-%m-%d %H:%M:%SZ"),
        rec.entries.len(),
        rec.header
            .drill
            .as_ref()
            .map(|d| format!(" · drill {d}"))
            .unwrap_or_default()
    );
    for h in &happened {
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
