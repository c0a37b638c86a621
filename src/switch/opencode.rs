//! opencode: which keys of `opencode.json(c)` a switch owns, a profile as edits to them, and recognising the active profile.
//!
//! A switch owns the top-level `model` and `small_model` and, for providers
//! opencode does not know by itself (a local Ollama, a LiteLLM proxy), one
//! `provider.<profile id>` entry describing the OpenAI-compatible endpoint.
//! Providers opencode knows (anthropic, openai, openrouter...) need only the
//! model names; their credentials stay in opencode's own `/connect` store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::edit::{self, Edit, EditError, Format};
use super::profiles::{AssistantId, Profile};

/// The global config: `$XDG_CONFIG_HOME/opencode/` (else `~/.config/opencode/`),
/// `opencode.jsonc` when it exists, else `opencode.json`.
pub fn config_path(home: &Path, env: &HashMap<String, String>) -> PathBuf {
    let dir = match env.get("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d).join("opencode"),
        None => home.join(".config").join("opencode"),
    };
    let jsonc = dir.join("opencode.jsonc");
    if jsonc.exists() {
        jsonc
    } else {
        dir.join("opencode.json")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileFitError {
    #[error("profile {id} is for {other}, not opencode")]
    WrongAssistant { id: String, other: AssistantId },
    #[error(
        "profile {id} sets {key}, which an opencode switch does not own (owned: model, small_model, base_url, provider_model)"
    )]
    NotOwned { id: String, key: String },
    #[error(
        "profile {id} has a base_url but no provider_model: opencode needs the model's name at that endpoint"
    )]
    MissingModel { id: String },
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

/// A profile as edits.
pub fn edits(profile: &Profile) -> Result<Vec<Edit>, ProfileFitError> {
    if profile.assistant != AssistantId::Opencode {
        return Err(ProfileFitError::WrongAssistant {
            id: profile.id.clone(),
            other: profile.assistant,
        });
    }
    if let Some(k) = profile.set.keys().find(|k| {
        !matches!(
            k.as_str(),
            "model" | "small_model" | "base_url" | "provider_model"
        )
    }) {
        return Err(ProfileFitError::NotOwned {
            id: profile.id.clone(),
            key: k.clone(),
        });
    }
    let top = |key: &str| Edit {
        path: vec![key.to_string()],
        value: profile.set.get(key).map(|v| s(v)),
    };
    let mut out = vec![top("model"), top("small_model")];
    if let Some(base_url) = profile.set.get("base_url") {
        let model =
            profile
                .set
                .get("provider_model")
                .ok_or_else(|| ProfileFitError::MissingModel {
                    id: profile.id.clone(),
                })?;
        let mut options = json!({ "baseURL": base_url });
        if let Some(var) = &profile.key_env {
            // opencode substitutes {env:VAR} itself: the key never enters the file.
            options["apiKey"] = s(&format!("{{env:{var}}}"));
        }
        out.push(Edit {
            path: vec!["provider".into(), profile.id.clone()],
            value: Some(json!({
                "npm": "@ai-sdk/openai-compatible",
                "name": profile.name,
                "options": options,
                "models": { model: {} },
            })),
        });
    }
    Ok(out)
}

/// The active profile: the one whose `model` and `small_model` the file has
/// (none set: the default).
pub fn active_profile<'a>(
    text: &str,
    profiles: &'a [Profile],
) -> Result<Option<&'a Profile>, EditError> {
    let model = edit::get(text, Format::Jsonc, &["model".to_string()])?;
    let small = edit::get(text, Format::Jsonc, &["small_model".to_string()])?;
    Ok(profiles
        .iter()
        .filter(|p| p.assistant == AssistantId::Opencode)
        .find(|p| {
            p.set.get("model").map(|m| s(m)) == model
                && p.set.get("small_model").map(|m| s(m)) == small
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::profiles::{find, merge};

    const CONFIG: &str = r#"{
  "$schema": "https://opencode.ai/config.json",
  // my theme
  "theme": "tokyonight",
  "model": "anthropic/claude-sonnet-4-5",
  "small_model": "anthropic/claude-haiku-4-5",
  "permission": { "edit": "ask", "bash": "ask" },
  "mcp": { "jira": { "type": "remote", "url": "https://jira.example.com/mcp" } },
}
"#;

    fn switch(text: &str, id: &str) -> String {
        let all = merge(&[]).unwrap();
        let p = find(&all, AssistantId::Opencode, id).unwrap();
        edit::apply(text, Format::Jsonc, &edits(p).unwrap()).unwrap()
    }

    #[test]
    fn a_known_provider_changes_only_the_models() {
        let out = switch(CONFIG, "openrouter");
        assert!(out.contains("// my theme"), "{out}");
        assert!(out.contains("\"mcp\": { \"jira\""), "{out}");
        let get = |k: &str| edit::get(&out, Format::Jsonc, &[k.to_string()]).unwrap();
        assert_eq!(
            get("model"),
            Some(s("openrouter/anthropic/claude-sonnet-4.5"))
        );
        assert_eq!(get("provider"), None, "opencode knows openrouter itself");
    }

    #[test]
    fn a_local_endpoint_gets_its_provider_entry_and_back_removes_it() {
        let out = switch(CONFIG, "ollama");
        let entry = edit::get(&out, Format::Jsonc, &["provider".into(), "ollama".into()])
            .unwrap()
            .unwrap();
        assert_eq!(entry["options"]["baseURL"], "http://localhost:11434/v1");
        assert_eq!(entry["npm"], "@ai-sdk/openai-compatible");
        assert!(entry["models"].get("gpt-oss:20b").is_some());
        let get = |t: &str, k: &str| edit::get(t, Format::Jsonc, &[k.to_string()]).unwrap();
        assert_eq!(get(&out, "model"), Some(s("ollama/gpt-oss:20b")));
        let back = switch(&out, "anthropic");
        assert_eq!(get(&back, "model"), Some(s("anthropic/claude-sonnet-4-5")));
        assert_eq!(
            edit::get(&back, Format::Jsonc, &["provider".into(), "ollama".into()]).unwrap(),
            Some(entry),
            "other providers' entries are left alone"
        );
    }

    #[test]
    fn the_active_profile_is_recognised() {
        let all = merge(&[]).unwrap();
        let active = |t: &str| active_profile(t, &all).unwrap().map(|p| p.id.clone());
        assert_eq!(active(CONFIG).as_deref(), Some("anthropic"));
        assert_eq!(active("{}").as_deref(), Some("default"));
        assert_eq!(active(&switch(CONFIG, "ollama")).as_deref(), Some("ollama"));
        assert_eq!(active("{\"model\": \"x/y\"}"), None);
    }

    #[test]
    fn paths_follow_xdg_config_home_and_prefer_jsonc() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = HashMap::new();
        assert_eq!(
            config_path(Path::new("/h"), &env),
            Path::new("/h/.config/opencode/opencode.json")
        );
        env.insert("XDG_CONFIG_HOME".into(), dir.path().display().to_string());
        std::fs::create_dir_all(dir.path().join("opencode")).unwrap();
        std::fs::write(dir.path().join("opencode/opencode.jsonc"), "{}").unwrap();
        assert_eq!(
            config_path(Path::new("/h"), &env),
            dir.path().join("opencode/opencode.jsonc")
        );
    }
}
