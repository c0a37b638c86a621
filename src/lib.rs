//! Weathervane core: status sources, poller, history store, notification policy. Never imports tauri.

pub mod model;
pub mod policy;
pub mod sources;
pub mod state;
pub mod store;
