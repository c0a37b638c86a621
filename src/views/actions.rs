//! What a click asks for, on a tray menu item or a notification button: one enum, one id
//! format, one parser, shared by every front end (the ids travel through D-Bus as strings).

use crate::switch::profiles::AssistantId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Poll every provider now.
    Refresh,
    /// Pause notifications for an hour, or resume them.
    TogglePause,
    OpenDashboard,
    Quit,
    /// Open a provider's status page in the browser.
    OpenStatusPage(String),
    /// Switch an assistant to a profile.
    Switch {
        assistant: AssistantId,
        profile: String,
    },
    /// Undo an assistant's open switch.
    Back(AssistantId),
}

impl Action {
    /// The id carried by the menu item or notification button.
    pub fn id(&self) -> String {
        match self {
            Action::Refresh => "refresh".into(),
            Action::TogglePause => "pause".into(),
            Action::OpenDashboard => "dashboard".into(),
            Action::Quit => "quit".into(),
            Action::OpenStatusPage(p) => format!("open:{p}"),
            Action::Switch { assistant, profile } => format!("switch:{assistant}:{profile}"),
            Action::Back(a) => format!("back:{a}"),
        }
    }

    /// The action an id names; `None` for ids we never made (a notification closed or
    /// expiring sends `__closed`, which asks for nothing). Notification daemons send
    /// `default` for a click on the body, which opens the dashboard.
    pub fn parse(id: &str) -> Option<Action> {
        match id {
            "refresh" => return Some(Action::Refresh),
            "pause" => return Some(Action::TogglePause),
            "dashboard" | "open-dashboard" | "default" => return Some(Action::OpenDashboard),
            "quit" => return Some(Action::Quit),
            _ => {}
        }
        if let Some(p) = id.strip_prefix("open:") {
            return (!p.is_empty()).then(|| Action::OpenStatusPage(p.to_string()));
        }
        if let Some(rest) = id.strip_prefix("switch:") {
            let (a, p) = rest.split_once(':')?;
            let assistant = AssistantId::parse(a)?;
            return (!p.is_empty()).then(|| Action::Switch {
                assistant,
                profile: p.to_string(),
            });
        }
        AssistantId::parse(id.strip_prefix("back:")?).map(Action::Back)
    }

    /// A switch or a switch back: the assistant and the profile (`None` = back).
    pub fn as_switch(&self) -> Option<(AssistantId, Option<String>)> {
        match self {
            Action::Switch { assistant, profile } => Some((*assistant, Some(profile.clone()))),
            Action::Back(a) => Some((*a, None)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_id() {
        let all = [
            Action::Refresh,
            Action::TogglePause,
            Action::OpenDashboard,
            Action::Quit,
            Action::OpenStatusPage("anthropic".into()),
            Action::Switch {
                assistant: AssistantId::Codex,
                profile: "openrouter".into(),
            },
            Action::Back(AssistantId::Gemini),
        ];
        for a in all {
            assert_eq!(Action::parse(&a.id()), Some(a.clone()), "{}", a.id());
        }
    }

    #[test]
    fn daemon_ids_and_junk() {
        assert_eq!(Action::parse("default"), Some(Action::OpenDashboard));
        assert_eq!(Action::parse("open-dashboard"), Some(Action::OpenDashboard));
        for bad in [
            "__closed",
            "",
            "open:",
            "switch:codex",
            "switch:codex:",
            "switch:nope:x",
            "back:",
            "back:nope",
            "summary",
        ] {
            assert_eq!(Action::parse(bad), None, "{bad}");
        }
    }
}
