//! Gemini CLI: which keys of `settings.json` and `.env` a switch owns, a profile as edits to them, and recognising the active profile.
//!
//! Gemini CLI keeps its user settings in `<home>/.gemini/settings.json` (JSON
//! with comments) and reads credentials from the environment, topped up from a
//! `.env` file; `<home>` is `$GEMINI_CLI_HOME` when set, else the user's home
//! (gemini-cli `packages/core/src/utils/paths.ts` `homedir()`, and
//! `Storage.getGlobalGeminiDir()`). A switch owns, in settings.json,
//! `security.auth.selectedType` and `model.name`; in `.env`, GEMINI_API_KEY,
//! GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION.
//!
//! How Gemini CLI reads them (gemini-cli `packages/cli/src/config/settings.ts`):
//! - with no `selectedType` it opens its sign-in dialog on every start, so the
//!   default profile (`google`, login with Google) sets `oauth-personal`
//!   rather than owning nothing;
//! - it loads ONE `.env`: the first `.gemini/.env` or `.env` found walking up
//!   from the working directory, `~/.gemini/.env` only when none is found;
//! - a variable already in the environment is never overridden by `.env`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::edit::{self, Edit, EditError, Format};
use super::profiles::{AssistantId, Profile};

/// The `.env` variables a switch owns.
pub const OWNED_ENV: [&str; 4] = [
    "GEMINI_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
];

/// The variable the profile's key (from our keyring) is written to.
pub const API_KEY_VAR: &str = "GEMINI_API_KEY";

/// settings.json paths a switch owns: the auth type and the model.
pub const SELECTED_TYPE: [&str; 3] = ["security", "auth", "selectedType"];
pub const MODEL_NAME: [&str; 2] = ["model", "name"];

/// `set` keys a Gemini profile may use: `selectedType`, `model` and the
/// non-secret owned variables.
const SET_KEYS: [&str; 5] = [
    "selectedType",
    "model",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
];

/// Gemini CLI's folder: `$GEMINI_CLI_HOME/.gemini`, else `~/.gemini`.
pub fn dir(home: &Path, env: &HashMap<String, String>) -> PathBuf {
    match env.get("GEMINI_CLI_HOME").filter(|d| !d.is_empty()) {
        Some(h) => PathBuf::from(h).join(".gemini"),
        None => home.join(".gemini"),
    }
}

pub fn settings_path(home: &Path, env: &HashMap<String, String>) -> PathBuf {
    dir(home, env).join("settings.json")
}

pub fn env_path(home: &Path, env: &HashMap<String, String>) -> PathBuf {
    dir(home, env).join(".env")
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileFitError {
    #[error("profile {id} is for {other}, not Gemini CLI")]
    WrongAssistant { id: String, other: AssistantId },
    #[error(
        "profile {id} sets {key}, which a Gemini CLI switch does not own (owned: {})",
        SET_KEYS.join(", ")
    )]
    NotOwned { id: String, key: String },
    #[error(
        "profile {id} needs selectedType (oauth-personal, gemini-api-key or vertex-ai) to switch Gemini CLI"
    )]
    MissingType { id: String },
    #[error("profile {id} needs its API key")]
    MissingKey { id: String },
}

/// A profile as edits: `(settings.json edits, .env edits)`. Every owned key
/// gets the profile's value or is removed, except that an empty value in
/// `set` leaves the key as it is (no edit): the `vertex` preset uses that so a
/// GOOGLE_CLOUD_PROJECT already in .env (Workspace users need one for Google
/// login too) is kept. `api_key`: the profile's key from the keyring, for
/// profiles with `key = true`.
pub fn edits(
    profile: &Profile,
    api_key: Option<&str>,
) -> Result<(Vec<Edit>, Vec<Edit>), ProfileFitError> {
    if profile.assistant != AssistantId::Gemini {
        return Err(ProfileFitError::WrongAssistant {
            id: profile.id.clone(),
            other: profile.assistant,
        });
    }
    if let Some(k) = profile.set.keys().find(|k| !SET_KEYS.contains(&k.as_str())) {
        return Err(ProfileFitError::NotOwned {
            id: profile.id.clone(),
            key: k.clone(),
        });
    }
    // None: leave the key alone; Some(None): remove it; Some(Some(v)): set it.
    let value = |k: &str| match profile.set.get(k) {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(Some(Value::String(v.clone()))),
        None => Some(None),
    };
    let Some(Some(selected)) = value("selectedType") else {
        return Err(ProfileFitError::MissingType {
            id: profile.id.clone(),
        });
    };
    let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut settings = vec![Edit {
        path: path(&SELECTED_TYPE),
        value: Some(selected),
    }];
    if let Some(v) = value("model") {
        settings.push(Edit {
            path: path(&MODEL_NAME),
            value: v,
        });
    }
    let key = if profile.key {
        let k = api_key
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ProfileFitError::MissingKey {
                id: profile.id.clone(),
            })?;
        Some(Value::String(k.to_string()))
    } else {
        None
    };
    let mut env = vec![Edit {
        path: vec![API_KEY_VAR.into()],
        value: key,
    }];
    for var in &OWNED_ENV[1..] {
        if let Some(v) = value(var) {
            env.push(Edit {
                path: vec![(*var).into()],
                value: v,
            });
        }
    }
    Ok((settings, env))
}

/// The active profile, recognised by `security.auth.selectedType` (absent:
/// the default). When several profiles share that type, the one whose model
/// and `.env` variables match exactly wins, else the first. `env_text`: the
/// `.env` file when known (the API key is compared only for being there).
pub fn active_profile<'a>(
    settings_text: &str,
    env_text: Option<&str>,
    profiles: &'a [Profile],
) -> Result<Option<&'a Profile>, EditError> {
    let selected = edit::get(
        settings_text,
        Format::Jsonc,
        &SELECTED_TYPE.map(str::to_string),
    )?;
    if let Some(t) = env_text {
        edit::get(t, Format::Dotenv, &[])?;
    }
    let candidates: Vec<&Profile> = profiles
        .iter()
        .filter(|p| p.assistant == AssistantId::Gemini)
        .filter(|p| match &selected {
            None => p.default,
            Some(Value::String(s)) => p.set.get("selectedType") == Some(s),
            Some(_) => false,
        })
        .collect();
    let matches = |text: &str, format: Format, e: &Edit| {
        let have = edit::get(text, format, &e.path).ok().flatten();
        if e.path == [API_KEY_VAR] {
            e.value.is_some() == have.is_some()
        } else {
            e.value == have
        }
    };
    let exact = candidates.iter().copied().find(|p| {
        let Ok((s, e)) = edits(p, Some("key")) else {
            return false;
        };
        s.iter().all(|x| matches(settings_text, Format::Jsonc, x))
            && env_text.is_none_or(|t| e.iter().all(|x| matches(t, Format::Dotenv, x)))
    });
    Ok(exact.or_else(|| candidates.first().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::profiles::{find, merge};
    use serde_json::json;

    const SETTINGS: &str = r#"{
  // Gemini CLI settings
  "ui": { "theme": "GitHub" },
  "security": {
    "auth": { "selectedType": "oauth-personal" }, // set by /auth
  },
  "mcpServers": { "github": { "command": "npx", "args": ["-y", "server-github"] } },
  "someFutureKey": [1, 2],
}
"#;

    fn switch(settings: &str, env: &str, id: &str) -> (String, String) {
        let all = merge(&[]).unwrap();
        let p = find(&all, AssistantId::Gemini, id).unwrap();
        let (s, e) = edits(p, Some("AIza-test")).unwrap();
        (
            edit::apply(settings, Format::Jsonc, &s).unwrap(),
            edit::apply(env, Format::Dotenv, &e).unwrap(),
        )
    }

    #[test]
    fn vertex_sets_the_type_and_the_variables_only() {
        let (s, e) = switch(SETTINGS, "# mine\nDEBUG=1\n", "vertex");
        assert!(s.contains("// Gemini CLI settings") && s.contains("// set by /auth"));
        assert!(s.contains("\"mcpServers\": { \"github\""), "{s}");
        assert_eq!(
            edit::get(
                &s,
                Format::Jsonc,
                &["security".into(), "auth".into(), "selectedType".into()]
            )
            .unwrap(),
            Some(json!("vertex-ai"))
        );
        assert!(e.starts_with("# mine\nDEBUG=1\n"), "{e}");
        assert!(e.contains("GOOGLE_GENAI_USE_VERTEXAI=true\n"), "{e}");
        assert!(e.contains("GOOGLE_CLOUD_LOCATION="), "{e}");
        assert!(!e.contains("GEMINI_API_KEY"), "{e}");
        // The preset leaves a project already there alone; google removes it.
        let (_, e) = switch(SETTINGS, "GOOGLE_CLOUD_PROJECT=mine\n", "vertex");
        assert!(e.starts_with("GOOGLE_CLOUD_PROJECT=mine\n"), "{e}");
        let (_, e) = switch(SETTINGS, &e, "google");
        assert_eq!(e, "");
    }

    #[test]
    fn the_api_key_profile_writes_the_key_and_google_removes_it() {
        let (s, e) = switch(SETTINGS, "", "gemini-api-key");
        assert_eq!(e, "GEMINI_API_KEY=AIza-test\n");
        let (s2, e2) = switch(&s, &e, "google");
        assert_eq!(e2, "");
        assert_eq!(s2, SETTINGS, "oauth-personal is what it was");
        let all = merge(&[]).unwrap();
        let p = find(&all, AssistantId::Gemini, "gemini-api-key").unwrap();
        assert!(matches!(
            edits(p, None),
            Err(ProfileFitError::MissingKey { .. })
        ));
    }

    #[test]
    fn the_active_profile_is_recognised() {
        let all = merge(&[]).unwrap();
        let active =
            |s: &str, e: Option<&str>| active_profile(s, e, &all).unwrap().map(|p| p.id.clone());
        assert_eq!(active(SETTINGS, None).as_deref(), Some("google"));
        assert_eq!(active("{}", Some("")).as_deref(), Some("google"));
        let (s, e) = switch(SETTINGS, "", "vertex");
        assert_eq!(active(&s, Some(&e)).as_deref(), Some("vertex"));
        assert_eq!(active(&s, None).as_deref(), Some("vertex"));
        let (s, e) = switch(SETTINGS, "", "gemini-api-key");
        assert_eq!(active(&s, Some(&e)).as_deref(), Some("gemini-api-key"));
        assert_eq!(
            active(r#"{"security":{"auth":{"selectedType":"gateway"}}}"#, None),
            None
        );
    }

    #[test]
    fn paths_follow_gemini_cli_home() {
        let mut env = HashMap::new();
        assert_eq!(
            settings_path(Path::new("/h"), &env),
            Path::new("/h/.gemini/settings.json")
        );
        env.insert("GEMINI_CLI_HOME".into(), "/x".into());
        assert_eq!(
            settings_path(Path::new("/h"), &env),
            Path::new("/x/.gemini/settings.json")
        );
        assert_eq!(
            env_path(Path::new("/h"), &env),
            Path::new("/x/.gemini/.env")
        );
    }
}
