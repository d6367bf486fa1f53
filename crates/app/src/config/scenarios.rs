//! The drills a run can play: the embedded scenarios and the operator's own
//! (`*.toml` in the config directory's `scenarios/`). A broken file is an
//! error naming its file, line and column; one of the same name as an
//! embedded scenario replaces it.

use flightdeck_sim::scenario::{self, Scenario};
use flightdeck_tui::diagnostic::FileError;
use std::path::{Path, PathBuf};

/// Where a scenario comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Embedded,
    File(PathBuf),
}

/// Every scenario, embedded first, then the operator's by file name.
pub fn load(dir: &Path) -> Result<Vec<(Scenario, Source)>, FileError> {
    let mut all: Vec<(Scenario, Source)> = scenario::embedded()
        .into_iter()
        .map(|s| (s, Source::Embedded))
        .collect();
    for path in super::toml_files(dir)? {
        let source = FileError::read(&path)?;
        let s = Scenario::parse(&source).map_err(|e| match e.span {
            Some(span) => FileError::at(&path, &source, span.start, e.message),
            None => FileError::whole_file(&path, e.message),
        })?;
        all.retain(|(known, _)| known.name != s.name);
        all.push((s, Source::File(path)));
    }
    Ok(all)
}

/// The scenario called `name`, or an error listing the ones there are.
pub fn find(dir: &Path, name: &str) -> anyhow::Result<Scenario> {
    let all = load(dir)?;
    let names: Vec<String> = all.iter().map(|(s, _)| s.name.clone()).collect();
    all.into_iter()
        .map(|(s, _)| s)
        .find(|s| s.name == name)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no scenario `{name}`; there are: {} (see `flightdeck scenario list`)",
                names.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operators_file_joins_the_list_and_a_broken_one_is_located() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap().len(), 5);
        std::fs::write(
            dir.path().join("mine.toml"),
            include_str!("../../../sim/scenarios/bad-deploy.toml")
                .replace("name = \"bad-deploy\"", "name = \"my-drill\""),
        )
        .unwrap();
        let all = load(dir.path()).unwrap();
        assert_eq!(all.len(), 6);
        assert!(matches!(&all[5].1, Source::File(p) if p.ends_with("mine.toml")));
        assert_eq!(find(dir.path(), "my-drill").unwrap().name, "my-drill");
        let e = find(dir.path(), "nope").unwrap_err().to_string();
        assert!(e.contains("there are: bad-deploy"), "{e}");
        std::fs::write(
            dir.path().join("mine.toml"),
            "name = \"x\"\nenvironment = \"muejam-production\"\nminutes = \"soon\"\n",
        )
        .unwrap();
        let e = load(dir.path()).unwrap_err();
        assert_eq!((e.line, e.column), (3, 11), "{e}");
        assert!(e.to_string().contains("mine.toml:3:11"), "{e}");
    }
}
