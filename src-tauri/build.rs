//! Declares the app's own commands so the capability file can grant exactly those.

const COMMANDS: &[&str] = &[
    "overview",
    "history",
    "probes",
    "settings",
    "update_settings",
    "detect_source",
    "set_autostart",
    "refresh_now",
    "open_status_page",
    "assistants",
    "plan_switch",
    "switch_assistant",
    "switch_back",
    "switch_history",
    "backups",
    "restore_backup",
];

fn main() {
    let attrs = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attrs) {
        panic!("tauri-build failed: {e:#}");
    }
}
