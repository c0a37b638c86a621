//! OpenRouter's Datadog status page, served from its recorded `config.json` on 127.0.0.1 and read by the real CLI.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const OPENROUTER: &str = "datadog_openrouter_config_2026-09-15.json";

async fn serve(server: &MockServer, body: Vec<u8>) {
    Mock::given(method("GET"))
        .and(path("/config.json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_datadog_page_polls_with_its_components_and_an_outage() {
    let server = MockServer::start().await;
    let mut v = fixture_json(OPENROUTER);
    v["components"][0]["components"][0]["status"] = "major_outage".into();
    let inc = &mut v["incidents"][2];
    inc["resolved"] = false.into();
    inc["resolvedDate"] = serde_json::Value::Null;
    inc["currentStatus"] = "identified".into();
    serve(&server, serde_json::to_vec(&v).unwrap()).await;

    let env = Env::new(&format!(
        "catalog = false\n{}",
        provider(
            "openrouter",
            "datadog",
            &server.uri(),
            &["Chat (/api/v1/chat/completions)"]
        )
    ));
    let (code, out) = env.json(&["poll", "--once", "--json"]);
    let p = provider_json(&out, "openrouter");
    assert_eq!(p["source_ok"], true, "{p}");
    assert_eq!(p["status"], "major_outage", "{p}");
    assert_eq!(code, 2);
    let comps = p["components"].as_array().unwrap();
    assert_eq!(comps.len(), 7);
    let chat = comps
        .iter()
        .find(|c| c["name"] == "Chat (/api/v1/chat/completions)")
        .unwrap();
    assert_eq!(chat["watched"], true);
    let open: Vec<&str> = p["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["resolved_at"].is_null())
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(open, ["Elevated 429s on Anthropic and OpenAI"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn detect_names_a_datadog_page() {
    let server = MockServer::start().await;
    serve(&server, fixture(OPENROUTER)).await;
    let env = Env::new("catalog = false\n");
    let (code, v) = env.json(&["providers", "--detect", &server.uri(), "--json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["kind"], "datadog");
    assert_eq!(v["name"], "OpenRouter");
    assert_eq!(v["components"], 7);
}
