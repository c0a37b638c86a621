//! The dashboard window: in a process of its own when opened from the tray (so closing it
//! gives WebKit's memory back), in this process under WebDriver or in the dashboard process.

use std::sync::Arc;

use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};
use weathervane::runtime::Runtime as Core;

use weathervane::desktop::child;

/// Tells the dashboard to re-read what it shows.
pub const CHANGED_EVENT: &str = "weathervane://changed";
pub const DASHBOARD: &str = "dashboard";

/// Tell the dashboard (in this process, or in its own) to re-read what it shows.
pub fn changed<R: Runtime>(app: &AppHandle<R>) {
    let _ = app.emit(CHANGED_EVENT, ());
    if let Some(d) = app.try_state::<child::DashboardProcess>() {
        d.send(child::ToChild::Changed);
    }
}

/// Show the dashboard: from the tray process, start (or focus) its own process; under
/// WebDriver automation, and in the dashboard process itself, make the window here.
pub fn open_dashboard<R: Runtime>(app: &AppHandle<R>) {
    let automated = std::env::var_os("TAURI_WEBVIEW_AUTOMATION").is_some();
    let Some(proc_) = app
        .try_state::<child::DashboardProcess>()
        .filter(|_| !automated)
    else {
        show_dashboard_window(app);
        return;
    };
    let core = app.state::<Arc<Core>>().inner().clone();
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            tracing::error!("cannot find this program ({e}); opening the dashboard here");
            show_dashboard_window(app);
            return;
        }
    };
    let mut cmd = child::dashboard_command(&exe, &core.locations);
    crate::gl::restore_for_child(&mut cmd);
    let handle = app.clone();
    let opened = proc_.open(cmd, core.paused_until(), move |msg| {
        let core = handle.state::<Arc<Core>>().inner().clone();
        match msg {
            child::FromChild::Refresh => core.refresh_now(),
            child::FromChild::Switched => crate::pump::after_switch(&handle),
            child::FromChild::Config => match core.reload_config() {
                Ok(()) => {
                    crate::tray_state::refresh(handle.clone());
                    changed(&handle);
                }
                Err(e) => tracing::warn!(
                    "the dashboard saved a config that does not load: {}",
                    e.message
                ),
            },
        }
    });
    if let Err(e) = opened {
        tracing::error!("cannot start the dashboard process ({e}); opening it here instead");
        show_dashboard_window(app);
    }
}

/// The dashboard window in this process, created now if it is not open.
pub fn show_dashboard_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(DASHBOARD) {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
        return;
    }
    let built = WebviewWindowBuilder::new(app, DASHBOARD, WebviewUrl::App("index.html".into()))
        .title("Weathervane")
        .inner_size(1000.0, 720.0)
        .min_inner_size(560.0, 420.0)
        .build();
    if let Err(e) = built {
        tracing::error!("cannot open the dashboard: {e}");
    }
}
