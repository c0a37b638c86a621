//! Switch profiles: the built-in presets (a data file) merged with the user's own, per assistant.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The assistants Weathervane can switch. Ids are part of the CLI contract.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum AssistantId {
    ClaudeCode,
    Codex,
    Gemini,
    Opencode,
}

impl AssistantId {
    pub const ALL: [AssistantId; 4] = [
        AssistantId::ClaudeCode,
        AssistantId::Codex,
        AssistantId::Gemini,
        AssistantId::Opencode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssistantId::ClaudeCode => "claude-code",
            AssistantId::Codex => "codex",
            AssistantId::Gemini => "gemini",
            AssistantId::Opencode => "opencode",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AssistantId::ClaudeCode => "Claude Code",
            AssistantId::Codex => "Codex CLI",
            AssistantId::Gemini => "Gemini CLI",
            AssistantId::Opencode => "opencode",
        }
    }

    pub fn parse(s: &str) -> Option<AssistantId> {
        AssistantId::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl std::fmt::Display for AssistantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an assistant's requests go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub assistant: AssistantId,
    pub id: String,
    pub name: String,
    /// The assistant's own default: sets none of the keys a switch owns.
    pub default: bool,
    /// Needs an API key from the OS keyring (`weathervane key set <id>`).
    pub key: bool,
    /// For assistants that read the key from an environment variable (Codex's
    /// `env_key`): the variable's name.
    pub key_env: Option<String>,
    /// The owned settings this profile gives a value; every other owned key is absent.
    pub set: BTreeMap<String, String>,
    pub note: Option<String>,
    /// The watched provider (catalog id) this profile's requests depend on:
    /// when it is down, the assistant on this profile is affected.
    pub provider: Option<String>,
    /// "preset", "config" or "preset+config".
    pub origin: &'static str,
}

/// The presets compiled into the binary.
pub const PRESETS: &str = include_str!("presets.toml");

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("built-in profile presets are invalid (a bug): {0}")]
    Presets(String),
    #[error("profile {assistant}/{id}: {message}")]
    Invalid {
        assistant: String,
        id: String,
        message: String,
    },
}

/// One `[[profiles]]` entry as written in the presets or the user's config.
/// Every field but the two ids is optional so a user entry can override a
/// preset field by field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub assistant: String,
    pub id: String,
    pub name: Option<String>,
    pub default: Option<bool>,
    pub key: Option<bool>,
    pub key_env: Option<String>,
    pub set: Option<BTreeMap<String, String>>,
    pub note: Option<String>,
    pub provider: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawPresets {
    profiles: Vec<RawProfile>,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn invalid(raw: &RawProfile, message: impl Into<String>) -> ProfileError {
    ProfileError::Invalid {
        assistant: raw.assistant.clone(),
        id: raw.id.clone(),
        message: message.into(),
    }
}

fn assistant_of(raw: &RawProfile) -> Result<AssistantId, ProfileError> {
    AssistantId::parse(&raw.assistant).ok_or_else(|| {
        invalid(
            raw,
            format!(
                "unknown assistant {:?}; expected one of claude-code, codex, gemini, opencode",
                raw.assistant
            ),
        )
    })
}

fn from_raw(raw: &RawProfile, assistant: AssistantId, origin: &'static str) -> Profile {
    Profile {
        assistant,
        id: raw.id.clone(),
        name: raw.name.clone().unwrap_or_else(|| raw.id.clone()),
        default: raw.default.unwrap_or(false),
        key: raw.key.unwrap_or(false),
        key_env: raw.key_env.clone(),
        set: raw.set.clone().unwrap_or_default(),
        note: raw.note.clone(),
        provider: raw.provider.clone(),
        origin,
    }
}

/// The presets, then the user's entries: an entry naming an existing
/// (assistant, id) overrides it field by field (`set` key by key), others are added.
pub fn merge(user: &[RawProfile]) -> Result<Vec<Profile>, ProfileError> {
    let presets: RawPresets =
        toml::from_str(PRESETS).map_err(|e| ProfileError::Presets(e.to_string()))?;
    let mut out: Vec<Profile> = Vec::new();
    for raw in &presets.profiles {
        let assistant = assistant_of(raw).map_err(|e| ProfileError::Presets(e.to_string()))?;
        out.push(from_raw(raw, assistant, "preset"));
    }
    for raw in user {
        let assistant = assistant_of(raw)?;
        if !valid_id(&raw.id) {
            return Err(invalid(raw, "the id must be letters, digits, '-' or '_'"));
        }
        if let Some(p) = out
            .iter_mut()
            .find(|p| p.assistant == assistant && p.id == raw.id)
        {
            if let Some(n) = &raw.name {
                p.name = n.clone();
            }
            if let Some(d) = raw.default {
                p.default = d;
            }
            if let Some(k) = raw.key {
                p.key = k;
            }
            if let Some(k) = &raw.key_env {
                p.key_env = Some(k.clone());
            }
            if let Some(set) = &raw.set {
                p.set.extend(set.clone());
            }
            if let Some(n) = &raw.note {
                p.note = Some(n.clone());
            }
            if let Some(n) = &raw.provider {
                p.provider = Some(n.clone());
            }
            p.origin = "preset+config";
        } else {
            out.push(from_raw(raw, assistant, "config"));
        }
    }
    for a in AssistantId::ALL {
        let defaults = out.iter().filter(|p| p.assistant == a && p.default).count();
        if defaults > 1 {
            return Err(ProfileError::Invalid {
                assistant: a.as_str().into(),
                id: "*".into(),
                message: "more than one profile is marked default".into(),
            });
        }
    }
    Ok(out)
}

/// The profile `id` of `assistant`.
pub fn find<'a>(profiles: &'a [Profile], assistant: AssistantId, id: &str) -> Option<&'a Profile> {
    profiles
        .iter()
        .find(|p| p.assistant == assistant && p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Vec<RawProfile> {
        #[derive(Deserialize)]
        struct F {
            profiles: Vec<RawProfile>,
        }
        toml::from_str::<F>(text).unwrap().profiles
    }

    #[test]
    fn presets_cover_the_contract_ids() {
        let all = merge(&[]).unwrap();
        for id in [
            "anthropic",
            "bedrock",
            "vertex",
            "deepseek",
            "kimi",
            "glm",
            "minimax",
            "openrouter",
            "ollama",
            "litellm",
        ] {
            assert!(
                find(&all, AssistantId::ClaudeCode, id).is_some(),
                "claude-code/{id}"
            );
        }
        for id in ["openai", "openrouter", "ollama", "litellm"] {
            assert!(find(&all, AssistantId::Codex, id).is_some(), "codex/{id}");
        }
        let anthropic = find(&all, AssistantId::ClaudeCode, "anthropic").unwrap();
        assert!(
            anthropic.default && anthropic.set.is_empty(),
            "the default owns nothing"
        );
        let or = find(&all, AssistantId::ClaudeCode, "openrouter").unwrap();
        assert_eq!(or.set["ANTHROPIC_BASE_URL"], "https://openrouter.ai/api");
        assert_eq!(or.set["ANTHROPIC_API_KEY"], "");
        assert!(or.key);
        for p in all
            .iter()
            .filter(|p| p.assistant == AssistantId::Codex && !p.default)
        {
            assert_eq!(p.set["wire_api"], "responses", "codex/{}", p.id);
        }
    }

    #[test]
    fn user_entries_override_field_by_field_and_add() {
        let all = merge(&user(
            r#"
[[profiles]]
assistant = "claude-code"
id = "vertex"
set = { ANTHROPIC_VERTEX_PROJECT_ID = "my-project" }

[[profiles]]
assistant = "claude-code"
id = "work-proxy"
name = "Work proxy"
set = { ANTHROPIC_BASE_URL = "https://llm.corp.example" }
"#,
        ))
        .unwrap();
        let v = find(&all, AssistantId::ClaudeCode, "vertex").unwrap();
        assert_eq!(v.set["ANTHROPIC_VERTEX_PROJECT_ID"], "my-project");
        assert_eq!(v.set["CLAUDE_CODE_USE_VERTEX"], "1", "untouched keys kept");
        assert_eq!(v.origin, "preset+config");
        let w = find(&all, AssistantId::ClaudeCode, "work-proxy").unwrap();
        assert_eq!(w.name, "Work proxy");
        assert_eq!(w.origin, "config");
        assert!(
            find(&all, AssistantId::Codex, "work-proxy").is_none(),
            "per assistant"
        );
    }

    #[test]
    fn bad_user_entries_are_refused_with_their_name() {
        let e = merge(&user("[[profiles]]\nassistant = \"claude\"\nid = \"x\"\n")).unwrap_err();
        assert!(
            e.to_string().contains("unknown assistant \"claude\""),
            "{e}"
        );
        let e = merge(&user("[[profiles]]\nassistant = \"codex\"\nid = \"a b\"\n")).unwrap_err();
        assert!(e.to_string().contains("codex/a b"), "{e}");
        let e = merge(&user(
            "[[profiles]]\nassistant = \"codex\"\nid = \"mine\"\ndefault = true\n",
        ))
        .unwrap_err();
        assert!(e.to_string().contains("more than one profile"), "{e}");
    }

    #[test]
    fn assistant_ids_round_trip() {
        for a in AssistantId::ALL {
            assert_eq!(AssistantId::parse(a.as_str()), Some(a));
        }
        assert_eq!(AssistantId::parse("claude"), None);
    }
}
