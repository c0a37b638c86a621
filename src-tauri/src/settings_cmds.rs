//! The settings commands: read the settings view, change the user's config file, detect a status page.

use std::sync::Arc;

use tauri::{AppHandle, Runtime, State};
use weathervane::config::edit::{self, SettingsChange};
use weathervane::monitor::sources::detect::{self, Detected};
use weathervane::views::dashboard::SettingsView;

use weathervane::runtime::{AppError, Runtime as Core};

use crate::role::Role;

type Res<T> = Result<T, AppError>;

#[tauri::command]
pub async fn settings<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Arc<Core>>,
) -> Res<SettingsView> {
    let autostart = crate::integration::autostart_enabled(&app);
    let path = shell.locations.config.clone();
    shell
        .with_store(move |s, c| {
            Ok(weathervane::views::dashboard::settings_view(
                s, c, &path, autostart,
            )?)
        })
        .await
}

#[tauri::command]
pub async fn update_settings<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Arc<Core>>,
    role: State<'_, Role>,
    change: SettingsChange,
) -> Res<SettingsView> {
    let path = shell.locations.config.clone();
    let config = tokio::task::spawn_blocking(move || edit::apply_change(&path, &change))
        .await
        .map_err(|e| AppError::system(e.to_string()))??;
    shell.replace_config(config)?;
    // In the dashboard's process, the tray process polls: it reloads the file.
    role.tell_parent(crate::child::FromChild::Config);
    crate::windows::changed(&app);
    crate::tray_state::refresh(app.clone());
    settings(app, shell).await
}

#[tauri::command]
pub async fn detect_source(shell: State<'_, Arc<Core>>, url: String) -> Res<Detected> {
    let fetcher = shell.fetcher()?;
    Ok(detect::detect(&fetcher, &url).await?)
}
