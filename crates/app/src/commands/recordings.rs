//! `flightdeck recordings`: the team's recordings in its bucket
//! (`[team] recordings`), newest first, each with the address
//! `flightdeck replay` takes.

use super::{Failure, table};
use crate::options::Options;
use anyhow::anyhow;

type Result<T> = std::result::Result<T, Failure>;

/// Lists the team's recordings as a table, or one JSON array.
#[cfg(feature = "aws")]
pub fn list(options: &Options, json: bool) -> Result<()> {
    let runtime = crate::runtime::async_runtime().map_err(Failure::failed)?;
    let found = runtime
        .block_on(crate::team::recordings::list(options))
        .map_err(Failure::failed)?;
    if json {
        let text = table::json(&found, true).map_err(Failure::failed)?;
        table::emit(&format!("{text}\n"));
        return Ok(());
    }
    if found.is_empty() {
        table::emit("the team has no recording yet\n");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|r| {
            vec![
                r.uploaded
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "-".into()),
                r.operator.clone(),
                format!("{} KB", r.bytes.div_ceil(1024)),
                r.url.clone(),
            ]
        })
        .collect();
    let text = table::render(&["UPLOADED", "OPERATOR", "SIZE", "REPLAY"], &rows);
    table::emit(&flightdeck_model::text::sanitize_with(&text, true));
    Ok(())
}

/// `recordings` needs the AWS provider.
#[cfg(not(feature = "aws"))]
pub fn list(_options: &Options, _json: bool) -> Result<()> {
    Err(Failure::usage(anyhow!(
        "this flightdeck was built without the `aws` feature: it reads no bucket"
    )))
}

/// The recording a replay reads: a local file, or with `s3://` an object
/// of the team's bucket read in ranges (never downloaded whole first).
pub fn source(
    options: Option<&Options>,
    file: &std::path::Path,
) -> Result<flightdeck_tui::recording::Source> {
    let text = file.to_string_lossy();
    if !flightdeck_core::s3::Location::is_s3(&text) {
        return flightdeck_tui::recording::file_source(file).map_err(Failure::usage);
    }
    let Some(options) = options else {
        return Err(Failure::usage(anyhow!("{text}: no config to read it with")));
    };
    shared(options, &text)
}

#[cfg(feature = "aws")]
fn shared(options: &Options, url: &str) -> Result<flightdeck_tui::recording::Source> {
    let runtime = crate::runtime::async_runtime().map_err(Failure::failed)?;
    let object = runtime
        .block_on(crate::team::recordings::open(options, url))
        .map_err(|e| Failure::failed(e.context(url.to_string())))?;
    // The object keeps the range it last fetched: a small buffer on top.
    Ok(Box::new(std::io::BufReader::with_capacity(
        64 * 1024,
        object,
    )))
}

#[cfg(not(feature = "aws"))]
fn shared(_options: &Options, url: &str) -> Result<flightdeck_tui::recording::Source> {
    Err(Failure::usage(anyhow!(
        "{url}: this flightdeck was built without the `aws` feature: it reads no bucket"
    )))
}
