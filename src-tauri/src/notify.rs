//! Desktop notifications for the core policy's alerts (notify-rust), with an "Open dashboard" action.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use weathervane::policy::{Alert, AlertKind};

/// What a click on a notification asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    OpenDashboard,
}

pub struct Notifier {
    icon: Option<PathBuf>,
    /// The daemon was missing once already: say it once, not per alert.
    warned: AtomicBool,
}

impl Notifier {
    pub fn new(icon: Option<PathBuf>) -> Notifier {
        Notifier {
            icon,
            warned: AtomicBool::new(false),
        }
    }

    /// Show an alert; `on_action` runs on a background thread if the user clicks an action.
    /// A missing notification service is logged once and otherwise ignored.
    pub fn show(&self, alert: &Alert, on_action: impl FnOnce(Action) + Send + 'static) {
        let mut n = notify_rust::Notification::new();
        n.appname("Weathervane")
            .summary(&alert.title)
            .body(&alert.body);
        if let Some(icon) = &self.icon {
            n.icon(&icon.to_string_lossy());
        }
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            use notify_rust::{Hint, Urgency};
            let urgency = match alert.kind {
                AlertKind::Outage | AlertKind::Escalation
                    if alert.status == weathervane::model::Status::MajorOutage =>
                {
                    Urgency::Critical
                }
                AlertKind::Recovery | AlertKind::Maintenance => Urgency::Low,
                _ => Urgency::Normal,
            };
            n.urgency(urgency)
                .hint(Hint::Category("network".into()))
                .hint(Hint::DesktopEntry("weathervane-desktop".into()))
                .action("default", "Open dashboard")
                .action("open-dashboard", "Open dashboard");
        }
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        let _ = alert.kind == AlertKind::Outage;
        match n.show() {
            Ok(handle) => {
                tracing::info!(title = %alert.title, "notification sent");
                self.warned.store(false, Ordering::Relaxed);
                #[cfg(all(unix, not(target_os = "macos")))]
                std::thread::spawn(move || {
                    handle.wait_for_action(|action| {
                        if action == "default" || action == "open-dashboard" {
                            on_action(Action::OpenDashboard);
                        }
                    });
                });
                #[cfg(not(all(unix, not(target_os = "macos"))))]
                let _ = (handle, on_action);
            }
            Err(e) => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "cannot show desktop notifications ({e}); alerts stay in the tray and the dashboard"
                    );
                }
            }
        }
    }
}
