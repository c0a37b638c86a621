//! The dashboard's commands: each parses its arguments, calls one core function, returns.

use std::sync::Arc;

use tauri::{AppHandle, Runtime, State};
use weathervane::views::dashboard::{History, Overview, ProbesView};

use weathervane::runtime::{AppError, Runtime as Core};

use crate::role::Role;

type Res<T> = Result<T, AppError>;

#[tauri::command]
pub async fn overview(shell: State<'_, Arc<Core>>) -> Res<Overview> {
    shell.overview().await
}

#[tauri::command]
pub async fn history(shell: State<'_, Arc<Core>>, days: u32) -> Res<History> {
    shell.history(days).await
}

#[tauri::command]
pub async fn probes(shell: State<'_, Arc<Core>>, hours: u32) -> Res<ProbesView> {
    shell.probes(hours).await
}

#[tauri::command]
pub async fn set_autostart<R: Runtime>(app: AppHandle<R>, enabled: bool) -> Res<bool> {
    crate::integration::set_autostart(&app, enabled)
}

#[tauri::command]
pub async fn refresh_now(shell: State<'_, Arc<Core>>, role: State<'_, Role>) -> Res<()> {
    // In the dashboard's process nothing polls: the tray process does.
    role.tell_parent(crate::child::FromChild::Refresh);
    shell.refresh_now();
    Ok(())
}

#[tauri::command]
pub async fn open_status_page(shell: State<'_, Arc<Core>>, id: String) -> Res<()> {
    let c = shell.config();
    let p = c
        .provider(&id)
        .ok_or_else(|| AppError::input(format!("no provider {id:?}")))?;
    crate::integration::open_url(&p.homepage())
}
