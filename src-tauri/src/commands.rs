//! The dashboard's commands: each parses its arguments, calls one core function, returns.

use std::sync::Arc;

use tauri::{AppHandle, Runtime, State};
use weathervane::app::{History, Overview, ProbesView};

use crate::error::ShellError;
use crate::shell::Shell;

type Res<T> = Result<T, ShellError>;

#[tauri::command]
pub async fn overview(shell: State<'_, Arc<Shell>>) -> Res<Overview> {
    shell.overview().await
}

#[tauri::command]
pub async fn history(shell: State<'_, Arc<Shell>>, days: u32) -> Res<History> {
    shell.history(days).await
}

#[tauri::command]
pub async fn probes(shell: State<'_, Arc<Shell>>, hours: u32) -> Res<ProbesView> {
    shell.probes(hours).await
}

#[tauri::command]
pub async fn set_autostart<R: Runtime>(app: AppHandle<R>, enabled: bool) -> Res<bool> {
    crate::set_autostart(&app, enabled)
}

#[tauri::command]
pub async fn refresh_now(shell: State<'_, Arc<Shell>>) -> Res<()> {
    shell.refresh_now();
    Ok(())
}

#[tauri::command]
pub async fn open_status_page(shell: State<'_, Arc<Shell>>, id: String) -> Res<()> {
    let c = shell.config();
    let p = c
        .provider(&id)
        .ok_or_else(|| ShellError::new("input", format!("no provider {id:?}")))?;
    crate::open_url(&p.homepage())
}
