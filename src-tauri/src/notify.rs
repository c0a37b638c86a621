//! Desktop notifications (notify-rust): the core policy's alerts with "Open dashboard" and,
//! where an assistant depends on the provider, "Switch to <fallback>" or "Switch back";
//! and the outcome of a switch.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use weathervane::monitor::policy::{Alert, AlertKind};
use weathervane::switch::assistants::Offer;
use weathervane::views::actions::Action;

pub struct Notifier {
    icon: Option<PathBuf>,
    /// The daemon was missing once already: say it once, not per alert.
    warned: Arc<AtomicBool>,
}

impl Notifier {
    pub fn new(icon: Option<PathBuf>) -> Notifier {
        Notifier {
            icon,
            warned: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Show an alert with its offers; `on_action` runs on a background thread if the user
    /// clicks an action. A missing notification service is logged once and otherwise ignored.
    pub fn show(
        &self,
        alert: &Alert,
        offers: &[Offer],
        on_action: impl FnOnce(Action) + Send + 'static,
    ) {
        let urgent = matches!(alert.kind, AlertKind::Outage | AlertKind::Escalation)
            && alert.status == weathervane::model::Status::MajorOutage;
        let low = matches!(alert.kind, AlertKind::Recovery | AlertKind::Maintenance);
        self.send(
            &alert.title,
            &alert.body,
            if urgent {
                2
            } else if low {
                0
            } else {
                1
            },
            offers,
            on_action,
        );
    }

    /// A message with actions (an automatic switch with its "Undo").
    pub fn offer(
        &self,
        title: &str,
        body: &str,
        offers: &[Offer],
        on_action: impl FnOnce(Action) + Send + 'static,
    ) {
        self.send(title, body, 1, offers, on_action);
    }

    /// A plain message (what a switch did, or why it could not).
    pub fn message(&self, title: &str, body: &str) {
        self.send(title, body, 1, &[], |_| {});
    }

    fn send(
        &self,
        title: &str,
        body: &str,
        urgency: u8,
        offers: &[Offer],
        on_action: impl FnOnce(Action) + Send + 'static,
    ) {
        let mut n = notify_rust::Notification::new();
        n.appname("Weathervane").summary(title).body(body);
        if let Some(icon) = &self.icon {
            n.icon(&icon.to_string_lossy());
        }
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            use notify_rust::{Hint, Urgency};
            n.urgency(match urgency {
                2 => Urgency::Critical,
                0 => Urgency::Low,
                _ => Urgency::Normal,
            })
            .hint(Hint::Category("network".into()))
            .hint(Hint::DesktopEntry("weathervane-desktop".into()))
            .action("default", "Open dashboard");
            for o in offers {
                n.action(&o.action_id(), &o.label);
            }
            n.action(&Action::OpenDashboard.id(), "Open dashboard");
        }
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        let _ = (urgency, offers);
        // notify-rust blocks on D-Bus, and waits there for the user's click: on a thread of
        // its own, never on the app's tokio threads. (A zbus built with its `tokio` feature,
        // which a workspace build unifies in from the resident, starts a runtime of its own
        // to block on, and that panics inside another runtime.)
        let warned = self.warned.clone();
        let title = title.to_owned();
        let spawned = std::thread::Builder::new()
            .name("notification".into())
            .spawn(move || match n.show() {
                Ok(handle) => {
                    tracing::info!(%title, "notification sent");
                    warned.store(false, Ordering::Relaxed);
                    #[cfg(all(unix, not(target_os = "macos")))]
                    handle.wait_for_action(|id| {
                        // Closed or expired (`__closed`): nothing asked.
                        if let Some(action) = Action::parse(id) {
                            on_action(action);
                        }
                    });
                    #[cfg(not(all(unix, not(target_os = "macos"))))]
                    let _ = (handle, on_action);
                }
                Err(e) => {
                    if !warned.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            "cannot show desktop notifications ({e}); alerts stay in the tray and the dashboard"
                        );
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start a thread for a notification");
        }
    }
}
