//! The mouse: a click on a tab, a row or a dialog's button, and the wheel.
//! Rendering records where each clickable thing was drawn ([`HitMap`]);
//! a click is looked up there, so it acts on what the operator saw.

use super::keymap::Action;
use super::write::Dialog;
use super::{App, Overlay, Pane};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

/// Rows the wheel moves at a time.
pub const WHEEL_ROWS: isize = 3;

/// Something a click acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Tab(Pane),
    /// The `index`th row (of the whole list) of a pane's table.
    Row(Pane, usize),
    Button(Button),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Button {
    Cancel,
    Confirm,
    /// Closes a message.
    Close,
    /// A message's offer (plan the range change).
    Offer,
}

/// Where the last frame drew each clickable thing, later ones on top.
/// Not part of the state: two apps differing only here are equal.
#[derive(Debug, Default)]
pub struct HitMap(
    std::sync::Mutex<Vec<(Rect, Target)>>,
    /// How far the open dialog's text could scroll in the last frame,
    /// plus one (0: no frame has said).
    std::sync::atomic::AtomicU32,
);

impl HitMap {
    fn areas(&self) -> std::sync::MutexGuard<'_, Vec<(Rect, Target)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets the last frame's areas (a frame starts).
    pub fn clear(&self) {
        self.areas().clear();
    }

    /// The last frame drew a dialog whose text scrolls at most `max` rows.
    pub fn set_scroll_limit(&self, max: u16) {
        self.1
            .store(u32::from(max) + 1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How far the open dialog's text scrolls, by the last frame; `None`
    /// before a frame said.
    pub fn scroll_limit(&self) -> Option<u16> {
        let v = self.1.load(std::sync::atomic::Ordering::Relaxed);
        v.checked_sub(1).and_then(|m| u16::try_from(m).ok())
    }

    pub fn add(&self, area: Rect, target: Target) {
        self.areas().push((area, target));
    }

    /// What is drawn at (`column`, `row`), the topmost.
    pub fn at(&self, column: u16, row: u16) -> Option<Target> {
        self.areas()
            .iter()
            .rev()
            .find(|(area, _)| area.contains(Position::new(column, row)))
            .map(|(_, target)| *target)
    }
}

impl Clone for HitMap {
    fn clone(&self) -> Self {
        HitMap(
            std::sync::Mutex::new(self.areas().clone()),
            std::sync::atomic::AtomicU32::new(self.1.load(std::sync::atomic::Ordering::Relaxed)),
        )
    }
}

impl PartialEq for HitMap {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// What a mouse event means for the cockpit, resolved against the last
/// frame when it arrives: recordings keep this, so a replay at another
/// size does what the operator did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MouseInput {
    /// A left click; `None` on nothing clickable.
    Click(Option<Target>),
    Wheel {
        down: bool,
    },
}

/// The input a terminal's mouse event makes, if any.
pub fn resolve(app: &App, event: &MouseEvent) -> Option<MouseInput> {
    match event.kind {
        MouseEventKind::ScrollDown => Some(MouseInput::Wheel { down: true }),
        MouseEventKind::ScrollUp => Some(MouseInput::Wheel { down: false }),
        MouseEventKind::Down(MouseButton::Left) => {
            Some(MouseInput::Click(app.hits.at(event.column, event.row)))
        }
        _ => None,
    }
}

/// What a mouse input asks of the cockpit, in the keys' own terms:
/// [`super::update`] carries it out, so a click does exactly what its key
/// would and the mouse acts on nothing by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// As if this key were pressed.
    Key(KeyEvent),
    /// As if the key bound to this action were pressed.
    Act(Action),
}

/// The wheel scrolls what the keys would; a left click selects a row (a
/// second click on it opens it), a tab or a button. Selecting a row, a
/// tab's closing of an overlay and a button's focus happen here; the
/// rest is asked of `update`.
pub fn on_mouse(app: &mut App, input: MouseInput) -> Vec<Intent> {
    app.dirty = true;
    match input {
        MouseInput::Wheel { down } => wheel(app, down),
        MouseInput::Click(target) => click(app, target),
    }
}

fn key(code: KeyCode) -> Intent {
    Intent::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn wheel(app: &App, down: bool) -> Vec<Intent> {
    if app.dialog.is_some() || app.input.is_some() {
        return vec![];
    }
    let scrolls_overlay = matches!(
        app.overlay,
        Some(Overlay::Help { .. } | Overlay::Api { .. } | Overlay::Debrief { .. })
    );
    let intent = if scrolls_overlay {
        key(if down { KeyCode::Down } else { KeyCode::Up })
    } else if app.overlay.is_some() {
        return vec![];
    } else {
        Intent::Act(if down { Action::Down } else { Action::Up })
    };
    vec![intent; WHEEL_ROWS.unsigned_abs()]
}

fn click(app: &mut App, target: Option<Target>) -> Vec<Intent> {
    match (target, &app.dialog) {
        (Some(Target::Button(button)), Some(_)) => press(app, button),
        // A click beside an open dialog does nothing: it is answered by
        // its buttons or keys, never by accident.
        (_, Some(_)) => vec![],
        (Some(Target::Tab(pane)), None) => {
            app.overlay = None;
            vec![Intent::Act(Action::GoPane(pane.index()))]
        }
        (Some(Target::Row(pane, index)), None) if pane == app.pane && app.overlay.is_none() => {
            if app.selected(pane) == index {
                vec![Intent::Act(Action::Open)]
            } else {
                app.selected[pane.index()] = index;
                vec![]
            }
        }
        _ => vec![],
    }
}

/// A dialog's button, as its keys would press it: the button takes the
/// focus, then Enter (or Esc for Cancel and Close).
fn press(app: &mut App, button: Button) -> Vec<Intent> {
    match (button, app.dialog.as_mut()) {
        (Button::Cancel | Button::Close, _) => vec![key(KeyCode::Esc)],
        (Button::Confirm, Some(Dialog::Confirm(c))) => {
            c.on_confirm = true;
            vec![key(KeyCode::Enter)]
        }
        (Button::Offer, Some(Dialog::Message(m))) => {
            m.on_offer = true;
            vec![key(KeyCode::Enter)]
        }
        _ => vec![],
    }
}
