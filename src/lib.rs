//! Weathervane core: from status pages and the user's own assistants to "what is true now"
//! (`monitor`), the history (`store`), what the tray, dashboard and CLI show (`views`), and
//! switching the local assistants (`switch`). Never imports tauri or a GUI toolkit; the CLI
//! lives with its binary (`src/main.rs`, `src/cli/`). Map: docs/ARCHITECTURE.md.

pub mod config;
pub mod desktop;
pub mod events;
pub mod model;
pub mod monitor;
pub mod runtime;
pub mod store;
pub mod switch;
pub mod views;
