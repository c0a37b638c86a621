//! File safety for switching: read with a fingerprint, write atomically only if unchanged, back up, lock.
//!
//! Users have lost hooks, plugins and MCP servers to tools that rewrote their assistant
//! config carelessly. Everything that touches those files goes through here, so the rules
//! (PRODUCT.md "Switching the local assistant", rules 4-6) are enforced in one place:
//! symlinks are followed and survive, the mode is kept (secrets end up 0600), a write lands
//! whole or not at all, and a write never clobbers a change made by the assistant itself
//! after we read the file.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};

/// The `hash` of a file that does not exist.
const ABSENT: &str = "absent";
/// Mode of a new, ordinary config file.
const NEW_FILE_MODE: u32 = 0o644;
/// Mode of any file holding a secret, and of backups (they may hold secrets too).
const SECRET_MODE: u32 = 0o600;
/// Mode of folders we create: they sit in hidden config dirs and may hold secrets.
#[cfg_attr(not(unix), allow(dead_code))]
const NEW_DIR_MODE: u32 = 0o700;
/// Same limit as Linux (MAXSYMLINKS), so we give up where the kernel would.
const MAX_SYMLINKS: usize = 40;
/// Backup timestamp: sortable, millisecond resolution, no characters that need quoting.
const BACKUP_TS: &str = "%Y%m%dT%H%M%S%.3fZ";
/// Length of a formatted [`BACKUP_TS`], e.g. `20250101T120000.123Z`.
const BACKUP_TS_LEN: usize = 20;
const LOCK_FILE: &str = "switch.lock";
const LOCK_POLL: Duration = Duration::from_millis(20);
/// How much of a file's name its temp files carry.
const TEMP_STEM_CHARS: usize = 100;

/// What went wrong with a config, backup or lock file.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// An operating-system error; `op` says what we were doing to `path`.
    #[error("error {op} {}: {source}", path.display())]
    Io {
        /// What we were doing, e.g. "reading", "renaming the new version over".
        op: &'static str,
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file no longer matches what was read: someone (usually the assistant) rewrote it.
    #[error(
        "{} changed while we were editing it (the assistant probably rewrote it); nothing was written",
        path.display()
    )]
    Conflict {
        /// The path as asked for.
        path: PathBuf,
    },
    /// Another Weathervane process (CLI or desktop app) holds the switch lock.
    #[error(
        "another Weathervane process is switching assistants (lock {} is held); try again in a moment",
        path.display()
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// Something other than a regular file (a folder, a socket...) is where the file should be.
    #[error("{} is not a regular file (a folder or special file is in its place)", path.display())]
    NotAFile {
        /// The path found not to be a file.
        path: PathBuf,
    },
    /// Symlinks that loop or nest deeper than the OS allows.
    #[error("{} has too many levels of symbolic links (a loop?)", path.display())]
    SymlinkLoop {
        /// The path as asked for.
        path: PathBuf,
    },
    /// A backup was asked for a file that does not exist.
    #[error("{} does not exist, so there is nothing to back up", path.display())]
    NothingToBackUp {
        /// The path as asked for.
        path: PathBuf,
    },
    /// A backup label that could escape the backup folder or collide with our temp files.
    #[error(
        "{label:?} cannot be used as a backup label (empty, has a path separator, or starts with '.')"
    )]
    BadLabel {
        /// The label given.
        label: String,
    },
}

/// Builds a closure turning an `io::Error` into [`FsError::Io`] for `map_err`.
fn io_err(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> FsError {
    move |source| FsError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// What a file looked like when read: the basis a write is checked against.
#[derive(Clone, PartialEq, Eq)]
pub struct FileState {
    /// The path asked for.
    pub path: PathBuf,
    /// The file actually read/written: symlinks resolved (so a link survives a write).
    pub target: PathBuf,
    /// None when the file does not exist.
    pub content: Option<Vec<u8>>,
    /// sha256 hex of the content, or "absent".
    pub hash: String,
    /// Unix permission bits (e.g. 0o644) when it exists.
    pub mode: Option<u32>,
}

// Written by hand rather than derived: the content may hold API keys, and a `{:?}` in a log
// line must not leak them. The hash identifies the content well enough for debugging.
impl fmt::Debug for FileState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileState")
            .field("path", &self.path)
            .field("target", &self.target)
            .field(
                "content",
                &self
                    .content
                    .as_ref()
                    .map(|c| format!("<{} bytes>", c.len())),
            )
            .field("hash", &self.hash)
            .field("mode", &self.mode.map(|m| format!("{m:o}")))
            .finish()
    }
}

/// Lowercase hex sha256 of `b`.
pub fn hash_bytes(b: &[u8]) -> String {
    let digest = Sha256::digest(b);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Follows symlinks at `path` (the last component, repeatedly) to the file they name,
/// which need not exist yet. Done by hand rather than with `canonicalize` because a link to a
/// file that does not exist yet must still resolve (so the file is created behind the link),
/// and because the result should stay as close to what the user wrote as possible.
fn resolve(path: &Path) -> Result<PathBuf, FsError> {
    let mut cur = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        match fs::symlink_metadata(&cur) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&cur).map_err(io_err("reading the symlink", &cur))?;
                // A relative link is relative to the folder holding the link, not to us. Not
                // normalised lexically: `dir/../x` must mean what the kernel says it means
                // when `dir` is itself a link.
                cur = if link.is_absolute() {
                    link
                } else {
                    parent_dir(&cur).join(link)
                };
            }
            Ok(_) => return Ok(cur),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(cur),
            Err(e) => return Err(io_err("looking at", &cur)(e)),
        }
    }
    Err(FsError::SymlinkLoop {
        path: path.to_path_buf(),
    })
}

/// The folder holding `path`; "." for a bare relative file name (`Path::parent` gives "").
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Permission bits of `meta` (including setuid/setgid/sticky, so they are kept as found).
#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(meta.permissions().mode() & 0o7777)
}

/// No Unix modes elsewhere.
#[cfg(not(unix))]
fn mode_of(_meta: &fs::Metadata) -> Option<u32> {
    None
}

/// Reads `path` (following symlinks) and fingerprints it. A missing file is a valid state
/// (content `None`, hash "absent"); a folder or special file in its place is [`FsError::NotAFile`].
pub fn read_state(path: &Path) -> Result<FileState, FsError> {
    let target = resolve(path)?;
    let absent = || FileState {
        path: path.to_path_buf(),
        target: target.clone(),
        content: None,
        hash: ABSENT.to_string(),
        mode: None,
    };
    match fs::symlink_metadata(&target) {
        Ok(meta) if meta.is_file() => {}
        // Checked before opening: opening a FIFO for reading would block forever.
        Ok(_) => return Err(FsError::NotAFile { path: target }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(absent()),
        Err(e) => return Err(io_err("looking at", &target)(e)),
    }
    let mut file = match File::open(&target) {
        Ok(f) => f,
        // Deleted between the look and the open: that is simply its state now.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(absent()),
        Err(e) => return Err(io_err("opening", &target)(e)),
    };
    // Mode from the open handle, so it belongs to the same file as the content.
    let meta = file.metadata().map_err(io_err("looking at", &target))?;
    if !meta.is_file() {
        return Err(FsError::NotAFile { path: target });
    }
    let mut content = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut content)
        .map_err(io_err("reading", &target))?;
    Ok(FileState {
        path: path.to_path_buf(),
        hash: hash_bytes(&content),
        mode: mode_of(&meta),
        content: Some(content),
        target,
    })
}

/// Re-reads `expected.path` and fails with [`FsError::Conflict`] unless it still resolves to
/// the same file with the same content. Returns the fresh state (its mode may have changed,
/// which is not a conflict).
fn check_unchanged(expected: &FileState) -> Result<FileState, FsError> {
    let now = read_state(&expected.path)?;
    if now.target != expected.target || now.hash != expected.hash {
        tracing::warn!(path = %expected.path.display(), "file changed since it was read; not writing");
        return Err(FsError::Conflict {
            path: expected.path.clone(),
        });
    }
    Ok(now)
}

/// Creates `dir` and any missing ancestors (0o700 on Unix), then fsyncs the folders that
/// gained an entry, so a new folder does not vanish in a crash after we wrote into it.
fn ensure_dir(dir: &Path) -> Result<(), FsError> {
    if dir.is_dir() {
        return Ok(());
    }
    let missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .map(Path::to_path_buf)
        .collect();
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(NEW_DIR_MODE);
    }
    builder
        .create(dir)
        .map_err(io_err("creating the folder", dir))?;
    for created in &missing {
        sync_dir(&parent_dir(created))?;
    }
    Ok(())
}

/// Makes renames and removals in `dir` durable (POSIX needs an fsync of the folder itself).
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), FsError> {
    let handle = File::open(dir).map_err(io_err("opening the folder to sync", dir))?;
    handle.sync_all().map_err(io_err("syncing the folder", dir))
}

/// Windows cannot open a folder as a file to flush it; NTFS journals the rename itself.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), FsError> {
    Ok(())
}

/// Is `name` one of our temp files for `stem` (`.<stem>.<pid>.<n>.<hex8>.wv-tmp`, as
/// [`TempFile::create`] names them)? Exact, so `.<stem>.bak.….wv-tmp` (another file's) is not.
fn is_temp_of(name: &str, stem: &str) -> bool {
    let stem: String = stem.chars().take(TEMP_STEM_CHARS).collect();
    let Some(rest) = name
        .strip_prefix('.')
        .and_then(|n| n.strip_prefix(stem.as_str()))
        .and_then(|n| n.strip_prefix('.'))
        .and_then(|n| n.strip_suffix(".wv-tmp"))
    else {
        return false;
    };
    let parts: Vec<&str> = rest.split('.').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    matches!(parts.as_slice(), [pid, n, hex]
        if digits(pid) && digits(n) && hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Remove every temp file for `stem` in `dir`. Every writer of these files holds the
/// switch lock, so one found by the lock's holder belongs to a writer that died
/// mid-write: no need to guess from its pid, which a busy machine may have reused
/// (issue 18, item 6). Returns how many were removed.
fn remove_temps_in(dir: &Path, stem: &str) -> Result<usize, FsError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err("listing", dir)(e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(io_err("listing", dir))?;
        if !entry
            .file_name()
            .to_str()
            .is_some_and(|n| is_temp_of(n, stem))
        {
            continue;
        }
        match fs::remove_file(entry.path()) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(io_err(
                    "removing the leftover temporary file",
                    &entry.path(),
                )(e));
            }
        }
    }
    if removed > 0 {
        sync_dir(dir)?;
        tracing::info!(dir = %dir.display(), removed, "removed temporary files a killed write left");
    }
    Ok(removed)
}

/// Remove the temp files a killed writer left next to `path` (its target, through
/// symlinks). Taking the lock proves no writer of ours is mid-write.
pub fn remove_stale_temps(_held: &SwitchLock, path: &Path) -> Result<usize, FsError> {
    let target = resolve(path)?;
    let Some(name) = target.file_name() else {
        return Ok(0);
    };
    remove_temps_in(&parent_dir(&target), &name.to_string_lossy())
}

/// Remove the temp files a killed [`backup`] left in the backup folder `dir` for `label`.
pub fn remove_stale_backup_temps(
    _held: &SwitchLock,
    dir: &Path,
    label: &str,
) -> Result<usize, FsError> {
    check_label(label)?;
    remove_temps_in(dir, label)
}

/// Lets a test stop this process at a named point of a write, to kill it there
/// rather than at a moment picked by the clock: when `WEATHERVANE_TEST_PAUSE_AT`
/// names `point`, say so on stderr (the test reads it from the pipe) and wait.
pub fn pause_point(point: &str) {
    if std::env::var_os("WEATHERVANE_TEST_PAUSE_AT").is_some_and(|p| p == point) {
        use std::io::Write as _;
        let mut err = io::stderr();
        let _ = writeln!(err, "paused at {point}");
        let _ = err.flush();
        std::thread::sleep(Duration::from_secs(600));
    }
}

/// A temp file next to its destination, removed on drop unless disarmed, so no error path
/// can leave one behind.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    /// Creates a new, empty, private (0o600) temp file in `dir` whose name starts with '.'
    /// and `stem`. `create_new` makes a name collision an error rather than a shared file.
    fn create(dir: &Path, stem: &str) -> Result<(TempFile, File), FsError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        // Keep the name well under NAME_MAX (255) however long the original is.
        let stem: String = stem.chars().take(TEMP_STEM_CHARS).collect();
        let mut last_err = None;
        for _ in 0..8 {
            let name = format!(
                ".{stem}.{}.{}.{:08x}.wv-tmp",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                rand::random::<u32>()
            );
            let path = dir.join(name);
            let mut opts = OpenOptions::new();
            opts.write(true).create_new(true);
            // Private from the first byte: the content may be a secret, and the final mode
            // is only applied once everything is written.
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(SECRET_MODE);
            }
            match opts.open(&path) {
                Ok(file) => return Ok((TempFile { path, armed: true }, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
                Err(e) => return Err(io_err("creating a temporary file in", dir)(e)),
            }
        }
        Err(FsError::Io {
            op: "creating a temporary file in",
            path: dir.to_path_buf(),
            source: last_err.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)),
        })
    }

    /// The file has been renamed into place: nothing to clean up.
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // Best effort: NotFound (already renamed by a fallback path) is fine.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Writes `content` to `file`, applies `mode`, and fsyncs, so the bytes are on disk before
/// the file becomes visible under its real name.
fn fill(file: &mut File, tmp: &Path, content: &[u8], mode: u32) -> Result<(), FsError> {
    file.write_all(content)
        .map_err(io_err("writing the temporary file", tmp))?;
    set_mode(file, tmp, mode)?;
    file.sync_all()
        .map_err(io_err("syncing the temporary file", tmp))
}

/// Sets the permission bits on an open file. `fchmod` is not subject to the umask, unlike
/// the mode given at creation, so the result is exactly `mode`.
#[cfg(unix)]
fn set_mode(file: &File, path: &Path, mode: u32) -> Result<(), FsError> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(io_err("setting permissions on", path))
}

/// No Unix modes elsewhere; the new file inherits the folder's ACL.
#[cfg(not(unix))]
fn set_mode(_file: &File, _path: &Path, _mode: u32) -> Result<(), FsError> {
    Ok(())
}

/// Gives the new file the old file's owner and group when they differ from ours (e.g. a
/// setgid folder, or running under sudo). Best effort: failing to do so is only logged,
/// because refusing the write would be worse than a changed group.
#[cfg(unix)]
fn keep_owner(file: &File, tmp: &Path, target: &Path) {
    use std::os::unix::fs::MetadataExt;
    let (Ok(old), Ok(new)) = (fs::metadata(target), file.metadata()) else {
        return;
    };
    if old.uid() == new.uid() && old.gid() == new.gid() {
        return;
    }
    if let Err(e) = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid())) {
        tracing::warn!(path = %target.display(), tmp = %tmp.display(), error = %e,
            "could not keep the file's owner/group");
    }
}

#[cfg(not(unix))]
fn keep_owner(_file: &File, _tmp: &Path, _target: &Path) {}

/// Puts `tmp` at `dest` only if nothing is there. A hard link fails atomically when `dest`
/// exists, unlike rename which would silently replace a file created meanwhile. On file
/// systems without hard links, falls back to look-then-rename (a small window). Returns
/// false when `dest` exists. The caller's [`TempFile`] still removes `tmp`.
fn place_no_clobber(tmp: &Path, dest: &Path) -> Result<bool, FsError> {
    match fs::hard_link(tmp, dest) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => {
            tracing::debug!(path = %dest.display(), error = %e, "hard link failed; falling back to rename");
            match fs::symlink_metadata(dest) {
                Ok(_) => Ok(false),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::rename(tmp, dest).map_err(io_err("moving the new file to", dest))?;
                    Ok(true)
                }
                Err(e) => Err(io_err("looking at", dest)(e)),
            }
        }
    }
}

/// Atomic replace: re-read the target just before writing and compare with `expected.hash`
/// (Err([`FsError::Conflict`]) if it changed: the assistant rewrote it meanwhile); write a
/// temp file in the same directory as the target, write all, fsync, set mode, rename over the
/// target, fsync the directory.
///
/// Mode: the existing file's mode is kept; a new file gets 0o644, or 0o600 when `secret`;
/// when `secret` is true the result is always 0o600. Missing parent directories are created
/// (0o700). The temp file is never left behind on error. Returns the new state.
///
/// The check is made twice: once before any work (so a doomed write creates nothing) and
/// once right before the rename, to keep the window in which an assistant's write could be
/// lost as small as the OS allows. When the file did not exist, the new file is put in
/// place without clobbering, so a file created meanwhile is always a conflict.
pub fn write_atomic(
    expected: &FileState,
    content: &[u8],
    secret: bool,
) -> Result<FileState, FsError> {
    write_atomic_mode(expected, content, secret, None)
}

/// [`write_atomic`], giving the file `mode` rather than keeping the one it has (switching
/// back puts back the mode the file had before the switch); `secret` still means 0o600.
pub fn write_atomic_mode(
    expected: &FileState,
    content: &[u8],
    secret: bool,
    mode: Option<u32>,
) -> Result<FileState, FsError> {
    let wanted = mode;
    let current = check_unchanged(expected)?;
    let target = &expected.target;
    let Some(file_name) = target.file_name() else {
        return Err(FsError::NotAFile {
            path: target.clone(),
        });
    };
    let dir = parent_dir(target);
    ensure_dir(&dir)?;

    let mode = if secret {
        SECRET_MODE
    } else {
        wanted.or(current.mode).unwrap_or(NEW_FILE_MODE)
    };
    let (mut tmp, mut file) = TempFile::create(&dir, &file_name.to_string_lossy())?;
    fill(&mut file, &tmp.path, content, mode)?;
    if current.content.is_some() {
        keep_owner(&file, &tmp.path, target);
    }
    // Closed before the rename: Windows will not rename a file that is still open.
    drop(file);
    pause_point("mid-write");

    check_unchanged(expected)?;
    if expected.content.is_none() {
        if !place_no_clobber(&tmp.path, target)? {
            return Err(FsError::Conflict {
                path: expected.path.clone(),
            });
        }
    } else {
        fs::rename(&tmp.path, target).map_err(io_err("renaming the new version over", target))?;
        tmp.disarm();
    }
    // The temp name (if still there after a hard link) goes before the folder sync, so the
    // synced folder holds exactly the new file.
    drop(tmp);
    sync_dir(&dir)?;
    tracing::debug!(path = %expected.path.display(), target = %target.display(), "wrote file atomically");

    Ok(FileState {
        path: expected.path.clone(),
        target: target.clone(),
        content: Some(content.to_vec()),
        hash: hash_bytes(content),
        mode: if cfg!(unix) { Some(mode) } else { None },
    })
}

/// Removes the file (used when switching back a file that did not exist before) after the
/// same conflict check as [`write_atomic`]. Removes the target, not the symlink to it. A file
/// that was absent and is still absent is left alone.
pub fn remove_checked(expected: &FileState) -> Result<(), FsError> {
    let current = check_unchanged(expected)?;
    if current.content.is_none() {
        return Ok(());
    }
    match fs::remove_file(&expected.target) {
        Ok(()) => {}
        // Gone since the check: someone else changed it, and we must not claim we removed it.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(FsError::Conflict {
                path: expected.path.clone(),
            });
        }
        Err(e) => return Err(io_err("removing", &expected.target)(e)),
    }
    sync_dir(&parent_dir(&expected.target))?;
    tracing::debug!(path = %expected.path.display(), "removed file");
    Ok(())
}

/// Rejects labels that could escape `dir`, or start with '.' like our temp files do (so a
/// temp file can never be mistaken for a backup).
fn check_label(label: &str) -> Result<(), FsError> {
    let bad = label.is_empty()
        || label.starts_with('.')
        || label.len() > 150
        || label.contains(['/', '\\', '\0']);
    if bad {
        return Err(FsError::BadLabel {
            label: label.to_string(),
        });
    }
    Ok(())
}

/// Timestamped backup copy of `state` into `dir` (created 0o700), named
/// `<label>-<UTC %Y%m%dT%H%M%S%.3fZ>.bak`, mode 0o600, fsynced; then prunes to the newest
/// `keep` backups with that label (at least the new one is always kept). Returns the
/// backup's path. A state without content is [`FsError::NothingToBackUp`].
///
/// The copy is written to a temp file and linked into place, so a crash never leaves a
/// truncated backup, and a backup with the same millisecond is never overwritten (the next
/// millisecond is used instead).
pub fn backup(state: &FileState, dir: &Path, label: &str, keep: usize) -> Result<PathBuf, FsError> {
    check_label(label)?;
    let Some(content) = &state.content else {
        return Err(FsError::NothingToBackUp {
            path: state.path.clone(),
        });
    };
    ensure_dir(dir)?;
    let (tmp, mut file) = TempFile::create(dir, label)?;
    fill(&mut file, &tmp.path, content, SECRET_MODE)?;
    drop(file);

    let mut placed = None;
    for _ in 0..100 {
        let name = format!("{label}-{}.bak", Utc::now().format(BACKUP_TS));
        let dest = dir.join(name);
        if place_no_clobber(&tmp.path, &dest)? {
            placed = Some(dest);
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(tmp);
    let Some(dest) = placed else {
        return Err(FsError::Io {
            op: "choosing a free backup name in",
            path: dir.to_path_buf(),
            source: io::Error::from(io::ErrorKind::AlreadyExists),
        });
    };
    sync_dir(dir)?;
    tracing::debug!(backup = %dest.display(), path = %state.path.display(), "backed up");

    // Keep at least the one just made, whatever `keep` says and even if the clock went back.
    let mut pruned = false;
    for old in list_backups(dir, label)?.into_iter().skip(keep.max(1)) {
        if old.path == dest {
            continue;
        }
        match fs::remove_file(&old.path) {
            Ok(()) => pruned = true,
            // Another process pruned it first.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("removing the old backup", &old.path)(e)),
        }
    }
    if pruned {
        sync_dir(dir)?;
    }
    Ok(dest)
}

/// One backup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// Where it is.
    pub path: PathBuf,
    /// The label it was made under.
    pub label: String,
    /// When it was made (from its name, to the millisecond).
    pub created: DateTime<Utc>,
    /// Its size in bytes.
    pub size: u64,
}

/// The timestamp in `name` if it is exactly `<label>-<timestamp>.bak`. Parsing the fixed-size
/// timestamp (and checking it formats back identically) is what keeps label "a" from
/// claiming "a-b-...bak".
fn backup_time(name: &str, label: &str) -> Option<DateTime<Utc>> {
    let ts = name
        .strip_prefix(label)?
        .strip_prefix('-')?
        .strip_suffix(".bak")?;
    if ts.len() != BACKUP_TS_LEN {
        return None;
    }
    let parsed = NaiveDateTime::parse_from_str(ts, BACKUP_TS).ok()?.and_utc();
    (parsed.format(BACKUP_TS).to_string() == ts).then_some(parsed)
}

/// Backups for `label` in `dir`, newest first. Labels match exactly, not by prefix. A missing
/// folder has no backups.
pub fn list_backups(dir: &Path, label: &str) -> Result<Vec<Backup>, FsError> {
    check_label(label)?;
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("listing the backup folder", dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err("listing the backup folder", dir))?;
        let name = entry.file_name();
        let Some(created) = name.to_str().and_then(|n| backup_time(n, label)) else {
            continue;
        };
        let meta = match entry.metadata() {
            Ok(m) => m,
            // Pruned by another process while we listed.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err("looking at", &entry.path())(e)),
        };
        if !meta.is_file() {
            continue;
        }
        out.push(Backup {
            path: entry.path(),
            label: label.to_string(),
            created,
            size: meta.len(),
        });
    }
    out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.path.cmp(&a.path)));
    Ok(out)
}

/// An exclusive lock between Weathervane's own writers (the CLI and the desktop app at once),
/// held on `dir/switch.lock`. Released when dropped (or when the process dies: the OS drops
/// the lock with the file handle, so a crash never leaves it stuck).
#[derive(Debug)]
pub struct SwitchLock {
    file: File,
    path: PathBuf,
}

impl SwitchLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SwitchLock {
    fn drop(&mut self) {
        // Closing the handle would release it anyway; unlocking says so explicitly. The lock
        // file itself stays: deleting it would let two processes lock two different files.
        let _ = self.file.unlock();
    }
}

/// Takes the switch lock in `dir` (created 0o700 if missing), polling every 20 ms for up to
/// `wait`; [`FsError::Locked`] after that.
pub fn lock(dir: &Path, wait: Duration) -> Result<SwitchLock, FsError> {
    lock_with(dir, wait, || {})
}

/// [`lock`], calling `on_wait` each time the lock is found held (so a test can
/// release it exactly when someone is waiting, instead of sleeping and hoping).
fn lock_with(dir: &Path, wait: Duration, mut on_wait: impl FnMut()) -> Result<SwitchLock, FsError> {
    ensure_dir(dir)?;
    let path = dir.join(LOCK_FILE);
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(SECRET_MODE);
    }
    let file = opts
        .open(&path)
        .map_err(io_err("opening the lock file", &path))?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(SwitchLock { file, path }),
            Err(fs::TryLockError::WouldBlock) => on_wait(),
            Err(fs::TryLockError::Error(e)) => return Err(io_err("locking", &path)(e)),
        }
        let waited = start.elapsed();
        if waited >= wait {
            return Err(FsError::Locked { path });
        }
        std::thread::sleep(LOCK_POLL.min(wait - waited));
    }
}

#[cfg(test)]
mod orphan_tests {
    use super::*;

    /// Issue 18, item 6: temp files were judged by whether their pid was alive,
    /// and a busy machine reuses pids. The lock's holder removes them all.
    #[test]
    fn the_lock_holder_removes_every_temp_file_of_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.json");
        std::fs::write(&p, "{}").unwrap();
        // One of a dead writer, one whose pid is alive again (ours): both are litter.
        let dead = dir
            .path()
            .join(".settings.json.2147483646.0.0000abcd.wv-tmp");
        let reused = dir.path().join(format!(
            ".settings.json.{}.99.0000abcd.wv-tmp",
            std::process::id()
        ));
        // Not ours to judge: another file's temp files, and a look-alike name.
        let other = dir.path().join(".notes.txt.2147483646.0.0000abcd.wv-tmp");
        let longer = dir
            .path()
            .join(".settings.json.bak.2147483646.0.0000abcd.wv-tmp");
        for f in [&dead, &reused, &other, &longer] {
            std::fs::write(f, "partial").unwrap();
        }
        let held = lock(&dir.path().join("data"), Duration::ZERO).unwrap();
        assert_eq!(remove_stale_temps(&held, &p).unwrap(), 2);
        assert!(!dead.exists());
        assert!(!reused.exists(), "a reused pid does not keep litter alive");
        assert!(other.exists());
        assert!(longer.exists());

        let backups = dir.path().join("backups");
        std::fs::create_dir(&backups).unwrap();
        let b = backups.join(format!(
            ".codex-config.toml.{}.1.00c0ffee.wv-tmp",
            std::process::id()
        ));
        std::fs::write(&b, "partial").unwrap();
        assert_eq!(
            remove_stale_backup_temps(&held, &backups, "codex-config.toml").unwrap(),
            1
        );
        assert!(!b.exists());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[cfg(unix)]
    fn chmod(p: &Path, m: u32) {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
    }

    /// Every name in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn read_state_of_missing_file_is_absent() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("settings.json");
        let s = read_state(&p).unwrap();
        assert_eq!(s.content, None);
        assert_eq!(s.hash, "absent");
        assert_eq!(s.mode, None);
        assert_eq!(s.target, p);
    }

    #[test]
    fn debug_does_not_print_content() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k");
        fs::write(&p, "sk-secret-key").unwrap();
        let s = read_state(&p).unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("sk-secret-key"), "{dbg}");
        assert!(dbg.contains("13 bytes"), "{dbg}");
    }

    #[cfg(unix)]
    #[test]
    fn new_file_gets_0644_or_0600_when_secret() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.json");
        let s = write_atomic(&read_state(&p).unwrap(), b"{}", false).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"{}");
        assert_eq!(mode(&p), 0o644);
        assert_eq!(s.mode, Some(0o644));
        assert_eq!(s, read_state(&p).unwrap());

        let q = d.path().join("b.json");
        write_atomic(&read_state(&q).unwrap(), b"{}", true).unwrap();
        assert_eq!(mode(&q), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn existing_mode_is_kept_and_secret_forces_0600() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("config.toml");
        fs::write(&p, "a = 1\n").unwrap();
        chmod(&p, 0o640);
        let s = write_atomic(&read_state(&p).unwrap(), b"a = 2\n", false).unwrap();
        assert_eq!(mode(&p), 0o640);
        assert_eq!(s.mode, Some(0o640));
        assert_eq!(fs::read_to_string(&p).unwrap(), "a = 2\n");

        chmod(&p, 0o644);
        write_atomic(&read_state(&p).unwrap(), b"a = 3\n", true).unwrap();
        assert_eq!(mode(&p), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_survives_and_target_changes() {
        let d = tempfile::tempdir().unwrap();
        let real_dir = d.path().join("dotfiles");
        fs::create_dir(&real_dir).unwrap();
        let real = real_dir.join("settings.json");
        fs::write(&real, "old").unwrap();
        let link = d.path().join("settings.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();

        let s = read_state(&link).unwrap();
        assert_eq!(s.target, real);
        assert_eq!(s.path, link);
        write_atomic(&s, b"new", false).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_link(&link).unwrap(), real);
        assert_eq!(fs::read(&real).unwrap(), b"new");
        // The temp file went next to the target, and is gone.
        assert_eq!(names(&real_dir), vec!["settings.json"]);
        assert_eq!(names(d.path()), vec!["dotfiles", "settings.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn relative_symlink_and_chain() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a");
        let b = d.path().join("b");
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        let real = b.join("real.json");
        fs::write(&real, "1").unwrap();
        // a/mid -> ../b/real.json (relative), top -> a/mid (relative), chain of two.
        std::os::unix::fs::symlink("../b/real.json", a.join("mid")).unwrap();
        let top = d.path().join("top");
        std::os::unix::fs::symlink("a/mid", &top).unwrap();

        let s = read_state(&top).unwrap();
        assert_eq!(s.content.as_deref(), Some(&b"1"[..]));
        assert_eq!(
            fs::canonicalize(&s.target).unwrap(),
            fs::canonicalize(&real).unwrap()
        );
        write_atomic(&s, b"2", false).unwrap();
        assert_eq!(fs::read(&real).unwrap(), b"2");
        assert_eq!(fs::read_link(&top).unwrap(), Path::new("a/mid"));
        assert_eq!(
            fs::read_link(a.join("mid")).unwrap(),
            Path::new("../b/real.json")
        );
        assert_eq!(names(&b), vec!["real.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn dangling_symlink_creates_the_target() {
        let d = tempfile::tempdir().unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink("real", &link).unwrap();
        let s = read_state(&link).unwrap();
        assert_eq!(s.content, None);
        write_atomic(&s, b"x", false).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(d.path().join("real")).unwrap(), b"x");
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("b", d.path().join("a")).unwrap();
        std::os::unix::fs::symlink("a", d.path().join("b")).unwrap();
        assert!(matches!(
            read_state(&d.path().join("a")),
            Err(FsError::SymlinkLoop { .. })
        ));
    }

    #[test]
    fn conflict_when_content_changed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.json");
        fs::write(&p, "mine").unwrap();
        let s = read_state(&p).unwrap();
        fs::write(&p, "assistant's").unwrap();
        let err = write_atomic(&s, b"ours", false).unwrap_err();
        assert!(
            matches!(&err, FsError::Conflict { path } if path == &p),
            "{err}"
        );
        assert!(err.to_string().contains("nothing was written"));
        assert_eq!(fs::read(&p).unwrap(), b"assistant's");
        assert_eq!(names(d.path()), vec!["s.json"]);
    }

    #[test]
    fn conflict_when_file_deleted() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.json");
        fs::write(&p, "mine").unwrap();
        let s = read_state(&p).unwrap();
        fs::remove_file(&p).unwrap();
        assert!(matches!(
            write_atomic(&s, b"ours", false),
            Err(FsError::Conflict { .. })
        ));
        assert!(!p.exists());
        assert!(names(d.path()).is_empty());
    }

    #[test]
    fn conflict_when_file_created_where_absent() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.json");
        let s = read_state(&p).unwrap();
        fs::write(&p, "assistant's").unwrap();
        assert!(matches!(
            write_atomic(&s, b"ours", false),
            Err(FsError::Conflict { .. })
        ));
        assert_eq!(fs::read(&p).unwrap(), b"assistant's");
        assert_eq!(names(d.path()), vec!["s.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn conflict_when_symlink_repointed() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("one"), "same").unwrap();
        fs::write(d.path().join("two"), "same").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink("one", &link).unwrap();
        let s = read_state(&link).unwrap();
        fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink("two", &link).unwrap();
        assert!(matches!(
            write_atomic(&s, b"x", false),
            Err(FsError::Conflict { .. })
        ));
        assert_eq!(fs::read(d.path().join("one")).unwrap(), b"same");
        assert_eq!(fs::read(d.path().join("two")).unwrap(), b"same");
    }

    #[test]
    fn no_temp_files_after_success() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.json");
        let mut s = read_state(&p).unwrap();
        for i in 0..5 {
            s = write_atomic(&s, format!("v{i}").as_bytes(), false).unwrap();
        }
        assert_eq!(fs::read(&p).unwrap(), b"v4");
        assert_eq!(names(d.path()), vec!["s.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn writes_into_missing_parent_dirs() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".codex/sub/config.toml");
        write_atomic(&read_state(&p).unwrap(), b"model = \"x\"\n", false).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"model = \"x\"\n");
        assert_eq!(mode(&d.path().join(".codex")) & 0o077, 0);
        assert_eq!(names(&d.path().join(".codex/sub")), vec!["config.toml"]);
    }

    #[test]
    fn directory_at_path_is_not_a_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("settings.json");
        fs::create_dir(&p).unwrap();
        assert!(matches!(read_state(&p), Err(FsError::NotAFile { .. })));

        // And one appearing after the read is refused too, leaving it in place.
        let q = d.path().join("other.json");
        let s = read_state(&q).unwrap();
        fs::create_dir(&q).unwrap();
        assert!(matches!(
            write_atomic(&s, b"x", false),
            Err(FsError::NotAFile { .. })
        ));
        assert!(q.is_dir());
    }

    #[test]
    fn remove_checked_removes_and_checks() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.json");
        let s = write_atomic(&read_state(&p).unwrap(), b"ours", false).unwrap();
        remove_checked(&s).unwrap();
        assert!(!p.exists());
        // Absent and still absent: nothing to do.
        remove_checked(&read_state(&p).unwrap()).unwrap();

        let s = write_atomic(&read_state(&p).unwrap(), b"ours", false).unwrap();
        fs::write(&p, "assistant's").unwrap();
        assert!(matches!(remove_checked(&s), Err(FsError::Conflict { .. })));
        assert_eq!(fs::read(&p).unwrap(), b"assistant's");
    }

    #[cfg(unix)]
    #[test]
    fn remove_checked_through_symlink_removes_the_target() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        fs::write(&real, "x").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink("real", &link).unwrap();
        remove_checked(&read_state(&link).unwrap()).unwrap();
        assert!(!real.exists());
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn backup_name_mode_content() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("settings.json");
        fs::write(&p, "{\"hooks\":{}}").unwrap();
        let bdir = d.path().join("backups");
        let b = backup(
            &read_state(&p).unwrap(),
            &bdir,
            "claude-code-settings.json",
            5,
        )
        .unwrap();
        assert_eq!(fs::read(&b).unwrap(), b"{\"hooks\":{}}");
        let name = b.file_name().unwrap().to_str().unwrap();
        let ts = name
            .strip_prefix("claude-code-settings.json-")
            .unwrap()
            .strip_suffix(".bak")
            .unwrap();
        let parsed = NaiveDateTime::parse_from_str(ts, BACKUP_TS)
            .unwrap()
            .and_utc();
        assert!((Utc::now() - parsed).num_seconds().abs() < 60, "{name}");
        assert!(ts.ends_with('Z') && ts.len() == BACKUP_TS_LEN, "{ts}");
        #[cfg(unix)]
        {
            assert_eq!(mode(&b), 0o600);
            assert_eq!(mode(&bdir), 0o700);
        }
        assert_eq!(names(&bdir), vec![name.to_string()]);
    }

    #[test]
    fn backup_of_absent_file_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let s = read_state(&d.path().join("nope")).unwrap();
        assert!(matches!(
            backup(&s, d.path(), "x", 3),
            Err(FsError::NothingToBackUp { .. })
        ));
    }

    #[test]
    fn bad_labels_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, "x").unwrap();
        let s = read_state(&p).unwrap();
        for label in ["", "../x", "a/b", ".hidden"] {
            assert!(
                matches!(
                    backup(&s, d.path(), label, 3),
                    Err(FsError::BadLabel { .. })
                ),
                "{label:?}"
            );
        }
    }

    #[test]
    fn backups_are_pruned_and_listed_newest_first_by_exact_label() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        let bdir = d.path().join("b");
        let mut made = Vec::new();
        for i in 0..6 {
            fs::write(&p, format!("v{i}")).unwrap();
            made.push(backup(&read_state(&p).unwrap(), &bdir, "a", 3).unwrap());
            std::thread::sleep(Duration::from_millis(2));
        }
        // A label that has "a" as a prefix, and an unrelated file.
        fs::write(&p, "other").unwrap();
        let ab = backup(&read_state(&p).unwrap(), &bdir, "a-b", 3).unwrap();
        fs::write(bdir.join("a-notatimestamp.bak"), "junk").unwrap();

        let list = list_backups(&bdir, "a").unwrap();
        let paths: Vec<&PathBuf> = list.iter().map(|b| &b.path).collect();
        assert_eq!(paths, vec![&made[5], &made[4], &made[3]]);
        assert!(list.windows(2).all(|w| w[0].created > w[1].created));
        assert_eq!(fs::read(&list[0].path).unwrap(), b"v5");
        assert_eq!(list[0].size, 2);
        assert!(list.iter().all(|b| b.label == "a"));
        for old in &made[..3] {
            assert!(!old.exists());
        }
        let list_ab = list_backups(&bdir, "a-b").unwrap();
        assert_eq!(list_ab.len(), 1);
        assert_eq!(list_ab[0].path, ab);
        assert!(bdir.join("a-notatimestamp.bak").exists());
        assert!(
            list_backups(&d.path().join("missing"), "a")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn backups_in_the_same_millisecond_do_not_overwrite() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, "x").unwrap();
        let s = read_state(&p).unwrap();
        let made: Vec<PathBuf> = (0..5)
            .map(|_| backup(&s, d.path(), "q", 0).unwrap())
            .collect();
        // keep = 0 still keeps the newest.
        let list = list_backups(d.path(), "q").unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].path, made[4]);
    }

    #[test]
    fn lock_waits_then_fails_then_succeeds_after_release() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().to_path_buf();
        let first = lock(&dir, Duration::ZERO).unwrap();
        assert_eq!(first.path(), dir.join("switch.lock"));

        let dir2 = dir.clone();
        let waited = std::thread::spawn(move || {
            let start = Instant::now();
            let r = lock(&dir2, Duration::from_millis(150));
            (start.elapsed(), r.map(|_| ()))
        })
        .join()
        .unwrap();
        assert!(waited.0 >= Duration::from_millis(150), "{:?}", waited.0);
        assert!(matches!(waited.1, Err(FsError::Locked { .. })));

        // Released while another waits: the waiter gets it. The release happens once the
        // waiter has found the lock held, whatever the machine's load.
        let dir3 = dir.clone();
        let (waiting_tx, waiting) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            lock_with(&dir3, Duration::from_secs(60), || {
                let _ = waiting_tx.send(());
            })
            .map(|_| ())
        });
        waiting.recv().unwrap();
        drop(first);
        waiter.join().unwrap().unwrap();

        // And it is free again afterwards.
        let _again = lock(&dir, Duration::ZERO).unwrap();
    }

    #[test]
    fn readers_never_see_a_partial_write() {
        let d = tempfile::tempdir().unwrap();
        let p = Arc::new(d.path().join("settings.json"));
        let a = Arc::new(vec![b'A'; 64 * 1024]);
        let b = Arc::new(vec![b'B'; 64 * 1024]);
        write_atomic(&read_state(&p).unwrap(), &a, false).unwrap();

        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (p, a, b, stop) = (p.clone(), a.clone(), b.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let got = fs::read(&*p).unwrap();
                    assert!(
                        got == *a || got == *b,
                        "partial read of {} bytes",
                        got.len()
                    );
                    reads += 1;
                }
                reads
            })
        };
        let writers: Vec<_> = (0..8)
            .map(|t| {
                let (p, a, b) = (p.clone(), a.clone(), b.clone());
                std::thread::spawn(move || {
                    let mut ok = 0;
                    for i in 0..40 {
                        let body = if (t + i) % 2 == 0 { &a } else { &b };
                        match write_atomic(&read_state(&p).unwrap(), body, false) {
                            Ok(_) => ok += 1,
                            Err(FsError::Conflict { .. }) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                    ok
                })
            })
            .collect();
        let written: i32 = writers.into_iter().map(|w| w.join().unwrap()).sum();
        stop.store(true, Ordering::Relaxed);
        let reads = reader.join().unwrap();
        assert!(written > 0);
        assert!(reads > 0);
        assert_eq!(names(d.path()), vec!["settings.json"]);
    }
}
