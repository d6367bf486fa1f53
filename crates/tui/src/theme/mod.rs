//! Themes: TOML files mapping a palette to semantic roles (text, muted,
//! accent, ok, warn, crit, info, cursor) and optional component overrides.
//! The built-in themes are embedded; files in the user's themes directory
//! override them by name. Colour is never the only cue: every state also
//! has a text label in the UI.

use crate::diagnostic::FileError;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_THEME: &str = "dark";
pub const MONOCHROME: &str = "monochrome";

/// `(name, source)` of every theme shipped in the binary.
pub const BUILTIN: [(&str, &str); 5] = [
    ("dark", include_str!("../../../../themes/dark.toml")),
    ("light", include_str!("../../../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../../../themes/high-contrast.toml"),
    ),
    (
        "colorblind",
        include_str!("../../../../themes/colorblind.toml"),
    ),
    (
        "monochrome",
        include_str!("../../../../themes/monochrome.toml"),
    ),
];

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reverse: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Roles {
    text: StyleSpec,
    muted: StyleSpec,
    accent: StyleSpec,
    ok: StyleSpec,
    warn: StyleSpec,
    crit: StyleSpec,
    info: StyleSpec,
    cursor: StyleSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Components {
    header: Option<StyleSpec>,
    production: Option<StyleSpec>,
    border: Option<StyleSpec>,
    tab: Option<StyleSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    palette: BTreeMap<String, String>,
    roles: Roles,
    #[serde(default)]
    components: Components,
}

/// A resolved theme: ratatui styles by role and component.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub description: String,
    pub text: Style,
    pub muted: Style,
    pub accent: Style,
    pub ok: Style,
    pub warn: Style,
    pub crit: Style,
    pub info: Style,
    pub cursor: Style,
    pub header: Style,
    pub production: Style,
    pub border: Style,
    pub tab: Style,
}

fn parse_color(value: &str, palette: &BTreeMap<String, String>) -> Result<Color, String> {
    let resolved = palette.get(value).map_or(value, String::as_str);
    resolved.parse::<Color>().map_err(|_| {
        format!("unknown colour `{value}`: use a palette name, a colour name or #rrggbb")
    })
}

impl StyleSpec {
    fn resolve(&self, palette: &BTreeMap<String, String>) -> Result<Style, String> {
        let mut style = Style::default();
        if let Some(fg) = &self.fg {
            style = style.fg(parse_color(fg, palette)?);
        }
        if let Some(bg) = &self.bg {
            style = style.bg(parse_color(bg, palette)?);
        }
        for (on, m) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.reverse, Modifier::REVERSED),
        ] {
            if on {
                style = style.add_modifier(m);
            }
        }
        Ok(style)
    }
}

impl Theme {
    /// Parses and resolves a theme file.
    pub fn parse(path: &Path, source: &str) -> Result<Theme, FileError> {
        let file: ThemeFile = FileError::parse_toml(path, source)?;
        let palette = &file.palette;
        for (name, value) in palette {
            if value.parse::<Color>().is_err() {
                let offset = find_key(source, "palette", name).unwrap_or(0);
                return Err(FileError::at(
                    path,
                    source,
                    offset,
                    format!("palette colour `{name}` = `{value}` is not a colour name or #rrggbb"),
                ));
            }
        }
        // Colour errors point at the role's line.
        let resolve = |role: &str, spec: &StyleSpec| {
            spec.resolve(palette).map_err(|message| {
                let offset = find_key(source, "roles", role)
                    .or_else(|| find_key(source, "components", role))
                    .unwrap_or(0);
                FileError::at(path, source, offset, format!("{role}: {message}"))
            })
        };
        let r = &file.roles;
        let cursor = resolve("cursor", &r.cursor)?;
        let accent = resolve("accent", &r.accent)?;
        let text = resolve("text", &r.text)?;
        let c = &file.components;
        let component = |name: &str, spec: &Option<StyleSpec>, fallback: Style| {
            spec.as_ref().map_or(Ok(fallback), |s| resolve(name, s))
        };
        Ok(Theme {
            name: file.name.clone(),
            description: file.description.clone(),
            muted: resolve("muted", &r.muted)?,
            ok: resolve("ok", &r.ok)?,
            warn: resolve("warn", &r.warn)?,
            crit: resolve("crit", &r.crit)?,
            info: resolve("info", &r.info)?,
            header: component("header", &c.header, cursor)?,
            production: component("production", &c.production, cursor)?,
            border: component("border", &c.border, text)?,
            tab: component("tab", &c.tab, accent)?,
            text,
            accent,
            cursor,
        })
    }
}

/// Byte offset of the line that sets `key` in table `[section]` (`""` for
/// the top level), for locating errors the parser cannot see.
fn find_key(source: &str, section: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    let mut current = String::new();
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            current = trimmed
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
        } else if current == section && trimmed.split(['=', ' ']).next() == Some(key) {
            return Some(offset + (line.len() - line.trim_start().len()));
        }
        offset += line.len();
    }
    None
}

/// Where a theme came from, for `theme list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    User(PathBuf),
}

/// The built-in themes, then the user's `*.toml` files overriding by name.
#[derive(Debug, Clone)]
pub struct ThemeSet {
    themes: BTreeMap<String, (Origin, Theme)>,
}

impl ThemeSet {
    /// Loads built-ins and every `*.toml` in `user_dir` (if it exists).
    pub fn load(user_dir: Option<&Path>) -> Result<ThemeSet, FileError> {
        let mut themes = BTreeMap::new();
        for (name, source) in BUILTIN {
            let path = PathBuf::from(format!("themes/{name}.toml"));
            themes.insert(
                name.to_string(),
                (Origin::Builtin, Theme::parse(&path, source)?),
            );
        }
        if let Some(dir) = user_dir
            && let Ok(entries) = std::fs::read_dir(dir)
        {
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            for path in paths {
                let source = FileError::read(&path)?;
                let theme = Theme::parse(&path, &source)?;
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_string();
                if stem != theme.name {
                    return Err(FileError::at(
                        &path,
                        &source,
                        find_key(&source, "", "name").unwrap_or(0),
                        format!(
                            "theme name `{}` must match the file name `{stem}.toml`",
                            theme.name
                        ),
                    ));
                }
                themes.insert(stem, (Origin::User(path), theme));
            }
        }
        Ok(ThemeSet { themes })
    }

    pub fn get(&self, name: &str) -> Option<&Theme> {
        self.themes.get(name).map(|(_, t)| t)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.themes.keys().map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Origin, &Theme)> {
        self.themes.values().map(|(o, t)| (o, t))
    }

    /// The theme named, or an error listing the ones that exist.
    pub fn require(&self, name: &str) -> Result<&Theme, String> {
        self.get(name).ok_or_else(|| {
            format!(
                "unknown theme `{name}`; available: {}",
                self.names().collect::<Vec<_>>().join(", ")
            )
        })
    }
}

/// Which theme to use: an explicit choice wins, then `NO_COLOR`, then the
/// configured one, then the default.
pub fn choose(explicit: Option<&str>, no_color: bool, configured: Option<&str>) -> String {
    match (explicit, no_color, configured) {
        (Some(t), _, _) => t.to_string(),
        (None, true, _) => MONOCHROME.to_string(),
        (None, false, Some(t)) => t.to_string(),
        (None, false, None) => DEFAULT_THEME.to_string(),
    }
}

/// `NO_COLOR` is set to a non-empty value (no-color.org).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses() {
        let set = ThemeSet::load(None).unwrap();
        assert_eq!(set.names().count(), 5);
        assert_eq!(
            set.get("dark").unwrap().ok.fg,
            Some(Color::Rgb(0x5f, 0xd7, 0x87))
        );
    }

    #[test]
    fn monochrome_uses_no_colour() {
        let set = ThemeSet::load(None).unwrap();
        let m = set.get("monochrome").unwrap();
        for s in [
            m.text,
            m.muted,
            m.accent,
            m.ok,
            m.warn,
            m.crit,
            m.info,
            m.cursor,
            m.header,
            m.production,
        ] {
            assert_eq!((s.fg, s.bg), (None, None));
        }
        assert!(m.cursor.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn explicit_theme_beats_no_color_which_beats_config() {
        assert_eq!(choose(Some("light"), true, Some("dark")), "light");
        assert_eq!(choose(None, true, Some("light")), "monochrome");
        assert_eq!(choose(None, false, Some("light")), "light");
        assert_eq!(choose(None, false, None), "dark");
    }
}

#[cfg(test)]
mod location_tests {
    use super::*;

    #[test]
    fn an_unknown_role_colour_points_at_the_role() {
        let src = "name = \"x\"\n[palette]\nblue = \"#0000ff\"\n[roles]\ntext = {}\nmuted = {}\naccent = { fg = \"bleu\" }\nok = {}\nwarn = {}\ncrit = {}\ninfo = {}\ncursor = {}\n";
        let err = Theme::parse(Path::new("x.toml"), src).unwrap_err();
        assert_eq!((err.line, err.column), (7, 1), "{err}");
        assert!(err.message.contains("unknown colour `bleu`"), "{err}");
    }

    #[test]
    fn a_missing_role_is_reported() {
        let src = "name = \"x\"\n[roles]\ntext = {}\n";
        let err = Theme::parse(Path::new("x.toml"), src).unwrap_err();
        assert!(err.message.contains("missing field"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn any_theme_file_parses_or_fails_at_a_place(src in "(?s).{0,300}") {
            if let Err(e) = Theme::parse(Path::new("t.toml"), &src) {
                proptest::prop_assert!(e.line <= src.matches('\n').count() + 1);
                proptest::prop_assert!(!e.to_string().chars().any(flightdeck_model::text::is_unsafe));
            }
        }

        #[test]
        fn themes_with_any_colour_names_fail_at_the_colour(colour in "[a-z#0-9]{0,10}") {
            let src = format!("name = \"x\"\n[palette]\n[roles]\ntext = {{}}\nmuted = {{}}\naccent = {{ fg = \"{colour}\" }}\nok = {{}}\nwarn = {{}}\ncrit = {{}}\ninfo = {{}}\ncursor = {{}}\n");
            if let Err(e) = Theme::parse(Path::new("t.toml"), &src) {
                proptest::prop_assert_eq!(e.line, 6, "{}", e);
            }
        }
    }
}
