//! Codex CLI's own log database, `$CODEX_HOME/logs_2.sqlite`: where Codex writes its
//! "Reconnecting… n/5" sampling retries as they happen (its rollouts keep only the final error,
//! one retry cycle later). Read strictly read-only, a few rows at a time, never holding a lock:
//! a short read transaction per file change, a connection closed after each, rows newer than the
//! last one read (the cursor is part of the persisted [`FollowState`]).
//!
//! Checked against openai/codex (late 2026):
//! - `codex-rs/state/logs_migrations/0002_logs_feedback_log_body.sql`: table `logs (id INTEGER
//!   PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, ts_nanos INTEGER NOT NULL, level TEXT,
//!   target TEXT, feedback_log_body TEXT, module_path, file, line, thread_id TEXT, process_uuid,
//!   estimated_bytes)`; before that migration the text column was `message` (both are read).
//! - `codex-rs/state/src/runtime/logs.rs` (`insert_logs`): rows are inserted in batches (one
//!   transaction per batch, `log_db.rs` flushes every 2 s or 128 entries) and pruned per thread.
//! - `codex-rs/state/src/log_db.rs`: `ts`/`ts_nanos` are the event's wall-clock time, `target`
//!   the tracing target (the module path), `thread_id` the `thread_id` field of the event or of
//!   an enclosing span, and `feedback_log_body` the enclosing spans (`name{fields}:`) then the
//!   event's fields as tracing formats them: the message first, then ` key=value`.
//! - `codex-rs/core/src/responses_retry.rs` (`log_retry`, target `codex_core::responses_retry`):
//!   `warn!("stream disconnected - retrying sampling request ({retries}/{max_retries} in
//!   {delay:?})...")`, logged once per failed attempt just before Codex's `notify_stream_error`
//!   shows "Reconnecting... {retries}/{max_retries}". Upstream's row names no error; later
//!   revisions add `turn_id=… retries=… max_retries=… sampling_error=<the CodexErr>` (and a
//!   "stream connection failed; waiting to retry" row with `error=` for connection loss), whose
//!   text is `codex-rs/protocol/src/error.rs`'s `Display`: "unexpected status 503 Service
//!   Unavailable: …", "stream disconnected before completion: …", "Connection failed: …",
//!   "We're currently experiencing high demand, …", "Selected model is at capacity. …".
//!
//! Not double counting: a retry row is one failed attempt (attempts 1..n); the rollout's final
//! `error` event is the attempt after the last retry, which has no retry row. The rollout does
//! not keep Codex's `StreamError` ("Reconnecting…") events (`codex-rs/core/src/rollout/policy.rs`
//! leaves `StreamError` out), and rows other than the retry warnings (a turn's error, the HTTP
//! client's request lines) are not read here. Should a future rollout keep `stream_error`, the
//! watch drops the rollout's retry facts while this log is followed (see `watch.rs`), so one
//! failed attempt stays one fact.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::classify::{SessionErrorKind, Signal, classify};
use super::follow::{FollowState, LogCursor, MAX_LINE, first_line, identity};
use super::records::{
    ErrorFact, LineContext, Parsed, parse_line, parse_resets, sanitize_code, session_key,
    status_in_text,
};
use crate::switch::profiles::AssistantId;

/// The file name in `$CODEX_HOME`.
pub const LOG_DB: &str = "logs_2.sqlite";
/// At most this many rows are looked at per read: a first sight, or a restart after a long
/// time off, skips ahead to the newest.
pub const MAX_ROWS: i64 = 10_000;
/// The longest text read of a row (the rest is never loaded).
pub const MAX_TEXT: usize = 8 * 1024;
/// Only rows this recent are news (the verdict looks at the last 10 minutes).
pub const HORIZON: Duration = Duration::minutes(15);
/// How long a read waits on SQLite's own locks (a writer's WAL recovery) before giving up
/// until the next change.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(50);
/// Thread → provider answers kept (a cache; cleared when full).
const MAX_THREADS: usize = 1024;

const SAMPLING_RETRY: &str = "retrying sampling request";
const CONNECTION_RETRY: &str = "stream connection failed; waiting to retry";

/// Why a read found nothing to read this time; the next change tries again.
#[derive(Debug, thiserror::Error)]
pub enum Skip {
    #[error("no log database")]
    Missing,
    #[error("not a regular file (a link, a folder or a device)")]
    NotRegular,
    #[error("not an SQLite database")]
    NotSqlite,
    #[error("a WAL database without its -wal/-shm (no writer has opened it): not created by us")]
    NoShm,
    #[error("no `logs` table with a time and a text column")]
    Schema,
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Skip {
    /// A short word for "the same reason as last time" (to log a reason once, not per event).
    pub fn word(&self) -> &'static str {
        match self {
            Skip::Missing => "missing",
            Skip::NotRegular => "not_regular",
            Skip::NotSqlite => "not_sqlite",
            Skip::NoShm => "no_shm",
            Skip::Schema => "schema",
            Skip::Sqlite(_) => "sqlite",
            Skip::Io(_) => "io",
        }
    }
}

/// What one retry row says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry<'a> {
    pub status: Option<u16>,
    /// Codex's own word for the error (`CodexErrorInfo`'s, snake case).
    pub code: Option<&'static str>,
    /// The error's text when the row carries one Codex did not name (read to classify only).
    pub text: Option<&'a str>,
}

/// The error a retry row names after `key=` (the last field Codex writes), if any.
fn field_after<'a>(rest: &'a str, key: &str) -> Option<&'a str> {
    let i = rest.find(key)?;
    Some(rest[i + key.len()..].trim())
}

/// Read one row's text: a sampling retry (or a connection retry) → its status and code.
/// Everything else Codex logs is `None`.
pub fn parse_retry(body: &str) -> Option<Retry<'_>> {
    let (at, marker, key, default_code) = if let Some(i) = body.find(SAMPLING_RETRY) {
        // "model overloaded; retrying sampling request indefinitely (attempt n)": Codex's
        // `ServerOverloaded`; otherwise every retry is what Codex tells its UI in the
        // "Reconnecting…" event: `response_stream_disconnected`.
        let code = if body[..i].ends_with("model overloaded; ") {
            "server_overloaded"
        } else {
            "response_stream_disconnected"
        };
        (i, SAMPLING_RETRY, " sampling_error=", code)
    } else {
        let i = body.find(CONNECTION_RETRY)?;
        (i, CONNECTION_RETRY, " error=", "http_connection_failed")
    };
    let rest = &body[at + marker.len()..];
    let Some(err) = field_after(rest, key) else {
        return Some(Retry {
            status: None,
            code: Some(default_code),
            text: None,
        });
    };
    let known: &[(&str, &'static str)] = &[
        (
            "stream disconnected before completion",
            "response_stream_disconnected",
        ),
        ("Connection failed", "http_connection_failed"),
        (
            "Error while reading the server response",
            "response_stream_connection_failed",
        ),
        (
            "We're currently experiencing high demand",
            "internal_server_error",
        ),
        ("Selected model is at capacity", "server_overloaded"),
    ];
    if let Some((_, code)) = known.iter().find(|(p, _)| err.starts_with(p)) {
        // Codex named it: the text (a URL, a server's body) must not outvote the name.
        return Some(Retry {
            status: None,
            code: Some(code),
            text: None,
        });
    }
    let status = err
        .strip_prefix("unexpected status ")
        .and_then(|r| r.get(..3))
        .and_then(|d| d.parse::<u16>().ok())
        .filter(|s| (100..=599).contains(s))
        .or_else(|| status_in_text(err));
    Some(Retry {
        status,
        code: status.is_none().then_some(default_code),
        text: Some(err),
    })
}

/// A thread id as Codex writes it (a UUID); anything else is not used.
fn thread_id(raw: &str) -> Option<&str> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(raw)
}

/// One retry row → the fact of one failed attempt (a retry, never final).
pub fn fact_of(
    at: DateTime<Utc>,
    retry: &Retry<'_>,
    thread: Option<&str>,
    provider: Option<String>,
    utc_offset: FixedOffset,
) -> ErrorFact {
    let kind = classify(&Signal {
        status: retry.status,
        code: retry.code,
        text: retry.text,
        network_down: false,
    });
    let resets_at = match (kind, retry.text) {
        (SessionErrorKind::Account, Some(t)) => parse_resets(t, at, utc_offset),
        _ => None,
    };
    ErrorFact {
        at,
        assistant: AssistantId::Codex,
        kind,
        status: retry.status,
        code: retry.code.and_then(sanitize_code),
        final_: false,
        session: session_key(thread.unwrap_or("codex-log")),
        resets_at,
        provider,
    }
}

/// Codex's log database beside its sessions folder, and what it has learnt of threads.
#[derive(Debug)]
pub struct CodexLog {
    home: PathBuf,
    db: PathBuf,
    wal: PathBuf,
    shm: PathBuf,
    sessions: PathBuf,
    /// Thread id → the provider its rollout's `session_meta` names.
    threads: HashMap<String, String>,
}

/// The columns of `logs` this reader uses, as found (schema drift: newer Codex may differ).
struct Columns {
    id: &'static str,
    ts_nanos: bool,
    text: &'static str,
    thread: bool,
}

fn columns(conn: &Connection) -> Result<Columns, Skip> {
    let mut names = Vec::new();
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('logs')")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        if let ValueRef::Text(t) = r.get_ref(0)? {
            names.push(String::from_utf8_lossy(t).to_ascii_lowercase());
        }
    }
    let has = |n: &str| names.iter().any(|c| c == n);
    if !has("ts") {
        return Err(Skip::Schema);
    }
    let text = if has("feedback_log_body") {
        "feedback_log_body"
    } else if has("message") {
        "message"
    } else {
        return Err(Skip::Schema);
    };
    Ok(Columns {
        id: if has("id") { "id" } else { "rowid" },
        ts_nanos: has("ts_nanos"),
        text,
        thread: has("thread_id"),
    })
}

/// `path` as an SQLite URI path (`%`, `?`, `#` and the like escaped).
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for b in path.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn regular_file(p: &Path) -> Result<std::fs::Metadata, Skip> {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.file_type().is_file() => Ok(m),
        Ok(_) => Err(Skip::NotRegular),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Skip::Missing),
        Err(e) => Err(Skip::Io(e)),
    }
}

impl CodexLog {
    /// The log of the Codex whose home is `codex_home` (`$CODEX_HOME`, `~/.codex`).
    pub fn new(codex_home: &Path) -> CodexLog {
        let db = codex_home.join(LOG_DB);
        let with = |suffix: &str| {
            let mut s = db.clone().into_os_string();
            s.push(suffix);
            PathBuf::from(s)
        };
        CodexLog {
            home: codex_home.to_path_buf(),
            wal: with("-wal"),
            shm: with("-shm"),
            db,
            sessions: codex_home.join("sessions"),
            threads: HashMap::new(),
        }
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn db(&self) -> &Path {
        &self.db
    }

    /// A change of this file may mean new rows (the database or its write-ahead log; never
    /// the shared-memory file, which readers touch themselves).
    pub fn is_log_path(&self, p: &Path) -> bool {
        p == self.db || p == self.wal
    }

    /// Read the retry rows written since the last read. A database met for the first time
    /// starts at its end, except rows stamped at or after `since` (seconds; the watch's start:
    /// written while it was starting up); `None` reads the recent rows of a database that
    /// appeared while we watch. Only rows of the last [`HORIZON`] are read in any case, and at
    /// most [`MAX_ROWS`].
    pub fn read_new(
        &mut self,
        state: &mut FollowState,
        since: Option<i64>,
        now: DateTime<Utc>,
        utc_offset: FixedOffset,
    ) -> Result<Vec<ErrorFact>, Skip> {
        let meta = regular_file(&self.db)?;
        let mut head = [0u8; 100];
        {
            let mut f = std::fs::File::open(&self.db)?;
            if !f.metadata()?.file_type().is_file() {
                return Err(Skip::NotRegular);
            }
            f.read_exact(&mut head).map_err(|_| Skip::NotSqlite)?;
        }
        if &head[..16] != b"SQLite format 3\0" {
            return Err(Skip::NotSqlite);
        }
        // File format versions 2/2: WAL. A read-only connection cannot make the -shm it
        // needs, and we never make files in Codex's folder: wait for Codex to open it.
        if (head[18] == 2 || head[19] == 2)
            && (regular_file(&self.wal).is_err() || regular_file(&self.shm).is_err())
        {
            return Err(Skip::NoShm);
        }
        let (dev, ino) = identity(&meta);
        let known = state
            .logs
            .get(&self.db)
            .filter(|c| (c.dev, c.ino) == (dev, ino))
            .map(|c| c.last_id);
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let mut conn =
            Connection::open_with_flags(format!("file:{}?mode=ro", uri_path(&self.db)), flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.execute_batch("PRAGMA query_only = 1")?;
        let cols = columns(&conn)?;
        // One short read transaction: the snapshot the rows and the highest id come from.
        let tx = conn.transaction()?;
        let max: i64 = tx
            .query_row(&format!("SELECT MAX({}) FROM logs", cols.id), [], |r| {
                r.get::<_, Option<i64>>(0)
            })?
            .unwrap_or(0);
        let (from, since) = match known {
            // Ids went back: the table was emptied or rebuilt; the time window still holds.
            Some(last) if last > max => (0, None),
            Some(last) => (last, None),
            None => (0, Some(since.unwrap_or(i64::MIN))),
        };
        let from = from.max(max.saturating_sub(MAX_ROWS));
        let mut min_ts = (now - HORIZON).timestamp();
        if let Some(s) = since {
            min_ts = min_ts.max(s);
        }
        // The text, not the target, is matched: a newer Codex may move the code to another
        // module. The id range keeps the scan to the rows new since the last read.
        let (nanos, thread) = (
            if cols.ts_nanos { "ts_nanos" } else { "0" },
            if cols.thread { "thread_id" } else { "NULL" },
        );
        let sql = format!(
            "SELECT ts, {nanos}, substr({text}, 1, {MAX_TEXT}), {thread} FROM logs \
             WHERE {id} > ?1 AND {id} <= ?2 AND ts >= ?3 AND {text} LIKE '%retry%' \
             ORDER BY {id}",
            text = cols.text,
            id = cols.id,
        );
        let mut facts = Vec::new();
        {
            let mut stmt = tx.prepare(&sql)?;
            let mut rows = stmt.query(rusqlite::params![from, max, min_ts])?;
            while let Some(r) = rows.next()? {
                let (ValueRef::Integer(ts), nanos) = (r.get_ref(0)?, r.get_ref(1)?) else {
                    continue;
                };
                let nanos = match nanos {
                    ValueRef::Integer(n) => n.clamp(0, 999_999_999) as u32,
                    _ => 0,
                };
                let Some(at) = Utc.timestamp_opt(ts, nanos).single() else {
                    continue;
                };
                let body = match r.get_ref(2)? {
                    ValueRef::Text(b) | ValueRef::Blob(b) => {
                        String::from_utf8_lossy(&b[..b.len().min(MAX_TEXT)]).into_owned()
                    }
                    _ => continue,
                };
                let Some(retry) = parse_retry(&body) else {
                    continue;
                };
                let thread = match r.get_ref(3)? {
                    ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(thread_id),
                    _ => None,
                };
                let provider = thread.and_then(|t| self.provider_of(state, t, at, utc_offset));
                facts.push(fact_of(at, &retry, thread, provider, utc_offset));
            }
        }
        tx.commit()?;
        state.logs.insert(
            self.db.clone(),
            LogCursor {
                dev,
                ino,
                last_id: max,
            },
        );
        Ok(facts)
    }

    /// The provider of a thread: its rollout's `session_meta`, from the follower's cursor if
    /// it follows the rollout, else from the first line of the rollout in the day folders
    /// around the row's time. `None` leaves it to the active profile (as for a rollout that
    /// names none).
    fn provider_of(
        &mut self,
        state: &FollowState,
        thread: &str,
        at: DateTime<Utc>,
        utc_offset: FixedOffset,
    ) -> Option<String> {
        if let Some(p) = self.threads.get(thread) {
            return Some(p.clone());
        }
        let suffix = format!("-{thread}.jsonl");
        let named = |p: &Path| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("rollout-") && n.ends_with(&suffix))
        };
        let followed = state
            .files
            .iter()
            .find(|(p, _)| p.starts_with(&self.sessions) && named(p))
            .and_then(|(_, c)| c.provider.clone());
        let found = followed.or_else(|| {
            let mut days = Vec::new();
            for t in [at.with_timezone(&utc_offset).date_naive(), at.date_naive()] {
                for d in [t, t - Duration::days(1)] {
                    if !days.contains(&d) {
                        days.push(d);
                    }
                }
            }
            days.into_iter().find_map(|d| {
                let dir = self.sessions.join(d.format("%Y/%m/%d").to_string());
                let file = std::fs::read_dir(dir)
                    .ok()?
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .find(|p| named(p))?;
                // A rollout is a regular file; a link is not followed.
                regular_file(&file).ok()?;
                let ctx = LineContext::for_file(AssistantId::Codex, &file, utc_offset);
                match parse_line(&first_line(&file, MAX_LINE)?, &ctx)? {
                    Parsed::Provider { provider, .. } => Some(provider),
                    Parsed::Error(_) => None,
                }
            })
        })?;
        if self.threads.len() >= MAX_THREADS {
            self.threads.clear();
        }
        self.threads.insert(thread.to_string(), found.clone());
        Some(found)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rusqlite::params;
    use std::time::Instant;

    /// `logs` as Codex's migrations leave it (0001, then 0002 renaming `message`).
    const SCHEMA: &str = include_str!("../../../tests/codex_logs_schema.sql");
    pub(crate) const TARGET: &str = "codex_core::responses_retry";
    pub(crate) const THREAD: &str = "019aa1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    /// Upstream's row: the message only.
    const PLAIN: &str = "stream disconnected - retrying sampling request (1/5 in 206ms)...";

    fn utc0() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    /// A row with the spans and fields of a later Codex, the error a 5xx.
    pub(crate) fn retry(n: u32, status: u16) -> String {
        format!(
            "session_loop{{thread_id={THREAD}}}:turn{{turn.id=7 model=gpt-5.1}}: stream disconnected - retrying sampling request ({n}/5 in 412ms)... turn_id=7 retries={n} max_retries=5 sampling_error=unexpected status {status} Service Unavailable: upstream connect error, url: https://api.openai.com/v1/responses, request id: req_1"
        )
    }

    /// A database as a running Codex keeps it: WAL, its schema, its connection open.
    pub(crate) fn codex_db(home: &Path) -> Connection {
        let conn = Connection::open(home.join(LOG_DB)).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch(SCHEMA).unwrap();
        conn
    }

    pub(crate) fn log(
        conn: &Connection,
        at: DateTime<Utc>,
        target: &str,
        body: &str,
        thread: Option<&str>,
    ) {
        conn.execute(
            "INSERT INTO logs (ts, ts_nanos, level, target, feedback_log_body, module_path, file, \
             line, thread_id, process_uuid, estimated_bytes) \
             VALUES (?1, ?2, 'WARN', ?3, ?4, ?3, 'core/src/responses_retry.rs', 88, ?5, 'pid:1:u', ?6)",
            params![
                at.timestamp(),
                at.timestamp_subsec_nanos(),
                target,
                body,
                thread,
                body.len() as i64
            ],
        )
        .unwrap();
    }

    fn read(l: &mut CodexLog, st: &mut FollowState, since: i64) -> Result<Vec<ErrorFact>, Skip> {
        l.read_new(st, Some(since), Utc::now(), utc0())
    }

    fn kind_of(body: &str) -> (SessionErrorKind, Option<u16>, Option<String>) {
        let r = parse_retry(body).unwrap_or_else(|| panic!("not a retry: {body}"));
        let f = fact_of(Utc::now(), &r, Some(THREAD), None, utc0());
        assert!(!f.final_);
        assert_eq!(f.assistant, AssistantId::Codex);
        (f.kind, f.status, f.code)
    }

    use SessionErrorKind::{Account, Network, Provider};

    #[test]
    fn retry_rows_as_codex_writes_them() {
        let code = |c: &str| Some(c.to_string());
        assert_eq!(
            kind_of(PLAIN),
            (Provider, None, code("response_stream_disconnected"))
        );
        assert_eq!(kind_of(&retry(4, 503)), (Provider, Some(503), None));
        assert_eq!(
            kind_of(
                "stream disconnected - retrying sampling request (2/5 in 1.2s)... turn_id=7 retries=2 max_retries=5 sampling_error=unexpected status 429 Too Many Requests: Rate limit reached for requests, url: https://api.openai.com/v1/responses"
            ),
            (Account, Some(429), None)
        );
        assert_eq!(
            kind_of(
                "turn{turn.id=7}: stream disconnected - retrying sampling request (3/5 in 800ms)... turn_id=7 retries=3 max_retries=5 sampling_error=stream disconnected before completion: idle timeout waiting for SSE"
            ),
            (Provider, None, code("response_stream_disconnected"))
        );
        assert_eq!(
            kind_of(
                "stream disconnected - retrying sampling request (1/5 in 200ms)... sampling_error=We're currently experiencing high demand, which may cause temporary errors."
            ),
            (Provider, None, code("internal_server_error"))
        );
        assert_eq!(
            kind_of(
                "model overloaded; retrying sampling request indefinitely (attempt 3)... turn_id=7 retries=3 delay=4s sampling_error=Selected model is at capacity. Please try a different model."
            ),
            (Provider, None, code("server_overloaded"))
        );
        // Connection loss names the user's own network, URL and all.
        assert_eq!(
            kind_of(
                "stream connection failed; waiting to retry turn_id=7 error=Connection failed: error sending request for url (https://api.openai.com/v1/responses) retry_delay=5s"
            ),
            (Network, None, code("http_connection_failed"))
        );
        assert_eq!(
            kind_of(
                "stream disconnected - retrying sampling request (1/5 in 1s)... sampling_error=Connection failed: error sending request for url (https://internal.example/v1)"
            ),
            (Network, None, code("http_connection_failed"))
        );
    }

    #[test]
    fn other_rows_are_not_retries() {
        for body in [
            "turn{turn.id=7}: Turn error: unexpected status 503 Service Unavailable",
            "Request completed status=503 Service Unavailable",
            "remote compaction v2 stream failed; retrying request after delay",
            "Output item",
            "",
        ] {
            assert_eq!(parse_retry(body), None, "{body}");
        }
    }

    #[test]
    fn control_characters_and_odd_threads_keep_nothing_of_the_text() {
        let r = parse_retry(
            "stream disconnected - retrying sampling request (1/5 in 1s)... sampling_error=\u{1b}[31mboom\u{0} status: 5031",
        )
        .unwrap();
        let f = fact_of(Utc::now(), &r, thread_id("../../etc/passwd"), None, utc0());
        assert_eq!(f.code.as_deref(), Some("response_stream_disconnected"));
        assert_eq!(f.status, None);
        assert_eq!(f.session, session_key("codex-log"));
        assert_eq!(thread_id(THREAD), Some(THREAD));
        assert_eq!(thread_id(&"a".repeat(65)), None);
    }

    #[test]
    fn reads_only_new_rows_and_keeps_the_cursor() {
        let home = tempfile::tempdir().unwrap();
        let w = codex_db(home.path());
        let now = Utc::now();
        log(
            &w,
            now - Duration::seconds(60),
            TARGET,
            &retry(1, 503),
            Some(THREAD),
        );
        let mut st = FollowState::default();
        let mut l = CodexLog::new(home.path());
        assert!(
            read(&mut l, &mut st, now.timestamp()).unwrap().is_empty(),
            "history is not news"
        );
        log(&w, now, TARGET, &retry(2, 503), Some(THREAD));
        log(
            &w,
            now,
            "codex_core::session::turn",
            "Turn error: unexpected status 503 Service Unavailable",
            Some(THREAD),
        );
        log(&w, now, TARGET, PLAIN, None);
        let f = read(&mut l, &mut st, now.timestamp()).unwrap();
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(
            (f[0].kind, f[0].status, f[0].final_),
            (Provider, Some(503), false)
        );
        assert_eq!(f[0].session, session_key(THREAD));
        assert_eq!(f[0].at.timestamp(), now.timestamp());
        assert_eq!(f[1].session, session_key("codex-log"));
        assert!(read(&mut l, &mut st, now.timestamp()).unwrap().is_empty());
        assert_eq!(st.logs[&home.path().join(LOG_DB)].last_id, 4);
        // Kept across a restart: only what came after.
        let json = serde_json::to_string(&st).unwrap();
        let mut again: FollowState = serde_json::from_str(&json).unwrap();
        assert_eq!(again, st);
        log(&w, now, TARGET, &retry(3, 502), Some(THREAD));
        let mut l2 = CodexLog::new(home.path());
        let f = read(&mut l2, &mut again, i64::MAX).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Some(502));
        // A state saved before the log was read still loads, and says so by omission.
        let old: FollowState = serde_json::from_str(r#"{"files":{}}"#).unwrap();
        assert!(old.logs.is_empty());
        assert!(!serde_json::to_string(&old).unwrap().contains("logs"));
    }

    #[test]
    fn an_open_write_transaction_neither_blocks_nor_shows() {
        let home = tempfile::tempdir().unwrap();
        let w = codex_db(home.path());
        let now = Utc::now();
        let mut st = FollowState::default();
        let mut l = CodexLog::new(home.path());
        log(&w, now, TARGET, &retry(1, 503), Some(THREAD));
        assert_eq!(read(&mut l, &mut st, now.timestamp()).unwrap().len(), 1);
        // Codex in the middle of a batch: its write transaction open, the rows not committed.
        w.execute_batch("BEGIN IMMEDIATE").unwrap();
        log(&w, now, TARGET, &retry(2, 503), Some(THREAD));
        let t = Instant::now();
        assert!(read(&mut l, &mut st, now.timestamp()).unwrap().is_empty());
        assert!(
            t.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            t.elapsed()
        );
        w.execute_batch("COMMIT").unwrap();
        assert_eq!(read(&mut l, &mut st, now.timestamp()).unwrap().len(), 1);
        // And the writer was never in our way: it writes on.
        log(&w, now, TARGET, &retry(3, 503), Some(THREAD));
    }

    #[test]
    fn hostile_files_are_skipped_and_nothing_is_made() {
        let home = tempfile::tempdir().unwrap();
        let db = home.path().join(LOG_DB);
        let mut st = FollowState::default();
        let mut l = CodexLog::new(home.path());
        let skip =
            |l: &mut CodexLog, st: &mut FollowState| read(l, st, 0).expect_err("skipped").word();
        assert_eq!(skip(&mut l, &mut st), "missing");
        std::fs::write(&db, b"SQLite").unwrap();
        assert_eq!(skip(&mut l, &mut st), "not_sqlite");
        std::fs::write(&db, "not a database, only text\n".repeat(20)).unwrap();
        assert_eq!(skip(&mut l, &mut st), "not_sqlite");
        std::fs::remove_file(&db).unwrap();
        std::fs::create_dir(&db).unwrap();
        assert_eq!(skip(&mut l, &mut st), "not_regular");
        std::fs::remove_dir(&db).unwrap();
        // A WAL database no writer has open: no -wal/-shm, and a read makes none.
        let other = tempfile::tempdir().unwrap();
        {
            let w = codex_db(other.path());
            log(&w, Utc::now(), TARGET, PLAIN, Some(THREAD));
        }
        let real = other.path().join(LOG_DB);
        let names = |d: &Path| {
            let mut v: Vec<_> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names(other.path()), [LOG_DB]);
        let mut l2 = CodexLog::new(other.path());
        assert_eq!(skip(&mut l2, &mut st), "no_shm");
        assert_eq!(names(other.path()), [LOG_DB]);
        #[cfg(unix)]
        {
            // A link is not followed, even to a real database.
            std::os::unix::fs::symlink(&real, &db).unwrap();
            assert_eq!(skip(&mut l, &mut st), "not_regular");
        }
        assert!(st.logs.is_empty());
    }

    #[test]
    fn schema_drift_and_huge_rows() {
        // Before migration 0002 the text was `message`; a newer Codex may add columns.
        let home = tempfile::tempdir().unwrap();
        let w = Connection::open(home.path().join(LOG_DB)).unwrap();
        w.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))
            .unwrap();
        w.execute_batch(
            "CREATE TABLE logs (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, \
             level TEXT, target TEXT, message TEXT, extra BLOB, span_json TEXT)",
        )
        .unwrap();
        let now = Utc::now();
        let mut st = FollowState::default();
        let mut l = CodexLog::new(home.path());
        assert!(read(&mut l, &mut st, now.timestamp()).unwrap().is_empty());
        let ins = |ts: rusqlite::types::Value, body: rusqlite::types::Value| {
            w.execute(
                "INSERT INTO logs (ts, level, target, message) VALUES (?1, 'WARN', ?2, ?3)",
                params![ts, TARGET, body],
            )
            .unwrap();
        };
        use rusqlite::types::Value;
        let huge = format!("{}{}", retry(1, 503), "x".repeat(4 << 20));
        ins(Value::Integer(now.timestamp()), Value::Text(huge));
        // The marker past the text read: not read.
        ins(
            Value::Integer(now.timestamp()),
            Value::Text(format!("{}{PLAIN}", "y".repeat(MAX_TEXT))),
        );
        ins(Value::Text("soon".into()), Value::Text(PLAIN.into()));
        ins(Value::Integer(now.timestamp()), Value::Null);
        ins(
            Value::Integer(now.timestamp()),
            Value::Blob(PLAIN.as_bytes().to_vec()),
        );
        ins(
            Value::Integer(now.timestamp()),
            Value::Blob(vec![0xff, 0xfe, 0x00]),
        );
        let f = read(&mut l, &mut st, now.timestamp()).unwrap();
        let got: Vec<_> = f.iter().map(|f| (f.status, f.code.as_deref())).collect();
        assert_eq!(
            got,
            [
                (Some(503), None),
                (None, Some("response_stream_disconnected"))
            ]
        );
        // No time or no text: not a log we know.
        w.execute_batch("DROP TABLE logs; CREATE TABLE logs (id INTEGER PRIMARY KEY, body TEXT)")
            .unwrap();
        let mut fresh = FollowState::default();
        assert_eq!(
            read(&mut l, &mut fresh, 0).expect_err("drift").word(),
            "schema"
        );
    }

    #[test]
    fn catch_up_is_bounded_to_the_newest_rows() {
        let home = tempfile::tempdir().unwrap();
        let w = codex_db(home.path());
        let now = Utc::now();
        let mut st = FollowState::default();
        let mut l = CodexLog::new(home.path());
        assert!(read(&mut l, &mut st, now.timestamp()).unwrap().is_empty());
        w.execute_batch("BEGIN").unwrap();
        log(&w, now, TARGET, &retry(1, 503), Some(THREAD));
        for _ in 0..MAX_ROWS {
            log(
                &w,
                now,
                "codex_core::stream_events_utils",
                "Output item",
                Some(THREAD),
            );
        }
        log(&w, now, TARGET, &retry(2, 500), Some(THREAD));
        w.execute_batch("COMMIT").unwrap();
        let f = read(&mut l, &mut st, now.timestamp()).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Some(500));
    }

    #[test]
    fn the_thread_names_the_provider_and_the_session() {
        let home = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let day = home
            .path()
            .join("sessions")
            .join(now.format("%Y/%m/%d").to_string());
        std::fs::create_dir_all(&day).unwrap();
        let rollout = day.join(format!("rollout-2026-12-07T10-00-00-{THREAD}.jsonl"));
        std::fs::write(
            &rollout,
            format!(
                "{{\"timestamp\":\"2026-12-07T10:00:00Z\",\"type\":\"session_meta\",\"payload\":{{\"id\":\"{THREAD}\",\"model_provider\":\"azure\"}}}}\n"
            ),
        )
        .unwrap();
        let w = codex_db(home.path());
        let mut st = FollowState::default();
        let mut l = CodexLog::new(home.path());
        assert!(read(&mut l, &mut st, now.timestamp()).unwrap().is_empty());
        log(&w, now, TARGET, &retry(1, 503), Some(THREAD));
        log(
            &w,
            now,
            TARGET,
            &retry(1, 503),
            Some("019aa1b2-0000-7000-8000-000000000000"),
        );
        let f = read(&mut l, &mut st, now.timestamp()).unwrap();
        assert_eq!(f[0].provider.as_deref(), Some("azure"));
        assert_eq!(
            f[1].provider, None,
            "no rollout: left to the active profile"
        );
        // The rollout's own facts are counted under the same session.
        let ctx = LineContext::for_file(AssistantId::Codex, &rollout, utc0());
        assert_eq!(ctx.session, f[0].session);
    }
}
