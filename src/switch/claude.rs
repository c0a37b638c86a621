//! Claude Code: which keys of `settings.json` a switch owns, a profile as edits to them, and recognising the active profile.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::edit::{self, Edit, EditError, Format};
use super::profiles::{AssistantId, Profile};

/// The `env` keys a switch owns (PRODUCT.md, "Switching the local assistant").
pub const OWNED_ENV: [&str; 12] = [
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "AWS_REGION",
    "CLOUD_ML_REGION",
    "ANTHROPIC_VERTEX_PROJECT_ID",
];

/// The top-level key a switch owns besides `env`.
pub const API_KEY_HELPER: &str = "apiKeyHelper";

/// The settings file: `$CLAUDE_CONFIG_DIR/settings.json`, else `~/.claude/settings.json`.
pub fn settings_path(home: &Path, env: &HashMap<String, String>) -> PathBuf {
    match env.get("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("settings.json"),
        None => home.join(".claude").join("settings.json"),
    }
}

/// Every path a switch owns, in a stable order.
pub fn owned_paths() -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = OWNED_ENV
        .iter()
        .map(|k| vec!["env".to_string(), (*k).to_string()])
        .collect();
    v.push(vec![API_KEY_HELPER.to_string()]);
    v
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileFitError {
    #[error("profile {id} is for {other}, not Claude Code")]
    WrongAssistant { id: String, other: AssistantId },
    #[error(
        "profile {id} sets {key}, which is not a key a Claude Code switch owns (owned: {owned})"
    )]
    NotOwned {
        id: String,
        key: String,
        owned: String,
    },
}

/// The command Claude Code runs for the key, so no key is written into
/// settings.json. `program` is the weathervane binary (an absolute path, so
/// Claude Code finds it whatever its PATH).
pub fn key_helper_command(program: &str, profile_id: &str) -> String {
    if program.contains(char::is_whitespace) {
        format!("'{program}' key {profile_id}")
    } else {
        format!("{program} key {profile_id}")
    }
}

/// Is `value` our key helper for `profile_id`, wherever the binary lives?
pub fn is_key_helper_for(value: &str, profile_id: &str) -> bool {
    let Some(program) = value.strip_suffix(&format!(" key {profile_id}")) else {
        return false;
    };
    let program = program.trim_matches('\'');
    std::path::Path::new(program)
        .file_name()
        .is_some_and(|f| f.to_string_lossy().starts_with("weathervane"))
}

/// A profile as edits: every owned key gets the profile's value or is removed.
/// `program`: the weathervane binary, for profiles whose key comes from the keyring.
pub fn edits(profile: &Profile, program: &str) -> Result<Vec<Edit>, ProfileFitError> {
    if profile.assistant != AssistantId::ClaudeCode {
        return Err(ProfileFitError::WrongAssistant {
            id: profile.id.clone(),
            other: profile.assistant,
        });
    }
    if let Some(k) = profile
        .set
        .keys()
        .find(|k| !OWNED_ENV.contains(&k.as_str()))
    {
        return Err(ProfileFitError::NotOwned {
            id: profile.id.clone(),
            key: k.clone(),
            owned: OWNED_ENV.join(", "),
        });
    }
    let mut out: Vec<Edit> = OWNED_ENV
        .iter()
        .map(|k| Edit {
            path: vec!["env".into(), (*k).into()],
            value: profile.set.get(*k).map(|v| Value::String(v.clone())),
        })
        .collect();
    out.push(Edit {
        path: vec![API_KEY_HELPER.into()],
        value: profile
            .key
            .then(|| Value::String(key_helper_command(program, &profile.id))),
    });
    Ok(out)
}

/// Which profile the file's owned keys match exactly, if any. A file with
/// none of the owned keys matches the default profile.
pub fn active_profile<'a>(
    text: &str,
    profiles: &'a [Profile],
) -> Result<Option<&'a Profile>, EditError> {
    let mut current = Vec::new();
    for path in owned_paths() {
        current.push(edit::get(text, Format::Json, &path)?);
    }
    Ok(profiles
        .iter()
        .filter(|p| p.assistant == AssistantId::ClaudeCode)
        .find(|p| {
            edits(p, "weathervane").is_ok_and(|es| {
                es.iter().zip(&current).all(|(e, c)| match (&e.value, c) {
                    // The helper names the binary by its path, which may have moved.
                    (Some(Value::String(_)), Some(Value::String(now)))
                        if e.path == [API_KEY_HELPER] =>
                    {
                        is_key_helper_for(now, &p.id)
                    }
                    _ => &e.value == c,
                })
            })
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::profiles::{find, merge};

    /// A settings.json as people really have them: hooks, plugins, status line,
    /// permissions, their own env vars and keys we do not know.
    const SETTINGS: &str = r#"{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "opus",
  "env": {
    "DISABLE_TELEMETRY": "1",
    "BASH_DEFAULT_TIMEOUT_MS": "120000"
  },
  "permissions": {
    "allow": ["Bash(npm run test:*)", "Read(~/.zshrc)"],
    "deny": ["Read(./.env)"]
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [{ "type": "command", "command": "~/.claude/hooks/check.sh" }]
      }
    ]
  },
  "enabledPlugins": { "formatter@acme": true },
  "statusLine": { "type": "command", "command": "~/.claude/statusline.sh" },
  "someFutureKey": { "nested": [1, 2, 3] }
}
"#;

    fn profiles() -> Vec<Profile> {
        merge(&[]).unwrap()
    }

    fn switch(text: &str, id: &str) -> String {
        let all = profiles();
        let p = find(&all, AssistantId::ClaudeCode, id).unwrap();
        edit::apply(
            text,
            Format::Json,
            &edits(p, "/usr/local/bin/weathervane").unwrap(),
        )
        .unwrap()
    }

    fn unowned(text: &str) -> Value {
        let mut v: Value = serde_json::from_str(text).unwrap();
        let obj = v.as_object_mut().unwrap();
        obj.remove(API_KEY_HELPER);
        if let Some(env) = obj.get_mut("env").and_then(Value::as_object_mut) {
            for k in OWNED_ENV {
                env.remove(k);
            }
        }
        v
    }

    #[test]
    fn a_switch_changes_only_owned_keys() {
        let out = switch(SETTINGS, "openrouter");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["env"]["ANTHROPIC_BASE_URL"], "https://openrouter.ai/api");
        assert_eq!(v["env"]["ANTHROPIC_API_KEY"], "");
        assert_eq!(
            v[API_KEY_HELPER],
            "/usr/local/bin/weathervane key openrouter"
        );
        assert_eq!(
            unowned(&out),
            unowned(SETTINGS),
            "hooks, plugins, statusLine... untouched"
        );
        // Every original line is still there, in order.
        let mut lines = out.lines();
        for l in SETTINGS.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                lines.any(|o| o == l || o.trim_end_matches(',') == l.trim_end_matches(',')),
                "lost line {l:?} in\n{out}"
            );
        }
    }

    #[test]
    fn switching_to_the_default_removes_owned_keys_only() {
        let routed = switch(SETTINGS, "deepseek");
        let back = switch(&routed, "anthropic");
        let v: Value = serde_json::from_str(&back).unwrap();
        assert!(v.get(API_KEY_HELPER).is_none());
        assert!(v["env"].get("ANTHROPIC_BASE_URL").is_none());
        assert_eq!(v["env"]["DISABLE_TELEMETRY"], "1");
        assert_eq!(unowned(&back), unowned(SETTINGS));
    }

    #[test]
    fn the_active_profile_is_recognised_from_the_file() {
        let all = profiles();
        let active = |t: &str| active_profile(t, &all).unwrap().map(|p| p.id.clone());
        assert_eq!(active(SETTINGS).as_deref(), Some("anthropic"));
        assert_eq!(
            active(&switch(SETTINGS, "bedrock")).as_deref(),
            Some("bedrock")
        );
        assert_eq!(
            active(&switch(SETTINGS, "openrouter")).as_deref(),
            Some("openrouter")
        );
        // Hand-edited to something no profile describes: none.
        let custom = edit::apply(
            SETTINGS,
            Format::Json,
            &[Edit {
                path: vec!["env".into(), "ANTHROPIC_BASE_URL".into()],
                value: Some("https://my-proxy.example".into()),
            }],
        )
        .unwrap();
        assert_eq!(active(&custom), None);
        assert_eq!(
            active("").as_deref(),
            Some("anthropic"),
            "no file yet: the default"
        );
    }

    #[test]
    fn profiles_of_other_assistants_or_keys_are_refused() {
        let all = profiles();
        let codex = find(&all, AssistantId::Codex, "openrouter").unwrap();
        assert!(matches!(
            edits(codex, "weathervane"),
            Err(ProfileFitError::WrongAssistant { .. })
        ));
        let mut bad = find(&all, AssistantId::ClaudeCode, "bedrock")
            .unwrap()
            .clone();
        bad.set.insert("hooks".into(), "x".into());
        let e = edits(&bad, "weathervane").unwrap_err();
        assert!(e.to_string().contains("hooks"), "{e}");
    }

    #[test]
    fn key_helper_is_recognised_wherever_the_binary_lives() {
        assert!(is_key_helper_for("/usr/bin/weathervane key glm", "glm"));
        assert!(is_key_helper_for(
            "'/home/me/my apps/weathervane' key glm",
            "glm"
        ));
        assert!(is_key_helper_for("weathervane key glm", "glm"));
        assert!(!is_key_helper_for("weathervane key glm", "kimi"));
        assert!(!is_key_helper_for("/usr/bin/other key glm", "glm"));
        assert_eq!(
            key_helper_command("/a b/weathervane", "glm"),
            "'/a b/weathervane' key glm"
        );
    }

    #[test]
    fn paths_follow_claude_config_dir() {
        let home = Path::new("/home/me");
        let mut env = HashMap::new();
        assert_eq!(
            settings_path(home, &env),
            Path::new("/home/me/.claude/settings.json")
        );
        env.insert("CLAUDE_CONFIG_DIR".into(), "/cfg/claude".into());
        assert_eq!(
            settings_path(home, &env),
            Path::new("/cfg/claude/settings.json")
        );
    }
}
