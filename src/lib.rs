//! Weathervane core: status sources, poller, history store, notification policy, CLI. Never imports tauri.

pub mod app;
pub mod assistants;
pub mod autoswitch;
pub mod cli;
pub mod config;
pub mod config_edit;
pub mod events;
pub mod failover;
pub mod fetch;
pub mod model;
pub mod policy;
pub mod poller;
pub mod report;
pub mod sources;
pub mod state;
pub mod store;
pub mod switcher;
pub mod verdict;
