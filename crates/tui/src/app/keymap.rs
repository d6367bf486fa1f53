//! Keys to actions, in the k9s tradition, remappable. [`BINDINGS`] holds
//! every action once: its name in the config's `[keys]` table, its default
//! keys, where it applies and its help. A [`Keymap`] is the defaults with
//! the operator's table laid over them; the help overlay and the footer are
//! drawn from it, so they can never disagree with what the keys do.
//!
//! Only the cockpit's normal mode is remapped: dialogs, forms, the filter
//! and the palette read their keys as text, and Ctrl-C always quits.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    NextPane,
    PrevPane,
    GoPane(usize),
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    Filter,
    Help,
    ApiOverlay,
    Palette,
    SwitchEnv,
    Refresh,
    /// Sort the services by the next column / the other way.
    Sort,
    SortReverse,
    Copy,
    /// The open service's running revision beside the one before.
    Revisions,
    /// An alarm's runbook: its link copied, opened where a browser is.
    Runbook,
    ToggleFollow,
    ToggleWrap,
    ToggleTimestamps,
    Search,
    NextMatch,
    PrevMatch,
    /// The previous item of the inner list: the service in the logs pane,
    /// the task in a service's detail.
    Previous,
    Next,
    Exec,
    PortForward,
    StopTask,
    RunTask,
    Deploy,
    ForceDeploy,
    Rollback,
    Scale,
    Strategy,
    Continue,
    RolloutView,
    Changes,
    NextKind,
    WiderWindow,
    NarrowerWindow,
    DrillPause,
    DrillFaster,
    DrillSlower,
    DrillRestart,
    DrillAcknowledge,
}

/// Where a binding applies; the help overlay groups by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Global,
    Lists,
    Logs,
    Tasks,
    Changes,
    Writes,
    Drill,
}

impl Context {
    pub const ALL: [Context; 7] = [
        Context::Global,
        Context::Lists,
        Context::Logs,
        Context::Tasks,
        Context::Changes,
        Context::Writes,
        Context::Drill,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Global",
            Context::Lists => "Lists and details",
            Context::Logs => "Logs pane",
            Context::Tasks => "Tasks (a service's detail: the task marked >)",
            Context::Changes => "Changes (what changed, newest first)",
            Context::Writes => "Writes (each shows its plan and asks to confirm)",
            Context::Drill => "Drills (flightdeck demo --scenario NAME)",
        }
    }
}

/// A key as bindings know it: SHIFT is part of an upper-case character,
/// never a modifier of its own, so `D` is the same chord from every terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

impl Chord {
    const fn key(code: KeyCode) -> Self {
        Chord { code, mods: NONE }
    }

    const fn ch(c: char) -> Self {
        Chord::key(KeyCode::Char(c))
    }

    const fn ctrl(c: char) -> Self {
        Chord {
            code: KeyCode::Char(c),
            mods: CTRL,
        }
    }

    /// The chord of a key event as a terminal reported it.
    pub fn of(key: &KeyEvent) -> Self {
        let mut mods = key.modifiers & (KeyModifiers::SHIFT | CTRL | KeyModifiers::ALT);
        let code = match key.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c.to_ascii_uppercase())
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            code => code,
        };
        Chord { code, mods }
    }

    /// Parses a key as the config writes it: a character (`x`, `D`, `?`),
    /// `C-x` or `ctrl-x`, `M-x` or `alt-x`, or a name (`Enter`, `Esc`,
    /// `Tab`, `S-Tab`, `Up`, `Down`, `Left`, `Right`, `Home`, `End`,
    /// `PgUp`, `PgDn`, `Space`, `Backspace`, `Delete`, `Insert`, `F1`-`F12`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{text}` is not a key: write a character (x, D, ?), C-x for Ctrl, M-x for Alt, \
                 or a name: Enter Esc Tab S-Tab Up Down Left Right Home End PgUp PgDn Space \
                 Backspace Delete Insert F1-F12"
            )
        };
        let (mods, rest) = if let Some(rest) = strip_prefix_ci(text, &["C-", "ctrl-", "ctrl+"]) {
            (CTRL, rest)
        } else if let Some(rest) = strip_prefix_ci(text, &["M-", "alt-", "alt+"]) {
            (KeyModifiers::ALT, rest)
        } else {
            (NONE, text)
        };
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            _ if let Some(code) = named(rest) => code,
            (Some(c), None) if !c.is_control() && c != ' ' => KeyCode::Char(if mods == NONE {
                c
            } else {
                c.to_ascii_lowercase()
            }),
            _ => return Err(bad()),
        };
        if code == KeyCode::BackTab && mods != NONE {
            return Err(bad());
        }
        Ok(Chord { code, mods })
    }

    /// The key as help and footer show it, and as the config may write it.
    pub fn label(&self) -> String {
        let code = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.mods.contains(CTRL) {
            format!("C-{code}")
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("M-{code}")
        } else {
            code
        }
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    prefixes.iter().find_map(|p| {
        text.get(..p.len())
            .filter(|head| head.eq_ignore_ascii_case(p))
            .map(|_| &text[p.len()..])
            .filter(|rest| !rest.is_empty())
    })
}

fn named(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "s-tab" | "backtab" | "shift-tab" => KeyCode::BackTab,
        "up" | "↑" => KeyCode::Up,
        "down" | "↓" => KeyCode::Down,
        "left" | "←" => KeyCode::Left,
        "right" | "→" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        "space" => KeyCode::Char(' '),
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        _ => {
            let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
            return (1..=12).contains(&n).then_some(KeyCode::F(n));
        }
    })
}

/// One action: its name in `[keys]`, its default keys, where it applies
/// and its line of help. An action with no help of its own is shown on the
/// row of the action that names it in `with`.
pub struct Binding {
    pub name: &'static str,
    pub action: Action,
    pub context: Context,
    pub help: &'static str,
    /// Actions shown on this one's help row (down / up).
    pub with: &'static [Action],
    pub keys: &'static [Chord],
}

macro_rules! bind {
    ($name:expr, $action:expr, $ctx:expr, $help:expr, [$($key:expr),* $(,)?]) => {
        bind!($name, $action, $ctx, $help, with [], [$($key),*])
    };
    ($name:expr, $action:expr, $ctx:expr, $help:expr, with [$($with:expr),*], [$($key:expr),* $(,)?]) => {
        Binding { name: $name, action: $action, context: $ctx, help: $help, with: &[$($with),*], keys: &[$($key),*] }
    };
}

use Context::{Changes, Drill, Global, Lists, Logs, Tasks, Writes};
use KeyCode::{BackTab, Down, End, Enter, Esc, Home, PageDown, PageUp, Tab, Up};

const fn key(code: KeyCode) -> Chord {
    Chord::key(code)
}
const fn ch(c: char) -> Chord {
    Chord::ch(c)
}
const fn ctrl(c: char) -> Chord {
    Chord::ctrl(c)
}

/// Every action and its default keys, in the order help lists them.
pub static BINDINGS: &[Binding] = &[
    bind!(
        "pane-triage",
        Action::GoPane(0),
        Global,
        "triage services scaling alarms logs costs changes",
        with [
            Action::GoPane(1),
            Action::GoPane(2),
            Action::GoPane(3),
            Action::GoPane(4),
            Action::GoPane(5),
            Action::GoPane(6)
        ],
        [ch('0')]
    ),
    bind!("pane-services", Action::GoPane(1), Global, "", [ch('1')]),
    bind!("pane-scaling", Action::GoPane(2), Global, "", [ch('2')]),
    bind!("pane-alarms", Action::GoPane(3), Global, "", [ch('3')]),
    bind!("pane-logs", Action::GoPane(4), Global, "", [ch('4')]),
    bind!("pane-costs", Action::GoPane(5), Global, "", [ch('5')]),
    bind!("pane-changes", Action::GoPane(6), Global, "", [ch('6')]),
    bind!(
        "changes",
        Action::Changes,
        Global,
        "what changed (the selected service; again: all)",
        [ch('c')]
    ),
    bind!(
        "next-pane",
        Action::NextPane,
        Global,
        "next / previous pane",
        with[Action::PrevPane],
        [key(Tab)]
    ),
    bind!("prev-pane", Action::PrevPane, Global, "", [key(BackTab)]),
    bind!(
        "switch-env",
        Action::SwitchEnv,
        Global,
        "switch environment",
        [ch('e')]
    ),
    bind!(
        "jump",
        Action::Palette,
        Global,
        "jump to environment, cluster, service or pane",
        [ch(':')]
    ),
    bind!(
        "filter",
        Action::Filter,
        Global,
        "filter the current list",
        [ch('/')]
    ),
    bind!(
        "copy",
        Action::Copy,
        Global,
        "copy the selection (OSC 52) / an alarm's runbook",
        with[Action::Runbook],
        [ch('y')]
    ),
    bind!("help", Action::Help, Global, "this help", [ch('?')]),
    bind!(
        "debug",
        Action::ApiOverlay,
        Global,
        "debug: AWS calls, throttles, request budget",
        [ch('!')]
    ),
    bind!(
        "refresh",
        Action::Refresh,
        Global,
        "refresh now",
        [ch('r'), ctrl('r')]
    ),
    bind!(
        "back",
        Action::Back,
        Global,
        "back: close, leave detail, clear filter",
        [key(Esc)]
    ),
    bind!("quit", Action::Quit, Global, "quit", [ch('q'), ctrl('c')]),
    bind!(
        "down",
        Action::Down,
        Lists,
        "down / up",
        with[Action::Up],
        [ch('j'), key(Down)]
    ),
    bind!("up", Action::Up, Lists, "", [ch('k'), key(Up)]),
    bind!(
        "top",
        Action::Top,
        Lists,
        "first / last",
        with[Action::Bottom],
        [ch('g'), key(Home)]
    ),
    bind!("bottom", Action::Bottom, Lists, "", [ch('G'), key(End)]),
    bind!(
        "page-up",
        Action::PageUp,
        Lists,
        "page up / down",
        with[Action::PageDown],
        [key(PageUp), ctrl('b')]
    ),
    bind!(
        "page-down",
        Action::PageDown,
        Lists,
        "",
        [key(PageDown), ctrl('f')]
    ),
    bind!(
        "sort",
        Action::Sort,
        Lists,
        "services: sort by the next column / the other way",
        with[Action::SortReverse],
        [ch('o')]
    ),
    bind!("sort-reverse", Action::SortReverse, Lists, "", [ch('O')]),
    bind!("runbook", Action::Runbook, Lists, "", [ch('b')]),
    bind!(
        "open",
        Action::Open,
        Lists,
        "open the service / the service's logs",
        [key(Enter)]
    ),
    bind!(
        "follow",
        Action::ToggleFollow,
        Logs,
        "follow / pause",
        [ch('f'), ch(' ')]
    ),
    bind!(
        "search",
        Action::Search,
        Logs,
        "search (highlight)",
        [ch('s')]
    ),
    bind!(
        "next-match",
        Action::NextMatch,
        Logs,
        "next / previous match",
        with[Action::PrevMatch],
        [ch('n')]
    ),
    bind!("prev-match", Action::PrevMatch, Logs, "", [ch('N')]),
    bind!(
        "wrap",
        Action::ToggleWrap,
        Logs,
        "wrap long lines",
        [ch('w')]
    ),
    bind!(
        "timestamps",
        Action::ToggleTimestamps,
        Logs,
        "timestamps",
        [ch('t')]
    ),
    bind!(
        "previous",
        Action::Previous,
        Logs,
        "previous / next service (a detail: task)",
        with[Action::Next],
        [ch('[')]
    ),
    bind!("next", Action::Next, Logs, "", [ch(']')]),
    bind!(
        "exec",
        Action::Exec,
        Tasks,
        "shell in the task's container (ECS Exec)",
        [ch('x')]
    ),
    bind!(
        "port-forward",
        Action::PortForward,
        Tasks,
        "forward a local port to the task or through it",
        [ch('P')]
    ),
    bind!(
        "revisions",
        Action::Revisions,
        Tasks,
        "the running task definition beside the one before (diff)",
        [ch('v')]
    ),
    bind!(
        "stop-task",
        Action::StopTask,
        Tasks,
        "stop the task; the service replaces it",
        [ctrl('k')]
    ),
    bind!(
        "next-kind",
        Action::NextKind,
        Changes,
        "one kind at a time: deploy, taskdef, alarm, write…",
        [ch('K')]
    ),
    bind!(
        "narrower-window",
        Action::NarrowerWindow,
        Changes,
        "shorter / longer window (30m to 90d)",
        with[Action::WiderWindow],
        [ch('<')]
    ),
    bind!("wider-window", Action::WiderWindow, Changes, "", [ch('>')]),
    bind!(
        "drill-pause",
        Action::DrillPause,
        Drill,
        "drill: pause / resume its clock",
        [ch('p')]
    ),
    bind!(
        "drill-faster",
        Action::DrillFaster,
        Drill,
        "drill: faster / slower (1x 2x 5x 10x 20x)",
        with[Action::DrillSlower],
        [ch('+')]
    ),
    bind!("drill-slower", Action::DrillSlower, Drill, "", [ch('-')]),
    bind!(
        "drill-acknowledge",
        Action::DrillAcknowledge,
        Drill,
        "drill: acknowledge the page (you take the incident)",
        [ch('a')]
    ),
    bind!(
        "drill-restart",
        Action::DrillRestart,
        Drill,
        "drill: restart from 0:00, same seed (press twice)",
        [ch('X')]
    ),
    bind!(
        "deploy",
        Action::Deploy,
        Writes,
        "deploy new images of the service",
        [ch('D')]
    ),
    bind!(
        "force-deploy",
        Action::ForceDeploy,
        Writes,
        "force a new deployment of the same revision",
        [ch('F')]
    ),
    bind!(
        "rollback",
        Action::Rollback,
        Writes,
        "roll back to the last completed deployment",
        [ch('R')]
    ),
    bind!(
        "scale",
        Action::Scale,
        Writes,
        "scale: desired count, auto scaling min/max, suspend",
        [ch('S')]
    ),
    bind!(
        "strategy",
        Action::Strategy,
        Writes,
        "how it deploys: rolling, blue/green, canary, linear",
        [ch('T')]
    ),
    bind!(
        "continue",
        Action::Continue,
        Writes,
        "continue a deployment waiting at a pause hook",
        [ch('C')]
    ),
    bind!(
        "run-task",
        Action::RunTask,
        Writes,
        "launch a one-off task of the service (a migration)",
        [ch('L')]
    ),
    bind!(
        "rollout-watch",
        Action::RolloutView,
        Writes,
        "show / hide the rollout watch",
        [ch('W')]
    ),
];

fn binding(action: Action) -> Option<&'static Binding> {
    BINDINGS.iter().find(|b| b.action == action)
}

/// The config's `[keys]`: each action named there, with its keys as written.
pub type Overrides = Vec<(String, Vec<String>)>;

/// A `[keys]` entry that cannot be used; `entry` is its index in what was
/// given, `key` the index of the key in its list, for the caller to locate.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{message}")]
pub struct KeymapError {
    pub entry: usize,
    pub key: Option<usize>,
    pub message: String,
}

/// The keys in force: the defaults with the operator's `[keys]` over them.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    actions: HashMap<Chord, Action>,
    keys: HashMap<Action, Vec<Chord>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let keys: HashMap<Action, Vec<Chord>> = BINDINGS
            .iter()
            .map(|b| (b.action, b.keys.to_vec()))
            .collect();
        Keymap::from_keys(keys)
    }
}

impl Keymap {
    fn from_keys(keys: HashMap<Action, Vec<Chord>>) -> Self {
        let actions = keys
            .iter()
            .flat_map(|(action, chords)| chords.iter().map(|c| (*c, *action)))
            .collect();
        Keymap { actions, keys }
    }

    /// The defaults with `entries` (action name, its keys) laid over them:
    /// an action named there has exactly the keys given (none: unbound).
    /// Unknown actions, keys that are not keys, and a key claimed by two
    /// actions are errors.
    pub fn with_overrides(entries: &[(String, Vec<String>)]) -> Result<Self, KeymapError> {
        let mut keys: HashMap<Action, Vec<Chord>> = BINDINGS
            .iter()
            .map(|b| (b.action, b.keys.to_vec()))
            .collect();
        let mut remapped: HashMap<Action, usize> = HashMap::new();
        for (entry, (name, given)) in entries.iter().enumerate() {
            let error = |key, message| KeymapError {
                entry,
                key,
                message,
            };
            let b = BINDINGS
                .iter()
                .find(|b| b.name == name)
                .ok_or_else(|| error(None, unknown_action(name)))?;
            if remapped.insert(b.action, entry).is_some() {
                return Err(error(None, format!("`{name}` is given twice")));
            }
            let mut chords = vec![];
            for (i, text) in given.iter().enumerate() {
                let chord = Chord::parse(text).map_err(|m| error(Some(i), m))?;
                if chord == Chord::ctrl('c') && b.action != Action::Quit {
                    return Err(error(
                        Some(i),
                        "C-c always quits; choose another key".to_string(),
                    ));
                }
                if !chords.contains(&chord) {
                    chords.push(chord);
                }
            }
            keys.insert(b.action, chords);
        }
        // Every key to one action; a clash names both and the way out.
        let mut owner: HashMap<Chord, Action> = HashMap::new();
        for b in BINDINGS {
            for chord in keys.get(&b.action).into_iter().flatten() {
                let Some(other) = owner.insert(*chord, b.action) else {
                    continue;
                };
                // Locate the clash at the later of the two entries of the
                // table that claim the key, or at the one entry when the
                // other action keeps its default keys.
                let (first, second) = match (remapped.get(&other), remapped.get(&b.action)) {
                    (Some(o), Some(m)) if o > m => ((b.action, *m), (other, Some(*o))),
                    (Some(o), m) if m.is_none() => ((b.action, usize::MAX), (other, Some(*o))),
                    (o, m) => (
                        (other, o.copied().unwrap_or(usize::MAX)),
                        (b.action, m.copied()),
                    ),
                };
                let entry = second.1.unwrap_or(0);
                let other_remapped = first.1 != usize::MAX;
                let (other_name, mine) = (name(first.0), name(second.0));
                let index = entries.get(entry).and_then(|(_, given)| {
                    given
                        .iter()
                        .position(|t| Chord::parse(t).ok() == Some(*chord))
                });
                let message = if other_remapped {
                    format!(
                        "`{}` is bound to both `{other_name}` and `{mine}`",
                        chord.label()
                    )
                } else {
                    format!(
                        "`{}` is already `{other_name}`'s key by default; give `{other_name}` other keys in [keys] too, or choose another key for `{mine}`",
                        chord.label()
                    )
                };
                return Err(KeymapError {
                    entry,
                    key: index,
                    message,
                });
            }
        }
        Ok(Keymap::from_keys(keys))
    }

    /// The action a key event asks for. Ctrl-C quits whatever the map says.
    pub fn action(&self, key: &KeyEvent) -> Option<Action> {
        let chord = Chord::of(key);
        if chord == Chord::ctrl('c') {
            return Some(Action::Quit);
        }
        self.actions.get(&chord).copied()
    }

    /// The keys of `action`, in order.
    /// The action `chord` is bound to, in any context.
    pub fn bound(&self, chord: &Chord) -> Option<Action> {
        self.actions.get(chord).copied()
    }

    pub fn keys(&self, action: Action) -> &[Chord] {
        self.keys.get(&action).map_or(&[], Vec::as_slice)
    }

    /// The keys of `action` as help shows them (`j ↓`); `-` when unbound.
    pub fn label(&self, action: Action) -> String {
        let keys = self.keys(action);
        if keys.is_empty() {
            return "-".into();
        }
        keys.iter().map(Chord::label).collect::<Vec<_>>().join(" ")
    }

    /// The first key of `action`, as the footer shows it; `None` when unbound.
    pub fn short(&self, action: Action) -> Option<String> {
        self.keys(action).first().map(Chord::label)
    }

    /// A help row's keys: the binding's own and those shown with it.
    pub fn row_label(&self, b: &Binding) -> String {
        let labels: Vec<String> = std::iter::once(b.action)
            .chain(b.with.iter().copied())
            .map(|a| self.label(a))
            .collect();
        let joined = labels.join(" ");
        // The pane keys read best as a range when they are the digits.
        if joined == "0 1 2 3 4 5 6" {
            "0-6".into()
        } else {
            joined
        }
    }
}

/// The name of `action` in `[keys]`.
pub fn name(action: Action) -> &'static str {
    binding(action).map_or("?", |b| b.name)
}

fn unknown_action(name: &str) -> String {
    let closest = BINDINGS
        .iter()
        .map(|b| (strsim::levenshtein(name, b.name), b.name))
        .min();
    match closest {
        Some((distance, close)) if distance <= 3 => {
            format!("unknown action `{name}` in [keys]; did you mean `{close}`?")
        }
        _ => format!(
            "unknown action `{name}` in [keys]; the actions are listed in the README (Keys)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inputs that once surprised the parser (`fuzz/corpus`), and any
    /// text at all: a key or an error, never a panic; a key reads back
    /// from its own label.
    fn check_key(text: &str) {
        if let Ok(chord) = Chord::parse(text) {
            let label = chord.label();
            if let Ok(again) = Chord::parse(&label) {
                assert_eq!(again, chord, "{text:?} -> {label:?}");
            }
        }
    }

    #[test]
    fn the_crash_corpus_of_keys_reads_or_is_refused() {
        for line in include_str!("../../../../fuzz/corpus/keys.txt").lines() {
            check_key(line);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_key_text_is_a_key_or_an_error(text in "\\PC{0,12}|((C|M|S|ctrl|alt|shift)-){0,3}(\\PC|F[0-9]{1,22}|Enter|Tab|PgUp)") {
            check_key(&text);
        }
    }

    fn k(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), NONE)
    }

    fn remap(entries: &[(&str, &[&str])]) -> Result<Keymap, KeymapError> {
        let entries: Vec<(String, Vec<String>)> = entries
            .iter()
            .map(|(n, keys)| (n.to_string(), keys.iter().map(|k| k.to_string()).collect()))
            .collect();
        Keymap::with_overrides(&entries)
    }

    #[test]
    fn number_keys_pick_panes_and_q_quits() {
        let map = Keymap::default();
        assert_eq!(map.action(&k('3')), Some(Action::GoPane(3)));
        assert_eq!(map.action(&k('0')), Some(Action::GoPane(0)));
        assert_eq!(map.action(&k('q')), Some(Action::Quit));
        assert_eq!(
            map.action(&KeyEvent::new(KeyCode::Char('c'), CTRL)),
            Some(Action::Quit)
        );
        assert_eq!(map.action(&k('z')), None);
    }

    #[test]
    fn shift_is_the_upper_case_whatever_the_terminal_sends() {
        let map = Keymap::default();
        let shift = KeyModifiers::SHIFT;
        for event in [
            KeyEvent::new(KeyCode::Char('D'), shift),
            KeyEvent::new(KeyCode::Char('D'), NONE),
            KeyEvent::new(KeyCode::Char('d'), shift),
        ] {
            assert_eq!(map.action(&event), Some(Action::Deploy), "{event:?}");
        }
        assert_eq!(
            map.action(&KeyEvent::new(KeyCode::BackTab, shift)),
            Some(Action::PrevPane)
        );
        assert_eq!(
            map.action(&KeyEvent::new(KeyCode::Char('?'), shift)),
            Some(Action::Help)
        );
    }

    #[test]
    fn every_action_has_one_binding_and_no_key_two_actions() {
        let mut names = std::collections::HashSet::new();
        let mut actions = std::collections::HashSet::new();
        for b in BINDINGS {
            assert!(names.insert(b.name), "{} twice", b.name);
            assert!(actions.insert(b.action), "{:?} twice", b.action);
        }
        // The default map is the overrides-free map: no clash.
        assert_eq!(Keymap::with_overrides(&[]), Ok(Keymap::default()));
    }

    #[test]
    fn every_default_key_reads_back_from_its_label() {
        for b in BINDINGS {
            for chord in b.keys {
                assert_eq!(Chord::parse(&chord.label()), Ok(*chord), "{}", b.name);
            }
        }
    }

    #[test]
    fn a_remapped_action_has_exactly_its_new_keys() {
        let map = remap(&[
            ("down", &["C-n", "Down"]),
            ("up", &["C-p"]),
            ("deploy", &[]),
        ])
        .unwrap();
        let ctrl_n = KeyEvent::new(KeyCode::Char('n'), CTRL);
        assert_eq!(map.action(&ctrl_n), Some(Action::Down));
        assert_eq!(map.action(&k('j')), None, "the old key is free");
        assert_eq!(map.action(&k('D')), None, "deploy is unbound");
        assert_eq!(map.label(Action::Down), "C-n ↓");
        assert_eq!(map.label(Action::Deploy), "-");
        assert_eq!(map.short(Action::Deploy), None);
        // The freed `j` can go to another action.
        let map = remap(&[("down", &["C-n"]), ("exec", &["j"])]).unwrap();
        assert_eq!(map.action(&k('j')), Some(Action::Exec));
        // Ctrl-C quits even when `quit` is remapped away from it.
        let map = remap(&[("quit", &["Q"])]).unwrap();
        assert_eq!(
            map.action(&KeyEvent::new(KeyCode::Char('c'), CTRL)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn unknown_actions_bad_keys_and_clashes_say_which_entry() {
        let e = remap(&[("down", &["j"]), ("delpoy", &["d"])]).unwrap_err();
        assert_eq!((e.entry, e.key), (1, None));
        assert!(e.message.contains("did you mean `deploy`"), "{e}");
        let e = remap(&[("exec", &["x", "Ctl-x"])]).unwrap_err();
        assert_eq!((e.entry, e.key), (0, Some(1)));
        assert!(e.message.contains("`Ctl-x` is not a key"), "{e}");
        let e = remap(&[("exec", &["z"]), ("copy", &["z"])]).unwrap_err();
        assert_eq!((e.entry, e.key), (1, Some(0)));
        assert!(e.message.contains("bound to both `exec` and `copy`"), "{e}");
        // A default key of an action left as it is.
        let e = remap(&[("help", &["h"]), ("exec", &["j"])]).unwrap_err();
        assert_eq!((e.entry, e.key), (1, Some(0)));
        assert!(
            e.message
                .contains("`j` is already `down`'s key by default; give `down` other keys"),
            "{e}"
        );
        let e = remap(&[("exec", &["x"]), ("exec", &["y"])]).unwrap_err();
        assert!(e.message.contains("given twice"), "{e}");
        let e = remap(&[("copy", &["C-c"])]).unwrap_err();
        assert_eq!((e.entry, e.key), (0, Some(0)));
        assert!(e.message.contains("C-c always quits"), "{e}");
    }

    #[test]
    fn the_pane_keys_read_as_a_range() {
        let map = Keymap::default();
        assert_eq!(map.row_label(&BINDINGS[0]), "0-6");
        let map = remap(&[("pane-logs", &["F4"])]).unwrap();
        assert_eq!(map.row_label(&BINDINGS[0]), "0 1 2 3 F4 5 6");
    }
}
