//! The switching commands: the Assistants page's list, preview, switch, switch back, history,
//! backups and restore. Each parses its arguments, calls the shell, and tells the tray.

use std::sync::Arc;

use tauri::{AppHandle, Runtime, State};
use weathervane::switch::assistants::{
    AssistantView, BackupView, PlanView, SwitchEvent, SwitchOutcome,
};
use weathervane::switch::profiles::AssistantId;

use weathervane::runtime::{AppError, Runtime as Core};

type Res<T> = Result<T, AppError>;

fn assistant(id: &str) -> Res<AssistantId> {
    AssistantId::parse(id).ok_or_else(|| {
        AppError::input(format!(
            "unknown assistant {id:?}; expected one of claude-code, codex, gemini, opencode"
        ))
    })
}

#[tauri::command]
pub async fn assistants(shell: State<'_, Arc<Core>>) -> Res<Vec<AssistantView>> {
    shell.assistants().await
}

#[tauri::command]
pub async fn plan_switch(
    shell: State<'_, Arc<Core>>,
    assistant_id: String,
    profile: String,
) -> Res<PlanView> {
    shell.plan_switch(assistant(&assistant_id)?, profile).await
}

#[tauri::command]
pub async fn switch_assistant<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Arc<Core>>,
    assistant_id: String,
    profile: String,
) -> Res<SwitchOutcome> {
    let out = shell.switch(assistant(&assistant_id)?, profile).await;
    crate::pump::after_switch(&app);
    out
}

#[tauri::command]
pub async fn switch_back<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Arc<Core>>,
    assistant_id: String,
) -> Res<SwitchOutcome> {
    let out = shell.switch_back(assistant(&assistant_id)?).await;
    crate::pump::after_switch(&app);
    out
}

#[tauri::command]
pub async fn switch_history(
    shell: State<'_, Arc<Core>>,
    assistant_id: Option<String>,
) -> Res<Vec<SwitchEvent>> {
    let a = assistant_id.as_deref().map(assistant).transpose()?;
    shell.switch_history(a).await
}

#[tauri::command]
pub async fn backups(shell: State<'_, Arc<Core>>, assistant_id: String) -> Res<Vec<BackupView>> {
    shell.backups(assistant(&assistant_id)?).await
}

#[tauri::command]
pub async fn restore_backup<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Arc<Core>>,
    assistant_id: String,
    name: String,
) -> Res<String> {
    let out = shell.restore(assistant(&assistant_id)?, name).await;
    crate::pump::after_switch(&app);
    out
}
