//! Early warning from the user's own sessions, end to end in the core on tokio's paused clock:
//! a fake Claude Code transcript in a temp HOME fills with 529 retries while the fake status
//! page says operational; the poller stores the facts, judges the sessions verdict, notifies
//! (saying the signal is the user's own sessions), and recovers once the storm leaves the window.
//!
//! The session files are followed by a real file-change watcher on its own thread, so while
//! waiting for it the test keeps the runtime busy (virtual time must not run ahead while the
//! kernel delivers the event) and bounds the wait in real time; virtual time is then moved on
//! by hand.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::broadcast;

use weathervane::config::{Config, SessionsConfig};
use weathervane::events::CoreEvent;
use weathervane::model::Status;
use weathervane::monitor::fetch::Fetcher;
use weathervane::monitor::policy::{Alert, AlertKind, Signal};
use weathervane::monitor::poller::{Poller, SessionsSetup, tokio_clock};
use weathervane::monitor::sessions::watch::{WatchOptions, roots};
use weathervane::store::Store;
use weathervane::switch::engine::Context;
use weathervane::switch::keys::MemoryKeyring;

use crate::common::*;

/// A Claude Code retry record, as the reference page shows the shape.
fn retry(at: DateTime<Utc>, attempt: u32, status: u16) -> String {
    format!(
        r#"{{"type":"system","subtype":"api_error","level":"error","timestamp":"{}","sessionId":"1b2c3d4e-0000-4000-8000-00000000000a","cwd":"/home/me/app","retryAttempt":{attempt},"maxRetries":10,"retryInMs":1200,"error":{{"status":{status},"message":"overloaded"}}}}"#,
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    )
}

fn append(file: &Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    f.sync_all().unwrap();
}

struct Rig {
    _handle: weathervane::monitor::poller::PollerHandle,
    rx: broadcast::Receiver<CoreEvent>,
    transcript: PathBuf,
    base: DateTime<Utc>,
    store: Arc<Mutex<Store>>,
    _dir: tempfile::TempDir,
}

/// The status page, operational, served on the test's own runtime (so it runs on the paused
/// clock; a server on another thread would let virtual time run out its timeouts).
async fn page() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let body = fixture(OPENAI_SUMMARY);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                // Only the summary exists; the page keeps no incident history.
                let (code, body) = if String::from_utf8_lossy(&got).contains("/summary.json") {
                    (200, body)
                } else {
                    (404, Vec::new())
                };
                let head = format!(
                    "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    url
}

async fn rig() -> Rig {
    let url = page().await;
    let text = format!(
        "catalog = false\n[[providers]]\nid = \"anthropic\"\nname = \"Anthropic\"\nkind = \"statuspage\"\nurl = \"{url}\"\ninterval = \"60s\"\nwatch = [\"Codex API\"]\n"
    );
    let cfg = Config::parse(&text, Path::new("test.toml")).expect("config");
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let data = dir.path().join("data");
    // Claude Code on its default profile (provider: anthropic), with one project's transcript.
    std::fs::create_dir_all(home.join(".claude/projects/-home-me-app")).unwrap();
    std::fs::write(
        home.join(".claude/settings.json"),
        include_bytes!("fixtures/assistants/claude-settings.json"),
    )
    .unwrap();
    let transcript = home.join(".claude/projects/-home-me-app/1b2c3d4e.jsonl");
    std::fs::write(
        &transcript,
        "{\"type\":\"user\",\"timestamp\":\"2026-12-01T09:00:00.000Z\",\"message\":{\"role\":\"user\",\"content\":\"hello\"}}\n",
    )
    .unwrap();
    let ctx = Context {
        home: home.clone(),
        env: HashMap::new(),
        data_dir: data.clone(),
        claude_managed_settings: dir.path().join("no-managed-settings.json"),
        keyring: Arc::new(MemoryKeyring::default()),
        program: "weathervane".into(),
        project_dirs: vec![],
    };
    let store = Arc::new(Mutex::new(Store::open(&data.join("history.db")).unwrap()));
    let (tx, rx) = broadcast::channel(1024);
    let base = Utc::now();
    let poller = Poller::new(
        Arc::new(cfg),
        Fetcher::new(Duration::from_secs(10), 4 << 20).unwrap(),
        store.clone(),
        tx,
    )
    .with_clock(tokio_clock(base))
    .with_network_check(Arc::new(|| false))
    .with_sessions(SessionsSetup {
        roots: roots(&home, &HashMap::new(), &SessionsConfig::default()),
        options: WatchOptions::default(),
    })
    .with_switching(ctx);
    let (handle, _join) = poller.spawn();
    Rig {
        _handle: handle,
        rx,
        transcript,
        base,
        store,
        _dir: dir,
    }
}

#[tokio::test(start_paused = true)]
async fn retries_in_a_transcript_warn_while_the_page_is_green_and_recover_after_the_window() {
    let mut r = rig().await;
    // The page answers first: operational (virtual time may run here).
    let official = loop {
        if let CoreEvent::Observed(o) = r.rx.recv().await.unwrap() {
            break o.status;
        }
    };
    assert_eq!(official, Status::Operational);
    // Let the watcher take up the folder (its own thread reads the tree at start).
    let stored = || {
        r.store
            .lock()
            .unwrap()
            .recent_session_errors("anthropic", r.base - chrono::Duration::hours(1))
            .unwrap()
            .len()
    };
    // Claude Code retries a 529 four times while the user waits. The first append may land
    // before the watcher has the folder; then it is read on the next change, from the offset.
    let lines: Vec<String> = (1..=4)
        .map(|i| retry(r.base + chrono::Duration::seconds(i), i as u32, 529))
        .collect();
    append(&r.transcript, &lines);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut nudges = 0;
    let alert = loop {
        match r.rx.try_recv() {
            Ok(CoreEvent::Alert(a)) if a.signal == Signal::Sessions => break *a,
            Ok(_) => {}
            Err(broadcast::error::TryRecvError::Empty) => {
                assert!(
                    Instant::now() < deadline,
                    "no sessions alert within 20 s; {} facts stored",
                    stored()
                );
                // An ordinary line (ignored) makes the watcher look again if the first
                // change came before it watched the folder.
                if stored() == 0 && nudges < 50 {
                    nudges += 1;
                    append(
                        &r.transcript,
                        &[
                            "{\"type\":\"assistant\",\"timestamp\":\"2026-12-01T09:00:01.000Z\"}"
                                .to_string(),
                        ],
                    );
                }
                tokio::task::yield_now().await;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("event bus: {e}"),
        }
    };
    assert_eq!(alert.kind, AlertKind::Outage, "{alert:?}");
    assert_eq!(alert.status, Status::Degraded, "{alert:?}");
    assert!(alert.title.contains("your own sessions"), "{}", alert.title);
    assert!(alert.body.contains("529"), "{}", alert.body);
    assert_eq!(alert.provider_id, "anthropic");
    assert_eq!(stored(), 4, "every retry is kept once, as facts");

    // Nothing new is written; the storm leaves the ten-minute window and the sessions say
    // so: a recovery, from the same signal, with how long it lasted.
    // Virtual time moves in the sessions' re-judging steps; after each step the test waits
    // (in real time, bounded) for what the store reads on its blocking threads.
    let mut recovered = None;
    fn drain(rx: &mut broadcast::Receiver<CoreEvent>, recovered: &mut Option<Alert>) {
        while let Ok(ev) = rx.try_recv() {
            if let CoreEvent::Alert(a) = ev
                && a.signal == Signal::Sessions
                && a.kind == AlertKind::Recovery
            {
                *recovered = Some(*a);
            }
        }
    }
    for _ in 0..30 {
        tokio::time::advance(Duration::from_secs(30)).await;
        let settle = Instant::now() + Duration::from_millis(50);
        while Instant::now() < settle {
            tokio::task::yield_now().await;
            drain(&mut r.rx, &mut recovered);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while recovered.is_none() && Instant::now() < deadline {
        tokio::task::yield_now().await;
        drain(&mut r.rx, &mut recovered);
        std::thread::sleep(Duration::from_millis(5));
    }
    let rec = recovered.expect("a recovery once the failed calls are older than the window");
    assert!(rec.title.contains("sessions"), "{}", rec.title);
    assert!(rec.duration.is_some());
}
