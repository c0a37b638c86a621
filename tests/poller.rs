//! The poller as a library: conditional GET, the watch loop turning a page flip into alerts,
//! and what a restart remembers. The loops run on tokio's paused clock against a page served
//! from the test's own runtime, so minutes pass in virtual time and nothing waits on the
//! wall clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use weathervane::config::Config;
use weathervane::events::CoreEvent;
use weathervane::model::Status;
use weathervane::monitor::fetch::Fetcher;
use weathervane::monitor::policy::Alert;
use weathervane::monitor::poller::{PolicyStates, Poller, poll_provider, tokio_clock};
use weathervane::store::Store;

use crate::common::*;

fn config(text: &str) -> Config {
    Config::parse(text, std::path::Path::new("test.toml")).expect("config")
}

#[tokio::test]
async fn conditional_get_reuses_the_last_answer_on_304() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/summary.json"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/summary.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(
                    openai_with("Codex API", "partial_outage"),
                    "application/json",
                )
                .insert_header("ETag", "\"v1\""),
        )
        .expect(1)
        .mount(&server)
        .await;
    let cfg = config(&format!(
        "catalog = false\n{}",
        provider("o", "statuspage", &server.uri(), &["Codex API"])
    ));
    let p = &cfg.providers[0];
    let f = Fetcher::new(Duration::from_secs(5), 4 << 20).unwrap();
    let (first, cache) = poll_provider(&f, p, None, Utc::now()).await;
    assert_eq!(first.status, Status::PartialOutage);
    let cache = cache.expect("cache entry");
    assert_eq!(cache.validators.etag.as_deref(), Some("\"v1\""));
    let (second, _) = poll_provider(&f, p, Some(&cache), Utc::now()).await;
    assert_eq!(second.http_status, Some(304));
    assert_eq!(
        second.status,
        Status::PartialOutage,
        "304 keeps the last state"
    );
    assert!(second.source_ok);
    // `expect(1)` on both mocks is verified when the server drops.
}

/// A status page on 127.0.0.1, served by a task on the test's runtime (so it runs on the
/// paused clock). It answers with its current status code and body ([`Page::set`],
/// [`Page::fail`]) and notes when each request came, in virtual time.
struct Page {
    url: String,
    body: Arc<Mutex<Vec<u8>>>,
    code: Arc<Mutex<u16>>,
    times: Arc<Mutex<Vec<tokio::time::Instant>>>,
}

impl Page {
    async fn start(body: Vec<u8>) -> Page {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let body = Arc::new(Mutex::new(body));
        let code = Arc::new(Mutex::new(200u16));
        let times = Arc::new(Mutex::new(Vec::new()));
        let (b, c, t) = (body.clone(), code.clone(), times.clone());
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let at = tokio::time::Instant::now();
                let body = b.lock().unwrap().clone();
                let code = *c.lock().unwrap();
                let t = t.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let mut got = Vec::new();
                    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                    }
                    // Polls of the status, not the one-time read of the page's incident
                    // history (the first-day backfill), are what these tests count.
                    if !String::from_utf8_lossy(&got).contains("/incidents.json") {
                        t.lock().unwrap().push(at);
                    }
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
        Page {
            url,
            body,
            code,
            times,
        }
    }

    fn hits(&self) -> usize {
        self.times.lock().unwrap().len()
    }

    /// Seconds between consecutive requests.
    fn gaps(&self) -> Vec<u64> {
        let t = self.times.lock().unwrap();
        t.windows(2).map(|w| (w[1] - w[0]).as_secs()).collect()
    }

    /// Serve `body` from now on.
    fn set(&self, body: Vec<u8>) {
        *self.body.lock().unwrap() = body;
    }

    /// Answer with this HTTP status from now on.
    fn fail(&self, code: u16) {
        *self.code.lock().unwrap() = code;
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap()
}

fn one_page_config(page: &Page) -> Config {
    config(&format!(
        "catalog = false\n[notifications]\nconfirmations = 2\ncooldown = \"30m\"\n{}",
        provider("o", "statuspage", &page.url, &["Codex API"])
            .replace("watch =", "interval = \"60s\"\nwatch =")
    ))
}

/// How a run ends: a clean shutdown, or the task killed where it stands (SIGKILL: no
/// code of ours runs after it).
#[derive(Clone, Copy, PartialEq)]
enum End {
    Shutdown,
    Kill,
}

/// Run a poller for `mins` virtual minutes from `start`; its alerts and observation count.
async fn run_for(
    cfg: &Config,
    store: &Arc<Mutex<Store>>,
    states: PolicyStates,
    start: DateTime<Utc>,
    mins: u64,
    end: End,
) -> (Vec<Alert>, usize) {
    let (tx, mut rx) = tokio::sync::broadcast::channel(256);
    let poller = Poller::new(
        Arc::new(cfg.clone()),
        Fetcher::new(Duration::from_secs(10), 4 << 20).unwrap(),
        store.clone(),
        tx,
    )
    .with_policy_states(states)
    .with_clock(tokio_clock(start))
    .with_network_check(Arc::new(|| false));
    let (handle, join) = poller.spawn();
    let (mut alerts, mut seen) = (vec![], 0);
    let until = tokio::time::Instant::now() + Duration::from_secs(mins * 60);
    while let Ok(ev) = tokio::time::timeout_at(until, rx.recv()).await {
        match ev {
            Ok(CoreEvent::Alert(a)) => alerts.push(*a),
            Ok(CoreEvent::Observed(_)) => seen += 1,
            Ok(_) => {}
            Err(e) => panic!("events: {e}"),
        }
    }
    match end {
        End::Shutdown => {
            handle.shutdown();
            join.await.unwrap();
        }
        End::Kill => {
            join.abort();
            let _ = join.await;
        }
    }
    (alerts, seen)
}

#[tokio::test(start_paused = true)]
async fn a_page_flip_becomes_an_outage_alert_then_a_recovery() {
    let page = Page::start(fixture(OPENAI_SUMMARY)).await;
    let cfg = one_page_config(&page);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Mutex::new(Store::open(&dir.path().join("w.db")).unwrap()));
    // The poller runs on in the background while the page changes under it.
    let run = {
        let (cfg, store) = (cfg.clone(), store.clone());
        tokio::spawn(async move {
            run_for(&cfg, &store, Default::default(), t0(), 30, End::Shutdown).await
        })
    };
    tokio::time::sleep(Duration::from_secs(5 * 60)).await;
    page.set(openai_with("Codex API", "major_outage"));
    tokio::time::sleep(Duration::from_secs(10 * 60)).await;
    page.set(fixture(OPENAI_SUMMARY));
    let (alerts, observed) = run.await.unwrap();

    assert_eq!(alerts.len(), 2, "{alerts:?} after {observed} observations");
    assert_eq!(alerts[0].title, "o name: major outage", "{:?}", alerts[0]);
    assert!(alerts[0].body.contains("Codex API"), "{:?}", alerts[0]);
    assert_eq!(alerts[1].title, "o name recovered", "{:?}", alerts[1]);
    // Confirmed within one interval plus the quick second look, not two intervals.
    let lasted = alerts[1].duration.expect("a recovery says how long");
    assert!(
        lasted >= chrono::Duration::minutes(9) && lasted <= chrono::Duration::minutes(11),
        "{lasted}"
    );
    // About one poll a minute when calm, every 15 s during the outage: never a burst.
    assert!((30..=80).contains(&page.hits()), "{} polls", page.hits());
    let s = store.lock().unwrap();
    assert!(s.latest("o").unwrap().is_some());
    s.integrity_check().unwrap();
}

/// Regression: the desktop app restarts its poller when settings change; an outage already
/// announced must not be announced again by the new poller.
#[tokio::test(start_paused = true)]
async fn a_restarted_poller_does_not_announce_an_ongoing_outage_again() {
    let page = Page::start(openai_with("Codex API", "major_outage")).await;
    let cfg = one_page_config(&page);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Mutex::new(Store::open(&dir.path().join("w.db")).unwrap()));
    let states = PolicyStates::default();

    let (first, _) = run_for(&cfg, &store, states.clone(), t0(), 3, End::Shutdown).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].title.contains("major outage"), "{:?}", first[0]);

    let later = t0() + chrono::Duration::minutes(3);
    let (again, seen) = run_for(&cfg, &store, states.clone(), later, 3, End::Shutdown).await;
    assert!(seen >= 3, "{seen} observations");
    assert!(again.is_empty(), "announced again: {again:?}");
}

/// A restart of the whole process (login, update, crash; SIGKILL included) in the middle of
/// an outage: the new process has no memory but the store, and does not announce the
/// outage again. The control run with an empty store shows the check can fail.
#[tokio::test(start_paused = true)]
async fn a_new_process_mid_outage_does_not_announce_it_again() {
    let page = Page::start(openai_with("Codex API", "major_outage")).await;
    let cfg = one_page_config(&page);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    for end in [End::Kill, End::Shutdown] {
        let _ = std::fs::remove_file(&db);
        let store = Arc::new(Mutex::new(Store::open(&db).unwrap()));
        let (first, _) = run_for(&cfg, &store, Default::default(), t0(), 3, end).await;
        assert_eq!(first.len(), 1, "{first:?}");
        drop(store);

        // A new process: a new store handle, no policy memory, 5 minutes later.
        let store = Arc::new(Mutex::new(Store::open(&db).unwrap()));
        let later = t0() + chrono::Duration::minutes(5);
        let (again, seen) =
            run_for(&cfg, &store, Default::default(), later, 5, End::Shutdown).await;
        assert!(seen >= 5, "{seen} observations");
        assert!(
            again.is_empty(),
            "announced again after a restart: {again:?}"
        );
    }

    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Arc::new(Mutex::new(
        Store::open(&fresh_dir.path().join("w.db")).unwrap(),
    ));
    let (control, _) = run_for(&cfg, &fresh, Default::default(), t0(), 3, End::Shutdown).await;
    assert_eq!(control.len(), 1, "{control:?}");
}

/// `watch` went on writing into a database whose folder had been deleted, and that history
/// was lost at exit. The poller notices, starts a new database at the same place, says so,
/// and the polls after the deletion are in it.
#[tokio::test(start_paused = true)]
async fn a_deleted_data_dir_is_noticed_and_the_history_goes_on_in_a_new_database() {
    let page = Page::start(openai_with("Codex API", "degraded_performance")).await;
    let cfg = one_page_config(&page);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("w.db");
    let store = Arc::new(Mutex::new(Store::open(&db).unwrap()));
    let (tx, mut rx) = tokio::sync::broadcast::channel(256);
    let poller = Poller::new(
        Arc::new(cfg),
        Fetcher::new(Duration::from_secs(10), 4 << 20).unwrap(),
        store.clone(),
        tx,
    )
    .with_clock(tokio_clock(t0()))
    .with_network_check(Arc::new(|| false));
    let (handle, join) = poller.spawn();
    tokio::time::sleep(Duration::from_secs(3 * 60)).await;
    std::fs::remove_dir_all(&data).unwrap();
    let deleted_at = t0() + chrono::Duration::minutes(3);
    tokio::time::sleep(Duration::from_secs(3 * 60)).await;
    handle.shutdown();
    join.await.unwrap();

    let mut said = vec![];
    while let Ok(ev) = rx.try_recv() {
        if let CoreEvent::StoreError(e) = ev {
            said.push(e);
        }
    }
    assert!(
        said.iter()
            .any(|e| e.contains("was deleted") && e.contains("w.db")),
        "{said:?}"
    );
    let reopened = Store::open(&db).expect("a new database where the old one was");
    let latest = reopened
        .latest("o")
        .unwrap()
        .expect("polls after the deletion are kept");
    assert!(latest.at > deleted_at, "{}", latest.at);
}

/// An Atom feed with `n` entries, each an unresolved incident; `tiny` entries carry only
/// an id (100k of them fit under the 4 MiB cap, as in the report).
fn atom_feed(n: usize, tiny: bool) -> Vec<u8> {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Status</title><id>urn:s</id><updated>2026-03-02T13:00:00Z</updated>\n",
    );
    for i in 0..n {
        if tiny {
            s.push_str(&format!("<entry><id>{i}</id></entry>\n"));
        } else {
            s.push_str(&format!(
                "<entry><id>urn:e{i}</id><title>Incident {i}</title><updated>2026-03-02T13:00:00Z</updated><content>Investigating</content></entry>\n"
            ));
        }
    }
    s.push_str("</feed>\n");
    s.into_bytes()
}

/// A 100k-entry feed (under the body cap) cost ~29 s of CPU a poll on the async workers,
/// starving the other providers. Now it is refused by count before any parsing, a healthy
/// provider beside it is polled as usual on a single-threaded runtime, and a feed of
/// ordinary size is still read.
#[tokio::test]
async fn a_huge_feed_is_refused_by_count_and_does_not_hold_up_the_others() {
    let huge = Page::start(atom_feed(100_000, true)).await;
    let healthy = Page::start(fixture(OPENAI_SUMMARY)).await;
    let normal = Page::start(atom_feed(20, false)).await;
    let cfg = config(&format!(
        "catalog = false\n{}{}{}",
        provider("huge", "feed", &huge.url, &[]),
        provider("ok", "statuspage", &healthy.url, &["Codex API"]),
        provider("normal", "feed", &normal.url, &[]),
    ));
    let f = Fetcher::new(Duration::from_secs(10), 4 << 20).unwrap();
    let obs =
        weathervane::monitor::poller::poll_all(&f, &cfg.providers, Utc::now(), |_, _, _| {}).await;
    let by = |id: &str| obs.iter().find(|o| o.provider_id == id).unwrap();
    let h = by("huge");
    assert!(!h.source_ok);
    assert_eq!(
        h.error,
        Some(weathervane::model::ErrorClass::TooLarge),
        "{h:?}"
    );
    let reason = h.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("100000 feed entries") && reason.contains("5000"),
        "{reason}"
    );
    assert_eq!(by("ok").status, Status::Operational);
    assert!(by("ok").source_ok);
    assert!(by("normal").source_ok, "{:?}", by("normal").reason);
}

/// Start a poller over `cfg` on the paused clock with `clock` as its wall clock.
fn spawn_poller(
    cfg: &Config,
    store: &Arc<Mutex<Store>>,
    clock: weathervane::monitor::poller::Clock,
) -> (
    weathervane::monitor::poller::PollerHandle,
    tokio::task::JoinHandle<()>,
) {
    let (tx, _) = tokio::sync::broadcast::channel(256);
    Poller::new(
        Arc::new(cfg.clone()),
        Fetcher::new(Duration::from_secs(10), 4 << 20).unwrap(),
        store.clone(),
        tx,
    )
    .with_clock(clock)
    .with_network_check(Arc::new(|| false))
    .spawn()
}

fn temp_store() -> (tempfile::TempDir, Arc<Mutex<Store>>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Mutex::new(Store::open(&dir.path().join("w.db")).unwrap()));
    (dir, store)
}

/// After the machine wakes, the wall clock is hours ahead of the monotonic one: every
/// provider is polled at once, not at its next (10-minute) turn.
#[tokio::test(start_paused = true)]
async fn a_wake_from_sleep_polls_at_once() {
    use std::sync::atomic::{AtomicI64, Ordering};
    let page = Page::start(fixture(OPENAI_SUMMARY)).await;
    let cfg = config(&format!(
        "catalog = false\n{}",
        provider("o", "statuspage", &page.url, &["Codex API"])
            .replace("watch =", "interval = \"10m\"\nwatch =")
    ));
    let (_dir, store) = temp_store();
    let slept = Arc::new(AtomicI64::new(0));
    let clock = {
        let (base, slept) = (tokio_clock(t0()), slept.clone());
        Arc::new(move || base() + chrono::Duration::seconds(slept.load(Ordering::SeqCst)))
    };
    let (handle, join) = spawn_poller(&cfg, &store, clock);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(page.hits(), 1, "the first poll, then nothing for a while");
    // The lid closes for two hours: the wall clock jumps, tokio's clock does not.
    slept.store(2 * 3600, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(15)).await;
    assert_eq!(page.hits(), 2, "polled at once after the wake");
    handle.shutdown();
    join.await.unwrap();
}

/// Failures back off (1, 2, 4 intervals); one success resets the count, so the next
/// failure waits one interval again, not eight.
#[tokio::test(start_paused = true)]
async fn a_success_resets_the_backoff_inside_the_provider_loop() {
    let page = Page::start(fixture(OPENAI_SUMMARY)).await;
    page.fail(503);
    let cfg = one_page_config(&page);
    let (_dir, store) = temp_store();
    let (handle, join) = spawn_poller(&cfg, &store, tokio_clock(t0()));
    let wait_for = |n: usize| {
        let page = &page;
        async move {
            while page.hits() < n {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    wait_for(3).await; // failures 1, 2, 3
    page.fail(200);
    wait_for(4).await; // success
    page.fail(503);
    wait_for(6).await; // failures 1, 2 again
    handle.shutdown();
    join.await.unwrap();
    let g = page.gaps();
    // Jitter takes up to 10 % off each wait.
    let about = |gap: u64, secs: u64| gap <= secs && gap + secs / 10 + 1 >= secs;
    assert!(
        about(g[0], 60) && about(g[1], 120) && about(g[2], 240),
        "{g:?}"
    );
    assert!(about(g[3], 60), "after the success, the interval: {g:?}");
    assert!(
        about(g[4], 60),
        "the first failure after it waits one interval: {g:?}"
    );
}

/// Store maintenance (rollups, pruning) runs at start and then every hour of a long run.
#[tokio::test(start_paused = true)]
async fn store_maintenance_runs_hourly() {
    let page = Page::start(fixture(OPENAI_SUMMARY)).await;
    let cfg = one_page_config(&page);
    let (_dir, store) = temp_store();
    let (handle, join) = spawn_poller(&cfg, &store, tokio_clock(t0()));
    tokio::time::sleep(Duration::from_secs(150 * 60)).await;
    handle.shutdown();
    join.await.unwrap();
    // Started 14:00; runs at 15:00-ish and 16:00-ish rolled up every complete hour.
    let until = store.lock().unwrap().rolled_up_until().unwrap();
    assert_eq!(until, Some(t0() + chrono::Duration::hours(2)));
}
