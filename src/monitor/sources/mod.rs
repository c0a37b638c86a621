//! Status-source adapters: one module per platform, each turning a response body into a [`Snapshot`].

pub mod datadog;
pub mod detect;
pub mod feed;
pub mod google_cloud;
pub mod incidentio;
pub mod instatus;
mod json;
pub mod probe;
pub mod statuspage;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Snapshot;

/// The platform a provider's status page runs on (config `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Statuspage,
    Incidentio,
    GoogleCloud,
    Instatus,
    Datadog,
    Feed,
    Probe,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Statuspage => "statuspage",
            SourceKind::Incidentio => "incidentio",
            SourceKind::GoogleCloud => "google-cloud",
            SourceKind::Instatus => "instatus",
            SourceKind::Datadog => "datadog",
            SourceKind::Feed => "feed",
            SourceKind::Probe => "probe",
        }
    }

    /// The endpoints to try in order, as (path appended to the base URL, parser).
    /// A later endpoint is tried only when an earlier one answered 404/410 or
    /// sent something its parser rejected.
    pub fn endpoints(self) -> &'static [(&'static str, Parser)] {
        match self {
            SourceKind::Statuspage => &[("/api/v2/summary.json", Parser::Statuspage)],
            SourceKind::Incidentio => &[
                ("/api/v1/summary", Parser::IncidentioNative),
                ("/api/v2/summary.json", Parser::Statuspage),
            ],
            SourceKind::GoogleCloud => &[("/incidents.json", Parser::GoogleCloud)],
            SourceKind::Instatus => &[("/summary.json", Parser::Instatus)],
            SourceKind::Datadog => &[("/config.json", Parser::Datadog)],
            SourceKind::Feed => &[("", Parser::Feed)],
            SourceKind::Probe => &[],
        }
    }

    /// Where the page publishes its own past incidents, for history from the first
    /// day; `None` when it publishes none we can read (Instatus, feeds, probes).
    pub fn history_endpoint(self) -> Option<(&'static str, Parser)> {
        match self {
            // incident.io pages serve the Statuspage-compatible history too.
            SourceKind::Statuspage | SourceKind::Incidentio => {
                Some(("/api/v2/incidents.json", Parser::Statuspage))
            }
            // Both documents are already the page's whole history.
            SourceKind::GoogleCloud => Some(("/incidents.json", Parser::GoogleCloud)),
            SourceKind::Datadog => Some(("/config.json", Parser::Datadog)),
            SourceKind::Instatus | SourceKind::Feed | SourceKind::Probe => None,
        }
    }
}

/// A body parser. Each is a pure function of the bytes and the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parser {
    Statuspage,
    IncidentioNative,
    GoogleCloud,
    Instatus,
    Datadog,
    Feed,
}

/// What an adapter may know besides the body.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// What the user watches (component names or ids; product titles or ids
    /// for Google Cloud). Sources without components of their own use it to
    /// synthesise components; the others ignore it.
    pub watch: &'a [String],
    /// Now, for sources that judge recency (feeds).
    pub now: DateTime<Utc>,
    /// Whether a feed lists only live items or keeps history (feeds only).
    pub feed_lists: feed::FeedLists,
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("response is not valid UTF-8 (byte {0})")]
    NotUtf8(usize),
    #[error("response is not valid JSON: {0}")]
    Json(String),
    #[error("response is not a valid RSS/Atom feed: {0}")]
    Feed(String),
    #[error("response does not look like {expected}: {detail}")]
    Shape {
        expected: &'static str,
        detail: String,
    },
}

impl Parser {
    pub fn parse(self, body: &[u8], ctx: &ParseContext<'_>) -> Result<Snapshot, ParseError> {
        match self {
            Parser::Statuspage => statuspage::parse(body),
            Parser::IncidentioNative => incidentio::parse_native(body),
            Parser::GoogleCloud => google_cloud::parse(body, ctx),
            Parser::Instatus => instatus::parse(body),
            Parser::Datadog => datadog::parse(body),
            Parser::Feed => feed::parse(body, ctx),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Parser::Statuspage => "a Statuspage v2 summary",
            Parser::IncidentioNative => "an incident.io widget summary",
            Parser::GoogleCloud => "a Google Cloud incidents list",
            Parser::Instatus => "an Instatus summary",
            Parser::Datadog => "a Datadog status page config.json",
            Parser::Feed => "an RSS/Atom feed",
        }
    }
}

/// Decode a JSON body, with an error that says where it broke.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ParseError> {
    let text = std::str::from_utf8(body).map_err(|e| ParseError::NotUtf8(e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(text).map_err(|e| ParseError::Json(e.to_string()))
}

/// Decode a JSON body that must be an object, the top level of every JSON
/// status format; anything else is the wrong shape.
pub(crate) fn json_object(
    body: &[u8],
    expected: &'static str,
) -> Result<serde_json::Value, ParseError> {
    let v: serde_json::Value = json_body(body)?;
    if !v.is_object() {
        return Err(ParseError::Shape {
            expected,
            detail: format!("top level is {}", json::kind(&v)),
        });
    }
    Ok(v)
}

/// The first few top-level keys, to say what an unrecognised object holds.
pub(crate) fn some_keys(v: &serde_json::Value) -> Vec<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).take(8).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &[&str] = &[
        "statuspage_openai_summary_operational_2026-07-09.json",
        "statuspage_anthropic_scheduled_maintenances.json",
        "statuspage_github_incident_copilot_major_2023-04-25.json",
        "gcloud_incidents_capture_2026-07.json",
        "aws_health_currentevents_2026-03_utf16be.bin",
        "azure_status_rss_incident_2026-07-23.xml",
        "derived_incidentio_widget_summary_outage.json",
        "derived_incidentio_widget_summary_operational.json",
        "derived_instatus_summary_incident.json",
        "derived_instatus_summary_operational.json",
        "datadog_openrouter_config_2026-09-15.json",
    ];
    const PARSERS: [Parser; 6] = [
        Parser::Statuspage,
        Parser::IncidentioNative,
        Parser::GoogleCloud,
        Parser::Instatus,
        Parser::Datadog,
        Parser::Feed,
    ];

    /// Every parser on every recorded body, whole and cut short at many
    /// points: wrong bodies are errors, never panics.
    #[test]
    fn no_parser_panics_on_any_fixture_or_prefix() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/status");
        let watch = vec!["Vertex Gemini API".to_owned()];
        let ctx = ParseContext {
            watch: &watch,
            now: Utc::now(),
            feed_lists: feed::FeedLists::default(),
        };
        let mut accepted = 0;
        for name in FIXTURES {
            let body = std::fs::read(dir.join(name)).unwrap();
            for parser in PARSERS {
                if parser.parse(&body, &ctx).is_ok() {
                    accepted += 1;
                }
                for cut in (0..body.len()).step_by(body.len() / 40 + 1) {
                    let _ = parser.parse(&body[..cut], &ctx);
                }
            }
        }
        // Each fixture but the AWS one (no adapter yet) is read by its own parser;
        // no JSON shape is claimed by two parsers.
        assert_eq!(accepted, FIXTURES.len() - 1);
    }
}
