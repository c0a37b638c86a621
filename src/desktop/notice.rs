//! What a desktop notification says and offers, as data: the core policy's alerts with
//! "Switch to <fallback>" / "Switch back" and "Open dashboard", an automatic switch with
//! its "Undo", a plain message. Each resident only hands it to its notification service.

use crate::events::AutoSwitch;
use crate::model::Status;
use crate::monitor::policy::{Alert, AlertKind};
use crate::switch::assistants::{self, Offer};
use crate::views::actions::Action;

/// How hard a notification should push (freedesktop urgency levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Low,
    Normal,
    Critical,
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
    pub urgency: Urgency,
    /// Buttons, in order: what a click asks for and its words.
    pub actions: Vec<(Action, String)>,
}

impl Notice {
    /// An alert with its switch offers, and "Open dashboard".
    pub fn alert(alert: &Alert, offers: &[Offer]) -> Notice {
        let urgency = match alert.kind {
            AlertKind::Outage | AlertKind::Escalation if alert.status == Status::MajorOutage => {
                Urgency::Critical
            }
            AlertKind::Recovery | AlertKind::Maintenance => Urgency::Low,
            _ => Urgency::Normal,
        };
        Notice {
            title: alert.title.clone(),
            body: alert.body.clone(),
            urgency,
            actions: with_dashboard(offers),
        }
    }

    /// What a failover rule did (with its "Undo"), or why it could not.
    pub fn autoswitch(done: &AutoSwitch) -> Notice {
        let (title, body) = autoswitch_text(done);
        let undo = undo_offers(done);
        Notice {
            title,
            body,
            urgency: Urgency::Normal,
            actions: with_dashboard(&undo),
        }
    }

    /// A message with nothing to click but the dashboard (what a switch did, or why not).
    pub fn message(title: impl Into<String>, body: impl Into<String>) -> Notice {
        Notice {
            title: title.into(),
            body: body.into(),
            urgency: Urgency::Normal,
            actions: with_dashboard(&[]),
        }
    }
}

/// A failover's words: what was switched and why, or why it could not be.
pub fn autoswitch_text(done: &AutoSwitch) -> (String, String) {
    match &done.result {
        Ok(out) => {
            let title = if done.back {
                format!("Switched back automatically: {}", out.summary)
            } else {
                format!("Switched automatically: {}", out.summary)
            };
            let mut body = vec![format!("{}.", done.reason)];
            body.extend(out.details.iter().cloned());
            (title, body.join("\n"))
        }
        Err(e) => (
            format!("Automatic switch of {} failed", done.assistant.label()),
            format!("{}. Nothing was changed: {e}", done.reason),
        ),
    }
}

/// The "Undo" a failover's notification offers, when it changed something.
pub fn undo_offers(done: &AutoSwitch) -> Vec<Offer> {
    done.undo
        .as_deref()
        .and_then(assistants::parse_action)
        .map(|(assistant, profile)| Offer {
            assistant,
            profile,
            label: "Undo".into(),
        })
        .into_iter()
        .collect()
}

fn with_dashboard(offers: &[Offer]) -> Vec<(Action, String)> {
    offers
        .iter()
        .map(|o| (o.action(), o.label.clone()))
        .chain([(Action::OpenDashboard, "Open dashboard".to_string())])
        .collect()
}

/// The switches an alert offers, from the assistants as read now: to the fallback on an
/// outage, back on a recovery.
pub fn offers_for(alert: &Alert, views: &[assistants::AssistantView]) -> Vec<Offer> {
    match alert.kind {
        AlertKind::Outage | AlertKind::Escalation => {
            assistants::outage_offers(views, &alert.provider_id)
        }
        AlertKind::Recovery => assistants::recovery_offers(views, &alert.provider_id),
        _ => Vec::new(),
    }
}

/// Notification daemons want an icon file, not bytes: a copy in the data dir, written when it
/// is missing or differs. Both residents (the Tauri app and `weathervane-tray`) pass its path.
pub fn write_icon(data_dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let path = data_dir.join("weathervane.png");
    let bytes: &[u8] = include_bytes!("../../icons/128x128.png");
    if std::fs::read(&path).ok().as_deref() != Some(bytes)
        && let Err(e) = std::fs::write(&path, bytes)
    {
        tracing::warn!("cannot write the notification icon: {e}");
        return None;
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::policy::Signal;
    use crate::switch::profiles::AssistantId;
    use chrono::Utc;

    fn alert(kind: AlertKind, status: Status) -> Alert {
        Alert {
            provider_id: "anthropic".into(),
            provider_name: "Anthropic".into(),
            kind,
            status,
            previous: Status::Operational,
            since: Utc::now(),
            duration: None,
            signal: Signal::Official,
            title: "Anthropic: major outage".into(),
            body: "Claude API".into(),
        }
    }

    #[test]
    fn a_major_outage_is_critical_and_offers_the_fallback_before_the_dashboard() {
        let offer = Offer {
            assistant: AssistantId::ClaudeCode,
            profile: Some("bedrock".into()),
            label: "Switch Claude Code to Amazon Bedrock".into(),
        };
        let n = Notice::alert(&alert(AlertKind::Outage, Status::MajorOutage), &[offer]);
        assert_eq!(n.urgency, Urgency::Critical);
        assert_eq!(
            n.actions,
            [
                (
                    Action::Switch {
                        assistant: AssistantId::ClaudeCode,
                        profile: "bedrock".into()
                    },
                    "Switch Claude Code to Amazon Bedrock".to_string()
                ),
                (Action::OpenDashboard, "Open dashboard".to_string()),
            ]
        );
        let n = Notice::alert(&alert(AlertKind::Outage, Status::Degraded), &[]);
        assert_eq!(n.urgency, Urgency::Normal);
        let n = Notice::alert(&alert(AlertKind::Recovery, Status::Operational), &[]);
        assert_eq!(n.urgency, Urgency::Low);
    }

    #[test]
    fn a_failed_autoswitch_says_nothing_changed_and_offers_no_undo() {
        let n = Notice::autoswitch(&AutoSwitch {
            assistant: AssistantId::Codex,
            back: false,
            reason: "OpenAI reports a major outage".into(),
            result: Err("the file does not parse".into()),
            undo: None,
        });
        assert_eq!(n.title, "Automatic switch of Codex CLI failed");
        assert!(
            n.body
                .contains("Nothing was changed: the file does not parse")
        );
        assert_eq!(
            n.actions,
            [(Action::OpenDashboard, "Open dashboard".to_string())]
        );
    }
}
