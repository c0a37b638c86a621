//! Probes: one cheap request against a provider's own API (list models), classified as ok, slow, rate-limited, overloaded, server error or a network failure.
//!
//! A probe never spends tokens: it lists models (with the user's key from the
//! keyring when one is named) or, with no key, makes the same request without
//! one, where a 401/403 proves the service is up and answering.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

use crate::model::ErrorClass;
use crate::monitor::fetch::{FetchError, Fetcher};

/// Default time after which an answer counts as slow.
pub const DEFAULT_SLOW: Duration = Duration::from_secs(3);
/// Probe interval while a provider is healthy.
pub const DEFAULT_PROBE_INTERVAL: Duration = Duration::from_secs(60);
/// Probe interval while the last probe found trouble.
pub const TROUBLE_PROBE_INTERVAL: Duration = Duration::from_secs(15);
/// Most of a probe's answer we read (a model list is tens of KiB); the rest is dropped.
pub const PROBE_BODY_CAP: u64 = 256 * 1024;

/// How the key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeAuth {
    /// No key is ever sent.
    None,
    /// `Authorization: Bearer KEY` (OpenAI and its many look-alikes).
    Bearer,
    /// `x-api-key: KEY` (Anthropic).
    XApiKey,
    /// `x-goog-api-key: KEY` (Gemini API).
    XGoogApiKey,
}

impl ProbeAuth {
    pub fn parse(s: &str) -> Option<ProbeAuth> {
        Some(match s {
            "none" => ProbeAuth::None,
            "bearer" => ProbeAuth::Bearer,
            "x-api-key" => ProbeAuth::XApiKey,
            "x-goog-api-key" => ProbeAuth::XGoogApiKey,
            _ => return None,
        })
    }

    /// The header a key goes in, if any.
    pub fn header(self, key: &str) -> Option<(&'static str, String)> {
        match self {
            ProbeAuth::None => None,
            ProbeAuth::Bearer => Some(("authorization", format!("Bearer {key}"))),
            ProbeAuth::XApiKey => Some(("x-api-key", key.to_string())),
            ProbeAuth::XGoogApiKey => Some(("x-goog-api-key", key.to_string())),
        }
    }
}

/// A provider's probe after merging catalog and config.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeSpec {
    /// Opt-in: false unless the user turned it on.
    pub enabled: bool,
    /// The request (https, or http on loopback).
    pub url: Url,
    pub auth: ProbeAuth,
    /// Keyring entry holding the key (`weathervane key set NAME`); None sends no key.
    pub key: Option<String>,
    /// Extra request headers (e.g. `anthropic-version`); never secrets.
    pub headers: Vec<(String, String)>,
    /// An answer slower than this is "slow".
    #[serde(serialize_with = "secs")]
    pub slow: Duration,
    #[serde(serialize_with = "secs")]
    pub interval: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{}s", d.as_secs_f64()))
}

/// What one probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ProbeClass {
    /// Answered in time (a 401/403 without a key counts: the service answered).
    Ok,
    /// Answered, but slower than the provider's threshold.
    Slow,
    /// 429: we (or the key) are being throttled. Not an outage.
    RateLimited,
    /// 529 (Anthropic's "overloaded"), or 503 with an overload message.
    Overloaded,
    /// Any other 5xx.
    ServerError,
    /// A 4xx other than 429 with a key: the key or the request is wrong. Not an outage.
    Rejected,
    Timeout,
    Dns,
    Tls,
    Connect,
}

impl ProbeClass {
    pub const ALL: [ProbeClass; 10] = [
        ProbeClass::Ok,
        ProbeClass::Slow,
        ProbeClass::RateLimited,
        ProbeClass::Overloaded,
        ProbeClass::ServerError,
        ProbeClass::Rejected,
        ProbeClass::Timeout,
        ProbeClass::Dns,
        ProbeClass::Tls,
        ProbeClass::Connect,
    ];

    /// Stored spelling (never change: it is on disk).
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeClass::Ok => "ok",
            ProbeClass::Slow => "slow",
            ProbeClass::RateLimited => "rate_limited",
            ProbeClass::Overloaded => "overloaded",
            ProbeClass::ServerError => "server_error",
            ProbeClass::Rejected => "rejected",
            ProbeClass::Timeout => "timeout",
            ProbeClass::Dns => "dns",
            ProbeClass::Tls => "tls",
            ProbeClass::Connect => "connect",
        }
    }

    pub fn parse(s: &str) -> Option<ProbeClass> {
        ProbeClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The provider failed this request: it counts against the provider.
    /// Rate limits and rejected keys are about the user, not the service.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            ProbeClass::Overloaded
                | ProbeClass::ServerError
                | ProbeClass::Timeout
                | ProbeClass::Dns
                | ProbeClass::Tls
                | ProbeClass::Connect
        )
    }

    /// Could the user's own network explain this failure?
    pub fn is_network(self) -> bool {
        matches!(
            self,
            ProbeClass::Timeout | ProbeClass::Dns | ProbeClass::Connect | ProbeClass::Tls
        )
    }

    /// The service answered (whatever it said).
    pub fn answered(self) -> bool {
        matches!(
            self,
            ProbeClass::Ok
                | ProbeClass::Slow
                | ProbeClass::RateLimited
                | ProbeClass::Overloaded
                | ProbeClass::ServerError
                | ProbeClass::Rejected
        )
    }

    /// Short words for a count ("8 of 10 requests 529").
    pub fn label(self) -> &'static str {
        match self {
            ProbeClass::Ok => "ok",
            ProbeClass::Slow => "slow",
            ProbeClass::RateLimited => "429",
            ProbeClass::Overloaded => "529",
            ProbeClass::ServerError => "5xx",
            ProbeClass::Rejected => "rejected",
            ProbeClass::Timeout => "timed out",
            ProbeClass::Dns => "DNS failure",
            ProbeClass::Tls => "TLS failure",
            ProbeClass::Connect => "refused",
        }
    }
}

/// One probe result, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeSample {
    pub provider_id: String,
    pub at: DateTime<Utc>,
    pub class: ProbeClass,
    /// Time to the response headers (or to the failure).
    pub latency_ms: u32,
    pub http_status: Option<u16>,
    /// What went wrong, in words, for failures and rejections.
    pub detail: Option<String>,
}

/// Classify an HTTP answer. `keyed`: a key was sent, so 401/403 means the key is
/// wrong rather than "the service answered".
pub fn classify_status(http: u16, latency: Duration, slow: Duration, keyed: bool) -> ProbeClass {
    match http {
        429 => ProbeClass::RateLimited,
        529 => ProbeClass::Overloaded,
        500..=599 => ProbeClass::ServerError,
        401 | 403 if !keyed => answered_in(latency, slow),
        400..=499 => ProbeClass::Rejected,
        // 1xx/2xx/3xx (a redirect we were not allowed to follow still answered).
        _ => answered_in(latency, slow),
    }
}

fn answered_in(latency: Duration, slow: Duration) -> ProbeClass {
    if latency > slow {
        ProbeClass::Slow
    } else {
        ProbeClass::Ok
    }
}

/// Classify a request that got no HTTP answer.
pub fn classify_error(class: ErrorClass) -> ProbeClass {
    match class {
        ErrorClass::Timeout => ProbeClass::Timeout,
        ErrorClass::Dns => ProbeClass::Dns,
        ErrorClass::Tls => ProbeClass::Tls,
        // Refused, reset, broken off mid-answer, a redirect we refused: the
        // service did not give a usable answer.
        _ => ProbeClass::Connect,
    }
}

/// Probe once. Never fails: a failure is a sample of a failure class. `key` is
/// the secret from the keyring (never logged, never stored).
#[tracing::instrument(skip_all, fields(provider = %provider_id))]
pub async fn probe(
    fetcher: &Fetcher,
    provider_id: &str,
    spec: &ProbeSpec,
    key: Option<&str>,
    now: DateTime<Utc>,
) -> ProbeSample {
    let mut headers: Vec<(String, String)> = spec.headers.clone();
    let keyed = match key.and_then(|k| spec.auth.header(k)) {
        Some((name, value)) => {
            headers.push((name.to_string(), value));
            true
        }
        None => false,
    };
    let started = tokio::time::Instant::now();
    let result = fetcher.probe(&spec.url, &headers, PROBE_BODY_CAP).await;
    let at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    match result {
        Ok(answer) => {
            let class = classify_status(answer.status, answer.latency, spec.slow, keyed);
            let detail = match class {
                ProbeClass::Ok => None,
                ProbeClass::Slow => Some(format!(
                    "answered in {} ms (slow: over {} ms)",
                    answer.latency.as_millis(),
                    spec.slow.as_millis()
                )),
                ProbeClass::Rejected => Some(format!(
                    "HTTP {}: the key or the request was refused (check `weathervane key set {}`)",
                    answer.status,
                    spec.key.as_deref().unwrap_or("…")
                )),
                _ => Some(format!("HTTP {}", answer.status)),
            };
            ProbeSample {
                provider_id: provider_id.to_string(),
                at,
                class,
                latency_ms: millis(answer.latency),
                http_status: Some(answer.status),
                detail,
            }
        }
        Err(FetchError {
            class,
            message,
            http_status,
            latency,
            ..
        }) => ProbeSample {
            provider_id: provider_id.to_string(),
            at,
            class: classify_error(class),
            latency_ms: millis(latency),
            http_status,
            detail: Some(message),
        },
    }
}

fn millis(d: Duration) -> u32 {
    d.as_millis().min(u32::MAX as u128) as u32
}

/// What the next probe's wait should be after this sample.
pub fn next_probe_delay(spec: &ProbeSpec, last: ProbeClass) -> Duration {
    if last.is_failure() || last == ProbeClass::Slow {
        TROUBLE_PROBE_INTERVAL.min(spec.interval)
    } else {
        spec.interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLOW: Duration = Duration::from_secs(3);
    const FAST: Duration = Duration::from_millis(200);

    #[test]
    fn http_answers_are_classified() {
        use ProbeClass::*;
        let cases: &[(u16, Duration, bool, ProbeClass)] = &[
            (200, FAST, true, Ok),
            (200, Duration::from_secs(4), true, Slow),
            (401, FAST, false, Ok),
            (403, FAST, false, Ok),
            (401, Duration::from_secs(5), false, Slow),
            (401, FAST, true, Rejected),
            (404, FAST, false, Rejected),
            (429, FAST, true, RateLimited),
            (429, Duration::from_secs(9), false, RateLimited),
            (529, FAST, true, Overloaded),
            (500, FAST, true, ServerError),
            (502, FAST, false, ServerError),
            (503, FAST, true, ServerError),
            (301, FAST, true, Ok),
        ];
        for (http, lat, keyed, want) in cases {
            assert_eq!(
                classify_status(*http, *lat, SLOW, *keyed),
                *want,
                "HTTP {http} after {lat:?}, keyed {keyed}"
            );
        }
    }

    #[test]
    fn network_failures_are_classified() {
        assert_eq!(classify_error(ErrorClass::Timeout), ProbeClass::Timeout);
        assert_eq!(classify_error(ErrorClass::Dns), ProbeClass::Dns);
        assert_eq!(classify_error(ErrorClass::Tls), ProbeClass::Tls);
        assert_eq!(classify_error(ErrorClass::Connect), ProbeClass::Connect);
        assert_eq!(classify_error(ErrorClass::Redirect), ProbeClass::Connect);
    }

    #[test]
    fn rate_limits_and_rejections_are_not_failures() {
        for c in ProbeClass::ALL {
            let expected = !matches!(
                c,
                ProbeClass::Ok | ProbeClass::Slow | ProbeClass::RateLimited | ProbeClass::Rejected
            );
            assert_eq!(c.is_failure(), expected, "{c:?}");
            assert_eq!(ProbeClass::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn keys_go_in_the_right_header() {
        assert_eq!(ProbeAuth::None.header("k"), None);
        assert_eq!(
            ProbeAuth::Bearer.header("k"),
            Some(("authorization", "Bearer k".to_string()))
        );
        assert_eq!(
            ProbeAuth::XApiKey.header("k"),
            Some(("x-api-key", "k".to_string()))
        );
        assert_eq!(
            ProbeAuth::XGoogApiKey.header("k"),
            Some(("x-goog-api-key", "k".to_string()))
        );
    }
}
