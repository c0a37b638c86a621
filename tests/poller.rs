//! The poller as a library: conditional GET, the watch loop turning a page flip into alerts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use weathervane::config::Config;
use weathervane::events::CoreEvent;
use weathervane::model::Status;
use weathervane::monitor::fetch::Fetcher;
use weathervane::monitor::poller::{Poller, poll_provider};
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

#[tokio::test(flavor = "multi_thread")]
async fn a_page_flip_becomes_an_outage_alert_then_a_recovery() {
    let server = MockServer::start().await;
    let at = "/api/v2/summary.json";
    // operational x1, major x2 (confirmation needs two), then operational again.
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture(OPENAI_SUMMARY), "application/json"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(openai_with("Codex API", "major_outage"), "application/json"),
        )
        .up_to_n_times(2)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture(OPENAI_SUMMARY), "application/json"),
        )
        .with_priority(3)
        .mount(&server)
        .await;

    let cfg = config(&format!(
        "catalog = false\n[notifications]\nconfirmations = 2\n{}",
        provider("o", "statuspage", &server.uri(), &["Codex API"])
    ));
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Mutex::new(Store::open(&dir.path().join("w.db")).unwrap()));
    let (tx, mut rx) = tokio::sync::broadcast::channel(64);
    let poller = Poller::new(
        Arc::new(cfg),
        Fetcher::new(Duration::from_secs(5), 4 << 20).unwrap(),
        store.clone(),
        tx,
    );
    let (handle, join) = poller.spawn();

    let mut alerts = vec![];
    let mut observed = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while alerts.len() < 2 && tokio::time::Instant::now() < deadline {
        // "Refresh now" drives the schedule so the test does not wait out intervals.
        handle.refresh_now();
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Ok(CoreEvent::Alert(a))) => alerts.push(*a),
            Ok(Ok(CoreEvent::Observed(_))) => observed += 1,
            _ => {}
        }
    }
    handle.shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(5), join).await;
    assert!(
        alerts.len() >= 2,
        "alerts: {alerts:?} after {observed} observations"
    );
    assert!(
        alerts[0].title.contains("major outage")
            || alerts[0].title.to_lowercase().contains("major outage"),
        "{:?}",
        alerts[0]
    );
    assert!(alerts[0].body.contains("Codex API"), "{:?}", alerts[0]);
    assert!(
        alerts[1].title.to_lowercase().contains("recovered"),
        "{:?}",
        alerts[1]
    );
    let s = store.lock().unwrap();
    assert!(s.latest("o").unwrap().is_some());
    s.integrity_check().unwrap();
}

/// Runs a poller against `server` until it has seen `observations` polls; returns its alerts.
async fn alerts_from(
    cfg: &Config,
    store: &Arc<Mutex<Store>>,
    states: weathervane::monitor::poller::PolicyStates,
    observations: usize,
) -> Vec<weathervane::monitor::policy::Alert> {
    let (tx, mut rx) = tokio::sync::broadcast::channel(64);
    let poller = Poller::new(
        Arc::new(cfg.clone()),
        Fetcher::new(Duration::from_secs(5), 4 << 20).unwrap(),
        store.clone(),
        tx,
    )
    .with_policy_states(states);
    let (handle, join) = poller.spawn();
    let (mut alerts, mut seen) = (vec![], 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while seen < observations && tokio::time::Instant::now() < deadline {
        handle.refresh_now();
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Ok(CoreEvent::Alert(a))) => alerts.push(*a),
            Ok(Ok(CoreEvent::Observed(_))) => seen += 1,
            _ => {}
        }
    }
    // Alerts follow their observation; give the last one a moment.
    while let Ok(Ok(ev)) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
        if let CoreEvent::Alert(a) = ev {
            alerts.push(*a);
        }
    }
    handle.shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(5), join).await;
    assert!(seen >= observations, "only {seen} observations");
    alerts
}

/// Regression: the desktop app restarts its poller when settings change; an outage already
/// announced must not be announced again by the new poller.
#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_poller_does_not_announce_an_ongoing_outage_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/summary.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(openai_with("Codex API", "major_outage"), "application/json"),
        )
        .mount(&server)
        .await;
    let cfg = config(&format!(
        "catalog = false\n[notifications]\nconfirmations = 2\n{}",
        provider("o", "statuspage", &server.uri(), &["Codex API"])
    ));
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Mutex::new(Store::open(&dir.path().join("w.db")).unwrap()));
    let states = weathervane::monitor::poller::PolicyStates::default();

    let first = alerts_from(&cfg, &store, states.clone(), 3).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].title.contains("major outage"), "{:?}", first[0]);

    let again = alerts_from(&cfg, &store, states.clone(), 3).await;
    assert!(again.is_empty(), "announced again: {again:?}");

    // Without the carried-over state the same page is announced: the check above can fail.
    let fresh = alerts_from(&cfg, &store, Default::default(), 3).await;
    assert_eq!(fresh.len(), 1, "{fresh:?}");
}
