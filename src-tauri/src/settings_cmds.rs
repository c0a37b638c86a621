//! The settings commands: read the settings view, change the user's config file, detect a status page.

use std::sync::Arc;

use tauri::{AppHandle, Runtime, State};
use weathervane::app::SettingsView;
use weathervane::config_edit::{self, SettingsChange};
use weathervane::sources::detect::{self, Detected};

use crate::error::ShellError;
use crate::shell::Shell;

type Res<T> = Result<T, ShellError>;

#[tauri::command]
pub async fn settings<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Arc<Shell>>,
) -> Res<SettingsView> {
    let autostart = crate::autostart_enabled(&app);
    let path = shell.locations.config.clone();
    shell
        .with_store(move |s, c| Ok(weathervane::app::settings_view(s, c, &path, autostart)?))
        .await
}

#[tauri::command]
pub async fn update_settings<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Arc<Shell>>,
    change: SettingsChange,
) -> Res<SettingsView> {
    let path = shell.locations.config.clone();
    let config = tokio::task::spawn_blocking(move || config_edit::apply_change(&path, &change))
        .await
        .map_err(|e| ShellError::new("system", e.to_string()))??;
    shell.replace_config(config)?;
    crate::changed(&app);
    crate::refresh_tray(app.clone(), shell.inner().clone());
    settings(app, shell).await
}

#[tauri::command]
pub async fn detect_source(shell: State<'_, Arc<Shell>>, url: String) -> Res<Detected> {
    let c = shell.config();
    let fetcher = weathervane::fetch::Fetcher::new(c.timeout, c.max_body)
        .map_err(|e| ShellError::new("system", e.to_string()))?;
    Ok(detect::detect(&fetcher, &url).await?)
}
