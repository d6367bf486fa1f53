//! flightdeck's cockpit: the app state with its pure `update`, the pure
//! render functions, themes and file diagnostics. It talks to providers only
//! through the engine's events and the effects it returns; `recording` keeps
//! those events (the flight recorder) for replay and the postmortem.

pub mod app;
pub mod diagnostic;
pub mod recording;
pub mod theme;
pub mod ui;
