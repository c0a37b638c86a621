//! Works out which platform a status page runs on from the address a user pastes.
//!
//! Each platform's endpoint is fetched and run through its real parser; the first that
//! parses wins, so "detected" means "Weathervane can read it", not "the URL looks right".

use chrono::Utc;
use serde::Serialize;
use ts_rs::TS;
use url::Url;

use crate::monitor::fetch::parse_source_url;
use crate::monitor::fetch::{FetchOutcome, Fetcher, Validators};
use crate::monitor::sources::{ParseContext, Parser, SourceKind};

/// What was found at an address, ready to become a `[[providers]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Detected {
    /// As spelled in the config: statuspage, incidentio, instatus, datadog, google-cloud, feed.
    pub kind: String,
    /// The base URL to put in the config (the feed's own URL for a feed).
    pub url: String,
    /// The page's own name, when it says.
    pub name: Option<String>,
    pub components: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("{0}")]
    BadUrl(String),
    #[error("no status page Weathervane can read was found at {url}. Tried: {tried}")]
    NotRecognised { url: String, tried: String },
}

/// The order platforms are tried in: the most specific shapes first, the feed last.
const CANDIDATES: &[(SourceKind, &str, Parser)] = &[
    (
        SourceKind::Incidentio,
        "/api/v1/summary",
        Parser::IncidentioNative,
    ),
    (
        SourceKind::Statuspage,
        "/api/v2/summary.json",
        Parser::Statuspage,
    ),
    (SourceKind::Instatus, "/summary.json", Parser::Instatus),
    (SourceKind::Datadog, "/config.json", Parser::Datadog),
    (
        SourceKind::GoogleCloud,
        "/incidents.json",
        Parser::GoogleCloud,
    ),
];

/// The page's name, from the JSON shapes that carry one.
fn page_name(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let name = v
        .pointer("/page/name")
        .or_else(|| v.pointer("/summary/name"))
        .or_else(|| v.get("name"))?
        .as_str()?
        .trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// Try each platform at `input` and report the first Weathervane can parse.
pub async fn detect(fetcher: &Fetcher, input: &str) -> Result<Detected, DetectError> {
    let trimmed = input.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let url = parse_source_url(&with_scheme).map_err(DetectError::BadUrl)?;
    let mut base = url.clone();
    base.set_query(None);
    base.set_fragment(None);
    let base_str = base.as_str().trim_end_matches('/').to_string();
    let ctx = ParseContext {
        watch: &[],
        now: Utc::now(),
        feed_lists: super::feed::FeedLists::default(),
    };
    let mut tried = Vec::new();
    let attempt =
        |body: &[u8], parser: Parser| parser.parse(body, &ctx).map(|s| s.components.len());

    let mut candidates: Vec<(SourceKind, Url, Parser)> = Vec::new();
    for (kind, path, parser) in CANDIDATES {
        if let Ok(u) = Url::parse(&format!("{base_str}{path}")) {
            candidates.push((*kind, u, *parser));
        }
    }
    candidates.push((SourceKind::Feed, url.clone(), Parser::Feed));

    for (kind, u, parser) in candidates {
        match fetcher.get(&u, &Validators::default()).await {
            Ok(FetchOutcome::Fresh { body, .. }) => match attempt(&body, parser) {
                Ok(n) => {
                    return Ok(Detected {
                        kind: kind.as_str().to_string(),
                        url: if kind == SourceKind::Feed {
                            u.to_string()
                        } else {
                            base_str.clone()
                        },
                        name: page_name(&body),
                        components: u32::try_from(n).unwrap_or(u32::MAX),
                    });
                }
                Err(e) => tried.push(format!("{} ({e})", u.path())),
            },
            Ok(FetchOutcome::NotModified { .. }) => {
                tried.push(format!("{} (304 without a request for one)", u.path()))
            }
            Err(e) => tried.push(format!("{} ({})", u.path(), e.message)),
        }
    }
    Err(DetectError::NotRecognised {
        url: base_str,
        tried: tried.join("; "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/status/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn fetcher() -> Fetcher {
        Fetcher::new(Duration::from_secs(5), 4 << 20).unwrap()
    }

    async fn serving(p: &str, body: Vec<u8>, ctype: &str) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, ctype))
            .mount(&server)
            .await;
        server
    }

    #[tokio::test]
    async fn finds_a_statuspage_page_and_its_name() {
        let s = serving(
            "/api/v2/summary.json",
            fixture("statuspage_openai_summary_operational_2026-07-09.json"),
            "application/json",
        )
        .await;
        let d = detect(&fetcher(), &format!("{}/", s.uri())).await.unwrap();
        assert_eq!(d.kind, "statuspage");
        assert_eq!(d.url, s.uri());
        assert_eq!(d.name.as_deref(), Some("OpenAI"));
        assert!(d.components > 10, "{d:?}");
    }

    #[tokio::test]
    async fn finds_a_feed_at_the_address_itself() {
        let feed = std::fs::read_dir(format!(
            "{}/tests/fixtures/status",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .find(|n| n.ends_with(".rss") || n.ends_with(".xml") || n.ends_with(".atom"))
        .expect("a feed fixture");
        let s = serving("/history.rss", fixture(&feed), "application/rss+xml").await;
        let d = detect(&fetcher(), &format!("{}/history.rss", s.uri()))
            .await
            .unwrap();
        assert_eq!(d.kind, "feed");
        assert_eq!(d.url, format!("{}/history.rss", s.uri()));
    }

    #[tokio::test]
    async fn says_what_it_tried_when_nothing_fits() {
        let s = serving("/", b"<html>hello</html>".to_vec(), "text/html").await;
        let e = detect(&fetcher(), &s.uri()).await.unwrap_err().to_string();
        assert!(e.contains("/api/v2/summary.json"), "{e}");
        assert!(e.contains("/summary.json"), "{e}");
        assert!(e.starts_with("no status page Weathervane can read"), "{e}");
    }

    #[tokio::test]
    async fn refuses_plain_http_off_loopback() {
        let e = detect(&fetcher(), "http://status.example.com")
            .await
            .unwrap_err();
        assert!(matches!(e, DetectError::BadUrl(_)), "{e}");
    }
}
