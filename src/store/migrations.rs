//! Ordered schema migrations (never edit a shipped one; append a new one instead).

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use super::StoreError;

/// Schema 1. Sizes matter (a year of history for 15 providers under 100 MB), hence
/// integer keys for providers and components, unix seconds, status codes, WITHOUT ROWID
/// tables keyed the way they are read, and component statuses stored only on change.
const V1: &str = r#"
CREATE TABLE providers (
    key         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    -- the last recorded status and when, to detect transitions without a scan
    last_status INTEGER,
    last_at     INTEGER
);

-- One row per poll per provider; kept 30 days.
CREATE TABLE samples (
    provider    INTEGER NOT NULL REFERENCES providers(key),
    ts          INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    source_ok   INTEGER NOT NULL,
    http_status INTEGER,
    latency_ms  INTEGER,
    error_class TEXT,
    reason      TEXT,
    PRIMARY KEY (provider, ts)
) WITHOUT ROWID;

CREATE TABLE components (
    key          INTEGER PRIMARY KEY,
    provider     INTEGER NOT NULL REFERENCES providers(key),
    component_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    watched      INTEGER NOT NULL,
    last_status  INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    UNIQUE (provider, component_id)
);

-- A row when a component first appears or its status differs from its previous row;
-- `unknown` when a poll failed or no longer lists it. Kept 30 days, plus the last row
-- before the cut so the state at the cut stays known.
CREATE TABLE component_changes (
    component INTEGER NOT NULL REFERENCES components(key),
    ts        INTEGER NOT NULL,
    status    INTEGER NOT NULL,
    PRIMARY KEY (component, ts)
) WITHOUT ROWID;

CREATE TABLE incidents (
    key           INTEGER PRIMARY KEY,
    provider      INTEGER NOT NULL REFERENCES providers(key),
    incident_id   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    impact        TEXT NOT NULL,
    status        TEXT NOT NULL,
    started_at    INTEGER,
    resolved_at   INTEGER,
    updated_at    INTEGER,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    url           TEXT,
    components    TEXT NOT NULL DEFAULT '[]',
    UNIQUE (provider, incident_id)
);

CREATE TABLE incident_updates (
    incident INTEGER NOT NULL REFERENCES incidents(key) ON DELETE CASCADE,
    at       INTEGER NOT NULL,
    status   TEXT NOT NULL,
    body     TEXT NOT NULL,
    PRIMARY KEY (incident, at, status)
) WITHOUT ROWID;

-- component NULL: the provider's own status changed.
CREATE TABLE transitions (
    provider    INTEGER NOT NULL REFERENCES providers(key),
    component   INTEGER REFERENCES components(key),
    at          INTEGER NOT NULL,
    from_status INTEGER NOT NULL,
    to_status   INTEGER NOT NULL
);
CREATE INDEX transitions_provider_at ON transitions(provider, at);
CREATE INDEX transitions_at ON transitions(at);

-- Seconds per status (s0..s5 = Status::code) per UTC hour / day; component 0 is the
-- provider itself. s5 (unknown) includes time with no data inside the bucket.
CREATE TABLE rollup_hourly (
    provider  INTEGER NOT NULL,
    component INTEGER NOT NULL,
    bucket    INTEGER NOT NULL,
    s0 INTEGER NOT NULL, s1 INTEGER NOT NULL, s2 INTEGER NOT NULL,
    s3 INTEGER NOT NULL, s4 INTEGER NOT NULL, s5 INTEGER NOT NULL,
    PRIMARY KEY (provider, component, bucket)
) WITHOUT ROWID;
CREATE TABLE rollup_daily (
    provider  INTEGER NOT NULL,
    component INTEGER NOT NULL,
    bucket    INTEGER NOT NULL,
    s0 INTEGER NOT NULL, s1 INTEGER NOT NULL, s2 INTEGER NOT NULL,
    s3 INTEGER NOT NULL, s4 INTEGER NOT NULL, s5 INTEGER NOT NULL,
    PRIMARY KEY (provider, component, bucket)
) WITHOUT ROWID;

-- The newest observation per provider, so current state is one row each.
CREATE TABLE latest (
    provider    INTEGER PRIMARY KEY REFERENCES providers(key),
    observed_at INTEGER NOT NULL,
    observation TEXT NOT NULL
);

-- Rollup watermarks and the like.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Schema 2: the switch history. What a switch changed is named here (key paths,
/// hashes, the backup holding the previous bytes), never the values: previous
/// values can be secrets, and secrets never go into SQLite.
const V2: &str = r#"
CREATE TABLE switch_events (
    key          INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    assistant    TEXT NOT NULL,
    action       TEXT NOT NULL,          -- switch | back | restore
    from_profile TEXT,
    to_profile   TEXT,
    file         TEXT NOT NULL,
    keys         TEXT NOT NULL DEFAULT '[]', -- JSON array of dotted key paths changed
    backup       TEXT,                   -- the pre-write copy of the file, if it existed
    hash_before  TEXT NOT NULL,
    hash_after   TEXT NOT NULL,
    -- Written before the file (an intent): 1 until the write is known to have
    -- happened, so a process killed between the two is resolved by the next one.
    pending      INTEGER NOT NULL DEFAULT 1,
    reverts      INTEGER REFERENCES switch_events(key),
    reverted_by  INTEGER REFERENCES switch_events(key)
);
CREATE INDEX switch_events_by_assistant ON switch_events(assistant, at);
"#;

/// Schema 3: a switch may edit several files (Gemini CLI: settings.json and
/// .env). One row per file an event wrote; the event's own file columns keep
/// describing its first file, so older builds' queries stay meaningful. Every
/// existing event gets its one file row.
const V3: &str = r#"
CREATE TABLE switch_files (
    event       INTEGER NOT NULL REFERENCES switch_events(key) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,        -- order in the event; 0 is the primary file
    file        TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '', -- the backup label, naming which of the assistant's files
    keys        TEXT NOT NULL DEFAULT '[]',
    backup      TEXT,
    hash_before TEXT NOT NULL,
    hash_after  TEXT NOT NULL,
    PRIMARY KEY (event, idx)
) WITHOUT ROWID;
INSERT INTO switch_files(event, idx, file, keys, backup, hash_before, hash_after)
    SELECT key, 0, file, keys, backup, hash_before, hash_after FROM switch_events;
"#;

/// Schema 4: early warning. Probe samples (raw, 30 days) and their hourly
/// rollup (a year), the detection lead per incident, who made a switch (the
/// user or a failover rule), and each failover rule's memory.
const V4: &str = r#"
CREATE TABLE probe_samples (
    provider    INTEGER NOT NULL REFERENCES providers(key),
    ts          INTEGER NOT NULL,
    class       TEXT NOT NULL,           -- ProbeClass::as_str
    latency_ms  INTEGER NOT NULL,
    http_status INTEGER,
    detail      TEXT,                    -- only for failures and rejections
    PRIMARY KEY (provider, ts)
) WITHOUT ROWID;

CREATE TABLE probe_hourly (
    provider     INTEGER NOT NULL,
    bucket       INTEGER NOT NULL,
    requests     INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    rate_limited INTEGER NOT NULL,
    slow         INTEGER NOT NULL,
    latency_sum  INTEGER NOT NULL,       -- over answered (ok or slow) requests
    answered     INTEGER NOT NULL,
    latency_max  INTEGER,
    PRIMARY KEY (provider, bucket)
) WITHOUT ROWID;

-- Seconds from Weathervane's first measured trouble to the incident's start
-- (negative: the page was first); lead_probed = 1 when probes were running.
ALTER TABLE incidents ADD COLUMN lead_s INTEGER;
ALTER TABLE incidents ADD COLUMN lead_probed INTEGER NOT NULL DEFAULT 0;

ALTER TABLE switch_events ADD COLUMN origin TEXT NOT NULL DEFAULT 'manual';

CREATE TABLE failover_state (
    assistant TEXT PRIMARY KEY,
    state     TEXT NOT NULL              -- failover::RuleState as JSON
) WITHOUT ROWID;
"#;

/// Early warning from the user's own assistants (issue 16): the facts of each failed call read
/// from their session files (never any text), 30 days raw; their hourly rollup (a year); and
/// where the follower left each file, so a restart neither rereads nor misses anything.
const V_SESSIONS: &str = r#"
CREATE TABLE session_errors (
    provider  INTEGER NOT NULL REFERENCES providers(key),
    at_ms     INTEGER NOT NULL,          -- the record's own time, unix milliseconds
    session   TEXT NOT NULL,             -- a hash of the session id, never a path
    assistant TEXT NOT NULL,             -- AssistantId::as_str
    kind      TEXT NOT NULL,             -- provider | account | network | unknown
    status    INTEGER,
    code      TEXT,                      -- a sanitised machine word
    final     INTEGER NOT NULL,          -- 1: failed for good, 0: a retry
    resets_at INTEGER,                   -- unix seconds, account limits only
    -- A record read twice (a lost offset) is stored once.
    PRIMARY KEY (provider, at_ms, session)
) WITHOUT ROWID;

CREATE TABLE session_hourly (
    provider        INTEGER NOT NULL,
    bucket          INTEGER NOT NULL,
    provider_errors INTEGER NOT NULL,
    account_errors  INTEGER NOT NULL,
    network_errors  INTEGER NOT NULL,
    other_errors    INTEGER NOT NULL,
    finals          INTEGER NOT NULL,
    sessions        INTEGER NOT NULL,    -- distinct sessions with any error that hour
    PRIMARY KEY (provider, bucket)
) WITHOUT ROWID;

CREATE TABLE session_follow (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL                  -- sessions::FollowState as JSON
);
"#;

/// The file's permission bits before a switch wrote it, so switching back can put
/// them back (a 0640 file a secret made 0600 is 0640 again once the secret goes).
/// NULL: not known (older history, or no Unix modes).
const V_SWITCH_MODE: &str = r#"
ALTER TABLE switch_files ADD COLUMN mode_before INTEGER;
"#;

/// The notification policy's memory, so a restart (login, update, crash, SIGKILL) does
/// not announce an ongoing outage again: per stream (a provider id, or `probe:<id>`)
/// what was confirmed and announced, and when the cooldown began; and the pause.
const V_POLICY: &str = r#"
CREATE TABLE policy_state (
    stream TEXT PRIMARY KEY,
    state  TEXT NOT NULL                 -- policy::ProviderPolicyState as JSON
) WITHOUT ROWID;

CREATE TABLE policy_pause (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    until INTEGER                        -- unix seconds; NULL: not paused
);
"#;

/// History from the first day (issue 17): incidents read from the page's own history are
/// marked `backfilled` (the page said so; we did not observe them), and each day before
/// our first observation gets the status those incidents imply, per provider (component
/// 0) and component. Whether a provider was backfilled is a `meta` row per provider.
const V_BACKFILL: &str = r#"
ALTER TABLE incidents ADD COLUMN backfilled INTEGER NOT NULL DEFAULT 0;

CREATE TABLE backfill_days (
    provider  INTEGER NOT NULL REFERENCES providers(key),
    component INTEGER NOT NULL,          -- 0: the provider itself
    day       INTEGER NOT NULL,          -- unix seconds of 00:00 UTC
    status    INTEGER NOT NULL,          -- Status::code
    PRIMARY KEY (provider, component, day)
) WITHOUT ROWID;
"#;

/// How long before a page admitted an incident the user's own sessions saw trouble
/// (seconds; negative: the page was first; NULL: the sessions saw nothing around it).
const V_SESSIONS_LEAD: &str = r#"
ALTER TABLE incidents ADD COLUMN sessions_lead_s INTEGER;
"#;

const MIGRATION_LIST: &[M<'static>] = &[
    M::up(V1),
    M::up(V2),
    M::up(V3),
    M::up(V4),
    M::up(V_SESSIONS),
    M::up(V_SWITCH_MODE),
    M::up(V_POLICY),
    M::up(V_BACKFILL),
    M::up(V_SESSIONS_LEAD),
];
const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_LIST);

/// The newest schema this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATION_LIST.len() as i64;

fn user_version(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Bring the schema to [`SCHEMA_VERSION`], one migration per transaction, or refuse a
/// database from the future.
pub(super) fn migrate(conn: &mut Connection, path: &std::path::Path) -> Result<(), StoreError> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for target in (found + 1)..=SCHEMA_VERSION {
        // The other process may be migrating the same file right now: if our step
        // fails but the file has reached the target meanwhile, that is success. A step
        // that found the file busy (in WAL mode SQLite refuses at once to turn our read
        // into a write while the other writer's commit is newer than our snapshot, without
        // waiting) is tried again on a fresh snapshot, for at most the busy timeout.
        let deadline = std::time::Instant::now() + super::BUSY_TIMEOUT;
        loop {
            match MIGRATIONS.to_version(conn, target as usize) {
                Ok(()) => {
                    tracing::info!(version = target, "history database schema migrated");
                    break;
                }
                Err(e) => {
                    if user_version(conn)? >= target {
                        break;
                    }
                    let err = StoreError::from_migration(e, path);
                    if matches!(err, StoreError::Busy { .. })
                        && std::time::Instant::now() < deadline
                    {
                        std::thread::sleep(std::time::Duration::from_millis(10));
                        continue;
                    }
                    return Err(err);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn migrations_are_valid() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn fresh_database_reaches_latest_schema() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nested").join("history.db");
        let store = Store::open(&p).unwrap();
        let v = user_version(&store.conn).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = store
            .conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        drop(store);
        // Reopening is a no-op.
        let store = Store::open(&p).unwrap();
        store.integrity_check().unwrap();
    }

    #[test]
    fn a_v1_database_with_history_upgrades_to_v2_and_keeps_it() {
        use crate::model::Status;
        use crate::store::test_support::{obs, t0};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("history.db");
        {
            // Build a real v1 database, as the first release wrote it.
            let mut conn = Connection::open(&p).unwrap();
            MIGRATIONS.to_version(&mut conn, 1).unwrap();
            assert_eq!(user_version(&conn).unwrap(), 1);
        }
        {
            // Write history into it through v1's tables by opening it with only v1
            // applied: record() needs nothing from v2.
            let conn = Connection::open(&p).unwrap();
            conn.execute(
                "INSERT INTO providers(id, last_status, last_at) VALUES ('anthropic', 0, 1)",
                [],
            )
            .unwrap();
        }
        let mut store = Store::open(&p).unwrap();
        assert_eq!(user_version(&store.conn).unwrap(), SCHEMA_VERSION);
        let n: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM providers WHERE id = 'anthropic'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "v1 rows survive the upgrade");
        store
            .record(&obs("anthropic", t0(), Status::Operational))
            .unwrap();
        let tables: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'switch_events'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 1);
        store.integrity_check().unwrap();
    }

    #[test]
    fn a_v2_switch_history_upgrades_to_v3_and_back_still_finds_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("history.db");
        {
            let mut conn = Connection::open(&p).unwrap();
            MIGRATIONS.to_version(&mut conn, 2).unwrap();
            conn.execute(
                "INSERT INTO switch_events(at, assistant, action, from_profile, to_profile, file,
                     keys, backup, hash_before, hash_after, pending)
                 VALUES (1, 'codex', 'switch', 'openai', 'ollama', '/h/.codex/config.toml',
                     '[\"model\"]', '/d/b.bak', 'aa', 'bb', 0)",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&p).unwrap();
        assert_eq!(user_version(&store.conn).unwrap(), SCHEMA_VERSION);
        let open = store.open_switch("codex").unwrap().expect("still open");
        assert_eq!(open.files.len(), 1, "its file row was made");
        let f = &open.files[0];
        assert_eq!(f.file, "/h/.codex/config.toml");
        assert_eq!(f.keys, vec!["model".to_string()]);
        assert_eq!(f.backup.as_deref(), Some("/d/b.bak"));
        assert_eq!(
            (f.hash_before.as_str(), f.hash_after.as_str()),
            ("aa", "bb")
        );
        assert_eq!(f.label, "", "v2 did not know labels");
        store.integrity_check().unwrap();
    }

    #[test]
    fn empty_v0_file_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("history.db");
        {
            let c = Connection::open(&p).unwrap();
            c.execute_batch("CREATE TABLE unrelated(x); PRAGMA user_version=0;")
                .unwrap();
        }
        let store = Store::open(&p).unwrap();
        assert_eq!(user_version(&store.conn).unwrap(), SCHEMA_VERSION);
        let n: i64 = store
            .conn
            .query_row("SELECT count(*) FROM providers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn newer_database_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("history.db");
        {
            let c = Connection::open(&p).unwrap();
            c.execute_batch("CREATE TABLE future(x); PRAGMA user_version=99;")
                .unwrap();
        }
        let before = std::fs::read(&p).unwrap();
        let err = Store::open(&p).unwrap_err();
        match &err {
            StoreError::TooNew {
                found, supported, ..
            } => {
                assert_eq!(*found, 99);
                assert_eq!(*supported, SCHEMA_VERSION);
            }
            other => panic!("expected TooNew, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!(
                "the history database {} was written by a newer Weathervane (schema 99, this build knows {SCHEMA_VERSION}); refusing to open it. Update Weathervane, or point --data-dir elsewhere",
                p.display()
            )
        );
        // Not a byte changed (the WAL switch used to rewrite the header), and no
        // journal files appeared beside it.
        assert!(
            std::fs::read(&p).unwrap() == before,
            "the file was modified"
        );
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["history.db"]);
        let c = Connection::open(&p).unwrap();
        assert_eq!(user_version(&c).unwrap(), 99);
    }
}
