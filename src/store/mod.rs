//! SQLite history: observations, component changes, incidents, transitions, rollups and retention.
//!
//! One [`Store`] owns one synchronous rusqlite connection. The CLI and the desktop app
//! open the same file at once, so the database runs in WAL mode with a busy timeout and
//! every write transaction starts `IMMEDIATE` (a deferred transaction that upgrades from
//! read to write can fail at once with `SQLITE_BUSY` instead of waiting).
//!
//! All days and hours are UTC: day `d` is `[d 00:00:00Z, d+1 00:00:00Z)`.
//! Time is weighted by samples: a sample covers the time until the next sample of the
//! same provider, but at most [`Store::max_gap`]; time not covered is `unknown`.

// Synthetic history for benchmarks and tests only: never in what ships.
mod backfill;
#[cfg(any(test, feature = "synthetic"))]
mod generate;
mod migrations;
mod probes;
mod queries;
mod record;
mod rollup;
mod sessions;
mod switches;
mod timeline;

use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension};
use serde::Serialize;

use crate::model::{Impact, IncidentKind, IncidentStatus, IncidentUpdate, Status};

pub use backfill::{BACKFILL_DAYS, BackfillStats};
#[cfg(any(test, feature = "synthetic"))]
pub use generate::{GENERATED_PROVIDER_IDS, generate_history};
pub use migrations::SCHEMA_VERSION;
pub use probes::{IncidentLead, ProbePoint};
pub use switches::{SwitchFile, SwitchRecord};

/// How long a writer waits for the other process's lock before giving up.
pub(crate) const BUSY_TIMEOUT: StdDuration = StdDuration::from_secs(5);
/// Default longest time one sample is taken to stand for (see [`Store::max_gap`]).
pub const DEFAULT_MAX_GAP_SECS: i64 = 5 * 60;
/// Raw samples and component changes are kept this long.
pub const RAW_RETENTION_DAYS: i64 = 30;
/// Hourly and daily rollups and transitions are kept this long.
pub const ROLLUP_RETENTION_DAYS: i64 = 400;

/// Everything that can go wrong with the history database, worded so a user can act.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create or reach {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the history database {path}: {source}")]
    CannotOpen {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the history database {path} is read-only (a read-only disk, or the permissions of the file and its folder)"
    )]
    ReadOnly { path: PathBuf },
    #[error("the disk holding the history database {path} is full; free some space and retry")]
    DiskFull { path: PathBuf },
    #[error(
        "the history database {path} stayed locked by another Weathervane process for more than 5 s"
    )]
    Busy { path: PathBuf },
    #[error(
        "the history database {path} is damaged ({detail}); move it aside and Weathervane will start a new one"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the history database {path} was written by a newer Weathervane (schema {found}, this build knows {supported}); refusing to open it. Update Weathervane, or point --data-dir elsewhere"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "upgrading the history database {path} failed ({detail}); nothing was lost, the upgrade is retried at the next start"
    )]
    Migration { path: PathBuf, detail: String },
    #[error(
        "a value in the history database {path} is damaged ({detail}); move the file aside and Weathervane will start a new one"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "the history database {path} failed ({detail}); if this happens again, move the file aside and Weathervane will start a new one"
    )]
    Failed { path: PathBuf, detail: String },
    /// Only until [`StoreError::with_path`] gives it a file and a sentence; never shown
    /// from a public method.
    #[error("history database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// As [`StoreError::Sqlite`]: a stored observation that does not decode is a damaged cell.
    #[error("a stored observation could not be encoded or decoded: {0}")]
    Json(#[from] serde_json::Error),
}

impl StoreError {
    /// Turn SQLite's generic failures into the ones a user can do something about,
    /// naming the file.
    fn with_path(self, path: &Path) -> StoreError {
        let e = match self {
            StoreError::Sqlite(e) => e,
            StoreError::Json(e) => {
                return StoreError::Damaged {
                    path: path.to_path_buf(),
                    detail: format!("a stored observation does not decode: {e}"),
                };
            }
            other => return other,
        };
        let path = path.to_path_buf();
        if matches!(
            e,
            rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::IntegralValueOutOfRange(..)
                | rusqlite::Error::InvalidColumnType(..)
                | rusqlite::Error::Utf8Error(..)
        ) {
            // A cell holding what its column never holds: rusqlite says only
            // "Conversion error".
            return StoreError::Damaged {
                path,
                detail: e.to_string(),
            };
        }
        match e.sqlite_error_code() {
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path },
            Some(ErrorCode::DiskFull) => StoreError::DiskFull { path },
            // A write that hits a full disk through WAL or the shared-memory file comes back
            // as a generic I/O error: say what it is when the disk is in fact full.
            Some(ErrorCode::SystemIoFailure) if disk_is_full(&path) => {
                StoreError::DiskFull { path }
            }
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
                StoreError::Busy { path }
            }
            Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => {
                StoreError::Corrupt {
                    path,
                    detail: e.to_string(),
                }
            }
            Some(ErrorCode::CannotOpen) | Some(ErrorCode::PermissionDenied)
                if !dir_writable(&path) =>
            {
                StoreError::ReadOnly { path }
            }
            Some(ErrorCode::CannotOpen) | Some(ErrorCode::PermissionDenied) => {
                StoreError::CannotOpen { path, source: e }
            }
            _ => StoreError::Failed {
                path,
                detail: e.to_string(),
            },
        }
    }

    /// A failed migration step, in words: rusqlite_migration's Display is a Debug dump.
    pub(crate) fn from_migration(e: rusqlite_migration::Error, path: &Path) -> StoreError {
        match e {
            rusqlite_migration::Error::RusqliteError { err, .. } => {
                match StoreError::Sqlite(err).with_path(path) {
                    StoreError::Failed { path, detail } => StoreError::Migration { path, detail },
                    other => other,
                }
            }
            rusqlite_migration::Error::SpecifiedSchemaVersion(v) => StoreError::Migration {
                path: path.to_path_buf(),
                detail: v.to_string(),
            },
            other => StoreError::Migration {
                path: path.to_path_buf(),
                detail: std::error::Error::source(&other)
                    .map_or_else(|| "schema step failed".to_string(), |s| s.to_string()),
            },
        }
    }
}

/// Less than 64 KiB free for us on the file system holding `path`.
#[cfg(unix)]
fn disk_is_full(path: &Path) -> bool {
    let dir = path.parent().unwrap_or(path);
    rustix::fs::statvfs(dir).is_ok_and(|st| st.f_bavail.saturating_mul(st.f_frsize) < 64 * 1024)
}

#[cfg(not(unix))]
fn disk_is_full(_path: &Path) -> bool {
    false
}

/// Can we create files next to `path`? No on a read-only disk or folder; anything else
/// (a missing folder, say) is not this question's answer.
#[cfg(unix)]
fn dir_writable(path: &Path) -> bool {
    let dir = path.parent().unwrap_or(path);
    use rustix::io::Errno;
    !matches!(
        rustix::fs::access(dir, rustix::fs::Access::WRITE_OK),
        Err(Errno::ROFS) | Err(Errno::ACCESS) | Err(Errno::PERM)
    )
}

#[cfg(not(unix))]
fn dir_writable(_path: &Path) -> bool {
    true
}

/// Seconds per status, indexed by [`Status::code`].
pub type StatusSeconds = [i64; 6];

/// Time spent in each status over a window, and the resulting availability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Uptime {
    /// Seconds per status indexed by [`Status::code`]; `unknown` includes time with no data.
    pub seconds: StatusSeconds,
    /// Seconds in any known status (everything but `unknown`).
    pub known_seconds: i64,
    /// Percentage (0..=100) of known time NOT in partial or major outage (degraded and
    /// maintenance count as up); `None` when nothing is known.
    pub pct: Option<f64>,
}

impl Uptime {
    pub(crate) fn from_seconds(mut seconds: StatusSeconds, window: i64) -> Uptime {
        let known: i64 = seconds[..5].iter().sum();
        // Unknown is whatever the known states leave of the window, gaps included.
        seconds[Status::Unknown.code() as usize] = (window - known).max(0);
        let down = seconds[Status::PartialOutage.code() as usize]
            + seconds[Status::MajorOutage.code() as usize];
        let pct = (known > 0).then(|| (known - down) as f64 * 100.0 / known as f64);
        Uptime {
            seconds,
            known_seconds: known,
            pct,
        }
    }

    /// Seconds spent in one status.
    pub fn in_status(&self, s: Status) -> i64 {
        self.seconds[s.code() as usize]
    }
}

/// One day of a 90-day uptime bar (UTC day).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayBar {
    pub date: NaiveDate,
    /// Worst status with any time that day; `Unknown` if no data.
    pub worst: Status,
    pub uptime_pct: Option<f64>,
    /// Seconds per status indexed by [`Status::code`]; `unknown` includes time with no data.
    pub seconds: StatusSeconds,
    /// Incidents (and maintenances) active at some point that day.
    pub incident_ids: Vec<String>,
    /// The day is from the status page's own history (before our first observation),
    /// not observed by us.
    pub backfilled: bool,
}

/// An incident as the store knows it, with our own first sighting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredIncident {
    pub provider_id: String,
    pub id: String,
    pub kind: IncidentKind,
    pub title: String,
    pub impact: Impact,
    pub status: IncidentStatus,
    /// What the status page says; some sources (incident.io) do not say.
    pub started_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// When Weathervane first saw it (distinct from `started_at`).
    pub first_seen_at: DateTime<Utc>,
    /// When Weathervane last saw it in a source's list.
    pub last_seen_at: DateTime<Utc>,
    pub url: Option<String>,
    pub components: Vec<String>,
    /// `resolved_at - started_at` (or `- first_seen_at` when the page gives no start);
    /// `None` while open.
    #[serde(skip)]
    pub duration: Option<chrono::Duration>,
    /// Newest first.
    pub updates: Vec<IncidentUpdate>,
    /// Seconds Weathervane's probes saw trouble before the page (negative: after).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_secs: Option<i64>,
    /// Probes were running around it (a None lead then means they saw nothing).
    #[serde(skip)]
    pub lead_probed: bool,
    /// Seconds the user's own sessions saw provider trouble before the page (negative:
    /// after); None when they saw nothing around it.
    #[serde(skip)]
    pub sessions_lead_secs: Option<i64>,
}

/// A change of a provider's status, or of one of its components' statuses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    pub provider_id: String,
    /// `None` for the provider's own (derived) status.
    pub component_id: Option<String>,
    pub component_name: Option<String>,
    pub at: DateTime<Utc>,
    pub from: Status,
    pub to: Status,
}

/// What one [`Store::prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PruneStats {
    pub samples: usize,
    pub component_changes: usize,
    pub rollup_rows: usize,
    pub transitions: usize,
}

/// The history database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    max_gap: i64,
    /// The file this connection writes, to notice it was deleted or replaced underneath
    /// (`None` in memory).
    identity: Option<FileIdentity>,
}

/// Which file a path names: device and inode on Unix, existence elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity(u64, u64);

fn file_identity(path: &Path) -> Option<FileIdentity> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(FileIdentity(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Some(FileIdentity(0, 0))
    }
}

impl Store {
    /// Open (creating if needed) the database at `path` and bring its schema up to date.
    ///
    /// Refuses a database written by a newer schema with [`StoreError::TooNew`].
    #[tracing::instrument]
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        // Before anything can write to it (switching to WAL rewrites the header, a
        // migration the schema): a newer version's file is refused untouched.
        refuse_if_too_new(path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        create_private_file(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                StoreError::ReadOnly {
                    path: path.to_path_buf(),
                }
            }
            _ => StoreError::Io {
                path: path.to_path_buf(),
                source,
            },
        })?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::CannotOpen {
            path: path.to_path_buf(),
            source,
        })?;
        Store::init(conn, path.to_path_buf(), true).map_err(|e| e.with_path(path))
    }

    /// Open an existing database only to read it, for quick readers such as the status
    /// line: creates no folder and no database file, runs no migration, never switches
    /// the journal mode, and waits at most `busy` for a writer's lock. A missing file is
    /// [`StoreError::Io`] with [`std::io::ErrorKind::NotFound`]; a file whose schema is
    /// not this build's (older: the next read-write open upgrades it) is
    /// [`StoreError::Migration`] or [`StoreError::TooNew`].
    ///
    /// (SQLite may still create the `-wal` and `-shm` files beside an existing WAL
    /// database: readers need the shared-memory index.)
    pub fn open_read_only(path: &Path, busy: StdDuration) -> Result<Store, StoreError> {
        refuse_if_too_new(path)?;
        if let Err(source) = std::fs::metadata(path) {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::CannotOpen {
            path: path.to_path_buf(),
            source,
        })?;
        let init = || -> Result<i64, StoreError> {
            conn.busy_timeout(busy)?;
            Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
        };
        let found = init().map_err(|e| e.with_path(path))?;
        if found != SCHEMA_VERSION {
            return Err(StoreError::Migration {
                path: path.to_path_buf(),
                detail: format!(
                    "schema {found}, this build reads {SCHEMA_VERSION}; opening it for writing upgrades it"
                ),
            });
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            max_gap: DEFAULT_MAX_GAP_SECS,
            identity: None,
        })
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Store::init(conn, PathBuf::from(":memory:"), false)
    }

    fn init(mut conn: Connection, path: PathBuf, wal: bool) -> Result<Store, StoreError> {
        // The busy timeout first: switching to WAL itself needs the lock briefly.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if wal {
            let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(%mode, "could not switch the history database to WAL");
            }
        }
        // NORMAL is durable in WAL mode except for the last commits on power loss,
        // which for a poll history is the right trade for fewer fsyncs.
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
        migrations::migrate(&mut conn, &path)?;
        let identity = if wal { file_identity(&path) } else { None };
        Ok(Store {
            conn,
            path,
            max_gap: DEFAULT_MAX_GAP_SECS,
            identity,
        })
    }

    /// Was our database file deleted or replaced since it was opened (its folder removed by
    /// a clean-up, say)? SQLite keeps writing into the unlinked file then, and all of that
    /// history is lost when the process ends.
    pub fn was_removed(&self) -> bool {
        self.identity
            .is_some_and(|ours| file_identity(&self.path) != Some(ours))
    }

    /// Open the database at the same path again (creating folder and file as
    /// [`Store::open`] does), dropping the connection to the old file.
    pub fn reopen(&mut self) -> Result<(), StoreError> {
        let mut fresh = Store::open(&self.path)?;
        fresh.max_gap = self.max_gap;
        *self = fresh;
        Ok(())
    }

    /// Where the database lives (`:memory:` for an in-memory one).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The longest time one sample stands for; beyond it, time is `unknown`.
    pub fn max_gap(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.max_gap)
    }

    /// Change [`Store::max_gap`] (at least one second). Rollups already computed keep the
    /// gap they were computed with.
    pub fn set_max_gap(&mut self, gap: chrono::Duration) {
        self.max_gap = gap.num_seconds().max(1);
    }

    /// `PRAGMA integrity_check`; [`StoreError::Corrupt`] with SQLite's findings if not ok.
    #[tracing::instrument(skip(self))]
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let run = || -> Result<Vec<String>, rusqlite::Error> {
            let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect()
        };
        let found = run().map_err(|e| StoreError::from(e).with_path(&self.path))?;
        if found.len() == 1 && found[0] == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: found.join("; "),
            })
        }
    }

    /// Attach the path to SQLite errors a user can act on.
    fn ctx<T>(&self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        r.map_err(|e| e.with_path(&self.path))
    }
}

/// The data folder, 0700 where we create it: the history says which services the user
/// relies on and when they work. An existing folder is left as the user set it.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Create the database file 0600 before SQLite does (SQLite would make it 0644 under the
/// usual umask, and gives its `-wal` and `-shm` files the database file's mode). An
/// existing file is left alone.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    match o.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Read the schema version from the file's header (`user_version`, big-endian at byte
/// 60 of an SQLite file) without opening it through SQLite, so nothing is written: not
/// even the `-wal` and `-shm` files a read-only connection may create. A missing, short
/// or non-SQLite file is for [`Store::open`] to judge.
fn refuse_if_too_new(path: &Path) -> Result<(), StoreError> {
    use std::io::Read;
    let mut header = [0u8; 100];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header));
    if read.is_err() || &header[..16] != b"SQLite format 3\0" {
        return Ok(());
    }
    let found = i64::from(i32::from_be_bytes([
        header[60], header[61], header[62], header[63],
    ]));
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

pub(crate) fn ts(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

pub(crate) fn from_ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::model::{ComponentState, Observation};
    use chrono::TimeZone;

    pub fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 10, 0, 0, 0).unwrap()
    }

    pub fn obs(provider: &str, at: DateTime<Utc>, status: Status) -> Observation {
        Observation {
            provider_id: provider.into(),
            at,
            status,
            source_ok: status != Status::Unknown,
            http_status: Some(200),
            latency_ms: Some(120),
            error: None,
            reason: None,
            missing_watched: vec![],
            components: if status == Status::Unknown {
                vec![]
            } else {
                vec![
                    ComponentState {
                        id: "api".into(),
                        name: "API".into(),
                        status,
                        watched: true,
                    },
                    ComponentState {
                        id: "web".into(),
                        name: "Web".into(),
                        status: Status::Operational,
                        watched: false,
                    },
                ]
            },
            incidents: vec![],
        }
    }
}

// Provider keys are the store's own: every table that names a provider goes through these.
/// The integer key of a provider, created on first use.
pub(crate) fn provider_key(conn: &Connection, id: &str) -> Result<i64, rusqlite::Error> {
    conn.prepare_cached("INSERT INTO providers(id) VALUES (?1) ON CONFLICT(id) DO NOTHING")?
        .execute([id])?;
    conn.prepare_cached("SELECT key FROM providers WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
}

/// The key of an existing provider, `None` if we never recorded it.
pub(crate) fn find_provider(conn: &Connection, id: &str) -> Result<Option<i64>, rusqlite::Error> {
    conn.prepare_cached("SELECT key FROM providers WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_percentage_counts_degraded_and_maintenance_as_up() {
        let u = Uptime::from_seconds([600, 100, 100, 100, 100, 0], 1200);
        assert_eq!(u.known_seconds, 1000);
        assert_eq!(u.in_status(Status::Unknown), 200);
        assert_eq!(u.pct, Some(80.0));
        assert_eq!(Uptime::from_seconds([0; 6], 100).pct, None);
    }

    #[test]
    fn unwritable_directory_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("blocker");
        std::fs::write(&file, b"x").unwrap();
        // The parent "directory" is a regular file, so it cannot be created.
        let err = Store::open(&file.join("sub").join("h.db")).unwrap_err();
        assert!(matches!(err, StoreError::Io { .. }), "{err}");
        assert!(err.to_string().contains("blocker"), "{err}");
    }

    #[test]
    fn read_only_open_creates_nothing_and_reads_what_a_writer_wrote() {
        use crate::store::test_support::{obs, t0};
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let p = data.join("h.db");
        let busy = StdDuration::from_millis(50);
        let err = Store::open_read_only(&p, busy).unwrap_err();
        assert!(
            matches!(&err, StoreError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
            "{err}"
        );
        assert!(!data.exists(), "no data folder made");

        let mut w = Store::open(&p).unwrap();
        w.record(&obs("a", t0(), Status::Degraded)).unwrap();
        let r = Store::open_read_only(&p, busy).unwrap();
        assert_eq!(r.latest_all().unwrap()[0].status, Status::Degraded);
        // It cannot write, even by mistake.
        assert!(r.conn.execute("DELETE FROM samples", []).is_err());

        // Not a database: an error, the file left as it was.
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"not sqlite at all, just text").unwrap();
        assert!(Store::open_read_only(&junk, busy).is_err());
        assert_eq!(
            std::fs::read(&junk).unwrap(),
            b"not sqlite at all, just text"
        );

        // An older schema is left for a writer to upgrade.
        let old = dir.path().join("old.db");
        rusqlite::Connection::open(&old)
            .unwrap()
            .execute_batch("PRAGMA user_version = 1; CREATE TABLE t(x);")
            .unwrap();
        let err = Store::open_read_only(&old, busy).unwrap_err();
        assert!(matches!(err, StoreError::Migration { .. }), "{err}");
    }

    /// The CLI and the desktop app write the same file at once.
    #[test]
    fn two_handles_on_one_file_write_interleaved() {
        use crate::store::test_support::{obs, t0};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("history.db");
        let writers: Vec<_> = ["cli", "app"]
            .into_iter()
            .map(|who| {
                let p = p.clone();
                std::thread::spawn(move || {
                    // Each thread opens its own handle, as a separate process would,
                    // including racing on the first migration.
                    let mut s = Store::open(&p).unwrap();
                    for i in 0..200 {
                        let at = t0() + chrono::Duration::seconds(i);
                        s.record(&obs(who, at, Status::Operational)).unwrap();
                        s.record(&obs("shared", at, Status::Degraded)).unwrap();
                        if i % 50 == 0 {
                            s.maintain(at).unwrap();
                            s.latest_all().unwrap();
                        }
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let s = Store::open(&p).unwrap();
        s.integrity_check().unwrap();
        let all = s.latest_all().unwrap();
        let ids: Vec<&str> = all.iter().map(|o| o.provider_id.as_str()).collect();
        assert_eq!(ids, ["app", "cli", "shared"]);
        let n: i64 = s
            .conn
            .query_row("SELECT count(*) FROM samples", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 600);
    }

    #[test]
    fn a_deleted_database_is_noticed_and_reopened() {
        use crate::store::test_support::{obs, t0};
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let p = data.join("h.db");
        let mut s = Store::open(&p).unwrap();
        s.record(&obs("a", t0(), Status::Operational)).unwrap();
        assert!(!s.was_removed());
        std::fs::remove_dir_all(&data).unwrap();
        assert!(s.was_removed());
        s.reopen().unwrap();
        assert!(!s.was_removed());
        s.record(&obs("b", t0(), Status::Degraded)).unwrap();
        let again = Store::open(&p).unwrap();
        assert_eq!(again.latest_all().unwrap().len(), 1);
        // Replaced by another file under the same name: noticed too.
        std::fs::rename(&p, data.join("old.db")).unwrap();
        std::fs::write(&p, b"").unwrap();
        assert!(s.was_removed());
        assert!(!Store::open_in_memory().unwrap().was_removed());
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_is_0600_in_a_0700_folder() {
        use crate::store::test_support::{obs, t0};
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("share").join("weathervane");
        let p = data.join("weathervane.db");
        let mut s = Store::open(&p).unwrap();
        s.record(&obs("a", t0(), Status::Operational)).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700, "data folder");
        assert_eq!(mode(&dir.path().join("share")), 0o700, "created parent");
        for f in std::fs::read_dir(&data).unwrap() {
            let f = f.unwrap().path();
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
        // A folder and file the user already has keep their modes.
        let mine = dir.path().join("mine");
        std::fs::create_dir(&mine).unwrap();
        std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o750)).unwrap();
        Store::open(&mine.join("h.db")).unwrap();
        assert_eq!(mode(&mine), 0o750);
    }

    /// Every store error names the file and says what to do; none is a Debug dump or a bare
    /// "Conversion error".
    #[test]
    fn store_errors_name_the_file_and_what_to_do() {
        use crate::store::test_support::{obs, t0};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.db");
        let mut s = Store::open(&p).unwrap();
        s.record(&obs("a", t0(), Status::Operational)).unwrap();
        // A damaged cell: the latest observation is not text.
        s.conn
            .execute_batch("UPDATE latest SET observation = x'00ff'")
            .unwrap();
        let m = s.latest_all().unwrap_err().to_string();
        assert!(
            m.contains("h.db") && m.contains("move the file aside"),
            "{m}"
        );
        // A cell that is text but not an observation.
        s.conn
            .execute_batch("UPDATE latest SET observation = '{\"nope\": 1}'")
            .unwrap();
        let m = s.latest("a").unwrap_err().to_string();
        assert!(m.contains("h.db") && m.contains("damaged"), "{m}");

        // A full disk during an upgrade: words, not rusqlite_migration's Debug dump.
        let full = rusqlite_migration::Error::RusqliteError {
            query: "CREATE TABLE x(y)".into(),
            err: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                None,
            ),
        };
        let m = StoreError::from_migration(full, &p).to_string();
        assert!(
            m.contains("h.db") && m.contains("full; free some space"),
            "{m}"
        );
        assert!(!m.contains("RusqliteError") && !m.contains('{'), "{m}");
        let other = rusqlite_migration::Error::RusqliteError {
            query: "CREATE TABLE x(y)".into(),
            err: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
                Some("disk I/O error".into()),
            ),
        };
        let m = StoreError::from_migration(other, &p).to_string();
        assert!(m.contains("h.db") && !m.contains("RusqliteError"), "{m}");
    }

    #[test]
    fn garbage_file_is_reported_as_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.db");
        std::fs::write(&p, vec![0x5au8; 8192]).unwrap();
        let err = Store::open(&p).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("h.db"));
    }
}
