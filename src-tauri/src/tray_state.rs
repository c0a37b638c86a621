//! Keeping the tray true: recompute its model after events and redraw only on change.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tauri::{AppHandle, Manager, Runtime};
use weathervane::runtime::Runtime as Core;
use weathervane::switch::assistants::AssistantView;
use weathervane::views::menu::{self, Tray};

use crate::role::Role;
use crate::tray;

/// What the tray shows now, and the assistants as last read.
#[derive(Default)]
pub struct TrayShown {
    /// Rebuilding a menu costs GTK and D-Bus work, and most polls change nothing visible:
    /// an equal model is not drawn again.
    shown: Mutex<Option<Tray>>,
    /// The tray redraws on every poll, and reading four assistants' files and scanning
    /// PATH each time cost idle CPU for nothing: they are read again at most every
    /// [`ASSISTANTS_FRESH`], or at once after a switch.
    assistants: Mutex<Option<(Instant, Vec<AssistantView>)>>,
}

/// How long the tray trusts its last reading of the assistants' files (a switch made
/// here refreshes it at once; an edit by hand shows within this time).
const ASSISTANTS_FRESH: Duration = Duration::from_secs(60);

impl TrayShown {
    /// Forget what is shown, so the next refresh redraws and reads the assistants again.
    pub fn invalidate(&self) {
        *self.shown.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *self.assistants.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

async fn assistants<R: Runtime>(app: &AppHandle<R>, core: &Core) -> Vec<AssistantView> {
    let state = app.state::<TrayShown>();
    if let Some((at, v)) = state
        .assistants
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        && at.elapsed() < ASSISTANTS_FRESH
    {
        return v.clone();
    }
    let fresh = core.assistants().await.unwrap_or_else(|e| {
        tracing::warn!("cannot read the assistants: {}", e.message);
        Vec::new()
    });
    *state.assistants.lock().unwrap_or_else(|p| p.into_inner()) =
        Some((Instant::now(), fresh.clone()));
    fresh
}

/// Recompute the overview and redraw the tray (off the caller's path).
pub fn refresh<R: Runtime>(app: AppHandle<R>) {
    if app.state::<Role>().is_dashboard() {
        return;
    }
    let core = app.state::<Arc<Core>>().inner().clone();
    tauri::async_runtime::spawn(async move {
        let overview = core.overview().await;
        let assistants = assistants(&app, &core).await;
        match overview {
            Ok(o) => {
                let model = menu::tray(&o, &assistants, Utc::now());
                let last = app.state::<TrayShown>();
                let mut shown = last.shown.lock().unwrap_or_else(|p| p.into_inner());
                if shown.as_ref() == Some(&model) {
                    return;
                }
                match tray::update(&app, &model) {
                    Ok(()) => *shown = Some(model),
                    Err(e) => tracing::warn!("cannot update the tray: {e}"),
                }
            }
            Err(e) => tracing::warn!("cannot read the current state: {}", e.message),
        }
    });
}
