//! Keys to actions, in the k9s tradition. The help overlay is generated
//! from [`BINDINGS`], so it can never disagree with what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    ToggleFollow,
    ToggleWrap,
    ToggleTimestamps,
    Search,
    NextMatch,
    PrevMatch,
    PrevLogSource,
    NextLogSource,
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
}

/// Where a binding applies; the help overlay groups by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Global,
    Lists,
    Logs,
    Changes,
    Writes,
    Drill,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Global",
            Context::Lists => "Lists and details",
            Context::Logs => "Logs pane",
            Context::Changes => "Changes (what changed, newest first)",
            Context::Writes => "Writes (each shows its plan and asks to confirm)",
            Context::Drill => "Drills (flightdeck demo --scenario NAME)",
        }
    }
}

pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    pub label: &'static str,
    pub action: Action,
    pub context: Context,
    pub help: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

macro_rules! bind {
    ($label:expr, $action:expr, $ctx:expr, $help:expr, [$(($code:expr, $mods:expr)),+ $(,)?]) => {
        Binding { keys: &[$(($code, $mods)),+], label: $label, action: $action, context: $ctx, help: $help }
    };
}

use Context::{Changes, Drill, Global, Lists, Logs, Writes};
use KeyCode::{BackTab, Char, Down, End, Enter, Esc, Home, PageDown, PageUp, Tab, Up};

pub static BINDINGS: &[Binding] = &[
    bind!(
        "0-6",
        Action::GoPane(0),
        Global,
        "triage services scaling alarms logs costs changes",
        [(Char('0'), NONE)]
    ),
    bind!(
        "c",
        Action::Changes,
        Global,
        "what changed (the selected service; again: all)",
        [(Char('c'), NONE)]
    ),
    bind!(
        "Tab S-Tab",
        Action::NextPane,
        Global,
        "next / previous pane",
        [(Tab, NONE)]
    ),
    bind!(
        "S-Tab",
        Action::PrevPane,
        Global,
        "",
        [(BackTab, SHIFT), (BackTab, NONE)]
    ),
    bind!(
        "e",
        Action::SwitchEnv,
        Global,
        "switch environment",
        [(Char('e'), NONE)]
    ),
    bind!(
        ":",
        Action::Palette,
        Global,
        "jump to environment, cluster, service or pane",
        [(Char(':'), NONE), (Char(':'), SHIFT)]
    ),
    bind!(
        "/",
        Action::Filter,
        Global,
        "filter the current list",
        [(Char('/'), NONE)]
    ),
    bind!(
        "?",
        Action::Help,
        Global,
        "this help",
        [(Char('?'), NONE), (Char('?'), SHIFT)]
    ),
    bind!(
        "!",
        Action::ApiOverlay,
        Global,
        "debug: AWS calls, throttles, request budget",
        [(Char('!'), NONE), (Char('!'), SHIFT)]
    ),
    bind!(
        "r",
        Action::Refresh,
        Global,
        "refresh now",
        [(Char('r'), NONE), (Char('r'), CTRL)]
    ),
    bind!(
        "Esc",
        Action::Back,
        Global,
        "back: close, leave detail, clear filter",
        [(Esc, NONE)]
    ),
    bind!(
        "q C-c",
        Action::Quit,
        Global,
        "quit",
        [(Char('q'), NONE), (Char('c'), CTRL)]
    ),
    bind!(
        "j k ↓ ↑",
        Action::Down,
        Lists,
        "down / up",
        [(Char('j'), NONE), (Down, NONE)]
    ),
    bind!(
        "k/Up",
        Action::Up,
        Lists,
        "",
        [(Char('k'), NONE), (Up, NONE)]
    ),
    bind!(
        "g G",
        Action::Top,
        Lists,
        "first / last (also Home, End)",
        [(Char('g'), NONE), (Home, NONE)]
    ),
    bind!(
        "G/End",
        Action::Bottom,
        Lists,
        "",
        [(Char('G'), SHIFT), (Char('G'), NONE), (End, NONE)]
    ),
    bind!(
        "PgUp",
        Action::PageUp,
        Lists,
        "page up",
        [(PageUp, NONE), (Char('b'), CTRL)]
    ),
    bind!(
        "PgDn",
        Action::PageDown,
        Lists,
        "page down",
        [(PageDown, NONE), (Char('f'), CTRL)]
    ),
    bind!(
        "Enter",
        Action::Open,
        Lists,
        "open the service / the service's logs",
        [(Enter, NONE)]
    ),
    bind!(
        "f",
        Action::ToggleFollow,
        Logs,
        "follow / pause",
        [(Char('f'), NONE), (Char(' '), NONE)]
    ),
    bind!(
        "s",
        Action::Search,
        Logs,
        "search (highlight)",
        [(Char('s'), NONE)]
    ),
    bind!(
        "n/N",
        Action::NextMatch,
        Logs,
        "next / previous match",
        [(Char('n'), NONE)]
    ),
    bind!(
        "N",
        Action::PrevMatch,
        Logs,
        "",
        [(Char('N'), SHIFT), (Char('N'), NONE)]
    ),
    bind!(
        "w",
        Action::ToggleWrap,
        Logs,
        "wrap long lines",
        [(Char('w'), NONE)]
    ),
    bind!(
        "t",
        Action::ToggleTimestamps,
        Logs,
        "timestamps",
        [(Char('t'), NONE)]
    ),
    bind!(
        "[ ]",
        Action::PrevLogSource,
        Logs,
        "previous / next service",
        [(Char('['), NONE)]
    ),
    bind!("]", Action::NextLogSource, Logs, "", [(Char(']'), NONE)]),
    bind!(
        "K",
        Action::NextKind,
        Changes,
        "one kind at a time: deploy, taskdef, alarm, write…",
        [(Char('K'), SHIFT), (Char('K'), NONE)]
    ),
    bind!(
        "< >",
        Action::NarrowerWindow,
        Changes,
        "shorter / longer window (30m to 24h)",
        [(Char('<'), NONE), (Char('<'), SHIFT)]
    ),
    bind!(
        ">",
        Action::WiderWindow,
        Changes,
        "",
        [(Char('>'), NONE), (Char('>'), SHIFT)]
    ),
    bind!(
        "p",
        Action::DrillPause,
        Drill,
        "drill: pause / resume its clock",
        [(Char('p'), NONE)]
    ),
    bind!(
        "+ -",
        Action::DrillFaster,
        Drill,
        "drill: faster / slower (1x 2x 5x 10x 20x)",
        [(Char('+'), NONE), (Char('+'), SHIFT)]
    ),
    bind!("-", Action::DrillSlower, Drill, "", [(Char('-'), NONE)]),
    bind!(
        "X X",
        Action::DrillRestart,
        Drill,
        "drill: restart from 0:00, same seed (press twice)",
        [(Char('X'), SHIFT), (Char('X'), NONE)]
    ),
    bind!(
        "D",
        Action::Deploy,
        Writes,
        "deploy new images of the service",
        [(Char('D'), SHIFT), (Char('D'), NONE)]
    ),
    bind!(
        "F",
        Action::ForceDeploy,
        Writes,
        "force a new deployment of the same revision",
        [(Char('F'), SHIFT), (Char('F'), NONE)]
    ),
    bind!(
        "R",
        Action::Rollback,
        Writes,
        "roll back to the last completed deployment",
        [(Char('R'), SHIFT), (Char('R'), NONE)]
    ),
    bind!(
        "S",
        Action::Scale,
        Writes,
        "scale: desired count, auto scaling min/max, suspend",
        [(Char('S'), SHIFT), (Char('S'), NONE)]
    ),
    bind!(
        "T",
        Action::Strategy,
        Writes,
        "how it deploys: rolling, blue/green, canary, linear",
        [(Char('T'), SHIFT), (Char('T'), NONE)]
    ),
    bind!(
        "C",
        Action::Continue,
        Writes,
        "continue a deployment waiting at a pause hook",
        [(Char('C'), SHIFT), (Char('C'), NONE)]
    ),
    bind!(
        "W",
        Action::RolloutView,
        Writes,
        "show / hide the rollout watch",
        [(Char('W'), SHIFT), (Char('W'), NONE)]
    ),
];

/// The action bound to a key, if any. Number keys 0-6 pick a pane.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    if let Char(c @ '0'..='6') = key.code
        && !key.modifiers.contains(CTRL)
    {
        return Some(Action::GoPane(c as usize - '0' as usize));
    }
    BINDINGS
        .iter()
        .find(|b| {
            b.keys
                .iter()
                .any(|(code, mods)| *code == key.code && *mods == key.modifiers)
        })
        .map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_keys_pick_panes_and_q_quits() {
        let k = |c| KeyEvent::new(Char(c), NONE);
        assert_eq!(action_for(&k('3')), Some(Action::GoPane(3)));
        assert_eq!(action_for(&k('0')), Some(Action::GoPane(0)));
        assert_eq!(action_for(&k('q')), Some(Action::Quit));
        assert_eq!(
            action_for(&KeyEvent::new(Char('c'), CTRL)),
            Some(Action::Quit)
        );
        assert_eq!(action_for(&k('x')), None);
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = std::collections::HashSet::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(seen.insert(*k), "{k:?} bound twice");
            }
        }
    }
}
