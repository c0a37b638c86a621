//! Codex CLI: which keys of `config.toml` a switch owns, a profile as edits to them, and recognising the active profile.
//!
//! A switch owns the top-level `model` and `model_provider` and one table,
//! `[model_providers.<profile id>]`. Tables of other providers are left alone,
//! even ones an earlier switch wrote: they are inert while `model_provider`
//! names another, and the user may have written them by hand.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::edit::{self, Edit, EditError, Format};
use super::profiles::{AssistantId, Profile};

/// Keys of a `[model_providers.<id>]` table a switch writes.
pub const PROVIDER_KEYS: [&str; 4] = ["name", "base_url", "env_key", "wire_api"];

/// The config file: `$CODEX_HOME/config.toml`, else `~/.codex/config.toml`.
pub fn config_path(home: &Path, env: &HashMap<String, String>) -> PathBuf {
    match env.get("CODEX_HOME").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("config.toml"),
        None => home.join(".codex").join("config.toml"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileFitError {
    #[error("profile {id} is for {other}, not Codex")]
    WrongAssistant { id: String, other: AssistantId },
    #[error("profile {id} needs {key} to switch Codex")]
    Missing { id: String, key: &'static str },
    #[error(
        "profile {id} sets {key}, which a Codex switch does not own (owned: model, base_url, wire_api)"
    )]
    NotOwned { id: String, key: String },
    /// Codex 0.151 and later refuse to load a config in which any provider has it.
    #[error(
        "profile {id} sets wire_api = {value:?}; Codex only takes \"responses\" (0.151 and later will not start with \"chat\" anywhere in config.toml)"
    )]
    WireApi { id: String, value: String },
}

/// The wire API every provider table must use: Codex 0.151 and later refuse to start
/// when any `[model_providers.*]` table, even an unused one, says `wire_api = "chat"`.
pub const WIRE_API: &str = "responses";

/// The `[model_providers.*]` tables that say `wire_api = "chat"`, which Codex 0.151 and
/// later refuse to load (empty when the file does not parse: that is said elsewhere).
pub fn chat_wire_providers(text: &str) -> Vec<String> {
    let Ok(Some(Value::Object(providers))) =
        edit::get(text, Format::Toml, &["model_providers".to_string()])
    else {
        return Vec::new();
    };
    providers
        .iter()
        .filter(|(_, t)| t.get("wire_api").and_then(Value::as_str) == Some("chat"))
        .map(|(id, _)| id.clone())
        .collect()
}

fn s(v: &str) -> Option<Value> {
    Some(Value::String(v.to_string()))
}

/// A profile as edits. The default profile removes `model` and `model_provider`;
/// any other sets them and writes its own provider table.
pub fn edits(profile: &Profile) -> Result<Vec<Edit>, ProfileFitError> {
    if profile.assistant != AssistantId::Codex {
        return Err(ProfileFitError::WrongAssistant {
            id: profile.id.clone(),
            other: profile.assistant,
        });
    }
    if let Some(k) = profile
        .set
        .keys()
        .find(|k| !matches!(k.as_str(), "model" | "base_url" | "wire_api"))
    {
        return Err(ProfileFitError::NotOwned {
            id: profile.id.clone(),
            key: k.clone(),
        });
    }
    let top = |key: &str, value: Option<Value>| Edit {
        path: vec![key.to_string()],
        value,
    };
    if profile.default {
        return Ok(vec![top("model", None), top("model_provider", None)]);
    }
    let base_url = profile
        .set
        .get("base_url")
        .ok_or(ProfileFitError::Missing {
            id: profile.id.clone(),
            key: "base_url",
        })?;
    let wire_api = profile.set.get("wire_api").map_or(WIRE_API, String::as_str);
    if wire_api != WIRE_API {
        return Err(ProfileFitError::WireApi {
            id: profile.id.clone(),
            value: wire_api.to_string(),
        });
    }
    let table = |key: &str, value: Option<Value>| Edit {
        path: vec!["model_providers".into(), profile.id.clone(), key.into()],
        value,
    };
    Ok(vec![
        top("model", profile.set.get("model").and_then(|m| s(m))),
        top("model_provider", s(&profile.id)),
        table("name", s(&profile.name)),
        table("base_url", s(base_url)),
        table("env_key", profile.key_env.as_deref().and_then(s)),
        table("wire_api", s(wire_api)),
    ])
}

/// The active profile, recognised by `model_provider` (absent: the default).
pub fn active_profile<'a>(
    text: &str,
    profiles: &'a [Profile],
) -> Result<Option<&'a Profile>, EditError> {
    let provider = edit::get(text, Format::Toml, &["model_provider".to_string()])?;
    let codex = profiles
        .iter()
        .filter(|p| p.assistant == AssistantId::Codex);
    Ok(match provider {
        None => codex.into_iter().find(|p| p.default),
        Some(Value::String(id)) => profiles
            .iter()
            .find(|p| p.assistant == AssistantId::Codex && !p.default && p.id == id),
        Some(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::profiles::{find, merge};

    const CONFIG: &str = r#"# Codex settings, by hand.
model = "gpt-5-codex" # the one I like
approval_policy = "on-request"

[mcp_servers.github]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-github"]
env = { GITHUB_TOKEN = "from-env" }

# trusted checkouts
[projects."/home/me/src/app"]
trust_level = "trusted"

[profiles.fast]
model = "gpt-5-mini"
"#;

    fn switch(text: &str, id: &str) -> String {
        let all = merge(&[]).unwrap();
        let p = find(&all, AssistantId::Codex, id).unwrap();
        edit::apply(text, Format::Toml, &edits(p).unwrap()).unwrap()
    }

    #[test]
    fn a_switch_writes_model_provider_and_its_table_only() {
        let out = switch(CONFIG, "openrouter");
        let doc: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(doc["model_provider"].as_str(), Some("openrouter"));
        assert_eq!(doc["model"].as_str(), Some("openai/gpt-5"));
        let t = &doc["model_providers"]["openrouter"];
        assert_eq!(t["base_url"].as_str(), Some("https://openrouter.ai/api/v1"));
        assert_eq!(t["env_key"].as_str(), Some("OPENROUTER_API_KEY"));
        assert_eq!(t["wire_api"].as_str(), Some("responses"));
        // Comments, MCP servers, projects and profiles survive as written.
        for line in [
            "# Codex settings, by hand.",
            "approval_policy = \"on-request\"",
            "[mcp_servers.github]",
            "args = [\"-y\", \"@modelcontextprotocol/server-github\"]",
            "# trusted checkouts",
            "[projects.\"/home/me/src/app\"]",
            "[profiles.fast]",
            "model = \"gpt-5-mini\"",
        ] {
            assert!(out.contains(line), "lost {line:?} in\n{out}");
        }
    }

    #[test]
    fn the_default_removes_model_and_provider() {
        let back = switch(&switch(CONFIG, "ollama"), "openai");
        let doc: toml::Table = toml::from_str(&back).unwrap();
        assert!(!doc.contains_key("model_provider"));
        assert!(!doc.contains_key("model"));
        assert_eq!(
            doc["profiles"]["fast"]["model"].as_str(),
            Some("gpt-5-mini")
        );
    }

    #[test]
    fn the_active_profile_is_recognised() {
        let all = merge(&[]).unwrap();
        let active = |t: &str| active_profile(t, &all).unwrap().map(|p| p.id.clone());
        assert_eq!(active(CONFIG).as_deref(), Some("openai"));
        assert_eq!(
            active(&switch(CONFIG, "litellm")).as_deref(),
            Some("litellm")
        );
        assert_eq!(
            active("model_provider = \"azure\"\n"),
            None,
            "a provider we do not know"
        );
    }

    #[test]
    fn profiles_that_cannot_be_expressed_are_refused() {
        let all = merge(&[]).unwrap();
        let claude = find(&all, AssistantId::ClaudeCode, "openrouter").unwrap();
        assert!(matches!(
            edits(claude),
            Err(ProfileFitError::WrongAssistant { .. })
        ));
        let mut p = find(&all, AssistantId::Codex, "ollama").unwrap().clone();
        p.set.remove("base_url");
        assert!(edits(&p).unwrap_err().to_string().contains("base_url"));
        p.set.insert("ANTHROPIC_BASE_URL".into(), "x".into());
        assert!(matches!(edits(&p), Err(ProfileFitError::NotOwned { .. })));
    }

    /// Issue 18, item 4: Codex 0.151 refuses any provider with wire_api = "chat".
    #[test]
    fn chat_wire_api_is_never_written_and_is_found_in_a_file() {
        let all = merge(&[]).unwrap();
        let mut p = find(&all, AssistantId::Codex, "litellm").unwrap().clone();
        p.set.insert("wire_api".into(), "chat".into());
        let err = edits(&p).unwrap_err();
        assert!(matches!(err, ProfileFitError::WireApi { .. }), "{err}");
        let text = "[model_providers.old]\nbase_url = \"x\"\nwire_api = \"chat\"\n\n[model_providers.ok]\nwire_api = \"responses\"\n";
        assert_eq!(chat_wire_providers(text), vec!["old".to_string()]);
        assert!(chat_wire_providers(CONFIG).is_empty());
        assert!(chat_wire_providers("not toml [").is_empty());
    }

    #[test]
    fn paths_follow_codex_home() {
        let mut env = HashMap::new();
        assert_eq!(
            config_path(Path::new("/h"), &env),
            Path::new("/h/.codex/config.toml")
        );
        env.insert("CODEX_HOME".into(), "/x".into());
        assert_eq!(
            config_path(Path::new("/h"), &env),
            Path::new("/x/config.toml")
        );
    }
}
