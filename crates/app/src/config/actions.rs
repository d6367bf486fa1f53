//! The team's runbook actions as written: `[[action]]` sections in the
//! config file and in every `*.toml` file of the config directory's
//! `actions/` (a team can keep those in a repository). Each is checked
//! where it is written: a variable its scope does not have, a name given
//! twice, a key that is not a key or is already taken (by the cockpit or
//! another action) is refused naming the file, line and column.

use flightdeck_core::action::{self, Scope, Spec};
use flightdeck_tui::app::keymap::{Chord, Keymap};
use flightdeck_tui::diagnostic::FileError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

/// One `[[action]]` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActionConfig {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    /// Its key in the cockpit (`U`, `C-u`).
    pub key: Option<Spanned<String>>,
    pub scope: Scope,
    /// The program and its arguments, each with `{variables}`.
    pub command: Spanned<Vec<Spanned<String>>>,
    /// More of the process's environment (values with `{variables}`).
    #[serde(default)]
    pub env: BTreeMap<String, Spanned<String>>,
    /// Whether it changes anything. Left out, it is taken to: planned,
    /// confirmed and audited, which cannot hurt production.
    pub writes: Option<bool>,
    /// Whether it takes the terminal (an interactive command).
    #[serde(default)]
    pub tty: bool,
}

/// A file of `actions/`: only `[[action]]` sections.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionsFile {
    #[serde(default)]
    action: Vec<ActionConfig>,
}

/// Names an action cannot have: the words of `flightdeck action`.
const RESERVED: &[&str] = &["list"];

/// What was seen so far: names and keys, each with where it was written.
#[derive(Default)]
struct Seen {
    names: BTreeMap<String, String>,
    keys: std::collections::HashMap<Chord, String>,
}

fn where_of(path: &Path, source: &str, at: usize) -> String {
    let line = source
        .get(..at)
        .map_or(1, |before| before.matches('\n').count() + 1);
    format!("{}:{line}", path.display())
}

/// Checks the sections of one file and makes their specs.
fn check(
    path: &Path,
    source: &str,
    sections: &[ActionConfig],
    keymap: &Keymap,
    seen: &mut Seen,
) -> Result<Vec<Spec>, FileError> {
    let at = |offset: usize, message: String| FileError::at(path, source, offset, message);
    let mut specs = vec![];
    for a in sections {
        let name = a.name.get_ref();
        let name_at = a.name.span().start;
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !valid {
            return Err(at(
                name_at,
                format!("`{name}` is not an action's name: letters, digits, `-`, `_` and `.`"),
            ));
        }
        if RESERVED.contains(&name.as_str()) {
            return Err(at(
                name_at,
                format!("`{name}` is a word of `flightdeck action`: name the action otherwise"),
            ));
        }
        let here = where_of(path, source, name_at);
        if let Some(first) = seen.names.insert(name.clone(), here) {
            return Err(at(
                name_at,
                format!("the action `{name}` is already defined at {first}"),
            ));
        }
        if a.command.get_ref().is_empty() {
            return Err(at(
                a.command.span().start,
                "command is empty: the program, then its arguments".into(),
            ));
        }
        if let Some(program) = a.command.get_ref().first()
            && program.get_ref().trim().is_empty()
        {
            return Err(at(
                program.span().start,
                "the program's name is empty".into(),
            ));
        }
        for arg in a.command.get_ref() {
            action::check(arg.get_ref(), a.scope)
                .map_err(|e| at(arg.span().start, e.to_string()))?;
        }
        for (key, value) in &a.env {
            let variable_name = key
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !variable_name {
                return Err(at(
                    value.span().start,
                    format!(
                        "env `{key}` is not a variable's name: letters, digits and `_`, not first a digit"
                    ),
                ));
            }
            action::check(value.get_ref(), a.scope)
                .map_err(|e| at(value.span().start, format!("env {key}: {e}")))?;
        }
        if let Some(key) = &a.key {
            let chord = Chord::parse(key.get_ref()).map_err(|e| at(key.span().start, e))?;
            if Chord::parse("C-c").is_ok_and(|quit| quit == chord) {
                return Err(at(
                    key.span().start,
                    "C-c always quits the cockpit: give the action another key".into(),
                ));
            }
            // A terminal sends these as Enter, Tab, Esc and Backspace: the
            // action would never fire.
            let unsendable = [
                ("C-m", "Enter"),
                ("C-i", "Tab"),
                ("C-[", "Esc"),
                ("C-h", "Backspace"),
            ]
            .into_iter()
            .find(|(k, _)| Chord::parse(k).is_ok_and(|c| c == chord));
            if let Some((_, sent)) = unsendable {
                return Err(at(
                    key.span().start,
                    format!(
                        "`{}` reaches the cockpit as {sent} from a terminal: give the action another key",
                        key.get_ref()
                    ),
                ));
            }
            if let Some(taken) = keymap.bound(&chord) {
                return Err(at(
                    key.span().start,
                    format!(
                        "`{}` is the cockpit's key for `{}`: give the action another (or move `{}` in [keys])",
                        key.get_ref(),
                        flightdeck_tui::app::keymap::name(taken),
                        flightdeck_tui::app::keymap::name(taken)
                    ),
                ));
            }
            let here = format!("{name} ({})", where_of(path, source, key.span().start));
            if let Some(first) = seen.keys.insert(chord, here) {
                return Err(at(
                    key.span().start,
                    format!(
                        "`{}` is already the key of the action {first}",
                        key.get_ref()
                    ),
                ));
            }
        }
        specs.push(Spec {
            name: name.clone(),
            description: a.description.clone(),
            scope: a.scope,
            command: a
                .command
                .get_ref()
                .iter()
                .map(|s| s.get_ref().clone())
                .collect(),
            env: a
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                .collect(),
            writes: a.writes.unwrap_or(true),
            tty: a.tty,
            key: a.key.as_ref().map(|k| k.get_ref().clone()),
            source: where_of(path, source, name_at),
        });
    }
    Ok(specs)
}

/// Every action: the config file's `sections` (its text is `source`, when
/// it exists), then each `*.toml` of `dir` by file name; checked against
/// the cockpit's `keymap` and each other.
pub fn load(
    config_file: &Path,
    source: Option<&str>,
    sections: &[ActionConfig],
    dir: &Path,
    keymap: &Keymap,
) -> Result<Vec<Spec>, FileError> {
    let mut seen = Seen::default();
    let mut all = check(
        config_file,
        source.unwrap_or_default(),
        sections,
        keymap,
        &mut seen,
    )?;
    for path in super::toml_files(dir)? {
        let source = FileError::read(&path)?;
        let file: ActionsFile = FileError::parse_toml(&path, &source)?;
        all.extend(check(&path, &source, &file.action, keymap, &mut seen)?);
    }
    Ok(all)
}

/// The simulated production's sample actions (`sample_actions.toml`),
/// for a demo whose config has none; none when the config's `[keys]` take
/// their keys.
pub fn samples(keymap: &Keymap) -> Vec<Spec> {
    const SOURCE: &str = include_str!("sample_actions.toml");
    let path = Path::new("the demo's sample actions");
    let loaded = toml::from_str::<ActionsFile>(SOURCE)
        .map_err(|e| e.to_string())
        .and_then(|file| {
            check(path, SOURCE, &file.action, keymap, &mut Seen::default())
                .map_err(|e| e.to_string())
        });
    loaded.unwrap_or_else(|e| {
        tracing::info!("the demo's sample actions are left out: {e}");
        vec![]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_no_terminal_can_send_is_refused_where_it_is_written() {
        for key in ["C-m", "C-i", "C-[", "C-h"] {
            let e =
                load_one(&FLUSH.replace("key = \"U\"", &format!("key = \"{key}\""))).unwrap_err();
            assert!(
                e.contains("config.toml:5:") && e.contains("from a terminal"),
                "{key}: {e}"
            );
        }
    }

    #[test]
    fn the_demos_sample_actions_are_good() {
        let samples = samples(&Keymap::default());
        assert_eq!(samples.len(), 4);
        assert!(
            samples
                .iter()
                .any(|a| a.name == "search-failover" && a.writes)
        );
    }

    fn load_one(text: &str) -> Result<Vec<Spec>, String> {
        let dir = tempfile::tempdir().unwrap();
        let file: ActionsFile = toml::from_str(text).map_err(|e| e.to_string())?;
        load(
            Path::new("config.toml"),
            Some(text),
            &file.action,
            &dir.path().join("actions"),
            &Keymap::default(),
        )
        .map_err(|e| e.to_string())
    }

    const FLUSH: &str = r#"
[[action]]
name = "flush-cache"
description = "Flush the service's cache"
key = "U"
scope = "service"
command = ["scripts/flush.sh", "--cluster", "{cluster}", "{service}"]
env = { CACHE = "{service}-cache" }
writes = true
"#;

    #[test]
    fn an_action_is_read_with_its_command_and_where_it_is_written() {
        let specs = load_one(FLUSH).unwrap();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].command[2], "{cluster}");
        assert_eq!(specs[0].source, "config.toml:3");
        assert!(specs[0].writes);
    }

    #[test]
    fn a_variable_out_of_scope_is_refused_where_it_is_written() {
        let e = load_one(&FLUSH.replace("\"{service}\"]", "\"{task}\"]")).unwrap_err();
        assert!(e.contains("config.toml:7:") && e.contains("{task}"), "{e}");
        let e = load_one(&FLUSH.replace("{service}-cache", "{srvice}")).unwrap_err();
        assert!(
            e.contains("config.toml:8:") && e.contains("not a variable"),
            "{e}"
        );
    }

    #[test]
    fn a_key_the_cockpit_or_another_action_has_is_refused_where_it_is_written() {
        let e = load_one(&FLUSH.replace("key = \"U\"", "key = \"q\"")).unwrap_err();
        assert!(e.contains("config.toml:5:7") && e.contains("`quit`"), "{e}");
        let two = format!("{FLUSH}{}", FLUSH.replace("flush-cache", "drain"));
        let e = load_one(&two).unwrap_err();
        assert!(
            e.contains("config.toml:14:7")
                && e.contains("already the key of the action flush-cache"),
            "{e}"
        );
        let e = load_one(&format!("{FLUSH}{FLUSH}")).unwrap_err();
        assert!(e.contains("already defined at config.toml:3"), "{e}");
    }

    #[test]
    fn c_c_an_empty_program_and_a_bad_variable_name_are_refused() {
        let e = load_one(&FLUSH.replace("key = \"U\"", "key = \"C-c\"")).unwrap_err();
        assert!(
            e.contains("config.toml:5:7") && e.contains("C-c always quits"),
            "{e}"
        );
        let e = load_one(&FLUSH.replace("\"scripts/flush.sh\"", "\" \"")).unwrap_err();
        assert!(
            e.contains("config.toml:7:") && e.contains("program's name is empty"),
            "{e}"
        );
        let e = load_one(&FLUSH.replace("CACHE =", "\"A=B\" =")).unwrap_err();
        assert!(
            e.contains("config.toml:8:") && e.contains("not a variable's name"),
            "{e}"
        );
    }

    #[test]
    fn an_action_left_silent_about_writing_is_taken_to_write() {
        let specs = load_one(&FLUSH.replace("writes = true\n", "")).unwrap();
        assert!(specs[0].writes);
    }

    #[test]
    fn a_teams_file_of_actions_is_read_after_the_config_and_checked_against_it() {
        let dir = tempfile::tempdir().unwrap();
        let actions = dir.path().join("actions");
        std::fs::create_dir_all(&actions).unwrap();
        std::fs::write(
            actions.join("oncall.toml"),
            FLUSH.replace("flush-cache", "drain"),
        )
        .unwrap();
        let config: ActionsFile = toml::from_str(FLUSH).unwrap();
        let e = load(
            Path::new("config.toml"),
            Some(FLUSH),
            &config.action,
            &actions,
            &Keymap::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("oncall.toml:5:7") && e.contains("flush-cache"),
            "{e}"
        );
        std::fs::write(actions.join("oncall.toml"), "[[action]]\nname = 3\n").unwrap();
        let e = load(
            Path::new("config.toml"),
            None,
            &[],
            &actions,
            &Keymap::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("oncall.toml:2"), "{e}");
    }
}
