//! Where each assistant keeps its session files, and following them on file-change events
//! (inotify and friends through `notify`), never a polling scan. The number of watched
//! folders is bounded: the most recently modified project/day folders, plus each root so new
//! folders are seen; a folder created while we watch is added, the least active one dropped.
//! An assistant installed after we started (its root folder missing) is waited for: the
//! nearest existing folder above its root is watched until the root appears.
//! Codex's log database (`$CODEX_HOME/logs_2.sqlite`, see [`super::codex_log`]) is read on
//! changes of it or of its write-ahead log, its folder watched beside the rollouts.
//! New [`ErrorFact`]s go out over a tokio channel.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::codex_log::CodexLog;
use super::follow::{FollowOptions, FollowState, Follower, StartAt};
use super::records::{ErrorFact, Parsed};
use crate::config::SessionsConfig;
use crate::switch::profiles::AssistantId;

/// Default bound on watched folders (besides the roots).
pub const DEFAULT_MAX_DIRS: usize = 256;
/// A file first seen through a change event, not a creation, existed before we started: read
/// its last bytes (the change is among them; older records fall out of the verdict's window by
/// their own times).
const UNKNOWN_FILE_TAIL: u64 = 64 * 1024;

/// One assistant's tree of session files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub assistant: AssistantId,
    /// `…/.claude/projects`, `…/.codex/sessions`, `…/.gemini/tmp`.
    pub dir: PathBuf,
}

fn var<'a>(env: &'a HashMap<String, String>, k: &str) -> Option<&'a str> {
    env.get(k).map(String::as_str).filter(|v| !v.is_empty())
}

/// The roots of the enabled assistants, from a home folder and an environment (passed in, so
/// tests never see the real ones). opencode is not followed: its files are not researched.
pub fn roots(home: &Path, env: &HashMap<String, String>, enabled: &SessionsConfig) -> Vec<Root> {
    let mut out = Vec::new();
    if enabled.enabled(AssistantId::ClaudeCode) {
        let base =
            var(env, "CLAUDE_CONFIG_DIR").map_or_else(|| home.join(".claude"), PathBuf::from);
        out.push(Root {
            assistant: AssistantId::ClaudeCode,
            dir: base.join("projects"),
        });
    }
    if enabled.enabled(AssistantId::Codex) {
        let base = var(env, "CODEX_HOME").map_or_else(|| home.join(".codex"), PathBuf::from);
        out.push(Root {
            assistant: AssistantId::Codex,
            dir: base.join("sessions"),
        });
    }
    if enabled.enabled(AssistantId::Gemini) {
        let base = var(env, "GEMINI_CLI_HOME").map_or_else(|| home.to_path_buf(), PathBuf::from);
        out.push(Root {
            assistant: AssistantId::Gemini,
            dir: base.join(".gemini").join("tmp"),
        });
    }
    out
}

impl Root {
    /// Folder depths below the root that can hold session files or their parents.
    fn max_dir_depth(&self) -> usize {
        match self.assistant {
            // project / session / subagents
            AssistantId::ClaudeCode => 3,
            // YYYY / MM / DD
            AssistantId::Codex => 3,
            // project hash / chats
            AssistantId::Gemini => 2,
            AssistantId::Opencode => 0,
        }
    }

    fn rel<'a>(&self, path: &'a Path) -> Option<Vec<&'a str>> {
        let rel = path.strip_prefix(&self.dir).ok()?;
        rel.components()
            .map(|c| match c {
                std::path::Component::Normal(s) => s.to_str(),
                _ => None,
            })
            .collect()
    }

    /// A folder worth watching.
    pub fn wants_dir(&self, path: &Path) -> bool {
        let Some(rel) = self.rel(path) else {
            return false;
        };
        let depth = rel.len();
        if depth == 0 || depth > self.max_dir_depth() {
            return false;
        }
        match (self.assistant, depth) {
            (AssistantId::ClaudeCode, 3) => rel[2] == "subagents",
            (AssistantId::Gemini, 2) => rel[1] == "chats",
            _ => true,
        }
    }

    /// A session file of this assistant.
    pub fn is_session_file(&self, path: &Path) -> bool {
        let Some(rel) = self.rel(path) else {
            return false;
        };
        let Some(name) = rel.last() else {
            return false;
        };
        if !name.ends_with(".jsonl") {
            return false;
        }
        match self.assistant {
            AssistantId::ClaudeCode => rel.len() == 2 || (rel.len() == 4 && rel[2] == "subagents"),
            AssistantId::Codex => rel.len() == 4 && name.starts_with("rollout-"),
            AssistantId::Gemini => rel.len() == 3 && rel[1] == "chats",
            AssistantId::Opencode => false,
        }
    }
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::symlink_metadata(p)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The nearest existing folder at or above `dir`, short of the filesystem's root (a root
/// configured somewhere absurd is not worth watching `/` for).
fn nearest_existing(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .skip(1)
        .find(|a| a.is_dir())
        .filter(|a| a.parent().is_some())
        .map(Path::to_path_buf)
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.filter_map(Result::ok)
        // file_type does not follow symlinks: a link out of the tree is not walked.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect()
}

/// The folders of `root` to watch, newest first, at most `limit`: level by level, keeping
/// only the `limit` most recently modified at each level, so a tree of thousands of projects
/// costs at most `limit` listings per level.
pub fn discover_dirs(root: &Root, limit: usize) -> Vec<PathBuf> {
    let mut all: Vec<(SystemTime, PathBuf)> = Vec::new();
    let mut level = vec![root.dir.clone()];
    for _ in 0..root.max_dir_depth() {
        let mut next: Vec<(SystemTime, PathBuf)> = level
            .iter()
            .flat_map(|d| subdirs(d))
            .filter(|d| root.wants_dir(d))
            .map(|d| (mtime(&d), d))
            .collect();
        next.sort_by_key(|e| std::cmp::Reverse(e.0));
        next.truncate(limit);
        level = next.iter().map(|(_, d)| d.clone()).collect();
        all.extend(next);
    }
    all.sort_by_key(|e| std::cmp::Reverse(e.0));
    all.truncate(limit);
    all.into_iter().map(|(_, d)| d).collect()
}

/// How the watch reads.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    pub max_dirs: usize,
    /// Where to start in files that exist at start-up and are not in the saved state:
    /// [`StartAt::End`], or a tail window to catch the last few minutes' errors.
    pub first: StartAt,
    /// Files not modified for this long at start-up are not registered (their cursor is made
    /// on their first change), keeping the saved state small in large trees.
    pub recent: Duration,
    pub follow: FollowOptions,
}

impl Default for WatchOptions {
    fn default() -> WatchOptions {
        WatchOptions {
            max_dirs: DEFAULT_MAX_DIRS,
            first: StartAt::End,
            recent: Duration::from_secs(24 * 3600),
            follow: FollowOptions::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch the assistants' session files: {0}")]
    Notify(#[from] notify::Error),
    #[error("cannot start the session-file watcher thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// Codex's log database, followed beside its rollouts.
#[derive(Debug)]
struct LogWatch {
    log: CodexLog,
    /// Its folder (`$CODEX_HOME`) is watched.
    watched: bool,
    /// Watched just now: read once the watch is in place (rows written before it are found).
    fresh: bool,
    /// Why the last read found nothing to read, so the reason is logged once, not per change.
    skipped: Option<&'static str>,
}

/// The part that decides, without `notify`: which folders to watch and what a changed path
/// yields. Owned by the watcher thread; tests drive it directly.
#[derive(Debug)]
pub struct Engine {
    roots: Vec<Root>,
    opts: WatchOptions,
    follower: Arc<Mutex<Follower>>,
    /// Watched folders (roots excluded) → last activity tick, for dropping the least active.
    watched: BTreeMap<PathBuf, u64>,
    tick: u64,
    /// Roots that do not exist yet (by index into `roots`) and the existing folder above each
    /// that is watched meanwhile.
    waiting: Vec<(usize, PathBuf)>,
    /// The log databases of the Codex roots.
    logs: Vec<LogWatch>,
    /// Rows of a log database met for the first time are news from this time on (seconds):
    /// the start of the watch.
    logs_since: i64,
}

/// What the watcher must change after an event.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WatchChanges {
    pub add: Vec<PathBuf>,
    pub remove: Vec<PathBuf>,
}

impl Engine {
    pub fn new(roots: Vec<Root>, state: FollowState, opts: WatchOptions) -> Engine {
        let logs = roots
            .iter()
            .filter(|r| r.assistant == AssistantId::Codex)
            .filter_map(|r| r.dir.parent())
            .map(|home| LogWatch {
                log: CodexLog::new(home),
                watched: false,
                fresh: false,
                skipped: None,
            })
            .collect();
        Engine {
            logs,
            logs_since: Utc::now().timestamp() - 1,
            roots,
            follower: Arc::new(Mutex::new(Follower::new(state, opts.follow))),
            opts,
            watched: BTreeMap::new(),
            tick: 0,
            waiting: Vec::new(),
        }
    }

    /// The offsets, to save.
    pub fn follow_state(&self) -> FollowState {
        self.follower
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .state()
            .clone()
    }

    fn root_of(&self, path: &Path) -> Option<&Root> {
        self.roots.iter().find(|r| path.starts_with(&r.dir))
    }

    /// Start, step 1: the roots and the bounded set of folders to watch (to be watched before
    /// step 2 reads, so nothing written in between is missed).
    pub fn start(&mut self) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        self.follower
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .forget_missing();
        let mut candidates: Vec<(SystemTime, PathBuf)> = Vec::new();
        self.waiting.clear();
        for (i, root) in self.roots.iter().enumerate() {
            if !root.dir.is_dir() {
                if let Some(above) = nearest_existing(&root.dir) {
                    if !dirs.contains(&above) {
                        dirs.push(above.clone());
                    }
                    self.waiting.push((i, above));
                }
                continue;
            }
            dirs.push(root.dir.clone());
            for d in discover_dirs(root, self.opts.max_dirs) {
                candidates.push((mtime(&d), d));
            }
        }
        candidates.sort_by_key(|e| std::cmp::Reverse(e.0));
        candidates.truncate(self.opts.max_dirs);
        for (_, d) in candidates {
            self.tick += 1;
            self.watched.insert(d.clone(), self.tick);
            dirs.push(d);
        }
        for l in &mut self.logs {
            l.watched = l.log.home().is_dir();
            if l.watched && !dirs.iter().any(|d| d == l.log.home()) {
                dirs.push(l.log.home().to_path_buf());
            }
        }
        dirs
    }

    /// Start, step 2: read the session files in the watched folders. Files in the saved state
    /// resume from their offset; other recent ones start at [`WatchOptions::first`], except
    /// those changed since `started` (just before step 1), which are read from a tail: their
    /// change event may have come before the watch.
    pub fn read_existing(&mut self, started: SystemTime) -> Vec<ErrorFact> {
        let mut facts = Vec::new();
        if let Ok(d) = started.duration_since(SystemTime::UNIX_EPOCH) {
            self.logs_since = d.as_secs() as i64;
        }
        for i in 0..self.logs.len() {
            if self.logs[i].watched {
                facts.extend(self.read_log(i));
            }
        }
        let now = SystemTime::now();
        let dirs: Vec<PathBuf> = self.watched.keys().cloned().collect();
        for d in dirs {
            let Some(root) = self.root_of(&d).cloned() else {
                continue;
            };
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.filter_map(Result::ok) {
                let p = e.path();
                if !root.is_session_file(&p) {
                    continue;
                }
                let modified = mtime(&p);
                let fresh = now
                    .duration_since(modified)
                    .is_ok_and(|age| age <= self.opts.recent);
                let known = self
                    .follower
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .knows(&p);
                if !(fresh || known) {
                    continue;
                }
                let first = if modified >= started {
                    StartAt::Tail(UNKNOWN_FILE_TAIL)
                } else {
                    self.opts.first
                };
                facts.extend(self.read(&p, root.assistant, first));
            }
        }
        facts
    }

    fn read(&self, path: &Path, a: AssistantId, first: StartAt) -> Vec<ErrorFact> {
        let mut f = self.follower.lock().unwrap_or_else(PoisonError::into_inner);
        // One failed attempt, one fact: while Codex's log (which has every retry) is followed,
        // a rollout's own retry records (Codex does not write them today) are left out.
        let log_has_retries = a == AssistantId::Codex
            && self
                .logs
                .iter()
                .any(|l| f.state().logs.contains_key(l.log.db()));
        match f.read_new(path, a, first) {
            Ok(parsed) => parsed
                .into_iter()
                .filter_map(|p| match p {
                    Parsed::Error(e) if log_has_retries && !e.final_ => None,
                    Parsed::Error(e) => Some(e),
                    Parsed::Provider { .. } => None,
                })
                .collect(),
            Err(e) => {
                tracing::debug!(error = %e, "session file not read");
                Vec::new()
            }
        }
    }

    /// Read the `i`th log database's new rows; a database that cannot be read now (missing,
    /// busy, not yet opened by Codex, not what we expect) is tried again on its next change.
    fn read_log(&mut self, i: usize) -> Vec<ErrorFact> {
        let follower = self.follower.clone();
        let mut f = follower.lock().unwrap_or_else(PoisonError::into_inner);
        let offset = f.options().utc_offset;
        let since = self.logs_since;
        let l = &mut self.logs[i];
        match l
            .log
            .read_new(f.state_mut(), Some(since), Utc::now(), offset)
        {
            Ok(facts) => {
                l.skipped = None;
                facts
            }
            Err(e) => {
                if l.skipped != Some(e.word()) {
                    tracing::debug!(db = %l.log.db().display(), reason = %e, "Codex's log not read");
                    l.skipped = Some(e.word());
                }
                Vec::new()
            }
        }
    }

    /// Log databases whose folder was just watched, read now that the watch is in place.
    pub fn read_fresh_logs(&mut self) -> Vec<ErrorFact> {
        let mut facts = Vec::new();
        for i in 0..self.logs.len() {
            if std::mem::take(&mut self.logs[i].fresh) {
                facts.extend(self.read_log(i));
            }
        }
        facts
    }

    /// A change under a watched folder: new folders to watch, facts appended to files.
    pub fn on_change(
        &mut self,
        kind: &EventKind,
        paths: &[PathBuf],
    ) -> (WatchChanges, Vec<ErrorFact>) {
        let mut changes = WatchChanges::default();
        let mut facts = Vec::new();
        // Access events include our own reads: reacting to them would loop.
        if matches!(kind, EventKind::Access(_)) {
            return (changes, facts);
        }
        let created = matches!(kind, EventKind::Create(_));
        for p in paths {
            if let Some(i) = self.logs.iter().position(|l| l.log.is_log_path(p)) {
                facts.extend(self.read_log(i));
                continue;
            }
            if matches!(kind, EventKind::Remove(_))
                && let Some(l) = self.logs.iter_mut().find(|l| l.log.home() == p)
            {
                // Its folder went away (the watch with it); looked for again with the roots.
                l.watched = false;
            }
            // A folder on the way to a root that did not exist (created, renamed in, or
            // removed): look again.
            if self
                .waiting
                .iter()
                .any(|(i, above)| p.starts_with(above) && self.roots[*i].dir.starts_with(p))
            {
                facts.extend(self.recheck_waiting(&mut changes));
                continue;
            }
            let Some(root) = self.root_of(p).cloned() else {
                continue;
            };
            if matches!(kind, EventKind::Remove(_)) && *p == root.dir {
                // The whole tree went away: wait for it again.
                self.watched.retain(|d, _| !d.starts_with(p));
                self.follower
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .forget_missing();
                if let Some(i) = self.roots.iter().position(|r| r.dir == root.dir)
                    && let Some(above) = nearest_existing(&root.dir)
                    && !self.waiting.iter().any(|(w, _)| *w == i)
                {
                    changes.remove.push(root.dir.clone());
                    if !self.is_watched_dir(&above) {
                        changes.add.push(above.clone());
                    }
                    self.waiting.push((i, above));
                }
                continue;
            }
            if let Some(parent) = p.parent()
                && let Some(t) = self.watched.get_mut(parent)
            {
                self.tick += 1;
                *t = self.tick;
            }
            if matches!(kind, EventKind::Remove(_)) {
                self.follower
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .forget(p);
                if self.watched.remove(p).is_some() {
                    changes.remove.push(p.clone());
                }
                continue;
            }
            if p.is_dir() {
                if root.wants_dir(p) && !self.watched.contains_key(p) {
                    self.add_dir(p, &mut changes);
                    // Files (or folders) made before the watch was in place.
                    self.read_new_entries(p, &root, kind, &mut changes, &mut facts);
                }
            } else if root.is_session_file(p) {
                if !p.exists() {
                    // Renamed away.
                    self.follower
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .forget(p);
                    continue;
                }
                let first = if created {
                    StartAt::Beginning
                } else {
                    StartAt::Tail(UNKNOWN_FILE_TAIL)
                };
                facts.extend(self.read(p, root.assistant, first));
            }
        }
        (changes, facts)
    }

    /// Roots still missing: a root that exists now is watched and read (its files were all
    /// made after we started, so from their beginning); for the others, the watched folder
    /// above moves down to the nearest existing one. Cheap (a few `stat`s): the watcher calls
    /// it again after applying changes, so a folder made before its parent's watch was in
    /// place is not missed.
    pub fn recheck_waiting(&mut self, changes: &mut WatchChanges) -> Vec<ErrorFact> {
        let mut facts = Vec::new();
        let waiting = std::mem::take(&mut self.waiting);
        let mut still = Vec::new();
        let mut appeared = Vec::new();
        let mut left = Vec::new();
        for (i, above) in waiting {
            let dir = self.roots[i].dir.clone();
            if dir.is_dir() {
                appeared.push(i);
                changes.add.push(dir);
                left.push(above);
                continue;
            }
            match nearest_existing(&dir) {
                Some(now) if now != above => {
                    changes.add.push(now.clone());
                    still.push((i, now));
                    left.push(above);
                }
                Some(_) => still.push((i, above)),
                None => left.push(above),
            }
        }
        self.waiting = still;
        // A Codex home that exists now: watched, and read once the watch is in place.
        for l in &mut self.logs {
            if !l.watched && l.log.home().is_dir() {
                l.watched = true;
                l.fresh = true;
                if !changes.add.iter().any(|a| a == l.log.home()) {
                    changes.add.push(l.log.home().to_path_buf());
                }
            }
        }
        // Stop watching the folders above that no root waits on any more.
        for a in left {
            if !self.waiting.iter().any(|(_, w)| *w == a)
                && !self.is_watched_dir(&a)
                && !changes.add.contains(&a)
                && !changes.remove.contains(&a)
            {
                changes.remove.push(a);
            }
        }
        let create = EventKind::Create(notify::event::CreateKind::Folder);
        for i in appeared {
            let root = self.roots[i].clone();
            for d in subdirs(&root.dir) {
                if root.wants_dir(&d) {
                    let (c, more) = self.on_change(&create, &[d]);
                    changes.add.extend(c.add);
                    changes.remove.extend(c.remove);
                    facts.extend(more);
                }
            }
        }
        facts
    }

    fn is_watched_dir(&self, p: &Path) -> bool {
        self.watched.contains_key(p)
            || self.roots.iter().any(|r| r.dir == p && r.dir.is_dir())
            || self.logs.iter().any(|l| l.watched && l.log.home() == p)
    }

    /// Folders watched above roots that do not exist yet.
    pub fn waiting_on(&self) -> impl Iterator<Item = &Path> {
        self.waiting.iter().map(|(_, a)| a.as_path())
    }

    /// Folders whose watch was just put in place, looked at again: a folder is read when it
    /// appears and watched after, so a session file or folder made in between has no event
    /// of its own (under load that gap is long enough for an assistant's first writes).
    /// Known files go on from their offset; new ones are read from their start, as the first
    /// look would have read them; new folders are taken as if just created.
    pub fn catch_up(&mut self, dirs: &[PathBuf]) -> (WatchChanges, Vec<ErrorFact>) {
        let mut changes = WatchChanges::default();
        let mut facts = Vec::new();
        let create = EventKind::Create(notify::event::CreateKind::Folder);
        for d in dirs {
            let Some(root) = self.root_of(d).cloned() else {
                continue;
            };
            if *d == root.dir || self.watched.contains_key(d) {
                self.read_new_entries(d, &root, &create, &mut changes, &mut facts);
            }
        }
        (changes, facts)
    }

    /// A new folder's entries: its session files from their start, its folders as new ones
    /// (`on_change` watches those the root wants and reads them in turn; known files go on
    /// from their offsets).
    fn read_new_entries(
        &mut self,
        dir: &Path,
        root: &Root,
        kind: &EventKind,
        changes: &mut WatchChanges,
        facts: &mut Vec<ErrorFact>,
    ) {
        for e in std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let p = e.path();
            if root.is_session_file(&p) {
                facts.extend(self.read(&p, root.assistant, StartAt::Beginning));
            } else if p.is_dir() {
                let (c, more) = self.on_change(kind, &[p]);
                changes.add.extend(c.add);
                changes.remove.extend(c.remove);
                facts.extend(more);
            }
        }
    }

    fn add_dir(&mut self, p: &Path, changes: &mut WatchChanges) {
        self.tick += 1;
        self.watched.insert(p.to_path_buf(), self.tick);
        changes.add.push(p.to_path_buf());
        while self.watched.len() > self.opts.max_dirs {
            let Some(oldest) = self
                .watched
                .iter()
                .min_by_key(|(_, t)| **t)
                .map(|(d, _)| d.clone())
            else {
                break;
            };
            self.watched.remove(&oldest);
            changes.remove.push(oldest);
        }
    }

    /// Folders watched now (roots excluded).
    pub fn watched(&self) -> impl Iterator<Item = &Path> {
        self.watched.keys().map(PathBuf::as_path)
    }
}

/// Applies watch changes; while roots are still missing, looks again until the watches
/// stand still, so a folder made between an event and its watch is not missed (bounded: each
/// round goes at least one level deeper).
fn settle(
    watcher: &mut RecommendedWatcher,
    engine: &mut Engine,
    mut changes: WatchChanges,
) -> Vec<ErrorFact> {
    let mut facts = Vec::new();
    for _ in 0..8 {
        for d in &changes.remove {
            let _ = watcher.unwatch(d);
        }
        for d in &changes.add {
            if let Err(e) = watcher.watch(d, RecursiveMode::NonRecursive) {
                tracing::debug!(dir = %d.display(), error = %e, "cannot watch");
            }
        }
        // What was made in the new folders before their watches stood.
        let (caught, more) = engine.catch_up(&changes.add);
        facts.extend(more);
        facts.extend(engine.read_fresh_logs());
        changes = caught;
        if engine.waiting_on().next().is_some() {
            facts.extend(engine.recheck_waiting(&mut changes));
        }
        if changes.add.is_empty() && changes.remove.is_empty() {
            break;
        }
    }
    facts
}

enum Msg {
    Fs(notify::Result<notify::Event>),
    Stop,
}

/// The running watch: a thread that owns the `notify` watcher and the [`Engine`]. Dropping it
/// stops the thread.
#[derive(Debug)]
pub struct SessionWatch {
    follower: Arc<Mutex<Follower>>,
    stop: mpsc::Sender<Msg>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Msg::Fs(_) => "Fs",
            Msg::Stop => "Stop",
        })
    }
}

impl SessionWatch {
    /// Watch `roots`, resuming from `state`; facts go to `out` in batches (start-up ones
    /// first). Unbounded: failed calls are few, and the thread must never block on a slow
    /// reader (it could not be stopped then); dropping the receiver stops it too. Costs nothing while no file changes: the thread sleeps on the event channel.
    pub fn start(
        roots: Vec<Root>,
        state: FollowState,
        opts: WatchOptions,
        out: tokio::sync::mpsc::UnboundedSender<Vec<ErrorFact>>,
    ) -> Result<SessionWatch, WatchError> {
        let (tx, rx) = mpsc::channel::<Msg>();
        let events = tx.clone();
        let mut watcher: RecommendedWatcher =
            notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
                // The receiver is gone only when the thread stopped: nothing to do then.
                let _ = events.send(Msg::Fs(res));
            })?;
        // File times come from a coarse kernel clock: a second of margin so a file written
        // just after this call does not look older than it.
        let started = SystemTime::now() - Duration::from_secs(1);
        let mut engine = Engine::new(roots, state, opts);
        let follower = engine.follower.clone();
        let thread = std::thread::Builder::new()
            .name("session-watch".into())
            .spawn(move || {
                // Discovery runs here, not on the caller's thread: a large tree never delays
                // the first poll. An append between a file's first read and its folder's
                // watch is not lost: the next change reads from the saved offset.
                for d in &engine.start() {
                    if let Err(e) = watcher.watch(d, RecursiveMode::NonRecursive) {
                        tracing::debug!(dir = %d.display(), error = %e, "cannot watch");
                    }
                }
                let mut facts = engine.read_existing(started);
                // A root made between the look and the watch above it.
                facts.extend(settle(&mut watcher, &mut engine, WatchChanges::default()));
                if !facts.is_empty() && out.send(facts).is_err() {
                    return;
                }
                while let Ok(Msg::Fs(res)) = rx.recv() {
                    let event = match res {
                        Ok(e) => e,
                        Err(e) => {
                            tracing::debug!(error = %e, "session watch event error");
                            continue;
                        }
                    };
                    let (changes, mut facts) = engine.on_change(&event.kind, &event.paths);
                    facts.extend(settle(&mut watcher, &mut engine, changes));
                    if !facts.is_empty() && out.send(facts).is_err() {
                        break;
                    }
                }
            })
            .map_err(WatchError::Thread)?;
        Ok(SessionWatch {
            follower,
            stop: tx,
            thread: Some(thread),
        })
    }

    /// A way to read the offsets from another thread: the watch thread holds them while it
    /// reads, so an async caller must not wait on them itself (call this off the workers).
    pub fn follow_state_reader(&self) -> impl Fn() -> FollowState + Send + Sync + 'static {
        let follower = self.follower.clone();
        move || {
            follower
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .state()
                .clone()
        }
    }

    /// The offsets now, for the store to keep across restarts.
    pub fn follow_state(&self) -> FollowState {
        self.follower
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .state()
            .clone()
    }
}

impl Drop for SessionWatch {
    fn drop(&mut self) {
        let _ = self.stop.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const RETRY: &str = r#"{"type":"system","subtype":"api_error","timestamp":"2026-12-01T10:00:09.120Z","sessionId":"s1","error":{"status":529,"message":"overloaded"}}"#;

    fn append(p: &Path, line: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .unwrap();
        writeln!(f, "{line}").unwrap();
    }

    #[test]
    fn roots_follow_home_env_and_switches() {
        let home = Path::new("/h");
        let mut env = HashMap::new();
        let on = SessionsConfig::default();
        let r = roots(home, &env, &on);
        let dirs: Vec<_> = r.iter().map(|r| r.dir.clone()).collect();
        assert_eq!(
            dirs,
            [
                PathBuf::from("/h/.claude/projects"),
                PathBuf::from("/h/.codex/sessions"),
                PathBuf::from("/h/.gemini/tmp")
            ]
        );
        env.insert("CLAUDE_CONFIG_DIR".into(), "/c".into());
        env.insert("CODEX_HOME".into(), "/x".into());
        env.insert("GEMINI_CLI_HOME".into(), "/g".into());
        let off = SessionsConfig {
            gemini: false,
            ..on
        };
        let dirs: Vec<_> = roots(home, &env, &off).into_iter().map(|r| r.dir).collect();
        assert_eq!(
            dirs,
            [PathBuf::from("/c/projects"), PathBuf::from("/x/sessions")]
        );
    }

    #[test]
    fn layouts_name_session_files() {
        let c = Root {
            assistant: AssistantId::ClaudeCode,
            dir: "/r".into(),
        };
        assert!(c.is_session_file(Path::new("/r/-home-me-app/abc.jsonl")));
        assert!(c.is_session_file(Path::new("/r/-home-me-app/abc/subagents/agent-1.jsonl")));
        assert!(!c.is_session_file(Path::new("/r/-home-me-app/abc/tool-results/x.jsonl")));
        assert!(!c.is_session_file(Path::new("/r/x.jsonl")));
        assert!(c.wants_dir(Path::new("/r/p/s/subagents")));
        assert!(!c.wants_dir(Path::new("/r/p/s/other")));
        let x = Root {
            assistant: AssistantId::Codex,
            dir: "/r".into(),
        };
        assert!(x.is_session_file(Path::new(
            "/r/2026/12/01/rollout-2026-12-01T10-00-00-id.jsonl"
        )));
        assert!(!x.is_session_file(Path::new("/r/2026/12/01/other.jsonl")));
        let g = Root {
            assistant: AssistantId::Gemini,
            dir: "/r".into(),
        };
        assert!(g.is_session_file(Path::new("/r/hash/chats/session-1.jsonl")));
        assert!(!g.is_session_file(Path::new("/r/hash/chats/session-1.json")));
        assert!(!g.wants_dir(Path::new("/r/hash/logs")));
    }

    #[test]
    fn discovery_is_bounded_to_the_newest_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root {
            assistant: AssistantId::ClaudeCode,
            dir: dir.path().join("projects"),
        };
        for i in 0..6 {
            let p = root.dir.join(format!("p{i}"));
            std::fs::create_dir_all(&p).unwrap();
            let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + i * 100);
            std::fs::File::open(&p).unwrap().set_modified(t).unwrap();
        }
        let found = discover_dirs(&root, 2);
        assert_eq!(found, [root.dir.join("p5"), root.dir.join("p4")]);
    }

    #[test]
    fn engine_reads_new_files_and_bounds_watches() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root {
            assistant: AssistantId::ClaudeCode,
            dir: dir.path().join("projects"),
        };
        let proj = root.dir.join("-home-me-app");
        std::fs::create_dir_all(&proj).unwrap();
        let old = proj.join("old.jsonl");
        append(&old, RETRY);
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::open(&old)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
        let opts = WatchOptions {
            max_dirs: 2,
            ..WatchOptions::default()
        };
        let mut e = Engine::new(vec![root.clone()], FollowState::default(), opts);
        let started = SystemTime::now();
        let dirs = e.start();
        assert_eq!(dirs, [root.dir.clone(), proj.clone()]);
        assert!(e.read_existing(started).is_empty(), "history is not news");
        append(&old, RETRY);
        let kind = EventKind::Modify(notify::event::ModifyKind::Any);
        let (_, facts) = e.on_change(&kind, std::slice::from_ref(&old));
        assert_eq!(facts.len(), 1);
        // A new session file is read from its start.
        let new = proj.join("new.jsonl");
        append(&new, RETRY);
        append(&new, RETRY);
        let create = EventKind::Create(notify::event::CreateKind::File);
        let (_, facts) = e.on_change(&create, std::slice::from_ref(&new));
        assert_eq!(facts.len(), 2);
        // New folders are watched, the least active dropped beyond the bound.
        let mut added = Vec::new();
        for name in ["a", "b"] {
            let p = root.dir.join(name);
            std::fs::create_dir(&p).unwrap();
            append(&p.join("s.jsonl"), RETRY);
            let (c, facts) = e.on_change(
                &EventKind::Create(notify::event::CreateKind::Folder),
                std::slice::from_ref(&p),
            );
            assert_eq!(facts.len(), 1, "a file made before its folder was watched");
            added.extend(c.add);
            assert!(e.watched().count() <= 2);
        }
        assert_eq!(added, [root.dir.join("a"), root.dir.join("b")]);
        let state = e.follow_state();
        assert!(state.files.contains_key(&new));
    }

    #[test]
    fn a_root_made_after_start_is_waited_for() {
        let home = tempfile::tempdir().unwrap();
        let claude = Root {
            assistant: AssistantId::ClaudeCode,
            dir: home.path().join(".claude/projects"),
        };
        let codex = Root {
            assistant: AssistantId::Codex,
            dir: home.path().join(".codex/sessions"),
        };
        std::fs::create_dir(home.path().join(".codex")).unwrap();
        let mut e = Engine::new(
            vec![claude.clone(), codex.clone()],
            FollowState::default(),
            WatchOptions::default(),
        );
        let dirs = e.start();
        assert_eq!(
            dirs,
            [home.path().to_path_buf(), home.path().join(".codex")]
        );
        let folder = EventKind::Create(notify::event::CreateKind::Folder);
        // Something unrelated in the home folder: nothing to do.
        std::fs::write(home.path().join(".bash_history"), "ls\n").unwrap();
        let (c, f) = e.on_change(
            &EventKind::Create(notify::event::CreateKind::File),
            &[home.path().join(".bash_history")],
        );
        assert_eq!((c, f.len()), (WatchChanges::default(), 0));
        // ~/.claude appears: the watch moves down to it; home stays watched for nobody else.
        std::fs::create_dir(home.path().join(".claude")).unwrap();
        let (c, f) = e.on_change(&folder, &[home.path().join(".claude")]);
        assert!(f.is_empty());
        assert_eq!(c.add, [home.path().join(".claude")]);
        assert_eq!(c.remove, [home.path().to_path_buf()]);
        // projects/<project>/<session>.jsonl all at once (before the watch on .claude was in
        // place, as on a first run): found, read from the start, and watched.
        let proj = claude.dir.join("-home-me-app");
        std::fs::create_dir_all(proj.join("s1/subagents")).unwrap();
        append(&proj.join("s1.jsonl"), RETRY);
        append(&proj.join("s1/subagents/agent-1.jsonl"), RETRY);
        let mut changes = WatchChanges::default();
        let f = e.recheck_waiting(&mut changes);
        assert_eq!(f.len(), 2, "both files, from their start");
        assert!(changes.add.contains(&claude.dir));
        assert!(changes.add.contains(&proj));
        assert!(changes.add.contains(&proj.join("s1/subagents")));
        assert!(changes.remove.contains(&home.path().join(".claude")));
        assert_eq!(
            e.waiting_on().collect::<Vec<_>>(),
            [home.path().join(".codex")]
        );
        // Codex's day folders arrive in one go too.
        let day = codex.dir.join("2026/12/07");
        std::fs::create_dir_all(&day).unwrap();
        append(
            &day.join("rollout-2026-12-07T10-00-00-x.jsonl"),
            r#"{"timestamp":"2026-12-07T10:02:00.000Z","type":"event_msg","payload":{"type":"error","message":"unexpected status 503 Service Unavailable"}}"#,
        );
        let (c, f) = e.on_change(&folder, std::slice::from_ref(&codex.dir));
        assert_eq!(f.len(), 1);
        assert!(c.add.contains(&day));
        assert_eq!(e.waiting_on().count(), 0);
        // The whole Claude tree removed: waited for again, from the nearest folder left.
        std::fs::remove_dir_all(home.path().join(".claude")).unwrap();
        let (c, _) = e.on_change(
            &EventKind::Remove(notify::event::RemoveKind::Folder),
            std::slice::from_ref(&claude.dir),
        );
        assert!(c.add.contains(&home.path().to_path_buf()));
        assert_eq!(
            e.waiting_on().collect::<Vec<_>>(),
            [home.path().to_path_buf()]
        );
        assert!(e.watched().all(|d| !d.starts_with(&claude.dir)));
    }

    #[test]
    fn codex_log_is_followed_when_codex_is_installed_after_start() {
        use crate::monitor::sessions::codex_log::tests::{TARGET, THREAD, codex_db, log, retry};
        let home = tempfile::tempdir().unwrap();
        let dot = home.path().join(".codex");
        let codex = Root {
            assistant: AssistantId::Codex,
            dir: dot.join("sessions"),
        };
        let mut e = Engine::new(
            vec![codex.clone()],
            FollowState::default(),
            WatchOptions::default(),
        );
        assert_eq!(e.start(), [home.path().to_path_buf()]);
        assert!(e.read_existing(SystemTime::now()).is_empty());
        // Codex's first run: its home and log database, before the watch on its home is in place.
        std::fs::create_dir(&dot).unwrap();
        let w = codex_db(&dot);
        log(&w, chrono::Utc::now(), TARGET, &retry(1, 503), Some(THREAD));
        let (c, f) = e.on_change(
            &EventKind::Create(notify::event::CreateKind::Folder),
            std::slice::from_ref(&dot),
        );
        assert!(f.is_empty());
        assert_eq!(c.add, std::slice::from_ref(&dot));
        assert_eq!(c.remove, [home.path().to_path_buf()]);
        let f = e.read_fresh_logs();
        assert_eq!(f.len(), 1, "read once watched");
        assert_eq!((f[0].assistant, f[0].final_), (AssistantId::Codex, false));
        // Later rows arrive on changes of the write-ahead log, not of the shared memory.
        log(&w, chrono::Utc::now(), TARGET, &retry(2, 503), Some(THREAD));
        let modify = EventKind::Modify(notify::event::ModifyKind::Any);
        let (_, f) = e.on_change(&modify, &[dot.join("logs_2.sqlite-shm")]);
        assert!(f.is_empty());
        let (_, f) = e.on_change(&modify, &[dot.join("logs_2.sqlite-wal")]);
        assert_eq!(f.len(), 1);
        // The sessions folder comes: its watch is added, the home's kept.
        std::fs::create_dir(&codex.dir).unwrap();
        let (c, _) = e.on_change(
            &EventKind::Create(notify::event::CreateKind::Folder),
            std::slice::from_ref(&codex.dir),
        );
        assert!(c.add.contains(&codex.dir));
        assert!(!c.remove.contains(&dot), "{c:?}");
        assert!(
            e.follow_state()
                .logs
                .contains_key(&dot.join("logs_2.sqlite"))
        );
    }

    /// The gap a busy machine opened in `notify_finds_an_assistant_installed_after_start`: a
    /// new folder is read, then watched; what is written in between has no event. `settle`,
    /// which puts the watches in place, looks at those folders again.
    #[test]
    fn files_and_folders_made_between_a_look_and_its_watch_are_read() {
        let home = tempfile::tempdir().unwrap();
        let root = Root {
            assistant: AssistantId::ClaudeCode,
            dir: home.path().join(".claude/projects"),
        };
        let mut e = Engine::new(
            vec![root.clone()],
            FollowState::default(),
            WatchOptions::default(),
        );
        assert_eq!(e.start(), [home.path().to_path_buf()]);
        // The assistant's first run makes its folders; the engine looks (no file yet)...
        let proj = root.dir.join("-home-me-app");
        std::fs::create_dir_all(&proj).unwrap();
        let mut changes = WatchChanges::default();
        assert!(e.recheck_waiting(&mut changes).is_empty());
        assert!(changes.add.contains(&proj), "{changes:?}");
        // ...and before the watches stand, writes a session and makes another project.
        append(&proj.join("s.jsonl"), RETRY);
        append(&proj.join("s.jsonl"), RETRY);
        let other = root.dir.join("-home-me-lib");
        std::fs::create_dir(&other).unwrap();
        append(&other.join("t.jsonl"), RETRY);
        let (tx, _rx) = mpsc::channel::<Msg>();
        let mut watcher = notify::recommended_watcher(move |r| {
            let _ = tx.send(Msg::Fs(r));
        })
        .unwrap();
        let facts = settle(&mut watcher, &mut e, changes);
        assert_eq!(facts.len(), 3, "both files, from their start: {facts:?}");
        assert!(e.watched().any(|d| d == other));
        // Nothing is read twice.
        let (c, f) = e.catch_up(&[root.dir.clone(), proj.clone(), other.clone()]);
        assert_eq!((c, f.len()), (WatchChanges::default(), 0));
    }

    #[test]
    fn notify_finds_an_assistant_installed_after_start() {
        let home = tempfile::tempdir().unwrap();
        let root = Root {
            assistant: AssistantId::ClaudeCode,
            dir: home.path().join(".claude/projects"),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let w = SessionWatch::start(
            vec![root.clone()],
            FollowState::default(),
            WatchOptions::default(),
            tx,
        )
        .unwrap();
        // The watch is in place once the thread has looked; a first run of the assistant
        // makes the whole tree at once and writes.
        let proj = root.dir.join("-home-me-app");
        std::fs::create_dir_all(&proj).unwrap();
        let file = proj.join("s.jsonl");
        append(&file, RETRY);
        append(&file, RETRY);
        let mut got = 0;
        rt.block_on(async {
            while got < 2 {
                let batch = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                    .await
                    .expect("the new tree's errors within 10 s")
                    .expect("a batch");
                got += batch.len();
            }
        });
        assert_eq!(got, 2);
        // Later lines come through the new folder's own watch.
        append(&file, RETRY);
        let batch =
            rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), rx.recv()).await });
        assert_eq!(batch.expect("within 10 s").expect("a batch").len(), 1);
        drop(w);
    }

    #[test]
    fn notify_delivers_appended_errors() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root {
            assistant: AssistantId::ClaudeCode,
            dir: dir.path().join("projects"),
        };
        let proj = root.dir.join("p");
        std::fs::create_dir_all(&proj).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let w = SessionWatch::start(
            vec![root],
            FollowState::default(),
            WatchOptions::default(),
            tx,
        )
        .unwrap();
        let file = proj.join("s.jsonl");
        append(&file, RETRY);
        let got = rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv()).await
        });
        let facts = got.expect("an event within 10 s").expect("a batch");
        assert_eq!(facts.len(), 1);
        assert_eq!(facts[0].status, Some(529));
        assert!(w.follow_state().files.contains_key(&file));
        drop(w);
    }
}
