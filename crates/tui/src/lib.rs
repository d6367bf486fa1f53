//! flightdeck's cockpit: the app state with its pure `update`, the pure
//! render functions, themes and file diagnostics. It talks to providers only
//! through the engine's events and the effects it returns.

pub mod app;
pub mod diagnostic;
pub mod theme;
pub mod ui;
