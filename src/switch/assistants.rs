//! The local coding assistants as the CLI's `assistants` command and the desktop app show
//! them: detected, on which profile, switched or not, and which fallback to offer when the
//! provider an assistant depends on is down (or back).
//!
//! Every view type is exported to TypeScript (ts-rs) for the dashboard.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::config::Config;
use crate::store::{Store, StoreError, SwitchRecord};
use crate::switch::engine::{self, Applied, Context, Plan};
use crate::switch::fs::Backup;
use crate::switch::profiles::{AssistantId, Profile, find};
use crate::views::actions::Action;

/// One assistant on the dashboard's Assistants page and in the tray.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct AssistantView {
    pub id: AssistantId,
    pub name: String,
    /// The program, when found on PATH.
    pub installed: Option<String>,
    /// This version of Weathervane can switch it.
    pub switchable: bool,
    /// The file a switch edits.
    pub config: Option<String>,
    pub config_exists: bool,
    /// The profile the file matches now; None when hand-edited to something else.
    pub active_profile: Option<String>,
    /// Why the active profile could not be read, if so.
    pub problem: Option<String>,
    /// The switch "Switch back" undoes, if any.
    pub open_switch: Option<OpenSwitch>,
    /// The watched provider the active profile depends on.
    pub provider: Option<String>,
    /// Its name, for people.
    pub provider_name: Option<String>,
    /// The profile offered when that provider is down (`[switch] fallback`).
    pub fallback: Option<String>,
    pub profiles: Vec<ProfileChoice>,
}

impl AssistantView {
    /// Detected means worth showing in the tray: the program is installed or its file exists.
    pub fn detected(&self) -> bool {
        self.installed.is_some() || self.config_exists
    }

    pub fn profile(&self, id: &str) -> Option<&ProfileChoice> {
        self.profiles.iter().find(|p| p.id == id)
    }

    /// "Claude Code: Anthropic (direct)", or "... : custom" when no profile matches.
    pub fn title(&self) -> String {
        let on = match (&self.problem, &self.active_profile) {
            (Some(_), _) => "cannot read its settings".to_string(),
            (None, Some(id)) => self.profile(id).map_or(id.clone(), |p| p.name.clone()),
            (None, None) => "custom setup".to_string(),
        };
        format!("{}: {on}", self.name)
    }
}

/// A switch that has not been undone.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct OpenSwitch {
    pub at: DateTime<Utc>,
    /// None: the file matched no profile before the switch.
    pub from_profile: Option<String>,
    pub to_profile: Option<String>,
}

/// A profile the user can switch an assistant to.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProfileChoice {
    pub id: String,
    pub name: String,
    /// The assistant's own default (owns no keys).
    pub default: bool,
    /// Needs a key in the OS keyring (`weathervane key set ID`).
    pub needs_key: bool,
    pub note: Option<String>,
    pub provider: Option<String>,
}

/// One entry of the switch history.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SwitchEvent {
    #[ts(type = "number")]
    pub key: i64,
    pub at: DateTime<Utc>,
    pub assistant: String,
    /// "switch", "back" or "restore".
    pub action: String,
    pub from_profile: Option<String>,
    pub to_profile: Option<String>,
    pub file: String,
    /// The key paths the write changed (names only; values are never recorded).
    pub keys: Vec<String>,
    pub backup: Option<String>,
    /// Undone since.
    pub reverted: bool,
    /// Made by an automatic failover rule.
    pub automatic: bool,
}

impl From<SwitchRecord> for SwitchEvent {
    fn from(r: SwitchRecord) -> SwitchEvent {
        SwitchEvent {
            key: r.key,
            at: r.at,
            assistant: r.assistant,
            action: r.action,
            from_profile: r.from_profile,
            to_profile: r.to_profile,
            file: r.file,
            keys: r.keys,
            backup: r.backup,
            reverted: r.reverted_by.is_some(),
            automatic: r.automatic,
        }
    }
}

/// A backup of an assistant's file.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct BackupView {
    /// What `restore` takes.
    pub name: String,
    pub path: String,
    pub created: DateTime<Utc>,
    #[ts(type = "number")]
    pub size: u64,
}

impl From<Backup> for BackupView {
    fn from(b: Backup) -> BackupView {
        BackupView {
            name: b
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: b.path.display().to_string(),
            created: b.created,
            size: b.size,
        }
    }
}

/// A switch as shown before it is done (and after).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PlanView {
    pub assistant: AssistantId,
    pub profile: String,
    pub from: Option<String>,
    /// The assistant's main file.
    pub path: String,
    /// Every file the switch writes (Gemini CLI: settings.json and .env).
    pub paths: Vec<String>,
    /// Already on that profile: nothing to write.
    pub noop: bool,
    /// One line per changed key, "+ key = value", "- key (was …)", "~ key: a -> b";
    /// values of keys that look like secrets are hidden.
    pub diff: Vec<String>,
    pub warnings: Vec<String>,
}

impl From<&Plan> for PlanView {
    fn from(p: &Plan) -> PlanView {
        PlanView {
            assistant: p.assistant,
            profile: p.profile.clone(),
            from: p.from.clone(),
            path: p.path.display().to_string(),
            paths: p.paths().iter().map(|f| f.display().to_string()).collect(),
            noop: p.is_noop(),
            diff: p.diff().lines().map(str::to_string).collect(),
            warnings: p.warnings.clone(),
        }
    }
}

/// What a switch, switch back or restore from the desktop did, in words for a notification.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SwitchOutcome {
    pub assistant: AssistantId,
    pub plan: PlanView,
    /// The copy of the file as it was before, when one was made.
    pub backup: Option<String>,
    /// One line: "Claude Code now uses OpenRouter".
    pub summary: String,
    /// What to do next (the restart caveat) and any warning.
    pub details: Vec<String>,
}

fn profile_name(profiles: &[Profile], a: AssistantId, id: Option<&str>) -> String {
    match id {
        None | Some("") => "its previous setup".to_string(),
        Some(id) => find(profiles, a, id).map_or_else(|| id.to_string(), |p| p.name.clone()),
    }
}

impl SwitchOutcome {
    /// After `engine::switch`.
    pub fn switched(done: &Applied, profiles: &[Profile]) -> SwitchOutcome {
        let a = done.plan.assistant;
        let to = profile_name(profiles, a, Some(&done.plan.profile));
        let summary = if done.plan.is_noop() {
            format!("{} is already on {to}", a.label())
        } else {
            format!("{} now uses {to}", a.label())
        };
        SwitchOutcome {
            assistant: a,
            plan: PlanView::from(&done.plan),
            backup: done.backup.as_ref().map(|b| b.display().to_string()),
            summary,
            details: done.plan.warnings.clone(),
        }
    }

    /// After `engine::back`.
    pub fn back(done: &Applied, profiles: &[Profile]) -> SwitchOutcome {
        let a = done.plan.assistant;
        let to = profile_name(profiles, a, Some(&done.plan.profile));
        let mut details = done.plan.warnings.clone();
        details.push(format!(
            "running {} sessions pick the change up when restarted",
            a.label()
        ));
        SwitchOutcome {
            assistant: a,
            plan: PlanView::from(&done.plan),
            backup: None,
            summary: format!("{} is back on {to}", a.label()),
            details,
        }
    }
}

/// The program each assistant runs as.
pub fn program(a: AssistantId) -> &'static str {
    match a {
        AssistantId::ClaudeCode => "claude",
        AssistantId::Codex => "codex",
        AssistantId::Gemini => "gemini",
        AssistantId::Opencode => "opencode",
    }
}

fn on_path(program: &str, env: &HashMap<String, String>) -> Option<PathBuf> {
    let path = env.get("PATH")?;
    std::env::split_paths(path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn choice(p: &Profile) -> ProfileChoice {
    ProfileChoice {
        id: p.id.clone(),
        name: p.name.clone(),
        default: p.default,
        needs_key: p.key,
        note: p.note.clone(),
        provider: p.provider.clone(),
    }
}

/// One assistant: what is installed, what its file says, whether a switch is open.
pub fn view(
    ctx: &Context,
    config: &Config,
    store: &Store,
    a: AssistantId,
) -> Result<AssistantView, StoreError> {
    let mut item = view_of_files(ctx, config, a);
    item.open_switch = store.open_switch(a.as_str())?.map(|r| OpenSwitch {
        at: r.at,
        from_profile: r.from_profile,
        to_profile: r.to_profile,
    });
    Ok(item)
}

/// One assistant from its files alone (no store: `open_switch` stays None). What the
/// status line reads when there is no history yet.
pub fn view_of_files(ctx: &Context, config: &Config, a: AssistantId) -> AssistantView {
    let mut item = AssistantView {
        id: a,
        name: a.label().to_string(),
        installed: on_path(program(a), &ctx.env).map(|p| p.display().to_string()),
        switchable: false,
        config: None,
        config_exists: false,
        active_profile: None,
        problem: None,
        open_switch: None,
        provider: None,
        provider_name: None,
        fallback: config.fallbacks.get(&a).cloned(),
        profiles: config
            .profiles
            .iter()
            .filter(|p| p.assistant == a)
            .map(choice)
            .collect(),
    };
    let Ok((path, _, _)) = engine::target(ctx, a) else {
        return item;
    };
    item.switchable = true;
    item.config_exists = path.exists();
    match std::fs::read_to_string(&path) {
        Ok(text) => match engine::active(a, &text, &config.profiles) {
            Ok(p) => item.active_profile = p.map(|p| p.id.clone()),
            Err(e) => item.problem = Some(format!("{} does not parse: {e}", path.display())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            item.active_profile = engine::active(a, "", &config.profiles)
                .ok()
                .flatten()
                .map(|p| p.id.clone());
        }
        Err(e) => item.problem = Some(format!("cannot read {}: {e}", path.display())),
    }
    item.config = Some(path.display().to_string());
    item.provider = item
        .active_profile
        .as_deref()
        .and_then(|id| find(&config.profiles, a, id))
        .and_then(|p| p.provider.clone());
    item.provider_name = item
        .provider
        .as_deref()
        .and_then(|id| config.provider(id))
        .map(|p| p.name.clone());
    item
}

/// Every assistant, in the contract's order.
pub fn list(
    ctx: &Context,
    config: &Config,
    store: &Store,
) -> Result<Vec<AssistantView>, StoreError> {
    AssistantId::ALL
        .into_iter()
        .map(|a| view(ctx, config, store, a))
        .collect()
}

/// The switch history, newest first (one assistant, or all).
pub fn history(
    store: &Store,
    a: Option<AssistantId>,
    limit: usize,
) -> Result<Vec<SwitchEvent>, StoreError> {
    Ok(store
        .switches(a.map(|a| a.as_str()), limit)?
        .into_iter()
        .map(SwitchEvent::from)
        .collect())
}

/// What an outage notification for a provider offers: "Switch <assistant> to <fallback>".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offer {
    pub assistant: AssistantId,
    /// The profile to switch to; None means "switch back".
    pub profile: Option<String>,
    /// The button's words.
    pub label: String,
}

impl Offer {
    /// The action id the tray and notifications use: `switch:<assistant>:<profile>` or `back:<assistant>`.
    pub fn action_id(&self) -> String {
        self.action().id()
    }

    /// The click this offer stands for.
    pub fn action(&self) -> Action {
        match &self.profile {
            Some(p) => Action::Switch {
                assistant: self.assistant,
                profile: p.clone(),
            },
            None => Action::Back(self.assistant),
        }
    }
}

/// Parse an action id made by [`Offer::action_id`].
pub fn parse_action(id: &str) -> Option<(AssistantId, Option<String>)> {
    Action::parse(id)?.as_switch()
}

/// The switches to offer when `provider` goes down: every detected assistant that is on a
/// profile depending on it, is not switched already, and has a fallback that does not
/// depend on the same provider.
pub fn outage_offers(views: &[AssistantView], provider: &str) -> Vec<Offer> {
    views
        .iter()
        .filter(|v| v.switchable && v.detected() && v.open_switch.is_none())
        .filter(|v| v.provider.as_deref() == Some(provider))
        .filter_map(|v| {
            let fb = v.profile(v.fallback.as_deref()?)?;
            if fb.provider.as_deref() == Some(provider)
                || v.active_profile.as_deref() == Some(&fb.id)
            {
                return None;
            }
            Some(Offer {
                assistant: v.id,
                profile: Some(fb.id.clone()),
                label: format!("Switch {} to {}", v.name, fb.name),
            })
        })
        .collect()
}

/// The switches back to offer when `provider` recovers: every assistant whose open switch
/// left a profile that depends on it.
pub fn recovery_offers(views: &[AssistantView], provider: &str) -> Vec<Offer> {
    views
        .iter()
        .filter_map(|v| {
            let open = v.open_switch.as_ref()?;
            let from = v.profile(open.from_profile.as_deref()?)?;
            (from.provider.as_deref() == Some(provider)).then(|| Offer {
                assistant: v.id,
                profile: None,
                label: format!("Switch {} back to {}", v.name, from.name),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(
        id: AssistantId,
        active: &str,
        provider: Option<&str>,
        fallback: Option<&str>,
    ) -> AssistantView {
        AssistantView {
            id,
            name: id.label().into(),
            installed: Some("/usr/bin/x".into()),
            switchable: true,
            config: None,
            config_exists: true,
            active_profile: Some(active.into()),
            problem: None,
            open_switch: None,
            provider: provider.map(str::to_string),
            provider_name: None,
            fallback: fallback.map(str::to_string),
            profiles: vec![
                ProfileChoice {
                    id: "anthropic".into(),
                    name: "Anthropic (direct)".into(),
                    default: true,
                    needs_key: false,
                    note: None,
                    provider: Some("anthropic".into()),
                },
                ProfileChoice {
                    id: "openrouter".into(),
                    name: "OpenRouter".into(),
                    default: false,
                    needs_key: true,
                    note: None,
                    provider: Some("openrouter".into()),
                },
                ProfileChoice {
                    id: "opencode-anthropic".into(),
                    name: "Also Anthropic".into(),
                    default: false,
                    needs_key: false,
                    note: None,
                    provider: Some("anthropic".into()),
                },
            ],
        }
    }

    #[test]
    fn outage_offers_only_affected_assistants_with_a_useful_fallback() {
        let a = AssistantId::ClaudeCode;
        let on = v(a, "anthropic", Some("anthropic"), Some("openrouter"));
        let offers = outage_offers(std::slice::from_ref(&on), "anthropic");
        assert_eq!(offers.len(), 1);
        assert_eq!(offers[0].label, "Switch Claude Code to OpenRouter");
        assert_eq!(offers[0].action_id(), "switch:claude-code:openrouter");
        // Control: another provider's outage offers nothing.
        assert!(outage_offers(std::slice::from_ref(&on), "openai").is_empty());
        // No fallback chosen, a fallback on the same provider, already switched, not detected.
        let none = v(a, "anthropic", Some("anthropic"), None);
        let same = v(
            a,
            "anthropic",
            Some("anthropic"),
            Some("opencode-anthropic"),
        );
        let mut switched = on.clone();
        switched.open_switch = Some(OpenSwitch {
            at: Utc::now(),
            from_profile: Some("anthropic".into()),
            to_profile: Some("openrouter".into()),
        });
        let mut absent = on.clone();
        absent.installed = None;
        absent.config_exists = false;
        assert!(outage_offers(&[none, same, switched, absent], "anthropic").is_empty());
    }

    #[test]
    fn recovery_offers_switch_back_to_the_profile_left() {
        let mut s = v(
            AssistantId::ClaudeCode,
            "openrouter",
            Some("openrouter"),
            Some("openrouter"),
        );
        s.open_switch = Some(OpenSwitch {
            at: Utc::now(),
            from_profile: Some("anthropic".into()),
            to_profile: Some("openrouter".into()),
        });
        let offers = recovery_offers(std::slice::from_ref(&s), "anthropic");
        assert_eq!(offers.len(), 1);
        assert_eq!(
            offers[0].label,
            "Switch Claude Code back to Anthropic (direct)"
        );
        assert_eq!(offers[0].action_id(), "back:claude-code");
        assert!(recovery_offers(std::slice::from_ref(&s), "openai").is_empty());
        s.open_switch = None;
        assert!(recovery_offers(&[s], "anthropic").is_empty());
    }

    #[test]
    fn action_ids_round_trip_and_reject_junk() {
        assert_eq!(
            parse_action("switch:codex:openrouter"),
            Some((AssistantId::Codex, Some("openrouter".into())))
        );
        assert_eq!(
            parse_action("back:gemini"),
            Some((AssistantId::Gemini, None))
        );
        for bad in [
            "switch:codex",
            "switch:codex:",
            "switch:nope:x",
            "back:",
            "open:x",
            "",
        ] {
            assert_eq!(parse_action(bad), None, "{bad}");
        }
    }
}
