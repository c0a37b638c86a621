//! What the tray, the dashboard and the CLI show: pure view models over the store and config.

pub mod actions;
pub mod dashboard;
pub mod menu;
pub mod status;
pub mod statusline;
pub mod text;
