//! Changes to the user's config file from the Settings page, keeping their comments, order and unknown keys.
//!
//! `edit_text` is pure (text in, text out, via toml_edit); `apply_change` re-reads the file,
//! edits it, refuses any result the config parser rejects, and writes atomically, so a
//! bad value from the UI never reaches the file and a crash never leaves half of one.

use std::path::Path;

use serde::{Deserialize, Serialize};
use toml_edit::{Array, DocumentMut, Item, Table, value};
use ts_rs::TS;

use crate::config::{self, Config, ConfigError};
use crate::monitor::policy::Prefs;
use crate::switch::fs::{self as safe_fs, FsError};

/// One change the Settings page asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum SettingsChange {
    ProviderEnabled {
        id: String,
        enabled: bool,
    },
    /// Empty = watch every component.
    Watch {
        id: String,
        watch: Vec<String>,
    },
    Interval {
        id: String,
        interval_secs: u32,
    },
    Notifications {
        settings: NotificationSettings,
    },
    AddProvider {
        id: String,
        name: String,
        kind: String,
        url: String,
    },
    /// Only for providers the user added; a catalog provider is turned off instead.
    RemoveProvider {
        id: String,
    },
    /// The profile an assistant is switched to when its provider is down; None: no fallback.
    Fallback {
        assistant: String,
        profile: Option<String>,
    },
    /// Turn a provider's API probe on or off; `key` names the keyring entry
    /// (`weathervane key set NAME`), None probes without a key.
    Probe {
        id: String,
        enabled: bool,
        key: Option<String>,
    },
    /// Set an assistant's automatic failover rule; None removes it.
    Failover {
        assistant: String,
        rule: Option<FailoverRuleInput>,
    },
    /// Follow an assistant's session files for early warning, or not (`[sessions]`).
    Sessions {
        assistant: String,
        enabled: bool,
    },
}

/// A failover rule as the dashboard sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FailoverRuleInput {
    pub provider: String,
    pub to: String,
    pub after_secs: u32,
    pub back_after_secs: u32,
    pub min_dwell_secs: u32,
    pub enabled: bool,
}

/// The `[notifications]` table as the Settings page edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NotificationSettings {
    pub confirmations: u32,
    pub cooldown_secs: u32,
    /// "22:00-07:30", or none for no quiet hours.
    pub quiet_hours: Option<String>,
    pub muted: Vec<String>,
    pub notify_degraded: bool,
    pub notify_maintenance: bool,
}

impl NotificationSettings {
    pub fn from_prefs(p: &Prefs) -> NotificationSettings {
        NotificationSettings {
            confirmations: p.confirmations,
            cooldown_secs: u32::try_from(p.cooldown.num_seconds().max(0)).unwrap_or(u32::MAX),
            quiet_hours: p
                .quiet_hours
                .as_ref()
                .map(|q| format!("{}-{}", q.start.format("%H:%M"), q.end.format("%H:%M"))),
            muted: p.muted.iter().cloned().collect(),
            notify_degraded: p.notify_degraded,
            notify_maintenance: p.notify_maintenance,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigEditError {
    #[error("{path} is not valid TOML, so it was left alone: {message}")]
    NotToml { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error("the change was not saved: {0}")]
    Rejected(#[from] ConfigError),
    #[error("cannot save the config: {0}")]
    Fs(#[from] FsError),
    #[error("cannot create the folder for the config: {0}")]
    Io(#[from] std::io::Error),
}

const MIN_INTERVAL_SECS: u32 = 15;
const MAX_INTERVAL_SECS: u32 = 86_400;

fn valid_new_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Does the built-in catalog have a provider with this id?
fn in_catalog(id: &str) -> bool {
    Config::parse("", Path::new("catalog")).is_ok_and(|c| c.provider(id).is_some())
}

/// The `[[providers]]` entry with this id, if the file has one.
fn provider_entry<'a>(doc: &'a mut DocumentMut, id: &str) -> Option<&'a mut Table> {
    doc.get_mut("providers")?
        .as_array_of_tables_mut()?
        .iter_mut()
        .find(|t| t.get("id").and_then(|v| v.as_str()) == Some(id))
}

/// The entry for `id`, appended (with just its id: a field-by-field override) when absent.
fn provider_entry_or_new<'a>(
    doc: &'a mut DocumentMut,
    id: &str,
) -> Result<&'a mut Table, ConfigEditError> {
    if provider_entry(doc, id).is_none() {
        let arr = doc
            .entry("providers")
            .or_insert(Item::ArrayOfTables(Default::default()))
            .as_array_of_tables_mut()
            .ok_or_else(|| {
                ConfigEditError::Invalid("`providers` in the config is not a list of tables".into())
            })?;
        let mut t = Table::new();
        t.insert("id", value(id));
        arr.push(t);
    }
    provider_entry(doc, id)
        .ok_or_else(|| ConfigEditError::Invalid(format!("provider {id:?} could not be added")))
}

/// Set `key`, keeping the comment and spacing around an existing value.
fn set(table: &mut dyn toml_edit::TableLike, key: &str, new: toml_edit::Value) {
    let mut new = new;
    match table.get_mut(key) {
        // Replace in place: the key (and the comment above it) stays as written.
        Some(item) => {
            if let Some(old) = item.as_value() {
                *new.decor_mut() = old.decor().clone();
            }
            *item = Item::Value(new);
        }
        None => {
            table.insert(key, Item::Value(new));
        }
    }
}

fn string_array(items: &[String]) -> Array {
    let mut a = Array::new();
    for s in items {
        a.push(s.as_str());
    }
    a
}

/// A keyring entry *name* never looks like this: a provider key pasted in the wrong box.
fn looks_like_a_key(s: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        "sk-",
        "sk_",
        "AIza",
        "ghp_",
        "gho_",
        "github_pat_",
        "xai-",
        "gsk_",
    ];
    s.len() > 48 || PREFIXES.iter().any(|p| s.starts_with(p))
}

/// Apply one change to config text; the result is not validated here (see [`apply_change`]).
pub fn edit_text(text: &str, change: &SettingsChange) -> Result<String, ConfigEditError> {
    let mut doc: DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| ConfigEditError::NotToml {
                path: "the config".into(),
                message: e.message().to_string(),
            })?;
    match change {
        SettingsChange::ProviderEnabled { id, enabled } => {
            set(
                provider_entry_or_new(&mut doc, id)?,
                "enabled",
                (*enabled).into(),
            );
        }
        SettingsChange::Watch { id, watch } => {
            let clean: Vec<String> = watch
                .iter()
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect();
            set(
                provider_entry_or_new(&mut doc, id)?,
                "watch",
                string_array(&clean).into(),
            );
        }
        SettingsChange::Interval { id, interval_secs } => {
            if !(MIN_INTERVAL_SECS..=MAX_INTERVAL_SECS).contains(interval_secs) {
                return Err(ConfigEditError::Invalid(format!(
                    "an interval must be between {MIN_INTERVAL_SECS} s and one day, not {interval_secs} s"
                )));
            }
            set(
                provider_entry_or_new(&mut doc, id)?,
                "interval",
                format!("{interval_secs}s").into(),
            );
        }
        SettingsChange::Notifications { settings: s } => {
            if let Some(q) = &s.quiet_hours {
                config::parse_quiet_hours(q)
                    .map_err(|m| ConfigEditError::Invalid(format!("quiet hours: {m}")))?;
            }
            let table = doc
                .entry("notifications")
                .or_insert(Item::Table(Table::new()))
                .as_table_mut()
                .ok_or_else(|| {
                    ConfigEditError::Invalid("`notifications` in the config is not a table".into())
                })?;
            set(table, "confirmations", i64::from(s.confirmations).into());
            set(table, "cooldown", format!("{}s", s.cooldown_secs).into());
            match &s.quiet_hours {
                Some(q) => set(table, "quiet_hours", q.trim().into()),
                None => {
                    table.remove("quiet_hours");
                }
            }
            set(table, "muted", string_array(&s.muted).into());
            set(table, "degraded", s.notify_degraded.into());
            set(table, "maintenance", s.notify_maintenance.into());
        }
        SettingsChange::Fallback { assistant, profile } => {
            let switch = doc
                .entry("switch")
                .or_insert(Item::Table(Table::new()))
                .as_table_like_mut()
                .ok_or_else(|| {
                    ConfigEditError::Invalid("`switch` in the config is not a table".into())
                })?;
            let fallback = switch
                .entry("fallback")
                .or_insert(Item::Value(toml_edit::InlineTable::new().into()))
                .as_table_like_mut()
                .ok_or_else(|| {
                    ConfigEditError::Invalid(
                        "`switch.fallback` in the config is not a table".into(),
                    )
                })?;
            match profile {
                Some(p) => set(fallback, assistant, p.as_str().into()),
                None => {
                    fallback.remove(assistant);
                }
            }
        }
        SettingsChange::Sessions { assistant, enabled } => {
            let sessions = doc
                .entry("sessions")
                .or_insert(Item::Table(Table::new()))
                .as_table_like_mut()
                .ok_or_else(|| {
                    ConfigEditError::Invalid("`sessions` in the config is not a table".into())
                })?;
            set(sessions, assistant, (*enabled).into());
        }
        SettingsChange::Probe { id, enabled, key } => {
            let entry = provider_entry_or_new(&mut doc, id)?;
            let probe = entry
                .entry("probe")
                .or_insert(Item::Value(toml_edit::InlineTable::new().into()))
                .as_table_like_mut()
                .ok_or_else(|| {
                    ConfigEditError::Invalid(format!("providers.probe of {id:?} is not a table"))
                })?;
            set(probe, "enabled", (*enabled).into());
            match key.as_deref().map(str::trim) {
                Some(k) if !k.is_empty() => {
                    if looks_like_a_key(k) {
                        return Err(ConfigEditError::Invalid(
                            "that looks like an API key itself: give a name here (e.g. anthropic-probe) and store the key with `weathervane key set NAME`, so it stays out of the config".into(),
                        ));
                    }
                    if !k
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    {
                        return Err(ConfigEditError::Invalid(format!(
                            "{k:?} is not a keyring entry name (letters, digits, '-', '_', '.'); the key itself goes in the keyring with `weathervane key set NAME`"
                        )));
                    }
                    set(probe, "key", k.into());
                }
                _ => {
                    probe.remove("key");
                }
            }
        }
        SettingsChange::Failover { assistant, rule } => {
            let failover = doc
                .entry("failover")
                .or_insert(Item::Table(Table::new()))
                .as_table_like_mut()
                .ok_or_else(|| {
                    ConfigEditError::Invalid("`failover` in the config is not a table".into())
                })?;
            match rule {
                None => {
                    failover.remove(assistant);
                }
                Some(r) => {
                    for (what, v) in [
                        ("after", r.after_secs),
                        ("back_after", r.back_after_secs),
                        ("min_dwell", r.min_dwell_secs),
                    ] {
                        if v > 86_400 {
                            return Err(ConfigEditError::Invalid(format!(
                                "failover {what} must be at most a day, not {v} s"
                            )));
                        }
                    }
                    let t = failover
                        .entry(assistant)
                        .or_insert(Item::Table(Table::new()))
                        .as_table_like_mut()
                        .ok_or_else(|| {
                            ConfigEditError::Invalid(format!(
                                "`failover.{assistant}` in the config is not a table"
                            ))
                        })?;
                    set(t, "provider", r.provider.as_str().into());
                    set(t, "to", r.to.as_str().into());
                    set(t, "after", format!("{}s", r.after_secs).into());
                    set(t, "back_after", format!("{}s", r.back_after_secs).into());
                    set(t, "min_dwell", format!("{}s", r.min_dwell_secs).into());
                    set(t, "enabled", r.enabled.into());
                }
            }
        }
        SettingsChange::AddProvider {
            id,
            name,
            kind,
            url,
        } => {
            if !valid_new_id(id) {
                return Err(ConfigEditError::Invalid(format!(
                    "{id:?} cannot be an id: use lowercase letters, digits and '-'"
                )));
            }
            config::parse_kind(kind).map_err(ConfigEditError::Invalid)?;
            crate::monitor::fetch::parse_source_url(url).map_err(ConfigEditError::Invalid)?;
            if in_catalog(id) || provider_entry(&mut doc, id).is_some() {
                return Err(ConfigEditError::Invalid(format!(
                    "a provider with the id {id:?} already exists; pick another"
                )));
            }
            let t = provider_entry_or_new(&mut doc, id)?;
            t.insert("name", value(name.trim()));
            t.insert("kind", value(kind.as_str()));
            t.insert("url", value(url.trim()));
        }
        SettingsChange::RemoveProvider { id } => {
            if in_catalog(id) {
                return Err(ConfigEditError::Invalid(format!(
                    "{id:?} comes with Weathervane; turn it off instead of removing it"
                )));
            }
            let arr = doc
                .get_mut("providers")
                .and_then(|p| p.as_array_of_tables_mut())
                .ok_or_else(|| ConfigEditError::Invalid(format!("no provider {id:?}")))?;
            let idx = arr
                .iter()
                .position(|t| t.get("id").and_then(|v| v.as_str()) == Some(id))
                .ok_or_else(|| ConfigEditError::Invalid(format!("no provider {id:?}")))?;
            arr.remove(idx);
        }
    }
    Ok(doc.to_string())
}

/// Edit the config file at `path` (created if missing) and return the config it now holds.
/// Nothing is written when the edit fails or the result does not load.
pub fn apply_change(path: &Path, change: &SettingsChange) -> Result<Config, ConfigEditError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let state = safe_fs::read_state(path)?;
    let text = match &state.content {
        Some(bytes) => String::from_utf8(bytes.clone()).map_err(|_| ConfigEditError::NotToml {
            path: path.display().to_string(),
            message: "it is not UTF-8".into(),
        })?,
        None => String::new(),
    };
    let new_text = edit_text(&text, change).map_err(|e| match e {
        ConfigEditError::NotToml { message, .. } => ConfigEditError::NotToml {
            path: path.display().to_string(),
            message,
        },
        other => other,
    })?;
    let config = Config::parse(&new_text, path)?;
    if new_text != text {
        // A new file is private (it may name internal status pages); an existing one keeps its mode.
        safe_fs::write_atomic(&state, new_text.as_bytes(), state.content.is_none())?;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = r#"# My Weathervane config
timeout = "8s"   # slow VPN

[notifications]
# wake me only for real trouble
confirmations = 3

[[providers]]
id = "anthropic"
watch = ["Claude API"]  # the one I use
enabled = true # on by default anyway

[[providers]]
id = "internal"
name = "Internal LLM gateway"
kind = "statuspage"
url = "https://status.internal.example"
"#;

    fn parse(t: &str) -> Config {
        Config::parse(t, Path::new("c.toml")).unwrap()
    }

    #[test]
    fn edits_keep_comments_order_and_spacing() {
        let out = edit_text(
            USER,
            &SettingsChange::Watch {
                id: "anthropic".into(),
                watch: vec!["Claude API".into(), " Claude Code ".into(), "".into()],
            },
        )
        .unwrap();
        assert_eq!(
            out,
            USER.replace(
                r#"watch = ["Claude API"]  # the one I use"#,
                r#"watch = ["Claude API", "Claude Code"]  # the one I use"#
            )
        );
        let c = parse(&out);
        assert_eq!(
            c.provider("anthropic").unwrap().watch,
            vec!["Claude API", "Claude Code"]
        );
    }

    #[test]
    fn a_catalog_provider_without_an_entry_gets_a_minimal_override() {
        let out = edit_text(
            USER,
            &SettingsChange::ProviderEnabled {
                id: "openai".into(),
                enabled: false,
            },
        )
        .unwrap();
        assert!(out.starts_with(USER), "{out}");
        assert!(
            out.ends_with("[[providers]]\nid = \"openai\"\nenabled = false\n"),
            "{out}"
        );
        assert!(!parse(&out).provider("openai").unwrap().enabled);
        let out = edit_text(
            &out,
            &SettingsChange::Interval {
                id: "openai".into(),
                interval_secs: 120,
            },
        )
        .unwrap();
        assert_eq!(
            parse(&out).provider("openai").unwrap().interval.as_secs(),
            120
        );
    }

    #[test]
    fn probes_are_turned_on_with_a_key_name_and_off_again() {
        let probe = |enabled, key: Option<&str>| SettingsChange::Probe {
            id: "anthropic".into(),
            enabled,
            key: key.map(str::to_string),
        };
        let out = edit_text(USER, &probe(true, Some("anthropic-probe"))).unwrap();
        assert!(out.contains("# wake me only for real trouble"), "{out}");
        assert!(out.contains("timeout = \"8s\"   # slow VPN"), "{out}");
        let c = parse(&out);
        let spec = c.provider("anthropic").unwrap().probe.as_ref().unwrap();
        assert!(spec.enabled);
        assert_eq!(spec.key.as_deref(), Some("anthropic-probe"));
        // The catalog's request is kept: only enabled and key are the user's.
        assert_eq!(spec.url.as_str(), "https://api.anthropic.com/v1/models");
        assert_eq!(c.probed().count(), 1);
        let out = edit_text(&out, &probe(false, None)).unwrap();
        let c = parse(&out);
        let spec = c.provider("anthropic").unwrap().probe.as_ref().unwrap();
        assert!(!spec.enabled);
        assert_eq!(spec.key, None);
        // A secret pasted where a name belongs is refused, and so is anything not a name.
        for bad in [
            "sk-ant-api03-AbCdEf0123456789",
            "AIzaSyA1b2C3d4E5f6G7h8I9j0",
            "x".repeat(60).as_str(),
            "my key",
        ] {
            let e = edit_text(USER, &probe(true, Some(bad))).unwrap_err();
            assert!(e.to_string().contains("weathervane key set"), "{bad}: {e}");
        }
    }

    #[test]
    fn failover_rules_are_written_read_back_and_removed() {
        use crate::switch::profiles::AssistantId;
        let rule = SettingsChange::Failover {
            assistant: "claude-code".into(),
            rule: Some(FailoverRuleInput {
                provider: "anthropic".into(),
                to: "openrouter".into(),
                after_secs: 300,
                back_after_secs: 900,
                min_dwell_secs: 600,
                enabled: true,
            }),
        };
        let out = edit_text(USER, &rule).unwrap();
        assert!(out.starts_with(USER), "{out}");
        let c = parse(&out);
        assert_eq!(c.failover.len(), 1);
        let r = &c.failover[0];
        assert_eq!(r.assistant, AssistantId::ClaudeCode);
        assert_eq!(
            (r.provider.as_str(), r.to.as_str()),
            ("anthropic", "openrouter")
        );
        assert_eq!(r.back_after.as_secs(), 900);
        let off = SettingsChange::Failover {
            assistant: "claude-code".into(),
            rule: None,
        };
        let out = edit_text(&out, &off).unwrap();
        assert!(parse(&out).failover.is_empty());
    }

    #[test]
    fn fallbacks_are_set_changed_and_cleared_keeping_the_rest() {
        use crate::switch::profiles::AssistantId;
        let fb = |a: &str, p: Option<&str>| SettingsChange::Fallback {
            assistant: a.into(),
            profile: p.map(str::to_string),
        };
        let out = edit_text(USER, &fb("claude-code", Some("openrouter"))).unwrap();
        assert!(out.starts_with(USER), "{out}");
        assert_eq!(
            parse(&out).fallbacks[&AssistantId::ClaudeCode],
            "openrouter"
        );
        let out = edit_text(&out, &fb("codex", Some("ollama"))).unwrap();
        let out = edit_text(&out, &fb("claude-code", Some("deepseek"))).unwrap();
        let c = parse(&out);
        assert_eq!(c.fallbacks[&AssistantId::ClaudeCode], "deepseek");
        assert_eq!(c.fallbacks[&AssistantId::Codex], "ollama");
        let out = edit_text(&out, &fb("claude-code", None)).unwrap();
        let c = parse(&out);
        assert!(!c.fallbacks.contains_key(&AssistantId::ClaudeCode));
        assert_eq!(c.fallbacks[&AssistantId::Codex], "ollama");
        // A hand-written [switch.fallback] table is edited in place, its comment kept.
        let hand = "[switch]\nproject_dirs = [\"~/src\"]\n\n[switch.fallback]\n# when Anthropic is down\nclaude-code = \"kimi\"\n";
        let out = edit_text(hand, &fb("claude-code", Some("glm"))).unwrap();
        assert!(
            out.contains("# when Anthropic is down\nclaude-code = \"glm\""),
            "{out}"
        );
        assert!(out.contains("project_dirs = [\"~/src\"]"), "{out}");
    }

    #[test]
    fn sessions_are_turned_off_and_on_per_assistant_keeping_the_rest() {
        use crate::switch::profiles::AssistantId;
        let ch = |a: &str, on: bool| SettingsChange::Sessions {
            assistant: a.into(),
            enabled: on,
        };
        let out = edit_text(USER, &ch("gemini", false)).unwrap();
        assert!(out.starts_with(USER), "{out}");
        let c = parse(&out);
        assert!(!c.sessions.enabled(AssistantId::Gemini));
        assert!(c.sessions.enabled(AssistantId::ClaudeCode));
        let out = edit_text(&out, &ch("gemini", true)).unwrap();
        assert!(parse(&out).sessions.enabled(AssistantId::Gemini));
        // An assistant the config does not know is refused by the parser (then
        // `apply_change` writes nothing).
        let bad = edit_text(USER, &ch("cursor", false)).unwrap();
        assert!(Config::parse(&bad, Path::new("c.toml")).is_err());
    }

    #[test]
    fn notification_settings_round_trip() {
        let s = NotificationSettings {
            confirmations: 2,
            cooldown_secs: 600,
            quiet_hours: Some("22:00-07:30".into()),
            muted: vec!["openai".into()],
            notify_degraded: false,
            notify_maintenance: true,
        };
        let out = edit_text(
            USER,
            &SettingsChange::Notifications {
                settings: s.clone(),
            },
        )
        .unwrap();
        assert!(out.contains("# wake me only for real trouble\nconfirmations = 2"));
        let c = parse(&out);
        assert_eq!(NotificationSettings::from_prefs(&c.prefs), s);
        // Quiet hours off removes the key.
        let off = NotificationSettings {
            quiet_hours: None,
            ..s
        };
        let out = edit_text(&out, &SettingsChange::Notifications { settings: off }).unwrap();
        assert!(!out.contains("quiet_hours"));
        assert!(parse(&out).prefs.quiet_hours.is_none());
    }

    #[test]
    fn add_and_remove_a_custom_page() {
        let add = SettingsChange::AddProvider {
            id: "acme".into(),
            name: "Acme AI".into(),
            kind: "instatus".into(),
            url: "https://acme.instatus.com".into(),
        };
        let out = edit_text(USER, &add).unwrap();
        let c = parse(&out);
        let p = c.provider("acme").unwrap();
        assert_eq!((p.name.as_str(), p.kind.as_str()), ("Acme AI", "instatus"));
        let err = edit_text(&out, &add).unwrap_err().to_string();
        assert!(err.contains("already exists"), "{err}");
        let out = edit_text(&out, &SettingsChange::RemoveProvider { id: "acme".into() }).unwrap();
        assert_eq!(out, USER);
        let err = edit_text(
            USER,
            &SettingsChange::RemoveProvider {
                id: "anthropic".into(),
            },
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("turn it off"), "{err}");
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let cases = [
            SettingsChange::Interval {
                id: "openai".into(),
                interval_secs: 1,
            },
            SettingsChange::AddProvider {
                id: "Bad Id".into(),
                name: "x".into(),
                kind: "statuspage".into(),
                url: "https://x.example".into(),
            },
            SettingsChange::AddProvider {
                id: "plain".into(),
                name: "x".into(),
                kind: "statuspage".into(),
                url: "http://status.example.com".into(),
            },
            SettingsChange::AddProvider {
                id: "anthropic".into(),
                name: "x".into(),
                kind: "statuspage".into(),
                url: "https://x.example".into(),
            },
            SettingsChange::Notifications {
                settings: NotificationSettings {
                    confirmations: 1,
                    cooldown_secs: 60,
                    quiet_hours: Some("late".into()),
                    muted: vec![],
                    notify_degraded: true,
                    notify_maintenance: false,
                },
            },
        ];
        for c in cases {
            assert!(edit_text(USER, &c).is_err(), "{c:?} was accepted");
        }
    }

    #[test]
    fn apply_writes_atomically_and_leaves_the_file_alone_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.toml");
        // A missing file is created, private.
        let c = apply_change(
            &path,
            &SettingsChange::ProviderEnabled {
                id: "openai".into(),
                enabled: false,
            },
        )
        .unwrap();
        assert!(!c.provider("openai").unwrap().enabled);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::write(&path, USER).unwrap();
        // Confirmations 0 is refused by the config parser: nothing is written.
        let bad = SettingsChange::Notifications {
            settings: NotificationSettings {
                confirmations: 0,
                cooldown_secs: 60,
                quiet_hours: None,
                muted: vec![],
                notify_degraded: true,
                notify_maintenance: false,
            },
        };
        let err = apply_change(&path, &bad).unwrap_err().to_string();
        assert!(err.contains("confirmations"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), USER);
        // A file that is not TOML is never rewritten.
        std::fs::write(&path, "this is = = not toml").unwrap();
        let err = apply_change(
            &path,
            &SettingsChange::ProviderEnabled {
                id: "openai".into(),
                enabled: true,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("left alone"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "this is = = not toml"
        );
    }
}
