//! Codex's own log database (`$CODEX_HOME/logs_2.sqlite`) through the real watch: a temp HOME
//! where the test plays Codex, writing a WAL database with Codex's schema as Codex's
//! `insert_logs` does (a connection kept open, batches in transactions, one left open while
//! the watch reads), and the retries arrive as facts while they happen, attributed to the
//! provider the session's rollout names; across a restart only what is new; and a Codex
//! installed after the start is found. Waits are on the facts' channel, bounded.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use tokio::sync::mpsc::UnboundedReceiver;

use weathervane::config::SessionsConfig;
use weathervane::monitor::sessions::watch::{SessionWatch, WatchOptions, roots};
use weathervane::monitor::sessions::{ErrorFact, FollowState, SessionErrorKind, session_key};
use weathervane::switch::profiles::AssistantId;

const THREAD: &str = "019aa1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

/// `logs` as Codex's migrations leave it (`codex-rs/state/logs_migrations`, 0001 then 0002).
const SCHEMA: &str = include_str!("codex_logs_schema.sql");

/// Codex's WAL database, its connection open as while Codex runs.
fn codex_db(codex_home: &Path) -> Connection {
    let conn = Connection::open(codex_home.join("logs_2.sqlite")).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch(SCHEMA).unwrap();
    conn
}

/// Codex's sampling retry warning, with the spans and fields the log layer writes.
fn retry_body(n: u32, status: u16) -> String {
    format!(
        "session_loop{{thread_id={THREAD}}}:turn{{turn.id=7}}: stream disconnected - retrying sampling request ({n}/5 in 412ms)... turn_id=7 retries={n} max_retries=5 sampling_error=unexpected status {status} Service Unavailable: upstream connect error, url: https://api.openai.com/v1/responses"
    )
}

/// One batch in one transaction, as `insert_logs` writes.
fn batch(conn: &Connection, rows: &[(DateTime<Utc>, &str, String)]) {
    conn.execute_batch("BEGIN").unwrap();
    for (at, target, body) in rows {
        conn.execute(
            "INSERT INTO logs (ts, ts_nanos, level, target, feedback_log_body, module_path, \
             thread_id, process_uuid, estimated_bytes) \
             VALUES (?1, ?2, 'WARN', ?3, ?4, ?3, ?5, 'pid:7:u', ?6)",
            params![
                at.timestamp(),
                at.timestamp_subsec_nanos(),
                target,
                body,
                THREAD,
                body.len() as i64
            ],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
}

fn retries(from: u32, to: u32) -> Vec<(DateTime<Utc>, &'static str, String)> {
    (from..=to)
        .map(|n| {
            (
                Utc::now(),
                "codex_core::responses_retry",
                retry_body(n, 503),
            )
        })
        .collect()
}

/// A rollout whose `session_meta` names the provider, in today's folder.
fn rollout(codex_home: &Path) -> PathBuf {
    let day = codex_home
        .join("sessions")
        .join(Utc::now().format("%Y/%m/%d").to_string());
    std::fs::create_dir_all(&day).unwrap();
    let p = day.join(format!("rollout-2026-12-07T10-00-00-{THREAD}.jsonl"));
    std::fs::write(
        &p,
        format!(
            "{{\"timestamp\":\"2026-12-07T10:00:00Z\",\"type\":\"session_meta\",\"payload\":{{\"id\":\"{THREAD}\",\"cwd\":\"/home/me\",\"model_provider\":\"azure\"}}}}\n"
        ),
    )
    .unwrap();
    p
}

struct Rig {
    rt: tokio::runtime::Runtime,
    rx: UnboundedReceiver<Vec<ErrorFact>>,
    watch: SessionWatch,
}

fn watch(home: &Path, state: FollowState) -> Rig {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let only_codex = SessionsConfig {
        claude_code: false,
        gemini: false,
        ..SessionsConfig::default()
    };
    let watch = SessionWatch::start(
        roots(home, &HashMap::new(), &only_codex),
        state,
        WatchOptions::default(),
        tx,
    )
    .unwrap();
    Rig { rt, rx, watch }
}

impl Rig {
    /// Facts until `n` have come (each batch within 10 s).
    fn facts(&mut self, n: usize) -> Vec<ErrorFact> {
        let mut got = Vec::new();
        let rx = &mut self.rx;
        self.rt.block_on(async {
            while got.len() < n {
                let batch = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                    .await
                    .unwrap_or_else(|_| panic!("{n} facts within 10 s; got {got:?}"))
                    .expect("the watch runs");
                got.extend(batch);
            }
        });
        got
    }

    /// Nothing more within a short wait (used after the expected facts, to see none extra).
    fn nothing_more(&mut self) {
        let rx = &mut self.rx;
        let more = self
            .rt
            .block_on(async { tokio::time::timeout(Duration::from_millis(300), rx.recv()).await });
        assert!(more.is_err(), "unexpected facts: {more:?}");
    }
}

#[test]
fn codex_retries_arrive_from_its_log_as_they_happen() {
    let home = tempfile::tempdir().unwrap();
    let dot = home.path().join(".codex");
    let rollout = rollout(&dot);
    let w = codex_db(&dot);
    // Yesterday's troubles are history, not news.
    batch(
        &w,
        &[(
            Utc::now() - chrono::Duration::seconds(90),
            "codex_core::responses_retry",
            retry_body(1, 503),
        )],
    );
    let mut r = watch(home.path(), FollowState::default());
    // "Reconnecting... 1/5 .. 3/5" while the user waits.
    batch(&w, &retries(1, 3));
    // Codex goes on writing: a batch begun and not committed while the watch reads.
    w.execute_batch("BEGIN IMMEDIATE").unwrap();
    w.execute(
        "INSERT INTO logs (ts, ts_nanos, level, target, feedback_log_body, thread_id) \
         VALUES (?1, 0, 'WARN', 'codex_core::responses_retry', ?2, ?3)",
        params![Utc::now().timestamp(), retry_body(4, 503), THREAD],
    )
    .unwrap();
    let facts = r.facts(3);
    assert_eq!(facts.len(), 3, "{facts:?}");
    for f in &facts {
        assert_eq!(f.assistant, AssistantId::Codex);
        assert_eq!(f.kind, SessionErrorKind::Provider);
        assert_eq!(f.status, Some(503));
        assert!(!f.final_);
        assert_eq!(f.provider.as_deref(), Some("azure"));
        assert_eq!(f.session, session_key(THREAD));
    }
    r.nothing_more();
    w.execute_batch("COMMIT").unwrap();
    let facts = r.facts(1);
    assert_eq!(facts.len(), 1);
    // The final error lands in the rollout: a different attempt, one more fact, same session.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&rollout)
        .unwrap();
    writeln!(
        f,
        "{{\"timestamp\":\"{}\",\"type\":\"event_msg\",\"payload\":{{\"type\":\"error\",\"message\":\"exceeded retry limit, last status: 503 Service Unavailable\",\"codex_error_info\":{{\"response_too_many_failed_attempts\":{{\"http_status_code\":503}}}}}}}}",
        Utc::now().to_rfc3339()
    )
    .unwrap();
    f.sync_all().unwrap();
    let last = r.facts(1);
    assert_eq!(last.len(), 1);
    assert!(last[0].final_);
    assert_eq!(last[0].session, session_key(THREAD));
    assert_eq!(last[0].provider.as_deref(), Some("azure"));
    r.nothing_more();

    // Across a restart: only the rows written while the watch was off.
    let state = r.watch.follow_state();
    assert!(state.logs.contains_key(&dot.join("logs_2.sqlite")));
    drop(r);
    batch(&w, &retries(5, 5));
    let mut r = watch(home.path(), state);
    let facts = r.facts(1);
    assert_eq!(facts.len(), 1);
    r.nothing_more();
}

#[test]
fn a_codex_installed_after_the_start_is_followed_from_its_first_retry() {
    let home = tempfile::tempdir().unwrap();
    let mut r = watch(home.path(), FollowState::default());
    // Codex's first run: its home, its log, its retries (no session folder yet).
    let dot = home.path().join(".codex");
    std::fs::create_dir(&dot).unwrap();
    let w = codex_db(&dot);
    batch(&w, &retries(1, 2));
    let facts = r.facts(2);
    assert_eq!(facts.len(), 2, "{facts:?}");
    assert!(facts.iter().all(|f| f.assistant == AssistantId::Codex));
    // No rollout names a provider: left to the active profile, as for a rollout without one.
    assert!(facts.iter().all(|f| f.provider.is_none()));
    batch(&w, &retries(3, 3));
    assert_eq!(r.facts(1).len(), 1);
}

#[test]
fn a_file_that_is_not_codex_s_log_is_left_alone_and_the_watch_goes_on() {
    let home = tempfile::tempdir().unwrap();
    let dot = home.path().join(".codex");
    let rollout = rollout(&dot);
    std::fs::write(dot.join("logs_2.sqlite"), "not a database\n".repeat(100)).unwrap();
    let mut r = watch(home.path(), FollowState::default());
    std::fs::write(
        dot.join("logs_2.sqlite"),
        "still not a database\n".repeat(100),
    )
    .unwrap();
    // The rollouts are still read.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&rollout)
        .unwrap();
    writeln!(
        f,
        "{{\"timestamp\":\"{}\",\"type\":\"event_msg\",\"payload\":{{\"type\":\"error\",\"message\":\"unexpected status 502 Bad Gateway\"}}}}",
        Utc::now().to_rfc3339()
    )
    .unwrap();
    let facts = r.facts(1);
    assert_eq!(facts[0].status, Some(502));
    assert!(
        !r.watch
            .follow_state()
            .logs
            .contains_key(&dot.join("logs_2.sqlite"))
    );
}
