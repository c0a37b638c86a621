//! History from the first day through the real CLI: the page's own incident history, served on 127.0.0.1, fills the days before the first poll, once.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const SUMMARY: &str = "/api/v2/summary.json";
const INCIDENTS: &str = "/api/v2/incidents.json";

fn json_body(v: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(serde_json::to_vec(v).unwrap(), "application/json")
}

/// The recorded GitHub Copilot incident (major, resolved, five updates) as an
/// `incidents.json`, moved to `days_ago` and onto the watched Codex API component of
/// the recorded OpenAI summary: the shape Statuspage and incident.io serve.
fn incidents_json(codex_id: &str, days_ago: i64) -> Value {
    let mut inc =
        fixture_json("statuspage_github_incident_copilot_major_2023-04-25.json")["incident"]
            .clone();
    let start = Utc::now() - Duration::days(days_ago);
    let start = start.date_naive().and_hms_opt(10, 0, 0).unwrap().and_utc();
    let t = |mins: i64| (start + Duration::minutes(mins)).to_rfc3339();
    inc["created_at"] = t(0).into();
    inc["started_at"] = t(0).into();
    inc["resolved_at"] = t(63).into();
    inc["updated_at"] = t(63).into();
    inc["components"] = json!([{"id": codex_id, "name": "Codex API", "status": "operational"}]);
    for (n, u) in inc["incident_updates"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        u["created_at"] = t(63 - n as i64 * 10).into();
        u["display_at"] = u["created_at"].clone();
    }
    json!({"page": {"id": "p", "name": "Test", "url": "https://status.example.test"}, "incidents": [inc]})
}

fn codex_id() -> String {
    let v = fixture_json(OPENAI_SUMMARY);
    v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Codex API")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn days(history: &Value, id: &str) -> Vec<Value> {
    provider_json(history, id)["days"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_poll_fills_the_past_from_the_pages_history_once() {
    let server = MockServer::start().await;
    let summary = fixture_json(OPENAI_SUMMARY);
    for prefix in ["/page", "/flaky"] {
        Mock::given(method("GET"))
            .and(path(format!("{prefix}{SUMMARY}")))
            .respond_with(json_body(&summary))
            .mount(&server)
            .await;
    }
    // Read exactly once, however often the provider is polled.
    Mock::given(method("GET"))
        .and(path(format!("/page{INCIDENTS}")))
        .respond_with(json_body(&incidents_json(&codex_id(), 5)))
        .expect(1)
        .mount(&server)
        .await;
    // Fails on the first poll; read on the next one, and then never again.
    Mock::given(method("GET"))
        .and(path(format!("/flaky{INCIDENTS}")))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/flaky{INCIDENTS}")))
        .respond_with(json_body(&incidents_json(&codex_id(), 3)))
        .expect(1)
        .mount(&server)
        .await;
    // An Instatus page publishes no history: nothing is asked for, nothing filled.
    Mock::given(method("GET"))
        .and(path("/instatus/summary.json"))
        .respond_with(json_body(&fixture_json(
            "derived_instatus_summary_operational.json",
        )))
        .mount(&server)
        .await;

    let uri = server.uri();
    let env = Env::new(&format!(
        "catalog = false\n{}{}{}",
        provider("page", "statuspage", &format!("{uri}/page"), &["Codex API"]),
        provider(
            "flaky",
            "statuspage",
            &format!("{uri}/flaky"),
            &["Codex API"]
        ),
        provider("nohistory", "instatus", &format!("{uri}/instatus"), &[]),
    ));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.code().is_some(), "{}", stderr(&out));

    let (code, h) = env.json(&["history", "--days", "30", "--json"]);
    assert_eq!(code, 0, "{h}");
    let page = days(&h, "page");
    assert_eq!(page.len(), 30);
    let backfilled: Vec<&Value> = page.iter().filter(|d| d["backfilled"] == true).collect();
    // From the incident's day (5 days ago) to yesterday; today is observed.
    assert_eq!(backfilled.len(), 5, "{page:?}");
    assert_eq!(backfilled[0]["worst"], "partial_outage", "a major incident");
    assert!(backfilled[1..].iter().all(|d| d["worst"] == "operational"));
    let today = page.last().unwrap();
    assert!(
        today.get("backfilled").is_none(),
        "the key is only there when true"
    );
    assert_ne!(today["worst"], "unknown");
    assert!(
        page[..24]
            .iter()
            .all(|d| d.get("backfilled").is_none() && d["worst"] == "unknown")
    );
    let p = provider_json(&h, "page");
    assert!(p["uptime_pct"].as_f64().unwrap() < 100.0, "{p}");
    assert_eq!(p["mttr_secs"], 63 * 60);
    assert!(
        p["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["title"] == "Incident with Copilot"),
        "{p}"
    );
    // The failed one has nothing yet, nor has the page without history.
    for id in ["flaky", "nohistory"] {
        assert!(
            days(&h, id).iter().all(|d| d.get("backfilled").is_none()),
            "{id}"
        );
    }

    // Later polls: the failed backfill is retried; nothing is read or stored twice.
    env.run(&["poll", "--once"]);
    env.run(&["poll", "--once"]);
    let (_, h) = env.json(&["history", "--days", "30", "--json"]);
    assert_eq!(
        days(&h, "page")
            .iter()
            .filter(|d| d["backfilled"] == true)
            .count(),
        5
    );
    let flaky = days(&h, "flaky");
    assert_eq!(flaky.iter().filter(|d| d["backfilled"] == true).count(), 3);
    assert_eq!(
        provider_json(&h, "flaky")["incidents"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    server.verify().await;
}
