//! Desktop notifications over org.freedesktop.Notifications (notify-rust on zbus, on our
//! tokio runtime): a core [`Notice`] shown with its buttons; a click comes back as the
//! typed action it names.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use notify_rust::{Hint, NotificationResponse, Urgency as NUrgency};
use weathervane::desktop::notice::{Notice, Urgency};
use weathervane::views::actions::Action;

pub struct Notifier {
    icon: Option<PathBuf>,
    /// The daemon was missing once already: say it once, not per alert.
    warned: AtomicBool,
}

impl Notifier {
    pub fn new(icon: Option<PathBuf>) -> Arc<Notifier> {
        Arc::new(Notifier {
            icon,
            warned: AtomicBool::new(false),
        })
    }

    /// Show `notice` off the caller's path; `on_action` runs if the user clicks a button
    /// (or the body, which opens the dashboard). A missing daemon is logged once.
    pub fn show(self: &Arc<Self>, notice: Notice, on_action: impl FnOnce(Action) + Send + 'static) {
        let me = self.clone();
        tokio::spawn(async move { me.send(notice, on_action).await });
    }

    async fn send(&self, notice: Notice, on_action: impl FnOnce(Action) + Send + 'static) {
        let mut n = notify_rust::Notification::new();
        n.appname("Weathervane")
            .summary(&notice.title)
            .body(&notice.body)
            .urgency(match notice.urgency {
                Urgency::Low => NUrgency::Low,
                Urgency::Normal => NUrgency::Normal,
                Urgency::Critical => NUrgency::Critical,
            })
            .hint(Hint::Category("network".into()))
            .hint(Hint::DesktopEntry("weathervane-desktop".into()))
            // A click on the body: daemons send "default", which opens the dashboard.
            .action("default", "Open dashboard");
        if let Some(icon) = &self.icon {
            n.icon(&icon.to_string_lossy());
        }
        for (action, label) in &notice.actions {
            n.action(&action.id(), label);
        }
        match n.show_async().await {
            Ok(handle) => {
                tracing::info!(title = %notice.title, "notification sent");
                self.warned.store(false, Ordering::Relaxed);
                handle
                    .wait_for_action_async(|r| {
                        let id = match r {
                            NotificationResponse::Default => "default",
                            NotificationResponse::Action(id) => id.as_str(),
                            // Closed, expired or a reply: nothing asked.
                            _ => return,
                        };
                        if let Some(action) = Action::parse(id) {
                            on_action(action);
                        }
                    })
                    .await;
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
