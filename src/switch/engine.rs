//! Plan, apply, switch back and restore: the safety rules around every write to an assistant's files.
//!
//! The order of a write is always: take our lock, re-read the files, re-plan if
//! the assistant changed them since the plan, back each file up, write them
//! atomically (which checks once more that nobody wrote in between), then
//! record what changed. Switching back restores the exact previous bytes of a
//! file when nobody else touched it since our write, and otherwise restores
//! only the keys we changed in it, from its backup.
//!
//! # Several files per switch
//!
//! An assistant may keep its settings in more than one file (Gemini CLI:
//! `settings.json` and `.env`); [`targets`] lists them, the primary one first.
//! A plan has one [`FilePlan`] per file; only files with changes are backed up,
//! written and recorded. Every file gets every rule on its own (re-read,
//! backup, atomic write through symlinks keeping the mode, 0600 when it holds
//! a secret), under one lock held for the whole switch.
//!
//! Files cannot be renamed into place together, so the intent log carries the
//! all-or-nothing: one history event with one row per file (hashes before and
//! after, backup), written as pending before the first file. Then:
//! - all files written: the event counts;
//! - a conflict on the first file written: nothing was written, the intent is
//!   dropped and the switch re-planned (as with one file);
//! - a failure or a kill after some files were written: the event is settled
//!   by the files' hashes, at once or by the next run under the lock
//!   ([`settle`]): it counts for the files that hold their new content, and
//!   only for them. So `back` always has something exact to undo, and undoing
//!   restores those files while the others never changed.
//!
//! A switch writes the files last to first, so the primary file (the one that
//! selects the mode: Gemini CLI's auth type) lands last and a half-done switch
//! leaves the assistant on its old mode; `back` restores first to last, for
//! the same reason. A `back` that gets only part way does not close the switch
//! it undoes: the next `back` finishes it (restoring a file already restored
//! changes nothing).

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
use super::{claude, codex, gemini, opencode};
use crate::store::{Store, StoreError, SwitchFile, SwitchRecord};

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
    /// Project folders whose own `.claude/settings*.json`, `.gemini/settings.json`
    /// or `.env` may outrank a switch.
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
    #[error(
        "{} written, then {source}; `weathervane switch {assistant} --back` undoes what was written",
        written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" and ")
    )]
    Partial {
        assistant: AssistantId,
        written: Vec<PathBuf>,
        source: FsError,
    },
    #[error("{0} has no switch to undo")]
    NothingToUndo(AssistantId),
    #[error(
        "the backup {path} does not hold what the switch history says it should; restore it by hand if you are sure"
    )]
    BackupMismatch { path: PathBuf },
    #[error(
        "the backup {path} is not in the switch history, so what it holds cannot be checked; restore it by hand if you are sure"
    )]
    BackupUnknown { path: PathBuf },
    #[error(
        "the backup folder {path} is a symbolic link; backups are only restored from a real folder (it could point anywhere)"
    )]
    BackupsLinked { path: PathBuf },
    #[error("no backup named {name:?} for {assistant}; see `weathervane backups {assistant}`")]
    NoSuchBackup {
        assistant: AssistantId,
        name: String,
    },
}

/// One file a switch of an assistant edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTarget {
    pub path: PathBuf,
    pub format: Format,
    /// Names its backups (`<label>-<time>.bak`) and its row in the history.
    pub label: &'static str,
}

/// The files a switch edits for an assistant, the primary one first.
pub fn targets(ctx: &Context, a: AssistantId) -> Result<Vec<FileTarget>, SwitchError> {
    let one = |path, format, label| {
        Ok(vec![FileTarget {
            path,
            format,
            label,
        }])
    };
    match a {
        AssistantId::ClaudeCode => one(
            claude::settings_path(&ctx.home, &ctx.env),
            Format::Json,
            "claude-code-settings.json",
        ),
        AssistantId::Codex => one(
            codex::config_path(&ctx.home, &ctx.env),
            Format::Toml,
            "codex-config.toml",
        ),
        AssistantId::Opencode => one(
            opencode::config_path(&ctx.home, &ctx.env),
            Format::Jsonc,
            "opencode-config.json",
        ),
        AssistantId::Gemini => Ok(vec![
            FileTarget {
                path: gemini::settings_path(&ctx.home, &ctx.env),
                format: Format::Jsonc,
                label: "gemini-settings.json",
            },
            FileTarget {
                path: gemini::env_path(&ctx.home, &ctx.env),
                format: Format::Dotenv,
                label: "gemini-env",
            },
        ]),
    }
}

/// The primary file a switch edits for an assistant, its format and backup label.
pub fn target(
    ctx: &Context,
    a: AssistantId,
) -> Result<(PathBuf, Format, &'static str), SwitchError> {
    let t = targets(ctx, a)?.swap_remove(0);
    Ok((t.path, t.format, t.label))
}

fn api_key(ctx: &Context, p: &Profile) -> Result<String, SwitchError> {
    ctx.keyring.get(&p.id).map_err(|source| SwitchError::Key {
        profile: p.id.clone(),
        source,
    })
}

/// The profile as edits, one list per file of [`targets`].
fn edits_for(ctx: &Context, profile: &Profile) -> Result<Vec<Vec<Edit>>, SwitchError> {
    let fit = |e: &dyn std::fmt::Display| SwitchError::Profile(e.to_string());
    match profile.assistant {
        AssistantId::ClaudeCode => Ok(vec![
            claude::edits(profile, &ctx.program).map_err(|e| fit(&e))?,
        ]),
        AssistantId::Codex => Ok(vec![codex::edits(profile).map_err(|e| fit(&e))?]),
        AssistantId::Opencode => Ok(vec![opencode::edits(profile).map_err(|e| fit(&e))?]),
        AssistantId::Gemini => {
            let key = if profile.key {
                Some(api_key(ctx, profile)?)
            } else {
                None
            };
            let (settings, env) = gemini::edits(profile, key.as_deref()).map_err(|e| fit(&e))?;
            Ok(vec![settings, env])
        }
    }
}

/// The profile the (primary) file's content matches, if any. For Gemini CLI
/// this reads settings.json only; [`active_in`] also weighs its `.env`.
pub fn active<'a>(
    a: AssistantId,
    text: &str,
    profiles: &'a [Profile],
) -> Result<Option<&'a Profile>, EditError> {
    match a {
        AssistantId::ClaudeCode => claude::active_profile(text, profiles),
        AssistantId::Codex => codex::active_profile(text, profiles),
        AssistantId::Opencode => opencode::active_profile(text, profiles),
        AssistantId::Gemini => gemini::active_profile(text, None, profiles),
    }
}

/// The profile the files' contents match, given one text per file of [`targets`].
pub fn active_in<'a>(
    a: AssistantId,
    texts: &[String],
    profiles: &'a [Profile],
) -> Result<Option<&'a Profile>, EditError> {
    let primary = texts.first().map_or("", String::as_str);
    match a {
        AssistantId::Gemini => {
            gemini::active_profile(primary, texts.get(1).map(String::as_str), profiles)
        }
        _ => active(a, primary, profiles),
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

/// One owned key a write changes. Values of keys that look like secrets are
/// never carried here: they read "(hidden)".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyChange {
    pub key: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// What a switch does to one file.
#[derive(Clone, Serialize)]
pub struct FilePlan {
    pub path: PathBuf,
    pub label: &'static str,
    #[serde(skip)]
    pub format: Format,
    #[serde(skip)]
    pub basis: FileState,
    /// May hold a secret (Gemini CLI's .env): never serialised or debug-printed.
    #[serde(skip)]
    pub new_text: String,
    /// Key paths as in the file (no file prefix).
    pub changes: Vec<KeyChange>,
    /// Written 0600: it holds a secret.
    #[serde(skip)]
    pub secret: bool,
}

impl std::fmt::Debug for FilePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePlan")
            .field("path", &self.path)
            .field("label", &self.label)
            .field("basis", &self.basis)
            .field("new_text", &format_args!("<{} bytes>", self.new_text.len()))
            .field("changes", &self.changes)
            .finish()
    }
}

/// What a switch would do, shown before it is done.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub assistant: AssistantId,
    pub profile: String,
    /// The profile the files match now (None: hand-edited to something else).
    pub from: Option<String>,
    /// The primary file.
    pub path: PathBuf,
    /// Every file's changes; keys are prefixed with the file's name
    /// (`.env:GEMINI_API_KEY`) when the assistant has several files.
    pub changes: Vec<KeyChange>,
    pub warnings: Vec<String>,
    /// Per file, in [`targets`] order.
    pub files: Vec<FilePlan>,
}

fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    !k.ends_with("APIKEYHELPER")
        && (k.contains("TOKEN") || k.contains("KEY") || k.contains("SECRET"))
}

const HIDDEN: &str = "(hidden)";

/// A value as it may be shown or kept in a plan: secrets masked.
fn masked(key: &str, v: Option<Value>) -> Option<Value> {
    match v {
        Some(Value::String(s)) if looks_secret(key) && !s.is_empty() && s != "ollama" => {
            Some(Value::String(HIDDEN.into()))
        }
        other => other,
    }
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
    /// A readable key-by-key diff over every file; values of keys that look
    /// like secrets are hidden.
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

    /// The files the switch changes.
    pub fn paths(&self) -> Vec<&Path> {
        self.files
            .iter()
            .filter(|f| !f.changes.is_empty())
            .map(|f| f.path.as_path())
            .collect()
    }
}

fn exported(ctx: &Context, k: &str) -> bool {
    ctx.env.get(k).is_some_and(|v| !v.is_empty())
}

fn warnings(ctx: &Context, a: AssistantId, profile: &Profile) -> Vec<String> {
    let mut w = Vec::new();
    match a {
        AssistantId::ClaudeCode => {
            for k in claude::OWNED_ENV {
                if exported(ctx, k) {
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
            let file = codex::config_path(&ctx.home, &ctx.env);
            let chat = std::fs::read_to_string(&file)
                .map(|t| codex::chat_wire_providers(&t))
                .unwrap_or_default();
            if !chat.is_empty() {
                w.push(format!(
                    "Codex will not start with this file: {} sets wire_api = \"chat\" in [model_providers.{}], \
                     which Codex 0.151 and later refuse even for a provider nobody uses; change it to \"responses\" \
                     or remove that table (the switch leaves it alone)",
                    file.display(),
                    chat.join("], [model_providers.")
                ));
            }
            if let Some(var) = &profile.key_env
                && !ctx.env.contains_key(var)
            {
                w.push(format!(
                    "Codex reads this provider's key from ${var}, which is not set in this environment"
                ));
            }
            if !profile.default
                && let Some(store) = codex_credentials_store(ctx)
            {
                let place = if store == "keyring" {
                    "in the OS keyring"
                } else {
                    "in the OS keyring when one is available (else in auth.json)"
                };
                let how = match &profile.key_env {
                    Some(var) => format!("authenticates with ${var} instead"),
                    None => "needs no OpenAI login".to_string(),
                };
                w.push(format!(
                    "config.toml sets cli_auth_credentials_store = \"{store}\": Codex keeps its \
                     ChatGPT login (or the API key `codex login` saved) {place}. The switch leaves \
                     that login alone and {} does not use it: it {how}; switching back uses the \
                     login again",
                    profile.name
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
        AssistantId::Gemini => gemini_warnings(ctx, profile, &mut w),
    }
    w
}

/// Codex's `cli_auth_credentials_store`, when it puts the login in the OS keyring.
fn codex_credentials_store(ctx: &Context) -> Option<String> {
    let text = std::fs::read_to_string(codex::config_path(&ctx.home, &ctx.env)).ok()?;
    match edit::get(&text, Format::Toml, &["cli_auth_credentials_store".into()]) {
        Ok(Some(Value::String(s))) if s == "keyring" || s == "auto" => Some(s),
        _ => None,
    }
}

fn gemini_warnings(ctx: &Context, profile: &Profile, w: &mut Vec<String>) {
    for k in gemini::OWNED_ENV {
        if exported(ctx, k) {
            w.push(format!(
                "{k} is exported in your shell environment; Gemini CLI never lets .env override \
                 a variable that is already set, so the exported value wins"
            ));
        }
    }
    let env_file = gemini::env_path(&ctx.home, &ctx.env);
    let in_env_file = |var: &str| {
        std::fs::read_to_string(&env_file).ok().and_then(|t| {
            edit::get(&t, Format::Dotenv, &[var.to_string()])
                .ok()
                .flatten()
        })
    };
    let selected = profile.set.get("selectedType").map(String::as_str);
    let project = profile.set.get("GOOGLE_CLOUD_PROJECT");
    if selected == Some("vertex-ai")
        && project.is_none_or(|p| p.is_empty())
        && !exported(ctx, "GOOGLE_CLOUD_PROJECT")
        && (project.is_none() || in_env_file("GOOGLE_CLOUD_PROJECT").is_none())
    {
        w.push(format!(
            "Vertex AI needs GOOGLE_CLOUD_PROJECT: give profile {} a project in your config \
             ([[profiles]] assistant = \"gemini\", id = \"{}\", set = {{ GOOGLE_CLOUD_PROJECT = \"...\" }}) \
             or export it",
            profile.id, profile.id
        ));
    }
    if selected == Some("oauth-personal")
        && project.is_none()
        && let Some(Value::String(p)) = in_env_file("GOOGLE_CLOUD_PROJECT")
    {
        w.push(format!(
            "the switch removes GOOGLE_CLOUD_PROJECT={p} from {}; if your Google login needs \
             it (a Workspace account or a Code Assist licence), give profile {} that project \
             in your config, or undo the earlier switch with --back, which restores the file exactly",
            env_file.display(),
            profile.id
        ));
    }
    for d in &ctx.project_dirs {
        let settings = d.join(".gemini").join("settings.json");
        if let Ok(text) = std::fs::read_to_string(&settings) {
            let owned: Vec<String> = [&gemini::SELECTED_TYPE[..], &gemini::MODEL_NAME[..]]
                .iter()
                .filter(|p| {
                    let path: Vec<String> = p.iter().map(|s| s.to_string()).collect();
                    matches!(edit::get(&text, Format::Jsonc, &path), Ok(Some(_)))
                })
                .map(|p| p.join("."))
                .collect();
            if !owned.is_empty() {
                w.push(format!(
                    "{} sets {} for that project, which outranks your user settings there",
                    settings.display(),
                    owned.join(", ")
                ));
            }
        }
        for env in [d.join(".gemini").join(".env"), d.join(".env")] {
            if env.is_file() {
                w.push(format!(
                    "{} exists: Gemini CLI started in that project loads it instead of \
                     ~/.gemini/.env (it reads only the first .env it finds walking up from the \
                     working directory), so the switched variables do not apply there",
                    env.display()
                ));
                break;
            }
        }
    }
    w.push(
        "running Gemini CLI sessions and IDE extensions pick the change up when restarted".into(),
    );
}

fn plan_from(
    ctx: &Context,
    profiles: &[Profile],
    profile: &Profile,
    targets: &[FileTarget],
    bases: Vec<FileState>,
) -> Result<Plan, SwitchError> {
    let mut texts = Vec::new();
    for b in &bases {
        texts.push(text_of(b)?);
    }
    let unparseable = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SwitchError::Unparseable { path, source }
    };
    // Every file must parse, even one the switch would not change.
    for ((t, b), text) in targets.iter().zip(&bases).zip(&texts) {
        edit::get(text, t.format, &[]).map_err(unparseable(&b.path))?;
    }
    let from = active_in(profile.assistant, &texts, profiles)
        .map_err(unparseable(&bases[0].path))?
        .map(|p| p.id.clone());
    let edits = edits_for(ctx, profile)?;
    let several = targets.len() > 1;
    let mut files = Vec::new();
    let mut all = Vec::new();
    for (((t, basis), text), edits) in targets.iter().zip(bases).zip(texts).zip(edits) {
        let mut changes = Vec::new();
        for e in &edits {
            let before = edit::get(&text, t.format, &e.path).map_err(unparseable(&basis.path))?;
            if before != e.value {
                let key = dotted(&e.path);
                changes.push(KeyChange {
                    before: masked(&key, before),
                    after: masked(&key, e.value.clone()),
                    key,
                });
            }
        }
        let new_text = if changes.is_empty() {
            text
        } else {
            edit::apply(&text, t.format, &edits).map_err(unparseable(&basis.path))?
        };
        let name = t
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        all.extend(changes.iter().map(|c| KeyChange {
            key: if several {
                format!("{name}:{}", c.key)
            } else {
                c.key.clone()
            },
            ..c.clone()
        }));
        files.push(FilePlan {
            path: basis.path.clone(),
            label: t.label,
            format: t.format,
            secret: holds_secret(&new_text, t.format),
            basis,
            new_text,
            changes,
        });
    }
    Ok(Plan {
        assistant: profile.assistant,
        profile: profile.id.clone(),
        from,
        path: files[0].path.clone(),
        changes: all,
        warnings: warnings(ctx, profile.assistant, profile),
        files,
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
    // Claude Code will ask us for the key on every start, and Gemini CLI gets
    // it written for it: make sure we have it before pointing the assistant at
    // a provider it cannot authenticate with.
    if p.key && matches!(a, AssistantId::ClaudeCode | AssistantId::Gemini) {
        api_key(ctx, p)?;
    }
    Ok(p)
}

fn read_all(targets: &[FileTarget]) -> Result<Vec<FileState>, SwitchError> {
    targets
        .iter()
        .map(|t| fs::read_state(&t.path).map_err(SwitchError::from))
        .collect()
}

/// What switching `a` to profile `id` would change. Reads, never writes.
pub fn plan(
    ctx: &Context,
    profiles: &[Profile],
    a: AssistantId,
    id: &str,
) -> Result<Plan, SwitchError> {
    let targets = targets(ctx, a)?;
    let p = profile(ctx, profiles, a, id)?;
    plan_from(ctx, profiles, p, &targets, read_all(&targets)?)
}

/// The result of a write.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub plan: Plan,
    /// The backup of the first changed file (in [`targets`] order) that existed before.
    pub backup: Option<PathBuf>,
    /// Backups of every file written that existed before.
    pub backups: Vec<PathBuf>,
    pub record: Option<SwitchRecord>,
}

/// How an intent ended.
enum Outcome {
    /// Every file written: the event's key.
    Done(i64),
    /// The first file changed under us; nothing was written (re-plan and retry).
    Retry,
}

/// Record `rec` as an intent, write its files in `order` (indexes into
/// `rec.files`), then confirm or drop the intent. A failure after some files
/// were written settles the event for those files (see the module doc); a
/// kill at any point is settled by [`settle`] next time: the history never
/// disagrees with the files.
fn intent(
    store: &mut Store,
    a: AssistantId,
    rec: &SwitchRecord,
    reverts: Option<i64>,
    order: &[usize],
    mut write: impl FnMut(usize) -> Result<(), FsError>,
) -> Result<Outcome, SwitchError> {
    let key = store.record_switch(rec, reverts)?;
    let mut written = vec![false; rec.files.len().max(1)];
    for &i in order {
        match write(i) {
            Ok(()) => written[i] = true,
            Err(e) => {
                store.settle_switch(key, &written)?;
                if !written.contains(&true) {
                    return match e {
                        FsError::Conflict { .. } => Ok(Outcome::Retry),
                        e => Err(e.into()),
                    };
                }
                return Err(SwitchError::Partial {
                    assistant: a,
                    written: rec
                        .files
                        .iter()
                        .zip(&written)
                        .filter(|(_, w)| **w)
                        .map(|(f, _)| PathBuf::from(&f.file))
                        .collect(),
                    source: e,
                });
            }
        }
    }
    fs::pause_point("written");
    store.complete_switch(key)?;
    Ok(Outcome::Done(key))
}

/// Switch `a` to profile `id`: plan on the current files, back them up, write atomically, record.
pub fn switch(
    ctx: &Context,
    store: &mut Store,
    profiles: &[Profile],
    a: AssistantId,
    id: &str,
) -> Result<Applied, SwitchError> {
    switch_as(ctx, store, profiles, a, id, false)
}

/// [`switch`], recorded as made by an automatic failover rule when `automatic`.
pub fn switch_as(
    ctx: &Context,
    store: &mut Store,
    profiles: &[Profile],
    a: AssistantId,
    id: &str,
    automatic: bool,
) -> Result<Applied, SwitchError> {
    let targets = targets(ctx, a)?;
    let p = profile(ctx, profiles, a, id)?;
    let _lock = lock_and_tidy(ctx, &targets)?;
    settle(store, a)?;
    for _ in 0..ATTEMPTS {
        let plan = plan_from(ctx, profiles, p, &targets, read_all(&targets)?)?;
        if plan.is_noop() {
            return Ok(Applied {
                plan,
                backup: None,
                backups: vec![],
                record: None,
            });
        }
        let changed: Vec<&FilePlan> = plan
            .files
            .iter()
            .filter(|f| !f.changes.is_empty())
            .collect();
        let mut files = Vec::new();
        let mut backups = Vec::new();
        for f in &changed {
            let backup = match f.basis.content {
                Some(_) => Some(fs::backup(
                    &f.basis,
                    &ctx.backups_dir(),
                    f.label,
                    KEEP_BACKUPS,
                )?),
                None => None,
            };
            backups.extend(backup.clone());
            fs::pause_point("backed-up");
            files.push(SwitchFile {
                file: f.basis.target.display().to_string(),
                label: f.label.to_string(),
                keys: f.changes.iter().map(|c| c.key.clone()).collect(),
                backup: backup.map(|b| b.display().to_string()),
                hash_before: f.basis.hash.clone(),
                hash_after: fs::hash_bytes(f.new_text.as_bytes()),
                mode_before: f.basis.mode,
            });
        }
        let first = files[0].clone();
        let rec = SwitchRecord {
            automatic,
            key: 0,
            at: Utc::now(),
            assistant: a.as_str().into(),
            action: "switch".into(),
            from_profile: plan.from.clone(),
            to_profile: Some(plan.profile.clone()),
            file: first.file,
            keys: first.keys,
            backup: first.backup,
            hash_before: first.hash_before,
            hash_after: first.hash_after,
            reverted_by: None,
            files,
        };
        // Switching to the default is a way back too: it closes the open switch,
        // so the history shows one open switch at most.
        let reverts = store
            .open_switch(a.as_str())?
            .map(|r| r.key)
            .filter(|_| p.default);
        // Last to first: the primary file, which selects the mode, lands last.
        let order: Vec<usize> = (0..changed.len()).rev().collect();
        let outcome = intent(store, a, &rec, reverts, &order, |i| {
            let f = changed[i];
            fs::write_atomic(&f.basis, f.new_text.as_bytes(), f.secret).map(|_| ())
        })?;
        match outcome {
            Outcome::Done(key) => {
                return Ok(Applied {
                    backup: backups.first().cloned(),
                    backups,
                    plan,
                    record: Some(SwitchRecord { key, ..rec }),
                });
            }
            Outcome::Retry => continue,
        }
    }
    Err(SwitchError::KeptChanging {
        path: targets[0].path.clone(),
        attempts: ATTEMPTS,
    })
}

/// Take the switch lock and clear what a writer killed mid-write left: its temp
/// files next to the assistant's files and in the backup folder.
fn lock_and_tidy(ctx: &Context, targets: &[FileTarget]) -> Result<fs::SwitchLock, SwitchError> {
    let held = fs::lock(&ctx.data_dir, LOCK_WAIT)?;
    for t in targets {
        // Litter is not worth failing a switch for: it is said in the log and
        // tried again next time.
        if let Err(e) = fs::remove_stale_temps(&held, &t.path)
            .and_then(|_| fs::remove_stale_backup_temps(&held, &ctx.backups_dir(), t.label))
        {
            tracing::warn!(path = %t.path.display(), error = %e, "could not remove leftover temporary files");
        }
    }
    Ok(held)
}

/// Settle what a process killed mid-switch left in the history, by the files' hashes now.
fn settle(store: &mut Store, a: AssistantId) -> Result<(), SwitchError> {
    for rec in store.pending_switches(a.as_str())? {
        let mut written = Vec::new();
        for f in rec.file_list() {
            written.push(fs::read_state(Path::new(&f.file))?.hash == f.hash_after);
        }
        store.settle_switch(rec.key, &written)?;
    }
    Ok(())
}

/// Does the file hold a secret (then it must be 0600)?
fn holds_secret(text: &str, format: Format) -> bool {
    match format {
        Format::Json => ["ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"]
            .iter()
            .any(|k| {
                matches!(
                    edit::get(text, format, &["env".to_string(), (*k).to_string()]),
                    Ok(Some(Value::String(s))) if !s.is_empty() && s != "ollama"
                )
            }),
        Format::Dotenv => match edit::get(text, format, &[]) {
            Ok(Some(Value::Object(vars))) => vars
                .iter()
                .any(|(k, v)| looks_secret(k) && v.as_str().is_some_and(|s| !s.is_empty())),
            _ => false,
        },
        _ => false,
    }
}

/// The target a recorded file belongs to: by label, else (history from before
/// labels, single-file assistants) the primary one.
fn target_of<'a>(targets: &'a [FileTarget], f: &SwitchFile) -> &'a FileTarget {
    targets
        .iter()
        .find(|t| t.label == f.label)
        .unwrap_or(&targets[0])
}

/// What one recorded file goes back to.
struct Undo {
    state: FileState,
    /// The backup of what was there, when only our keys go back (recorded, so
    /// `restore` can check it).
    backup: Option<PathBuf>,
    /// None: the file did not exist before the switch (remove it).
    bytes: Option<Vec<u8>>,
    untouched: bool,
    secret: bool,
    /// The mode the file had before the switch, to put back (a secret still wins).
    mode: Option<u32>,
}

/// Work out what `f` goes back to: the exact previous bytes when nobody
/// touched it since the switch, else the current file with our keys put back.
fn undo_of(ctx: &Context, t: &FileTarget, f: &SwitchFile) -> Result<Undo, SwitchError> {
    let path = PathBuf::from(&f.file);
    let previous = match &f.backup {
        Some(b) => {
            let bytes = std::fs::read(b).map_err(|source| FsError::Io {
                op: "reading the backup",
                path: PathBuf::from(b),
                source,
            })?;
            if fs::hash_bytes(&bytes) != f.hash_before {
                return Err(SwitchError::BackupMismatch {
                    path: PathBuf::from(b),
                });
            }
            Some(bytes)
        }
        None => None,
    };
    let now = fs::read_state(&path)?;
    let untouched = now.hash == f.hash_after;
    let mut backup = None;
    let bytes = if untouched {
        previous
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
        for key in &f.keys {
            let p = undotted(key);
            let value = edit::get(&prev_text, t.format, &p).map_err(unparseable)?;
            edits.push(Edit { path: p, value });
        }
        let new_text = edit::apply(&text_of(&now)?, t.format, &edits).map_err(unparseable)?;
        if now.content.is_some() {
            backup = Some(fs::backup(&now, &ctx.backups_dir(), t.label, KEEP_BACKUPS)?);
        }
        Some(new_text.into_bytes())
    };
    let secret = bytes
        .as_deref()
        .and_then(|b| std::str::from_utf8(b).ok())
        .is_some_and(|text| holds_secret(text, t.format));
    Ok(Undo {
        state: now,
        backup,
        bytes,
        untouched,
        secret,
        mode: f.mode_before,
    })
}

/// Undo the newest open switch of `a`, file by file: the exact previous bytes
/// of each file nobody touched since, else only the keys it changed, from the backup.
pub fn back(ctx: &Context, store: &mut Store, a: AssistantId) -> Result<Applied, SwitchError> {
    back_as(ctx, store, a, false)
}

/// [`back`], recorded as made by an automatic failover rule when `automatic`.
pub fn back_as(
    ctx: &Context,
    store: &mut Store,
    a: AssistantId,
    automatic: bool,
) -> Result<Applied, SwitchError> {
    let targets = targets(ctx, a)?;
    let _lock = lock_and_tidy(ctx, &targets)?;
    settle(store, a)?;
    let rec = store
        .open_switch(a.as_str())?
        .ok_or(SwitchError::NothingToUndo(a))?;
    let recorded = rec.file_list();
    for _ in 0..ATTEMPTS {
        let mut undos = Vec::new();
        for f in &recorded {
            undos.push(undo_of(ctx, target_of(&targets, f), f)?);
        }
        let files: Vec<SwitchFile> = recorded
            .iter()
            .zip(&undos)
            .map(|(f, u)| SwitchFile {
                file: f.file.clone(),
                label: f.label.clone(),
                keys: f.keys.clone(),
                backup: u.backup.as_ref().map(|b| b.display().to_string()),
                hash_before: u.state.hash.clone(),
                hash_after: u
                    .bytes
                    .as_deref()
                    .map_or_else(|| "absent".to_string(), fs::hash_bytes),
                mode_before: u.state.mode,
            })
            .collect();
        let first = files[0].clone();
        let out = SwitchRecord {
            automatic,
            key: 0,
            at: Utc::now(),
            assistant: a.as_str().into(),
            action: "back".into(),
            from_profile: rec.to_profile.clone(),
            to_profile: rec.from_profile.clone(),
            file: first.file,
            keys: first.keys,
            backup: first.backup,
            hash_before: first.hash_before,
            hash_after: first.hash_after,
            reverted_by: None,
            files,
        };
        // First to last: the primary file goes back to the old mode first.
        let order: Vec<usize> = (0..undos.len()).collect();
        let outcome = intent(store, a, &out, Some(rec.key), &order, |i| {
            let u = &undos[i];
            match &u.bytes {
                Some(bytes) => fs::write_atomic_mode(&u.state, bytes, u.secret, u.mode).map(|_| ()),
                // The file did not exist before the switch: remove it again.
                None => fs::remove_checked(&u.state),
            }
        })?;
        let Outcome::Done(key) = outcome else {
            continue;
        };
        let all_untouched = undos.iter().all(|u| u.untouched);
        let file_plans: Vec<FilePlan> = recorded
            .iter()
            .zip(undos)
            .map(|(f, u)| {
                let t = target_of(&targets, f);
                FilePlan {
                    path: u.state.path.clone(),
                    label: t.label,
                    format: t.format,
                    new_text: u
                        .bytes
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default(),
                    basis: u.state,
                    changes: vec![],
                    secret: u.secret,
                }
            })
            .collect();
        let plan = Plan {
            assistant: a,
            profile: rec.from_profile.clone().unwrap_or_default(),
            from: rec.to_profile.clone(),
            path: file_plans[0].path.clone(),
            changes: vec![],
            warnings: vec![if all_untouched {
                if file_plans.len() > 1 {
                    "restored the files exactly as they were before the switch".into()
                } else {
                    "restored the file exactly as it was before the switch".into()
                }
            } else {
                "the file was changed since the switch: restored only the keys the switch changed"
                    .into()
            }],
            files: file_plans,
        };
        return Ok(Applied {
            plan,
            backup: None,
            backups: vec![],
            record: Some(SwitchRecord { key, ..out }),
        });
    }
    Err(SwitchError::KeptChanging {
        path: PathBuf::from(&recorded[0].file),
        attempts: ATTEMPTS,
    })
}

/// Backups of the assistant's files, newest first.
pub fn backups(ctx: &Context, a: AssistantId) -> Result<Vec<fs::Backup>, SwitchError> {
    let mut all = Vec::new();
    for t in targets(ctx, a)? {
        all.extend(fs::list_backups(&ctx.backups_dir(), t.label)?);
    }
    all.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.path.cmp(&a.path)));
    Ok(all)
}

/// Put a backup back in place, in the file it was made of (after backing up
/// what is there now).
pub fn restore(
    ctx: &Context,
    store: &mut Store,
    a: AssistantId,
    name: &str,
) -> Result<PathBuf, SwitchError> {
    let targets = targets(ctx, a)?;
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
    let Some(t) = targets.iter().find(|t| t.label == chosen.label) else {
        return Err(SwitchError::NoSuchBackup {
            assistant: a,
            name: name.to_string(),
        });
    };
    // A linked folder could hold anything, put there by anyone who can write where it points.
    let dir = ctx.backups_dir();
    if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(SwitchError::BackupsLinked { path: dir });
    }
    let bytes = std::fs::read(&chosen.path).map_err(|source| FsError::Io {
        op: "reading the backup",
        path: chosen.path.clone(),
        source,
    })?;
    let _lock = lock_and_tidy(ctx, &targets)?;
    settle(store, a)?;
    // Only what a recorded write backed up, unchanged since, and a file the
    // assistant can read: never whatever happens to sit in the folder.
    match store.backup_hash(&chosen.path.display().to_string())? {
        Some(h) if h == fs::hash_bytes(&bytes) => {}
        Some(_) => {
            return Err(SwitchError::BackupMismatch {
                path: chosen.path.clone(),
            });
        }
        None => {
            return Err(SwitchError::BackupUnknown {
                path: chosen.path.clone(),
            });
        }
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| SwitchError::NotText {
        path: chosen.path.clone(),
    })?;
    edit::get(text, t.format, &[]).map_err(|source| SwitchError::Unparseable {
        path: chosen.path.clone(),
        source,
    })?;
    let now = fs::read_state(&t.path)?;
    let safety = match now.content {
        Some(_) => Some(fs::backup(&now, &ctx.backups_dir(), t.label, KEEP_BACKUPS)?),
        None => None,
    };
    let file = SwitchFile {
        file: now.target.display().to_string(),
        label: t.label.to_string(),
        keys: vec![],
        backup: safety.as_ref().map(|b| b.display().to_string()),
        hash_before: now.hash.clone(),
        hash_after: fs::hash_bytes(&bytes),
        mode_before: now.mode,
    };
    let rec = SwitchRecord {
        automatic: false,
        key: 0,
        at: Utc::now(),
        assistant: a.as_str().into(),
        action: "restore".into(),
        from_profile: None,
        to_profile: None,
        file: file.file.clone(),
        keys: vec![],
        backup: file.backup.clone(),
        hash_before: file.hash_before.clone(),
        hash_after: file.hash_after.clone(),
        reverted_by: None,
        files: vec![file],
    };
    let secret = std::str::from_utf8(&bytes).is_ok_and(|text| holds_secret(text, t.format));
    let outcome = intent(store, a, &rec, None, &[0], |_| {
        fs::write_atomic(&now, &bytes, secret).map(|_| ())
    })?;
    if let Outcome::Retry = outcome {
        return Err(FsError::Conflict {
            path: t.path.clone(),
        }
        .into());
    }
    Ok(chosen.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_files() -> SwitchRecord {
        let file = |name: &str| SwitchFile {
            file: format!("/h/.gemini/{name}"),
            label: name.into(),
            keys: vec!["K".into()],
            backup: None,
            hash_before: "before".into(),
            hash_after: "after".into(),
            mode_before: None,
        };
        let files = vec![file("settings.json"), file(".env")];
        SwitchRecord {
            automatic: false,
            key: 0,
            at: Utc::now(),
            assistant: "gemini".into(),
            action: "switch".into(),
            from_profile: Some("google".into()),
            to_profile: Some("vertex".into()),
            file: files[0].file.clone(),
            keys: files[0].keys.clone(),
            backup: None,
            hash_before: "before".into(),
            hash_after: "after".into(),
            reverted_by: None,
            files,
        }
    }

    fn conflict() -> FsError {
        FsError::Conflict {
            path: PathBuf::from("/h/.gemini/settings.json"),
        }
    }

    #[test]
    fn a_failure_after_the_first_write_keeps_what_was_written_undoable() {
        let mut store = Store::open_in_memory().unwrap();
        let rec = two_files();
        let err = intent(&mut store, AssistantId::Gemini, &rec, None, &[1, 0], |i| {
            if i == 0 { Err(conflict()) } else { Ok(()) }
        })
        .err()
        .unwrap();
        match &err {
            SwitchError::Partial { written, .. } => {
                assert_eq!(written, &[PathBuf::from("/h/.gemini/.env")])
            }
            other => panic!("{other}"),
        }
        assert!(err.to_string().contains("switch gemini --back"), "{err}");
        let open = store.open_switch("gemini").unwrap().unwrap();
        assert_eq!(open.files.len(), 1);
        assert_eq!(open.files[0].file, "/h/.gemini/.env");
    }

    #[test]
    fn a_conflict_before_any_write_is_retried_and_leaves_no_history() {
        let mut store = Store::open_in_memory().unwrap();
        let out = intent(
            &mut store,
            AssistantId::Gemini,
            &two_files(),
            None,
            &[1, 0],
            |_| Err(conflict()),
        )
        .unwrap();
        assert!(matches!(out, Outcome::Retry));
        assert!(store.switches(None, 10).unwrap().is_empty());
        assert!(store.pending_switches("gemini").unwrap().is_empty());
    }

    #[test]
    fn dotenv_secrets_make_the_file_secret() {
        assert!(holds_secret("A=1\nGEMINI_API_KEY=AIza\n", Format::Dotenv));
        assert!(!holds_secret("A=1\nGEMINI_API_KEY=\n", Format::Dotenv));
        assert!(!holds_secret(
            "GOOGLE_GENAI_USE_VERTEXAI=true\n",
            Format::Dotenv
        ));
    }
}
