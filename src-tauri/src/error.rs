//! The one error type commands return: serialised as `{kind, message}` so the UI shows words, never a panic.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[ts(export)]
#[error("{message}")]
pub struct ShellError {
    /// A stable machine-readable class: config, store, network, input, switch, system.
    pub kind: String,
    /// What went wrong, in words for the user.
    pub message: String,
}

impl ShellError {
    pub fn new(kind: &str, message: impl Into<String>) -> ShellError {
        ShellError {
            kind: kind.to_string(),
            message: message.into(),
        }
    }
}

impl From<weathervane::store::StoreError> for ShellError {
    fn from(e: weathervane::store::StoreError) -> Self {
        ShellError::new("store", e.to_string())
    }
}

impl From<weathervane::config::ConfigError> for ShellError {
    fn from(e: weathervane::config::ConfigError) -> Self {
        ShellError::new("config", e.to_string())
    }
}

impl From<weathervane::config_edit::ConfigEditError> for ShellError {
    fn from(e: weathervane::config_edit::ConfigEditError) -> Self {
        ShellError::new("config", e.to_string())
    }
}

impl From<weathervane::sources::detect::DetectError> for ShellError {
    fn from(e: weathervane::sources::detect::DetectError) -> Self {
        ShellError::new("network", e.to_string())
    }
}

impl From<weathervane::switcher::engine::SwitchError> for ShellError {
    fn from(e: weathervane::switcher::engine::SwitchError) -> Self {
        ShellError::new("switch", e.to_string())
    }
}

impl From<tauri::Error> for ShellError {
    fn from(e: tauri::Error) -> Self {
        ShellError::new("system", e.to_string())
    }
}
