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
const BUSY_TIMEOUT: StdDuration = StdDuration::from_secs(5);
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
        "database was written by a newer Weathervane (schema {found}, this build knows {supported}); refusing to open it"
    )]
    TooNew { found: i64, supported: i64 },
    #[error("upgrading the history database schema failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("history database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a stored observation could not be encoded or decoded: {0}")]
    Json(#[from] serde_json::Error),
}

impl StoreError {
    /// Turn SQLite's generic failures into the ones a user can do something about,
    /// naming the file.
    fn with_path(self, path: &Path) -> StoreError {
        let StoreError::Sqlite(e) = self else {
            return self;
        };
        let path = path.to_path_buf();
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
            _ => StoreError::Sqlite(e),
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
}

impl Store {
    /// Open (creating if needed) the database at `path` and bring its schema up to date.
    ///
    /// Refuses a database written by a newer schema with [`StoreError::TooNew`].
    #[tracing::instrument]
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
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
        migrations::migrate(&mut conn)?;
        Ok(Store {
            conn,
            path,
            max_gap: DEFAULT_MAX_GAP_SECS,
        })
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
    fn garbage_file_is_reported_as_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.db");
        std::fs::write(&p, vec![0x5au8; 8192]).unwrap();
        let err = Store::open(&p).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("h.db"));
    }
}
