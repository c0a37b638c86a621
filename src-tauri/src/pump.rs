//! Core events to the tray, notifications and the dashboard; clicks (tray items and
//! notification buttons, one typed [`Action`]) back to the core.

use std::sync::Arc;

use chrono::{Duration, Utc};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;
use weathervane::desktop::notice;
use weathervane::events::CoreEvent;
use weathervane::monitor::policy::Alert;
use weathervane::runtime::Runtime as Core;
use weathervane::switch::assistants::Offer;
use weathervane::views::actions::Action;

use crate::notify::Notifier;
use crate::role::Role;
use crate::tray_state::{self, TrayShown};
use crate::windows::{self, CHANGED_EVENT};

/// Follow the core's events until the bus closes.
pub async fn pump<R: Runtime>(
    app: AppHandle<R>,
    mut rx: tokio::sync::broadcast::Receiver<CoreEvent>,
) {
    let core = app.state::<Arc<Core>>().inner().clone();
    loop {
        match rx.recv().await {
            Ok(CoreEvent::Observed(_))
            | Ok(CoreEvent::Offline(_))
            | Ok(CoreEvent::Measured { .. })
            | Ok(CoreEvent::Sessions { .. })
            | Err(RecvError::Lagged(_)) => {
                tray_state::refresh(app.clone());
                windows::changed(&app);
            }
            Ok(CoreEvent::Alert(alert)) => {
                let notifier = app.state::<Arc<Notifier>>().inner().clone();
                let offers = offers_for(&core, &alert).await;
                let handle = app.clone();
                notifier.show(&alert, &offers, move |action| run(&handle, action));
            }
            Ok(CoreEvent::StoreError(e)) => {
                tracing::error!("history not saved: {e}");
            }
            Ok(CoreEvent::AutoSwitched(done)) => {
                let notifier = app.state::<Arc<Notifier>>().inner().clone();
                let (title, body) = notice::autoswitch_text(&done);
                let undo = notice::undo_offers(&done);
                let handle = app.clone();
                notifier.offer(&title, &body, &undo, move |action| run(&handle, action));
                after_switch(&app);
            }
            Err(RecvError::Closed) => break,
        }
    }
}

/// The switches an alert offers: to the fallback on an outage, back on a recovery.
async fn offers_for(core: &Core, alert: &Alert) -> Vec<Offer> {
    let views = match core.assistants().await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("cannot read the assistants: {}", e.message);
            return Vec::new();
        }
    };
    notice::offers_for(alert, &views)
}

/// Carry out a click on a tray item or a notification button. Runs on any thread.
pub fn run<R: Runtime>(app: &AppHandle<R>, action: Action) {
    let core = app.state::<Arc<Core>>().inner().clone();
    match action {
        Action::Refresh => core.refresh_now(),
        Action::TogglePause => {
            let until = match core.paused_until() {
                Some(_) => None,
                None => Some(Utc::now() + Duration::hours(1)),
            };
            core.pause(until);
            tracing::info!(?until, "notifications paused");
            tray_state::refresh(app.clone());
            if let Some(d) = app.try_state::<weathervane::desktop::child::DashboardProcess>() {
                d.send(weathervane::desktop::child::ToChild::Paused(until));
            }
            windows::changed(app);
        }
        Action::OpenDashboard => {
            let h = app.clone();
            let _ = app.run_on_main_thread(move || windows::open_dashboard(&h));
        }
        Action::Quit => app.exit(0),
        Action::OpenStatusPage(pid) => {
            if let Some(p) = core.config().provider(&pid)
                && let Err(e) = crate::integration::open_url(&p.homepage())
            {
                tracing::warn!("{}", e.message);
            }
        }
        Action::Switch { .. } | Action::Back(_) => run_switch(app, action),
    }
}

/// Run a switch or a switch back, and say what happened in a notification.
fn run_switch<R: Runtime>(app: &AppHandle<R>, action: Action) {
    let Some((a, profile)) = action.as_switch() else {
        return;
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let core = app.state::<Arc<Core>>().inner().clone();
        let notifier = app.state::<Arc<Notifier>>().inner().clone();
        let result = match profile {
            Some(p) => core.switch(a, p).await,
            None => core.switch_back(a).await,
        };
        match result {
            Ok(out) => notifier.message(&out.summary, &out.details.join("\n")),
            Err(e) => {
                tracing::warn!(assistant = %a, "switch refused: {}", e.message);
                notifier.message(&format!("Cannot switch {}", a.label()), &e.message);
            }
        }
        after_switch(&app);
    });
}

/// After any write to an assistant's file: redraw the tray (even if it looks the same, so a
/// check mark GTK toggled on a refused switch is put right) and tell the dashboard.
pub fn after_switch<R: Runtime>(app: &AppHandle<R>) {
    let role = app.state::<Role>();
    if role.is_dashboard() {
        // The tray lives in the other process.
        role.tell_parent(weathervane::desktop::child::FromChild::Switched);
        let _ = app.emit(CHANGED_EVENT, ());
        return;
    }
    if let Some(shown) = app.try_state::<TrayShown>() {
        shown.invalidate();
    }
    tray_state::refresh(app.clone());
    windows::changed(app);
}
