//! Plan, apply, switch back and restore: the safety rules around every write to an assistant's file.
//!
//! The order of a write is always: take our lock, re-read the file, re-plan if
//! the assistant changed it since the plan, back the file up, write it
//! atomically (which checks once more that nobody wrote in between), then
//! record what changed. Switching back restores the exact previous bytes when
//! nobody else touched the file since our write, and otherwise restores only
//! the keys we changed, from the backup.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

use super::edit::{self, Edit, EditError, Format};
use super::fs::{self, FileState, FsError};
use super::keys::{KeyError, Keyring, OsKeyring};
use super::profiles::{AssistantId, Profile, find};
use super::{claude, codex, opencode};
use crate::store::{Store, StoreError, SwitchRecord};

/// Backups kept per file.
pub const KEEP_BACKUPS: usize = 10;
/// How long a switch waits for another Weathervane process's switch to finish.
pub const LOCK_WAIT: Duration = Duration::from_secs(5);
/// Attempts when the assistant keeps rewriting the file under us.
const ATTEMPTS: usize = 3;

/// Where things are: HOME, the environment (for CLAUDE_CONFIG_DIR, CODEX_HOME...),
/// our data dir and the keyring. Passed in, so tests point everything at a temp dir.
#[derive(Clone)]
pub struct Context {
    pub home: PathBuf,
    pub env: HashMap<String, String>,
    pub data_dir: PathBuf,
    /// Claude Code's managed (enterprise) settings file, which outranks the user's.
    pub claude_managed_settings: PathBuf,
    /// Where profile keys live (the OS keyring outside tests).
    pub keyring: Arc<dyn Keyring>,
    /// How an assistant runs us for a key (`apiKeyHelper`): our binary's path.
    pub program: String,
    /// Project folders whose own `.claude/settings*.json` may outrank a switch.
    pub project_dirs: Vec<PathBuf>,
}

impl Context {
    /// From this process's environment.
    pub fn from_process(data_dir: PathBuf) -> Option<Context> {
        let home = directories::BaseDirs::new()?.home_dir().to_path_buf();
        let managed = if cfg!(target_os = "macos") {
            PathBuf::from("/Library/Application Support/ClaudeCode/managed-settings.json")
        } else if cfg!(windows) {
            PathBuf::from(r"C:\ProgramData\ClaudeCode\managed-settings.json")
        } else {
            PathBuf::from("/etc/claude-code/managed-settings.json")
        };
        let program = std::env::current_exe()
            .ok()
            .and_then(|p| p.to_str().map(str::to_string))
            .unwrap_or_else(|| "weathervane".to_string());
        Some(Context {
            home,
            env: std::env::vars().collect(),
            data_dir,
            claude_managed_settings: managed,
            keyring: Arc::new(OsKeyring),
            program,
            project_dirs: Vec::new(),
        })
    }

    pub fn backups_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    #[error("{0} cannot be switched by this version of Weathervane yet")]
    Unsupported(AssistantId),
    #[error("no profile {id:?} for {assistant}; known: {known}")]
    UnknownProfile {
        assistant: AssistantId,
        id: String,
        known: String,
    },
    #[error("{0}")]
    Profile(String),
    #[error("profile {profile} needs an API key: {source}")]
    Key { profile: String, source: KeyError },
    #[error("{path} cannot be edited safely, so nothing was written: {source}")]
    Unparseable { path: PathBuf, source: EditError },
    #[error("{path} is not UTF-8 text, so nothing was written")]
    NotText { path: PathBuf },
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "{path} kept changing while we tried to write it ({attempts} attempts); nothing was written"
    )]
    KeptChanging { path: PathBuf, attempts: usize },
    #[error("{0} has no switch to undo")]
    NothingToUndo(AssistantId),
    #[error(
        "the backup {path} does not hold what the switch history says it should; restore it by hand if you are sure"
    )]
    BackupMismatch { path: PathBuf },
    #[error("no backup named {name:?} for {assistant}; see `weathervane backups {assistant}`")]
    NoSuchBackup {
        assistant: AssistantId,
        name: String,
    },
}

/// The file a switch edits for an assistant, its format and backup label.
pub fn target(
    ctx: &Context,
    a: AssistantId,
) -> Result<(PathBuf, Format, &'static str), SwitchError> {
    match a {
        AssistantId::ClaudeCode => Ok((
            claude::settings_path(&ctx.home, &ctx.env),
            Format::Json,
            "claude-code-settings.json",
        )),
        AssistantId::Codex => Ok((
            codex::config_path(&ctx.home, &ctx.env),
            Format::Toml,
            "codex-config.toml",
        )),
        AssistantId::Opencode => Ok((
            opencode::config_path(&ctx.home, &ctx.env),
            Format::Jsonc,
            "opencode-config.json",
        )),
        AssistantId::Gemini => Err(SwitchError::Unsupported(a)),
    }
}

fn edits_for(ctx: &Context, profile: &Profile) -> Result<Vec<Edit>, SwitchError> {
    match profile.assistant {
        AssistantId::ClaudeCode => {
            claude::edits(profile, &ctx.program).map_err(|e| SwitchError::Profile(e.to_string()))
        }
        AssistantId::Codex => {
            codex::edits(profile).map_err(|e| SwitchError::Profile(e.to_string()))
        }
        AssistantId::Opencode => {
            opencode::edits(profile).map_err(|e| SwitchError::Profile(e.to_string()))
        }
        a => Err(SwitchError::Unsupported(a)),
    }
}

/// The profile the file's content matches, if any.
pub fn active<'a>(
    a: AssistantId,
    text: &str,
    profiles: &'a [Profile],
) -> Result<Option<&'a Profile>, EditError> {
    match a {
        AssistantId::ClaudeCode => claude::active_profile(text, profiles),
        AssistantId::Codex => codex::active_profile(text, profiles),
        AssistantId::Opencode => opencode::active_profile(text, profiles),
        _ => Ok(None),
    }
}

fn text_of(state: &FileState) -> Result<String, SwitchError> {
    match &state.content {
        None => Ok(String::new()),
        Some(b) => String::from_utf8(b.clone()).map_err(|_| SwitchError::NotText {
            path: state.path.clone(),
        }),
    }
}

/// Key paths are stored dotted; no owned key segment contains a dot.
fn dotted(path: &[String]) -> String {
    path.join(".")
}

fn undotted(s: &str) -> Vec<String> {
    s.split('.').map(str::to_string).collect()
}

/// One owned key a write changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyChange {
    pub key: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// What a switch would do, shown before it is done.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub assistant: AssistantId,
    pub profile: String,
    /// The profile the file matches now (None: hand-edited to something else).
    pub from: Option<String>,
    pub path: PathBuf,
    #[serde(skip)]
    pub basis: FileState,
    #[serde(skip)]
    pub new_text: String,
    pub changes: Vec<KeyChange>,
    pub warnings: Vec<String>,
}

fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    !k.ends_with("APIKEYHELPER")
        && (k.contains("TOKEN") || k.contains("KEY") || k.contains("SECRET"))
}

fn show(key: &str, v: &Option<Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(Value::String(s)) if s.is_empty() => "\"\"".into(),
        Some(_) if looks_secret(key) => "•••••• (hidden)".into(),
        Some(v) => v.to_string(),
    }
}

impl Plan {
    /// A readable key-by-key diff; values of keys that look like secrets are hidden.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for c in &self.changes {
            let line = match (&c.before, &c.after) {
                (None, Some(_)) => format!("+ {} = {}\n", c.key, show(&c.key, &c.after)),
                (Some(_), None) => format!("- {} (was {})\n", c.key, show(&c.key, &c.before)),
                _ => format!(
                    "~ {}: {} -> {}\n",
                    c.key,
                    show(&c.key, &c.before),
                    show(&c.key, &c.after)
                ),
            };
            out.push_str(&line);
        }
        out
    }

    pub fn is_noop(&self) -> bool {
        self.changes.is_empty()
    }
}

fn warnings(ctx: &Context, a: AssistantId, profile: &Profile) -> Vec<String> {
    let mut w = Vec::new();
    match a {
        AssistantId::ClaudeCode => {
            for k in claude::OWNED_ENV {
                if ctx.env.get(k).is_some_and(|v| !v.is_empty()) {
                    w.push(format!(
                        "{k} is exported in your shell environment; Claude Code gives it precedence over settings.json"
                    ));
                }
            }
            if let Ok(text) = std::fs::read_to_string(&ctx.claude_managed_settings)
                && edit::get(&text, Format::Json, &["env".to_string()])
                    .ok()
                    .flatten()
                    .is_some()
            {
                w.push(format!(
                    "managed settings at {} set env values that outrank your own settings",
                    ctx.claude_managed_settings.display()
                ));
            }
            for f in ctx.project_dirs.iter().flat_map(|d| {
                ["settings.json", "settings.local.json"].map(|n| d.join(".claude").join(n))
            }) {
                let Ok(text) = std::fs::read_to_string(&f) else {
                    continue;
                };
                let env_path = |k: &str| ["env".to_string(), k.to_string()];
                let set: Vec<&str> = claude::OWNED_ENV
                    .into_iter()
                    .filter(|k| matches!(edit::get(&text, Format::Json, &env_path(k)), Ok(Some(_))))
                    .collect();
                if !set.is_empty() {
                    w.push(format!(
                        "{} sets {} for that project, which outranks your user settings there",
                        f.display(),
                        set.join(", ")
                    ));
                }
            }
            w.push(
                "running Claude Code sessions and IDE extensions pick the change up when restarted"
                    .into(),
            );
        }
        AssistantId::Codex => {
            if let Some(var) = &profile.key_env
                && !ctx.env.contains_key(var)
            {
                w.push(format!(
                    "Codex reads this provider's key from ${var}, which is not set in this environment"
                ));
            }
            w.push("running Codex sessions pick the change up when restarted".into());
        }
        AssistantId::Opencode => {
            if let Some(var) = &profile.key_env
                && !ctx.env.contains_key(var)
            {
                w.push(format!(
                    "opencode reads this provider's key from ${var}, which is not set in this environment"
                ));
            }
            if let Some(custom) = ctx.env.get("OPENCODE_CONFIG").filter(|v| !v.is_empty()) {
                w.push(format!(
                    "OPENCODE_CONFIG points at {custom}, which outranks the global config this switch edits"
                ));
            }
            w.push("running opencode sessions pick the change up when restarted".into());
        }
        AssistantId::Gemini => {}
    }
    w
}

fn plan_from(
    ctx: &Context,
    profiles: &[Profile],
    profile: &Profile,
    basis: FileState,
    format: Format,
) -> Result<Plan, SwitchError> {
    let text = text_of(&basis)?;
    let unparseable = |source| SwitchError::Unparseable {
        path: basis.path.clone(),
        source,
    };
    let from = active(profile.assistant, &text, profiles)
        .map_err(unparseable)?
        .map(|p| p.id.clone());
    let edits = edits_for(ctx, profile)?;
    let mut changes = Vec::new();
    for e in &edits {
        let before = edit::get(&text, format, &e.path).map_err(unparseable)?;
        if before != e.value {
            changes.push(KeyChange {
                key: dotted(&e.path),
                before,
                after: e.value.clone(),
            });
        }
    }
    let new_text = if changes.is_empty() {
        text
    } else {
        edit::apply(&text, format, &edits).map_err(unparseable)?
    };
    Ok(Plan {
        assistant: profile.assistant,
        profile: profile.id.clone(),
        from,
        path: basis.path.clone(),
        basis,
        new_text,
        changes,
        warnings: warnings(ctx, profile.assistant, profile),
    })
}

fn profile<'a>(
    ctx: &Context,
    profiles: &'a [Profile],
    a: AssistantId,
    id: &str,
) -> Result<&'a Profile, SwitchError> {
    let p = find(profiles, a, id).ok_or_else(|| SwitchError::UnknownProfile {
        assistant: a,
        id: id.to_string(),
        known: profiles
            .iter()
            .filter(|p| p.assistant == a)
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    // Claude Code will ask us for the key on every start: make sure we have it
    // before pointing it at a provider it cannot authenticate with.
    if p.key && a == AssistantId::ClaudeCode {
        ctx.keyring.get(&p.id).map_err(|source| SwitchError::Key {
            profile: p.id.clone(),
            source,
        })?;
    }
    Ok(p)
}

/// What switching `a` to profile `id` would change. Reads, never writes.
pub fn plan(
    ctx: &Context,
    profiles: &[Profile],
    a: AssistantId,
    id: &str,
) -> Result<Plan, SwitchError> {
    let (path, format, _) = target(ctx, a)?;
    let p = profile(ctx, profiles, a, id)?;
    plan_from(ctx, profiles, p, fs::read_state(&path)?, format)
}

/// The result of a write.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub plan: Plan,
    pub backup: Option<PathBuf>,
    pub record: Option<SwitchRecord>,
}

/// Switch `a` to profile `id`: plan on the current file, back it up, write atomically, record.
pub fn switch(
    ctx: &Context,
    store: &mut Store,
    profiles: &[Profile],
    a: AssistantId,
    id: &str,
) -> Result<Applied, SwitchError> {
    let (path, format, label) = target(ctx, a)?;
    let p = profile(ctx, profiles, a, id)?;
    let _lock = fs::lock(&ctx.data_dir, LOCK_WAIT)?;
    settle(store, a, &path)?;
    for _ in 0..ATTEMPTS {
        let plan = plan_from(ctx, profiles, p, fs::read_state(&path)?, format)?;
        if plan.is_noop() {
            return Ok(Applied {
                plan,
                backup: None,
                record: None,
            });
        }
        let backup = match plan.basis.content {
            Some(_) => Some(fs::backup(
                &plan.basis,
                &ctx.backups_dir(),
                label,
                KEEP_BACKUPS,
            )?),
            None => None,
        };
        let rec = SwitchRecord {
            key: 0,
            at: Utc::now(),
            assistant: a.as_str().into(),
            action: "switch".into(),
            from_profile: plan.from.clone(),
            to_profile: Some(plan.profile.clone()),
            file: plan.basis.target.display().to_string(),
            keys: plan.changes.iter().map(|c| c.key.clone()).collect(),
            backup: backup.as_ref().map(|b| b.display().to_string()),
            hash_before: plan.basis.hash.clone(),
            hash_after: fs::hash_bytes(plan.new_text.as_bytes()),
            reverted_by: None,
        };
        // Switching to the default is a way back too: it closes the open switch,
        // so the history shows one open switch at most.
        let reverts = store
            .open_switch(a.as_str())?
            .map(|r| r.key)
            .filter(|_| p.default);
        let secret = holds_secret(&plan.new_text, format);
        let written = intent(store, &rec, reverts, || {
            fs::write_atomic(&plan.basis, plan.new_text.as_bytes(), secret).map(|_| ())
        })?;
        match written {
            Some(key) => {
                return Ok(Applied {
                    plan,
                    backup,
                    record: Some(SwitchRecord { key, ..rec }),
                });
            }
            None => continue,
        }
    }
    Err(SwitchError::KeptChanging {
        path,
        attempts: ATTEMPTS,
    })
}

/// Settle what a process killed mid-switch left in the history, by the file's hash now.
fn settle(store: &mut Store, a: AssistantId, path: &Path) -> Result<(), SwitchError> {
    let now = fs::read_state(path)?;
    store.resolve_pending(a.as_str(), &now.hash)?;
    Ok(())
}

/// Record `rec` as an intent, run the write, then confirm or drop the intent.
/// A kill between the two steps is settled by [`settle`] next time: the history
/// never disagrees with the file. `Ok(None)`: the file changed under us (retry).
fn intent(
    store: &mut Store,
    rec: &SwitchRecord,
    reverts: Option<i64>,
    write: impl FnOnce() -> Result<(), FsError>,
) -> Result<Option<i64>, SwitchError> {
    let key = store.record_switch(rec, reverts)?;
    match write() {
        Ok(()) => {
            store.complete_switch(key)?;
            Ok(Some(key))
        }
        Err(FsError::Conflict { .. }) => {
            store.discard_switch(key)?;
            Ok(None)
        }
        Err(e) => {
            store.discard_switch(key)?;
            Err(e.into())
        }
    }
}

/// Does the file hold a secret (then it must be 0600)?
fn holds_secret(text: &str, format: Format) -> bool {
    if format != Format::Json {
        return false;
    }
    ["ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"]
        .iter()
        .any(|k| {
            matches!(
                edit::get(text, format, &["env".to_string(), (*k).to_string()]),
                Ok(Some(Value::String(s))) if !s.is_empty() && s != "ollama"
            )
        })
}

/// Undo the newest open switch of `a`: the exact previous bytes when nobody
/// touched the file since, else only the keys it changed, from the backup.
pub fn back(ctx: &Context, store: &mut Store, a: AssistantId) -> Result<Applied, SwitchError> {
    let (target_path, format, label) = target(ctx, a)?;
    let _lock = fs::lock(&ctx.data_dir, LOCK_WAIT)?;
    settle(store, a, &target_path)?;
    let rec = store
        .open_switch(a.as_str())?
        .ok_or(SwitchError::NothingToUndo(a))?;
    let path = PathBuf::from(&rec.file);
    let previous = match &rec.backup {
        Some(b) => {
            let bytes = std::fs::read(b).map_err(|source| FsError::Io {
                op: "reading the backup",
                path: PathBuf::from(b),
                source,
            })?;
            if fs::hash_bytes(&bytes) != rec.hash_before {
                return Err(SwitchError::BackupMismatch {
                    path: PathBuf::from(b),
                });
            }
            Some(bytes)
        }
        None => None,
    };
    for _ in 0..ATTEMPTS {
        let now = fs::read_state(&path)?;
        let untouched = now.hash == rec.hash_after;
        // What the file will be: the exact bytes from before the switch when
        // nobody touched it since, else the current file with our keys put back.
        let new_bytes: Option<Vec<u8>> = if untouched {
            previous.clone()
        } else {
            let prev_text = match &previous {
                Some(b) => String::from_utf8(b.clone())
                    .map_err(|_| SwitchError::NotText { path: path.clone() })?,
                None => String::new(),
            };
            let unparseable = |source| SwitchError::Unparseable {
                path: path.clone(),
                source,
            };
            let mut edits = Vec::new();
            for key in &rec.keys {
                let p = undotted(key);
                let value = edit::get(&prev_text, format, &p).map_err(unparseable)?;
                edits.push(Edit { path: p, value });
            }
            let new_text = edit::apply(&text_of(&now)?, format, &edits).map_err(unparseable)?;
            if now.content.is_some() {
                fs::backup(&now, &ctx.backups_dir(), label, KEEP_BACKUPS)?;
            }
            Some(new_text.into_bytes())
        };
        let out = SwitchRecord {
            key: 0,
            at: Utc::now(),
            assistant: a.as_str().into(),
            action: "back".into(),
            from_profile: rec.to_profile.clone(),
            to_profile: rec.from_profile.clone(),
            file: rec.file.clone(),
            keys: rec.keys.clone(),
            backup: None,
            hash_before: now.hash.clone(),
            hash_after: new_bytes
                .as_deref()
                .map_or_else(|| "absent".to_string(), fs::hash_bytes),
            reverted_by: None,
        };
        let written = intent(store, &out, Some(rec.key), || match &new_bytes {
            Some(bytes) => {
                let secret = std::str::from_utf8(bytes).is_ok_and(|t| holds_secret(t, format));
                fs::write_atomic(&now, bytes, secret).map(|_| ())
            }
            // The file did not exist before the switch: remove it again.
            None => fs::remove_checked(&now),
        })?;
        let Some(key) = written else { continue };
        let plan = Plan {
            assistant: a,
            profile: rec.from_profile.clone().unwrap_or_default(),
            from: rec.to_profile.clone(),
            path: path.clone(),
            basis: now,
            new_text: new_bytes
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default(),
            changes: vec![],
            warnings: vec![if untouched {
                "restored the file exactly as it was before the switch".into()
            } else {
                "the file was changed since the switch: restored only the keys the switch changed"
                    .into()
            }],
        };
        return Ok(Applied {
            plan,
            backup: None,
            record: Some(SwitchRecord { key, ..out }),
        });
    }
    Err(SwitchError::KeptChanging {
        path,
        attempts: ATTEMPTS,
    })
}

/// Backups of the assistant's file, newest first.
pub fn backups(ctx: &Context, a: AssistantId) -> Result<Vec<fs::Backup>, SwitchError> {
    let (_, _, label) = target(ctx, a)?;
    Ok(fs::list_backups(&ctx.backups_dir(), label)?)
}

/// Put a backup back in place (after backing up what is there now).
pub fn restore(
    ctx: &Context,
    store: &mut Store,
    a: AssistantId,
    name: &str,
) -> Result<PathBuf, SwitchError> {
    let (path, _, label) = target(ctx, a)?;
    let chosen = backups(ctx, a)?
        .into_iter()
        .find(|b| {
            b.path
                .file_name()
                .is_some_and(|f| f.to_string_lossy() == name)
                || b.path == Path::new(name)
        })
        .ok_or_else(|| SwitchError::NoSuchBackup {
            assistant: a,
            name: name.to_string(),
        })?;
    let bytes = std::fs::read(&chosen.path).map_err(|source| FsError::Io {
        op: "reading the backup",
        path: chosen.path.clone(),
        source,
    })?;
    let _lock = fs::lock(&ctx.data_dir, LOCK_WAIT)?;
    settle(store, a, &path)?;
    let now = fs::read_state(&path)?;
    let safety = match now.content {
        Some(_) => Some(fs::backup(&now, &ctx.backups_dir(), label, KEEP_BACKUPS)?),
        None => None,
    };
    let rec = SwitchRecord {
        key: 0,
        at: Utc::now(),
        assistant: a.as_str().into(),
        action: "restore".into(),
        from_profile: None,
        to_profile: None,
        file: now.target.display().to_string(),
        keys: vec![],
        backup: safety.as_ref().map(|b| b.display().to_string()),
        hash_before: now.hash.clone(),
        hash_after: fs::hash_bytes(&bytes),
        reverted_by: None,
    };
    let written = intent(store, &rec, None, || {
        fs::write_atomic(&now, &bytes, false).map(|_| ())
    })?;
    if written.is_none() {
        return Err(FsError::Conflict { path }.into());
    }
    Ok(chosen.path)
}
