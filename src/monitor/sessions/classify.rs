//! Classification of one failed API call, as an assistant recorded it, into whose trouble it
//! is: the provider's, the user's own account's, the user's own network's, or unknown.
//! A pure function of the record's facts, so the rules read as one table.

use serde::{Deserialize, Serialize};

/// Whose trouble one failed call was. Only [`SessionErrorKind::Provider`] can make an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionErrorKind {
    /// The service failed: 5xx, 529/overloaded, stream idle timeouts, server-side throttling.
    Provider,
    /// The user's own plan or credentials: usage/session limits, 401/403, billing, quota.
    Account,
    /// The user's own connection: no HTTP status, socket or DNS causes, network down.
    Network,
    Unknown,
}

impl SessionErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionErrorKind::Provider => "provider",
            SessionErrorKind::Account => "account",
            SessionErrorKind::Network => "network",
            SessionErrorKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<SessionErrorKind> {
        [
            SessionErrorKind::Provider,
            SessionErrorKind::Account,
            SessionErrorKind::Network,
            SessionErrorKind::Unknown,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// What a record says about one failed call. `text` is the human message, read only here to
/// classify and never kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signal<'a> {
    pub status: Option<u16>,
    /// A machine word: `cause.code`, `error`, `codex_error_info`, a Google status word.
    pub code: Option<&'a str>,
    pub text: Option<&'a str>,
    pub network_down: bool,
}

/// Server-side throttling that says in so many words it is not the user's limit. Checked
/// before the account words, because it contains "usage limit" itself.
const PROVIDER_PHRASES: &[&str] = &[
    "not your usage limit",
    "temporarily limiting requests",
    "stream idle timeout",
    "idle timeout waiting for sse",
];

/// Words (lower case) naming the user's own plan, key or quota.
const ACCOUNT_WORDS: &[&str] = &[
    "usage limit",
    "usage_limit",
    "session limit",
    "session_limit",
    "weekly limit",
    "weekly_limit",
    "rate_limit",
    "rate limit",
    "authentication",
    "unauthorized",
    "unauthenticated",
    "permission_denied",
    "invalid api key",
    "invalid_api_key",
    "/login",
    "billing",
    "credit balance",
    "quota",
    "resource_exhausted",
    "model_cap",
];

/// Words (lower case) naming a failure of the service itself.
const PROVIDER_WORDS: &[&str] = &[
    "overloaded",
    "server_error",
    "internal_server_error",
    "internal server error",
    "service unavailable",
    "unavailable",
    "internal",
    "bad gateway",
    "gateway timeout",
    "deadline_exceeded",
    "response_too_many_failed_attempts",
    "response_stream_disconnected",
];

/// Socket and DNS causes (lower case): the request never reached an HTTP answer.
const NETWORK_WORDS: &[&str] = &[
    "failedtoopensocket",
    "econnrefused",
    "econnreset",
    "enotfound",
    "etimedout",
    "eai_again",
    "enetunreach",
    "ehostunreach",
    "connectionrefused",
    "getaddrinfo",
    "dns error",
    "http_connection_failed",
    "network is unreachable",
    "unable to connect",
];

fn mentions(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| hay.contains(w))
}

/// Classify one failed call. The rules, in order:
/// 1. the assistant says the network is down → network;
/// 2. 401/403 → account;
/// 3. 429 → provider only when it says it is not the user's limit, else account. A plain
///    429 `rate_limit` that names no usage limit is still the user's own key or org hitting
///    its rate limit (server-wide throttling comes as 529/overloaded or with the "not your
///    usage limit" wording), and the product rule is that a 429 is never an outage;
/// 4. any other 5xx and 529 → provider;
/// 5. without a status: provider phrases, then account words, then provider words, then
///    socket/DNS causes (network);
/// 6. anything else → unknown (a 400 or 404 is the request's own fault, not an outage).
pub fn classify(s: &Signal<'_>) -> SessionErrorKind {
    if s.network_down {
        return SessionErrorKind::Network;
    }
    let hay = format!(
        "{} {}",
        s.code.unwrap_or_default(),
        s.text.unwrap_or_default()
    )
    .to_ascii_lowercase();
    match s.status {
        Some(401 | 403) => return SessionErrorKind::Account,
        Some(429) if mentions(&hay, PROVIDER_PHRASES) => return SessionErrorKind::Provider,
        Some(429) => return SessionErrorKind::Account,
        Some(500..=599) => return SessionErrorKind::Provider,
        Some(_) => {}
        None => {}
    }
    if mentions(&hay, PROVIDER_PHRASES) {
        SessionErrorKind::Provider
    } else if mentions(&hay, ACCOUNT_WORDS) {
        SessionErrorKind::Account
    } else if s.status.is_some() {
        // A 4xx other than the above, with no account word: the request's own problem.
        SessionErrorKind::Unknown
    } else if mentions(&hay, PROVIDER_WORDS) {
        SessionErrorKind::Provider
    } else if mentions(&hay, NETWORK_WORDS) {
        SessionErrorKind::Network
    } else {
        SessionErrorKind::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionErrorKind::*;

    #[test]
    fn classification_table() {
        let sig = |status, code, text| Signal {
            status,
            code,
            text,
            network_down: false,
        };
        let table: &[(Signal<'_>, SessionErrorKind)] = &[
            (sig(Some(529), Some("overloaded"), None), Provider),
            (sig(Some(500), None, None), Provider),
            (sig(Some(503), None, Some("Service Unavailable")), Provider),
            (sig(None, Some("overloaded"), None), Provider),
            (sig(None, Some("server_error"), None), Provider),
            (
                sig(
                    Some(429),
                    Some("rate_limit"),
                    Some("Server is temporarily limiting requests (not your usage limit)"),
                ),
                Provider,
            ),
            (
                sig(
                    None,
                    None,
                    Some("API Error: Stream idle timeout - partial response received"),
                ),
                Provider,
            ),
            (sig(None, Some("UNAVAILABLE"), None), Provider),
            (sig(None, Some("INTERNAL"), None), Provider),
            (sig(None, Some("server_overloaded"), None), Provider),
            (
                sig(
                    Some(429),
                    Some("rate_limit"),
                    Some("You've hit your session limit · resets 9:50pm"),
                ),
                Account,
            ),
            (sig(Some(429), Some("rate_limit"), None), Account),
            (sig(Some(401), None, None), Account),
            (sig(Some(403), None, None), Account),
            (
                sig(
                    None,
                    Some("authentication_failed"),
                    Some("Please run /login"),
                ),
                Account,
            ),
            (
                sig(Some(400), None, Some("Your credit balance is too low")),
                Account,
            ),
            (sig(None, Some("billing_error"), None), Account),
            (sig(None, Some("usage_limit_exceeded"), None), Account),
            (
                sig(None, Some("RESOURCE_EXHAUSTED"), Some("quota exceeded")),
                Account,
            ),
            (sig(None, Some("FailedToOpenSocket"), None), Network),
            (sig(None, Some("ECONNREFUSED"), None), Network),
            (sig(None, Some("ENOTFOUND"), None), Network),
            (sig(None, Some("ETIMEDOUT"), None), Network),
            (sig(None, None, None), Unknown),
            (sig(Some(400), Some("invalid_request_error"), None), Unknown),
            (sig(Some(404), None, None), Unknown),
            (sig(None, Some("context_window_exceeded"), None), Unknown),
        ];
        for (s, want) in table {
            assert_eq!(classify(s), *want, "{s:?}");
        }
        let down = Signal {
            status: None,
            code: Some("overloaded"),
            text: None,
            network_down: true,
        };
        assert_eq!(classify(&down), Network);
    }

    #[test]
    fn kind_round_trips() {
        for k in [Provider, Account, Network, Unknown] {
            assert_eq!(SessionErrorKind::parse(k.as_str()), Some(k));
        }
    }
}
