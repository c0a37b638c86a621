//! The tray as data: icon, tooltip and menu worked out from what the runtime knows, for any
//! tray backend to draw (Tauri's tray-icon on macOS and Windows, StatusNotifierItem on Linux).
//!
//! Pure: the same overview, assistants and instant always give the same [`Tray`], so a
//! backend redraws only when the model changed, and the tests read the menu a user sees.

use chrono::{DateTime, Utc};

use crate::model::Status;
use crate::switch::assistants::AssistantView;
use crate::switch::profiles::AssistantId;
use crate::views::actions::Action;
use crate::views::dashboard::{self, Overview, ProviderCard};

/// Component lines per provider submenu before the rest is summed up.
pub const MAX_COMPONENT_LINES: usize = 8;

/// Everything a tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tray {
    pub icon: TrayIcon,
    /// Hover text (panels without tooltips, like most StatusNotifierItem hosts, show its
    /// lines at the top of the menu instead).
    pub tooltip: String,
    pub menu: Vec<Entry>,
}

/// Which of the icons in `icons/tray/` to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrayIcon {
    /// The worst status among the watched services ([`dashboard::tray_status`]).
    pub status: Status,
    /// An assistant is switched to a fallback: the icon wears a badge.
    pub switched: bool,
}

impl TrayIcon {
    /// The file name's middle: `tray-{stem}-{size}.png`.
    pub fn stem(self) -> String {
        let s = match self.status {
            Status::Operational => "operational",
            Status::Maintenance => "maintenance",
            Status::Degraded => "degraded",
            Status::PartialOutage => "partial_outage",
            Status::MajorOutage => "major_outage",
            Status::Unknown => "unknown",
        };
        if self.switched {
            format!("{s}-switched")
        } else {
            s.to_string()
        }
    }
}

/// One line of a menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Item(Item),
    Submenu { label: String, entries: Vec<Entry> },
    Separator,
}

/// A menu item: a clickable action, or a line of text (no action, greyed out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    /// What a click asks for; `None` for lines that only inform.
    pub action: Option<Action>,
    pub enabled: bool,
    /// `Some` for an item with a check mark (ticked or not).
    pub checked: Option<bool>,
}

impl Entry {
    /// A greyed-out line of text.
    pub fn text(label: impl Into<String>) -> Entry {
        Entry::Item(Item {
            label: label.into(),
            action: None,
            enabled: false,
            checked: None,
        })
    }

    /// An enabled item that asks for `action`.
    pub fn action(label: impl Into<String>, action: Action) -> Entry {
        Entry::Item(Item {
            label: label.into(),
            action: Some(action),
            enabled: true,
            checked: None,
        })
    }

    pub fn label(&self) -> Option<&str> {
        match self {
            Entry::Item(i) => Some(&i.label),
            Entry::Submenu { label, .. } => Some(label),
            Entry::Separator => None,
        }
    }
}

/// The tray before the first overview is read: "checking".
pub fn starting() -> Tray {
    Tray {
        icon: TrayIcon {
            status: Status::Unknown,
            switched: false,
        },
        tooltip: "Weathervane: checking…".into(),
        menu: with_fixed(vec![Entry::text("Checking status pages…")], false),
    }
}

/// The tray for an overview and the assistants as last read, at `now` (the tooltip says
/// how long a problem has lasted).
pub fn tray(overview: &Overview, assistants: &[AssistantView], now: DateTime<Utc>) -> Tray {
    let switched: Vec<AssistantId> = assistants
        .iter()
        .filter(|a| a.open_switch.is_some())
        .map(|a| a.id)
        .collect();
    let tip = dashboard::tooltip(overview, now);
    let mut tooltip = tip.clone();
    if !switched.is_empty() {
        let names: Vec<_> = switched.iter().map(|a| a.label()).collect();
        tooltip.push_str(&format!("\nSwitched to a fallback: {}", names.join(", ")));
    }
    let mut menu: Vec<Entry> = tip.lines().skip(1).map(Entry::text).collect();
    for a in assistants.iter().filter(|a| a.open_switch.is_some()) {
        let to = a
            .active_profile
            .as_deref()
            .and_then(|id| a.profile(id))
            .map_or("a fallback", |p| p.name.as_str());
        menu.push(Entry::text(format!("{} is switched to {to}", a.name)));
    }
    menu.push(Entry::Separator);
    menu.extend(overview.providers.iter().map(provider_menu));
    let mut switchable = assistants
        .iter()
        .filter(|a| a.switchable && a.detected())
        .peekable();
    if switchable.peek().is_some() {
        menu.push(Entry::Separator);
    }
    menu.extend(switchable.map(assistant_menu));
    Tray {
        icon: TrayIcon {
            status: dashboard::tray_status(overview),
            switched: !switched.is_empty(),
        },
        tooltip,
        menu: with_fixed(menu, overview.paused_until.is_some()),
    }
}

/// The items every menu ends with.
fn with_fixed(mut menu: Vec<Entry>, paused: bool) -> Vec<Entry> {
    let pause = if paused {
        "Resume notifications"
    } else {
        "Pause notifications for 1 hour"
    };
    menu.extend([
        Entry::Separator,
        Entry::action("Refresh now", Action::Refresh),
        Entry::action(pause, Action::TogglePause),
        Entry::action("Open dashboard", Action::OpenDashboard),
        Entry::Separator,
        Entry::action("Quit", Action::Quit),
    ]);
    menu
}

/// "Anthropic: Degraded · measured major outage ▸" with the user's sessions, the watched
/// components (problems first), the open incidents and "Open status page".
fn provider_menu(p: &ProviderCard) -> Entry {
    let mut extra = p
        .measured
        .as_ref()
        .filter(|m| m.status.is_problem())
        .map(|m| format!(" · measured {}", m.status.label().to_lowercase()))
        .unwrap_or_default();
    if let Some(s) = p.sessions.as_ref().filter(|s| s.status.is_problem()) {
        extra.push_str(&format!(
            " · your sessions {}",
            s.status.label().to_lowercase()
        ));
    }
    let mut entries = Vec::new();
    if let Some(s) = &p.sessions {
        // "Your sessions: 7 failed calls (529) in 3 min, 2 sessions", or the user's own
        // limit, for what it is.
        if s.errors > 0 {
            entries.push(Entry::text(format!("Your sessions: {}", s.summary)));
        }
        if let Some(n) = &s.account_notice {
            entries.push(Entry::text(n.clone()));
        }
    }
    let watched: Vec<_> = p.components.iter().filter(|c| c.watched).collect();
    if watched.is_empty() {
        entries.push(Entry::text(
            p.reason
                .clone()
                .unwrap_or_else(|| "No components reported".into()),
        ));
    }
    // Problems first; a long list of healthy components is summed up in one line.
    let (bad, good): (Vec<_>, Vec<_>) = watched
        .into_iter()
        .partition(|c| c.status != Status::Operational);
    let room = MAX_COMPONENT_LINES.saturating_sub(bad.len());
    for c in bad.iter().chain(good.iter().take(room)) {
        entries.push(Entry::text(format!("{}: {}", c.name, c.status.label())));
    }
    if good.len() > room {
        entries.push(Entry::text(format!(
            "{} more operational",
            good.len() - room
        )));
    }
    for i in &p.incidents {
        entries.push(Entry::text(format!("Incident: {}", i.title)));
    }
    entries.push(Entry::Separator);
    entries.push(Entry::Item(Item {
        label: "Open status page".into(),
        action: Some(Action::OpenStatusPage(p.id.clone())),
        enabled: p.url.is_some(),
        checked: None,
    }));
    Entry::Submenu {
        label: format!("{}: {}{extra}", p.name, p.status.label()),
        entries,
    }
}

/// "Claude Code: Anthropic (direct) ▸" with its profiles (the active one ticked) and
/// "Switch back to …" while a switch is open.
fn assistant_menu(a: &AssistantView) -> Entry {
    let mut entries = Vec::new();
    if let Some(problem) = &a.problem {
        entries.push(Entry::text(problem.clone()));
    }
    for p in &a.profiles {
        let active = a.active_profile.as_deref() == Some(p.id.as_str());
        entries.push(Entry::Item(Item {
            label: p.name.clone(),
            action: Some(Action::Switch {
                assistant: a.id,
                profile: p.id.clone(),
            }),
            // Nothing to switch to on the active one; nothing safe while the file is unreadable.
            enabled: !active && a.problem.is_none(),
            checked: Some(active),
        }));
    }
    if let Some(open) = &a.open_switch {
        let to = open
            .from_profile
            .as_deref()
            .and_then(|id| a.profile(id))
            .map_or_else(|| "the previous setup".to_string(), |p| p.name.clone());
        entries.push(Entry::Separator);
        entries.push(Entry::action(
            format!("Switch back to {to}"),
            Action::Back(a.id),
        ));
    }
    Entry::Submenu {
        label: a.title(),
        entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ComponentState, Impact, IncidentStatus};
    use crate::monitor::sessions::SessionsVerdict;
    use crate::switch::assistants::{OpenSwitch, ProfileChoice};
    use crate::views::dashboard::IncidentCard;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    fn component(name: &str, status: Status, watched: bool) -> ComponentState {
        ComponentState {
            id: name.to_lowercase(),
            name: name.into(),
            status,
            watched,
        }
    }

    fn provider(
        id: &str,
        name: &str,
        status: Status,
        components: Vec<ComponentState>,
    ) -> ProviderCard {
        ProviderCard {
            id: id.into(),
            name: name.into(),
            status,
            source_ok: true,
            checked_at: Some(now()),
            since: Some(now() - chrono::Duration::minutes(12)),
            reason: None,
            url: Some(format!("https://status.{id}.example")),
            components,
            incidents: Vec::new(),
            measured: None,
            sessions: None,
        }
    }

    fn overview(providers: Vec<ProviderCard>) -> Overview {
        Overview {
            generated_at: now(),
            offline: false,
            paused_until: None,
            providers,
        }
    }

    fn profile(id: &str, name: &str) -> ProfileChoice {
        ProfileChoice {
            id: id.into(),
            name: name.into(),
            default: id == "anthropic",
            needs_key: false,
            note: None,
            provider: None,
        }
    }

    fn claude(active: &str, open_from: Option<&str>) -> AssistantView {
        AssistantView {
            id: AssistantId::ClaudeCode,
            name: "Claude Code".into(),
            installed: Some("/usr/bin/claude".into()),
            switchable: true,
            config: Some("~/.claude/settings.json".into()),
            config_exists: true,
            active_profile: Some(active.into()),
            problem: None,
            open_switch: open_from.map(|from| OpenSwitch {
                at: now(),
                from_profile: Some(from.into()),
                to_profile: Some(active.into()),
            }),
            provider: Some("anthropic".into()),
            provider_name: Some("Anthropic".into()),
            fallback: Some("bedrock".into()),
            profiles: vec![
                profile("anthropic", "Anthropic (direct)"),
                profile("bedrock", "Amazon Bedrock"),
            ],
        }
    }

    /// The menu as the e2e reads it over dbusmenu: labels, submenus indented, disabled
    /// lines in brackets, check marks, separators as `--`.
    fn lines(entries: &[Entry]) -> Vec<String> {
        fn walk(entries: &[Entry], depth: usize, out: &mut Vec<String>) {
            let pad = "  ".repeat(depth);
            for e in entries {
                match e {
                    Entry::Separator => out.push(format!("{pad}--")),
                    Entry::Submenu { label, entries } => {
                        out.push(format!("{pad}{label} >"));
                        walk(entries, depth + 1, out);
                    }
                    Entry::Item(i) => {
                        let check = match i.checked {
                            Some(true) => "[x] ",
                            Some(false) => "[ ] ",
                            None => "",
                        };
                        let label = if i.enabled {
                            i.label.clone()
                        } else {
                            format!("({})", i.label)
                        };
                        let action = i.action.as_ref().map(|a| format!(" = {}", a.id()));
                        out.push(format!("{pad}{check}{label}{}", action.unwrap_or_default()));
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(entries, 0, &mut out);
        out
    }

    #[test]
    fn starting_tray_says_it_is_checking() {
        let t = starting();
        assert_eq!(t.icon.stem(), "unknown");
        assert_eq!(
            lines(&t.menu),
            [
                "(Checking status pages…)",
                "--",
                "Refresh now = refresh",
                "Pause notifications for 1 hour = pause",
                "Open dashboard = dashboard",
                "--",
                "Quit = quit",
            ]
        );
    }

    #[test]
    fn all_operational_reads_as_the_e2e_expects() {
        let o = overview(vec![provider(
            "fakeai",
            "FakeAI",
            Status::Operational,
            vec![
                component("Codex API", Status::Operational, true),
                component("Hidden", Status::MajorOutage, false),
            ],
        )]);
        let t = tray(&o, &[], now());
        assert_eq!(
            t.icon,
            TrayIcon {
                status: Status::Operational,
                switched: false
            }
        );
        assert_eq!(t.tooltip, "Weathervane\nAll watched services operational");
        assert_eq!(
            lines(&t.menu),
            [
                "(All watched services operational)",
                "--",
                "FakeAI: Operational >",
                "  (Codex API: Operational)",
                "  --",
                "  Open status page = open:fakeai",
                "--",
                "Refresh now = refresh",
                "Pause notifications for 1 hour = pause",
                "Open dashboard = dashboard",
                "--",
                "Quit = quit",
            ]
        );
    }

    #[test]
    fn an_outage_comes_first_with_its_incident_and_signals() {
        let mut p = provider(
            "anthropic",
            "Anthropic",
            Status::MajorOutage,
            vec![
                component("Claude API", Status::Operational, true),
                component("Claude Code", Status::MajorOutage, true),
            ],
        );
        p.incidents.push(IncidentCard {
            id: "i1".into(),
            title: "Elevated errors".into(),
            impact: Impact::Major,
            status: IncidentStatus::Investigating,
            started_at: Some(now()),
            url: None,
            latest_update: None,
            latest_update_at: None,
        });
        p.sessions = Some(SessionsVerdict {
            status: Status::PartialOutage,
            summary: "7 failed calls (529) in 3 min".into(),
            errors: 7,
            at: now(),
            account_notice: None,
            network_errors: 0,
        });
        let mut o = overview(vec![p]);
        o.paused_until = Some(now() + chrono::Duration::hours(1));
        let t = tray(&o, &[], now());
        assert_eq!(t.icon.stem(), "major_outage");
        assert_eq!(
            lines(&t.menu),
            [
                "(Anthropic: major outage for 12 min)",
                "(Anthropic: your sessions: 7 failed calls (529) in 3 min)",
                "--",
                "Anthropic: Major outage · your sessions partial outage >",
                "  (Your sessions: 7 failed calls (529) in 3 min)",
                "  (Claude Code: Major outage)",
                "  (Claude API: Operational)",
                "  (Incident: Elevated errors)",
                "  --",
                "  Open status page = open:anthropic",
                "--",
                "Refresh now = refresh",
                "Resume notifications = pause",
                "Open dashboard = dashboard",
                "--",
                "Quit = quit",
            ]
        );
    }

    #[test]
    fn long_component_lists_are_summed_up_and_a_failed_source_says_why() {
        let many = (0..10)
            .map(|i| component(&format!("C{i}"), Status::Operational, true))
            .collect();
        let mut broken = provider("b", "Broken", Status::Unknown, Vec::new());
        broken.reason = Some("timed out after 10 s".into());
        broken.url = None;
        let o = overview(vec![
            provider("m", "Many", Status::Operational, many),
            broken,
        ]);
        let t = tray(&o, &[], now());
        let l = lines(&t.menu);
        assert!(l.contains(&"  (C7: Operational)".to_string()), "{l:#?}");
        assert!(!l.contains(&"  (C8: Operational)".to_string()), "{l:#?}");
        assert!(l.contains(&"  (2 more operational)".to_string()), "{l:#?}");
        assert!(
            l.contains(&"  (timed out after 10 s)".to_string()),
            "{l:#?}"
        );
        // No status page known: the item is there, greyed out.
        assert!(
            l.contains(&"  (Open status page) = open:b".to_string()),
            "{l:#?}"
        );
        assert_eq!(t.icon.status, Status::Unknown);
    }

    #[test]
    fn assistants_tick_the_active_profile_and_offer_the_way_back() {
        let o = overview(vec![provider(
            "anthropic",
            "Anthropic",
            Status::Operational,
            vec![component("Claude API", Status::Operational, true)],
        )]);
        let t = tray(&o, &[claude("bedrock", Some("anthropic"))], now());
        assert_eq!(t.icon.stem(), "operational-switched");
        assert!(
            t.tooltip.ends_with("\nSwitched to a fallback: Claude Code"),
            "{}",
            t.tooltip
        );
        let l = lines(&t.menu);
        assert_eq!(l[1], "(Claude Code is switched to Amazon Bedrock)");
        let at = l
            .iter()
            .position(|s| s == "Claude Code: Amazon Bedrock >")
            .unwrap();
        assert_eq!(
            l[at..at + 5],
            [
                "Claude Code: Amazon Bedrock >",
                "  [ ] Anthropic (direct) = switch:claude-code:anthropic",
                "  [x] (Amazon Bedrock) = switch:claude-code:bedrock",
                "  --",
                "  Switch back to Anthropic (direct) = back:claude-code",
            ]
        );
    }

    #[test]
    fn unreadable_or_undetected_assistants() {
        let o = overview(Vec::new());
        let mut broken = claude("anthropic", None);
        broken.problem = Some("settings.json does not parse".into());
        let mut absent = claude("anthropic", None);
        absent.id = AssistantId::Codex;
        absent.name = "Codex CLI".into();
        absent.installed = None;
        absent.config_exists = false;
        let t = tray(&o, &[broken, absent], now());
        let l = lines(&t.menu);
        assert_eq!(
            t.icon.status,
            Status::Unknown,
            "no providers: nothing known"
        );
        assert!(l.contains(&"(No providers enabled)".to_string()), "{l:#?}");
        assert!(
            l.contains(&"Claude Code: cannot read its settings >".to_string()),
            "{l:#?}"
        );
        assert!(
            l.contains(&"  (settings.json does not parse)".to_string()),
            "{l:#?}"
        );
        // Nothing can be switched while the file cannot be read.
        assert!(
            l.contains(&"  [ ] (Amazon Bedrock) = switch:claude-code:bedrock".to_string()),
            "{l:#?}"
        );
        assert!(!l.iter().any(|s| s.starts_with("Codex")), "{l:#?}");
    }

    #[test]
    fn every_action_in_a_menu_parses_back() {
        let o = overview(vec![provider("a", "A", Status::Degraded, Vec::new())]);
        let t = tray(&o, &[claude("bedrock", Some("anthropic"))], now());
        fn check(entries: &[Entry]) {
            for e in entries {
                match e {
                    Entry::Item(Item {
                        action: Some(a), ..
                    }) => {
                        assert_eq!(Action::parse(&a.id()).as_ref(), Some(a));
                    }
                    Entry::Submenu { entries, .. } => check(entries),
                    _ => {}
                }
            }
        }
        check(&t.menu);
    }

    #[test]
    fn offline_shows_unknown_not_an_outage() {
        let mut o = overview(vec![provider("a", "A", Status::MajorOutage, Vec::new())]);
        o.offline = true;
        let t = tray(&o, &[], now());
        assert_eq!(t.icon.status, Status::Unknown);
        assert_eq!(lines(&t.menu)[0], "(You appear to be offline)");
    }
}
