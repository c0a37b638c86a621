//! Parsers for one JSONL line of an assistant's session file into the facts of a failed API
//! call ([`ErrorFact`]), or the provider a session runs on. Never panics, reads bytes (a
//! non-UTF-8 line is skipped), ignores unknown records and fields, and keeps no text: the
//! human message is read only to classify the error and to find a reset time.
//!
//! Shapes checked against the assistants' public source (late 2026):
//! - Codex (openai/codex, `codex-rs/protocol/src/protocol.rs`): `EventMsg::Error(ErrorEvent
//!   { message, codex_error_info: Option<CodexErrorInfo> })`, serialised in the rollout as
//!   `{"type":"event_msg","payload":{"type":"error",…}}`. `CodexErrorInfo` is snake_case:
//!   unit variants are plain strings (`usage_limit_exceeded`, `server_overloaded`,
//!   `internal_server_error`, `unauthorized`, `rate_limit_exceeded`, `other`, …) and the
//!   struct variants are one-key objects carrying `http_status_code`
//!   (`{"response_too_many_failed_attempts":{"http_status_code":503}}`). `StreamErrorEvent`
//!   (the "Reconnecting… n/5" retries) has the same fields; the reference says rollouts do not
//!   keep it, so it is read as a retry should it ever appear. `session_meta` payloads carry
//!   `model_provider`.
//! - Gemini CLI (google-gemini/gemini-cli, `packages/core/src/services/chatRecordingTypes.ts`):
//!   a `MessageRecord` is `{id, timestamp, content: PartListUnion, type}` with `type` one of
//!   `user | info | error | warning | gemini`; `content` is a string or a list of parts
//!   (`{"text": …}`). Error records are the messages shown to the user, so only those that
//!   name an API error or a status are taken.
//! - Claude Code is closed source: the shapes follow `reference/assistant-logs.md` (retry
//!   records `type:"system", subtype:"api_error"`, final `isApiErrorMessage:true` assistant
//!   records, and the `stream-json` `api_retry` shape), read defensively.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::classify::{SessionErrorKind, Signal, classify};
use crate::switch::profiles::AssistantId;

/// The longest machine code kept.
pub const MAX_CODE_LEN: usize = 40;

/// The facts of one failed API call; never any text of the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorFact {
    /// The record's own timestamp.
    pub at: DateTime<Utc>,
    pub assistant: AssistantId,
    pub kind: SessionErrorKind,
    pub status: Option<u16>,
    /// A short machine word, `[A-Za-z0-9_.-]{1,40}`.
    pub code: Option<String>,
    /// The call failed for good (false: a retry is under way).
    pub final_: bool,
    /// A hash of the session id (or of the file's stem): counts sessions, names nothing.
    pub session: String,
    /// When an account limit says it resets (best effort).
    pub resets_at: Option<DateTime<Utc>>,
    /// The provider, when the session file names it (Codex's `session_meta`).
    pub provider: Option<String>,
}

/// What one line can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Error(ErrorFact),
    /// The session runs on this model provider (Codex `session_meta` / `turn_context`).
    Provider {
        session: String,
        provider: String,
    },
}

/// What the follower knows of the file a line comes from.
#[derive(Debug, Clone)]
pub struct LineContext {
    pub assistant: AssistantId,
    /// [`session_key`] of the file's stem, used when a record names no session.
    pub session: String,
    /// The user's UTC offset, to read "resets 9:50pm".
    pub utc_offset: FixedOffset,
}

impl LineContext {
    /// A context for a file, its session key derived from the file's stem.
    pub fn for_file(
        assistant: AssistantId,
        path: &std::path::Path,
        utc_offset: FixedOffset,
    ) -> LineContext {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        // A Codex rollout is named after its thread id, which Codex's own log rows carry: the
        // same key for both, so one session is counted once whichever source tells.
        let session = match assistant {
            AssistantId::Codex => {
                codex_thread_of_stem(&stem).map_or_else(|| session_key(&stem), session_key)
            }
            _ => session_key(&stem),
        };
        LineContext {
            assistant,
            session,
            utc_offset,
        }
    }
}

/// The thread id at the end of a Codex rollout's name (`rollout-<time>-<uuid>`), if it ends
/// with one.
pub fn codex_thread_of_stem(stem: &str) -> Option<&str> {
    let start = stem.len().checked_sub(36)?;
    let id = stem.get(start..)?;
    let groups: Vec<&str> = id.split('-').collect();
    let shape = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]);
    let hex = groups
        .iter()
        .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
    (shape && hex && stem[..start].ends_with('-')).then_some(id)
}

/// A short stable hash of a session id: enough to count sessions, reveals nothing.
pub fn session_key(raw: &str) -> String {
    let digest = Sha256::digest(raw.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Keep a machine word: whitespace becomes `_`, anything outside `[A-Za-z0-9_.-]` goes, at
/// most [`MAX_CODE_LEN`] characters; `None` when nothing is left.
pub fn sanitize_code(raw: &str) -> Option<String> {
    let s: String = raw
        .trim()
        .chars()
        .filter_map(|c| match c {
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') => Some(c),
            c if c.is_whitespace() => Some('_'),
            _ => None,
        })
        .take(MAX_CODE_LEN)
        .collect();
    (!s.is_empty()).then_some(s)
}

/// A code only when the value already is a single machine word (a message like "overloaded"
/// is one; a sentence is not, and is never kept).
fn word(raw: &str) -> Option<String> {
    let t = raw.trim();
    let ok = !t.is_empty()
        && t.len() <= MAX_CODE_LEN
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    ok.then(|| t.to_string())
}

/// Quick reject: only lines that can be an error or name a provider are parsed as JSON, so
/// following a busy transcript costs a substring search per line.
fn worth_parsing(line: &[u8]) -> bool {
    const NEEDLES: &[&[u8]] = &[b"rror", b"model_provider", b"api_retry"];
    NEEDLES
        .iter()
        .any(|n| line.windows(n.len()).any(|w| w == *n))
}

/// Parse one line (without its newline) of `ctx.assistant`'s session file.
pub fn parse_line(line: &[u8], ctx: &LineContext) -> Option<Parsed> {
    if !worth_parsing(line) {
        return None;
    }
    let text = std::str::from_utf8(line).ok()?;
    let v: Value = serde_json::from_str(text).ok()?;
    if !v.is_object() {
        return None;
    }
    match ctx.assistant {
        AssistantId::ClaudeCode => claude(&v, ctx),
        AssistantId::Codex => codex(&v, ctx),
        AssistantId::Gemini => gemini(&v, ctx),
        // Not researched yet: nothing of opencode's is relied on.
        AssistantId::Opencode => None,
    }
}

fn timestamp(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.get("timestamp")?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn status_of(v: Option<&Value>) -> Option<u16> {
    let v = v?;
    let n = match v {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    u16::try_from(n).ok().filter(|s| (100..=599).contains(s))
}

/// A three-digit HTTP status named in a message ("API Error: 529 …", "unexpected status 503",
/// "got status: 429").
pub(crate) fn status_in_text(text: &str) -> Option<u16> {
    let lower = text.to_ascii_lowercase();
    for marker in ["api error: ", "status: ", "status ", "status code "] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(marker) {
            let start = from + i + marker.len();
            let digits: String = lower[start..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if digits.len() == 3
                && let Ok(n) = digits.parse::<u16>()
                && (100..=599).contains(&n)
            {
                return Some(n);
            }
            from = start;
        }
    }
    None
}

/// "resets 9:50pm", "resets at 21:50", "try again at 3:05 PM": the next such wall-clock time
/// after the record, in the user's offset. Dates and zones named in the text are not read.
pub fn parse_resets(text: &str, at: DateTime<Utc>, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let lower = text.to_ascii_lowercase();
    let i = ["resets at ", "resets ", "try again at "]
        .iter()
        .find_map(|m| lower.find(m).map(|i| i + m.len()))?;
    let rest = lower[i..].trim_start();
    let hour_digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if hour_digits.is_empty() || hour_digits.len() > 2 {
        return None;
    }
    let mut hour: u32 = hour_digits.parse().ok()?;
    let mut rest = &rest[hour_digits.len()..];
    let mut minute = 0;
    if let Some(r) = rest.strip_prefix(':') {
        let m: String = r.chars().take_while(|c| c.is_ascii_digit()).collect();
        if m.len() != 2 {
            return None;
        }
        minute = m.parse().ok()?;
        rest = &r[2..];
    }
    let rest = rest.trim_start();
    if rest.starts_with("pm") || rest.starts_with("p.m.") {
        if hour == 0 || hour > 12 {
            return None;
        }
        if hour < 12 {
            hour += 12;
        }
    } else if rest.starts_with("am") || rest.starts_with("a.m.") {
        if hour == 0 || hour > 12 {
            return None;
        }
        if hour == 12 {
            hour = 0;
        }
    }
    let time = NaiveTime::from_hms_opt(hour, minute, 0)?;
    let local = at.with_timezone(&offset);
    let candidate = local
        .date_naive()
        .and_time(time)
        .and_local_timezone(offset)
        .single()?;
    let candidate = if candidate <= local {
        candidate + Duration::days(1)
    } else {
        candidate
    };
    Some(candidate.with_timezone(&Utc))
}

/// Claude Code's own word for an account limit, from the message (kept as a machine word).
fn limit_word(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    if lower.contains("not your usage limit") {
        None
    } else if lower.contains("session limit") {
        Some("session_limit")
    } else if lower.contains("weekly limit") {
        Some("weekly_limit")
    } else if lower.contains("usage limit") {
        Some("usage_limit")
    } else {
        None
    }
}

struct Raw<'a> {
    at: DateTime<Utc>,
    status: Option<u16>,
    code: Option<String>,
    text: Option<&'a str>,
    network_down: bool,
    final_: bool,
    session: String,
    provider: Option<String>,
}

fn fact(raw: Raw<'_>, ctx: &LineContext) -> ErrorFact {
    let kind = classify(&Signal {
        status: raw.status,
        code: raw.code.as_deref(),
        text: raw.text,
        network_down: raw.network_down,
    });
    let resets_at = match (kind, raw.text) {
        (SessionErrorKind::Account, Some(t)) => parse_resets(t, raw.at, ctx.utc_offset),
        _ => None,
    };
    ErrorFact {
        at: raw.at,
        assistant: ctx.assistant,
        kind,
        status: raw.status,
        code: raw.code.as_deref().and_then(sanitize_code),
        final_: raw.final_,
        session: raw.session,
        resets_at,
        provider: raw.provider,
    }
}

fn claude_session(v: &Value, ctx: &LineContext) -> String {
    // Subagent files carry their parent's sessionId: one user session, counted once.
    v.get("sessionId")
        .and_then(Value::as_str)
        .map(session_key)
        .unwrap_or_else(|| ctx.session.clone())
}

fn claude(v: &Value, ctx: &LineContext) -> Option<Parsed> {
    let ty = v.get("type")?.as_str()?;
    let at = timestamp(v)?;
    match ty {
        "system" => {
            let subtype = v.get("subtype").and_then(Value::as_str)?;
            if subtype != "api_error" && subtype != "api_retry" {
                return None;
            }
            let err = v.get("error");
            let status = status_of(err.and_then(|e| e.get("status")))
                .or_else(|| status_of(v.get("error_status")))
                .or_else(|| status_of(v.get("status")));
            let message = err
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
                .or_else(|| err.and_then(Value::as_str));
            let code = err
                .and_then(|e| str_at(e, &["cause", "code"]))
                .or_else(|| str_at(v, &["cause", "code"]))
                .or_else(|| err.and_then(|e| str_at(e, &["error", "error", "type"])))
                .or_else(|| err.and_then(|e| str_at(e, &["error", "type"])))
                .or_else(|| err.and_then(|e| str_at(e, &["code"])))
                .and_then(word)
                .or_else(|| message.and_then(limit_word).map(str::to_string))
                .or_else(|| message.and_then(word));
            let network_down = v.get("isNetworkDown").and_then(Value::as_bool) == Some(true)
                || err
                    .and_then(|e| e.get("isNetworkDown"))
                    .and_then(Value::as_bool)
                    == Some(true);
            Some(Parsed::Error(fact(
                Raw {
                    at,
                    status,
                    code,
                    text: message,
                    network_down,
                    final_: false,
                    session: claude_session(v, ctx),
                    provider: None,
                },
                ctx,
            )))
        }
        "assistant" => {
            if v.get("isApiErrorMessage").and_then(Value::as_bool) != Some(true) {
                return None;
            }
            let text = v
                .get("message")
                .and_then(|m| m.get("content"))
                .and_then(Value::as_array)
                .and_then(|parts| {
                    parts
                        .iter()
                        .find_map(|p| p.get("text").and_then(Value::as_str))
                });
            let status =
                status_of(v.get("apiErrorStatus")).or_else(|| text.and_then(status_in_text));
            let error = v.get("error").and_then(Value::as_str);
            // An account limit says which limit in its text; keep that as the code.
            let code = match (status, text.and_then(limit_word)) {
                (Some(429) | None, Some(limit)) => Some(limit.to_string()),
                _ => error.and_then(word),
            };
            Some(Parsed::Error(fact(
                Raw {
                    at,
                    status,
                    code: code.or_else(|| error.and_then(word)),
                    text,
                    network_down: false,
                    final_: true,
                    session: claude_session(v, ctx),
                    provider: None,
                },
                ctx,
            )))
        }
        _ => None,
    }
}

/// `codex_error_info`: a plain string, or a one-key object whose value may hold
/// `http_status_code`.
fn codex_info(v: Option<&Value>) -> (Option<String>, Option<u16>) {
    match v {
        Some(Value::String(s)) => (word(s), None),
        Some(Value::Object(m)) => match m.iter().next() {
            Some((k, inner)) => (word(k), status_of(inner.get("http_status_code"))),
            None => (None, None),
        },
        _ => (None, None),
    }
}

fn codex(v: &Value, ctx: &LineContext) -> Option<Parsed> {
    let ty = v.get("type")?.as_str()?;
    let payload = v.get("payload")?;
    match ty {
        "session_meta" | "turn_context" => {
            let provider = payload.get("model_provider")?.as_str()?;
            let provider = sanitize_code(provider)?;
            Some(Parsed::Provider {
                session: ctx.session.clone(),
                provider,
            })
        }
        "event_msg" => {
            let pty = payload.get("type")?.as_str()?;
            let final_ = match pty {
                "error" => true,
                "stream_error" => false,
                _ => return None,
            };
            let at = timestamp(v)?;
            let message = payload.get("message").and_then(Value::as_str);
            let (code, info_status) = codex_info(payload.get("codex_error_info"));
            // "other" says nothing: let the message's own status speak.
            let code = code.filter(|c| c != "other");
            let status = info_status.or_else(|| message.and_then(status_in_text));
            Some(Parsed::Error(fact(
                Raw {
                    at,
                    status,
                    code,
                    text: message,
                    network_down: false,
                    final_,
                    session: ctx.session.clone(),
                    provider: None,
                },
                ctx,
            )))
        }
        _ => None,
    }
}

/// Gemini's content: a string, a part, or a list of parts; the texts joined.
fn gemini_text(content: &Value) -> Option<String> {
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Object(_) => content
            .get("text")
            .and_then(Value::as_str)
            .map(str::to_string),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.as_str().or_else(|| p.get("text").and_then(Value::as_str)))
                .collect();
            (!texts.is_empty()).then(|| texts.join(" "))
        }
        _ => None,
    }
}

/// The Google status word in "(Status: UNAVAILABLE)".
fn google_status_word(text: &str) -> Option<String> {
    let i = text.find("Status: ")? + "Status: ".len();
    let w: String = text[i..]
        .chars()
        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
        .collect();
    (w.len() >= 3).then_some(w)
}

fn gemini(v: &Value, ctx: &LineContext) -> Option<Parsed> {
    if v.get("type")?.as_str()? != "error" {
        return None;
    }
    let at = timestamp(v)?;
    let text = gemini_text(v.get("content")?)?;
    let lower = text.to_ascii_lowercase();
    // Error records are any message shown in red; only API failures are this signal's.
    if !(lower.contains("api error")
        || lower.contains("status")
        || lower.contains("quota")
        || lower.contains("resource_exhausted"))
    {
        return None;
    }
    let status = status_in_text(&text);
    let code = google_status_word(&text);
    Some(Parsed::Error(fact(
        Raw {
            at,
            status,
            code,
            text: Some(&text),
            network_down: false,
            final_: true,
            session: v
                .get("sessionId")
                .and_then(Value::as_str)
                .map(session_key)
                .unwrap_or_else(|| ctx.session.clone()),
            provider: None,
        },
        ctx,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ctx(a: AssistantId) -> LineContext {
        LineContext {
            assistant: a,
            session: session_key("file-stem"),
            utc_offset: FixedOffset::east_opt(0).unwrap(),
        }
    }

    fn err(a: AssistantId, line: &str) -> ErrorFact {
        match parse_line(line.as_bytes(), &ctx(a)) {
            Some(Parsed::Error(f)) => f,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn claude_retry_and_final() {
        let f = err(
            AssistantId::ClaudeCode,
            r#"{"type":"system","subtype":"api_error","level":"error","timestamp":"2026-12-01T10:00:09.120Z","sessionId":"s1","retryAttempt":2,"error":{"status":529,"message":"overloaded"}}"#,
        );
        assert_eq!(
            (f.kind, f.status, f.code.as_deref(), f.final_),
            (
                SessionErrorKind::Provider,
                Some(529),
                Some("overloaded"),
                false
            )
        );
        assert_eq!(f.session, session_key("s1"));
        assert_eq!(
            f.at,
            Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 9).unwrap() + Duration::milliseconds(120)
        );
        let f = err(
            AssistantId::ClaudeCode,
            r#"{"type":"assistant","timestamp":"2026-12-01T10:01:40.002Z","isApiErrorMessage":true,"error":"server_error","apiErrorStatus":529,"message":{"model":"<synthetic>","content":[{"type":"text","text":"API Error: 529 Overloaded."}]}}"#,
        );
        assert_eq!(
            (f.kind, f.status, f.code.as_deref(), f.final_),
            (
                SessionErrorKind::Provider,
                Some(529),
                Some("server_error"),
                true
            )
        );
        assert_eq!(f.session, session_key("file-stem"));
    }

    #[test]
    fn claude_network_and_limit() {
        let f = err(
            AssistantId::ClaudeCode,
            r#"{"type":"system","subtype":"api_error","timestamp":"2026-12-01T10:00:00Z","error":{"cause":{"code":"FailedToOpenSocket","path":"https://api.anthropic.com"}}}"#,
        );
        assert_eq!(
            (f.kind, f.code.as_deref()),
            (SessionErrorKind::Network, Some("FailedToOpenSocket"))
        );
        let f = err(
            AssistantId::ClaudeCode,
            r#"{"type":"assistant","timestamp":"2026-12-01T18:00:00Z","isApiErrorMessage":true,"error":"rate_limit","apiErrorStatus":429,"message":{"content":[{"type":"text","text":"You've hit your session limit · resets 9:50pm"}]}}"#,
        );
        assert_eq!(
            (f.kind, f.code.as_deref()),
            (SessionErrorKind::Account, Some("session_limit"))
        );
        assert_eq!(
            f.resets_at,
            Some(Utc.with_ymd_and_hms(2026, 12, 1, 21, 50, 0).unwrap())
        );
    }

    #[test]
    fn codex_error_and_meta() {
        let f = err(
            AssistantId::Codex,
            r#"{"timestamp":"2026-12-01T10:02:00.000Z","type":"event_msg","payload":{"type":"error","message":"unexpected status 503 Service Unavailable: upstream","codex_error_info":"other"}}"#,
        );
        assert_eq!(
            (f.kind, f.status, f.code.as_deref()),
            (SessionErrorKind::Provider, Some(503), None)
        );
        let f = err(
            AssistantId::Codex,
            r#"{"timestamp":"2026-12-01T10:02:00.000Z","type":"event_msg","payload":{"type":"error","message":"exceeded retry limit","codex_error_info":{"response_too_many_failed_attempts":{"http_status_code":502}}}}"#,
        );
        assert_eq!(
            (f.kind, f.status, f.code.as_deref()),
            (
                SessionErrorKind::Provider,
                Some(502),
                Some("response_too_many_failed_attempts")
            )
        );
        let f = err(
            AssistantId::Codex,
            r#"{"timestamp":"2026-12-01T10:02:00.000Z","type":"event_msg","payload":{"type":"error","message":"You've hit your usage limit. Try again at 3:05 PM.","codex_error_info":"usage_limit_exceeded"}}"#,
        );
        assert_eq!(f.kind, SessionErrorKind::Account);
        assert_eq!(
            f.resets_at,
            Some(Utc.with_ymd_and_hms(2026, 12, 1, 15, 5, 0).unwrap())
        );
        let p = parse_line(
            br#"{"timestamp":"2026-12-01T10:00:00Z","type":"session_meta","payload":{"id":"x","cwd":"/home/me","model_provider":"openrouter"}}"#,
            &ctx(AssistantId::Codex),
        );
        assert!(
            matches!(p, Some(Parsed::Provider { ref provider, .. }) if provider == "openrouter"),
            "{p:?}"
        );
    }

    #[test]
    fn a_codex_rollout_is_keyed_by_its_thread_id() {
        let id = "019aa1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(
            codex_thread_of_stem(&format!("rollout-2026-12-07T10-00-00-{id}")),
            Some(id)
        );
        for stem in [
            "rollout-x",
            "",
            "rollout-2026-12-07T10-00-00-019aa1b2c3d47e5f8a9b0c1d2e3f4a5b0000",
        ] {
            assert_eq!(codex_thread_of_stem(stem), None, "{stem}");
        }
        let p = std::path::PathBuf::from(format!("/s/rollout-2026-12-07T10-00-00-{id}.jsonl"));
        let utc = FixedOffset::east_opt(0).unwrap();
        assert_eq!(
            LineContext::for_file(AssistantId::Codex, &p, utc).session,
            session_key(id)
        );
        // Other assistants keep the file's stem.
        assert_eq!(
            LineContext::for_file(AssistantId::ClaudeCode, &p, utc).session,
            session_key(&format!("rollout-2026-12-07T10-00-00-{id}"))
        );
    }

    #[test]
    fn gemini_errors() {
        let f = err(
            AssistantId::Gemini,
            r#"{"id":"1","timestamp":"2026-12-01T10:03:00.000Z","type":"error","content":"[API Error: got status: 503 Service Unavailable. (Status: UNAVAILABLE)]"}"#,
        );
        assert_eq!(
            (f.kind, f.status, f.code.as_deref()),
            (SessionErrorKind::Provider, Some(503), Some("UNAVAILABLE"))
        );
        let f = err(
            AssistantId::Gemini,
            r#"{"id":"2","timestamp":"2026-12-01T10:03:00.000Z","type":"error","content":[{"text":"[API Error: You exceeded your current quota, it will reset soon (Status: RESOURCE_EXHAUSTED)]"}]}"#,
        );
        assert_eq!(
            (f.kind, f.code.as_deref()),
            (SessionErrorKind::Account, Some("RESOURCE_EXHAUSTED"))
        );
        assert_eq!(
            parse_line(br#"{"id":"3","timestamp":"2026-12-01T10:03:00Z","type":"error","content":"Failed to read file"}"#, &ctx(AssistantId::Gemini)),
            None
        );
    }

    #[test]
    fn ordinary_unknown_and_broken_lines_are_none() {
        let c = ctx(AssistantId::ClaudeCode);
        for line in [
            &br#"{"type":"user","timestamp":"2026-12-01T10:00:00Z","message":{"content":"fix the error"}}"#[..],
            br#"{"type":"system","subtype":"api_error"}"#,
            br#"["error"]"#,
            b"{\"type\":\"system\",\"subtype\":\"api_error\",\"timestamp\":\"2026-12-01T10:00:00Z\",\"x\":\"\xff\xfe error\"}",
            b"not json error",
            b"",
        ] {
            assert_eq!(parse_line(line, &c), None, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn codes_are_sanitized_and_short() {
        assert_eq!(sanitize_code(" over loaded!/ "), Some("over_loaded".into()));
        assert_eq!(sanitize_code("é/"), None);
        assert_eq!(sanitize_code(&"x".repeat(100)).unwrap().len(), MAX_CODE_LEN);
        let f = err(
            AssistantId::ClaudeCode,
            r#"{"type":"system","subtype":"api_error","timestamp":"2026-12-01T10:00:00Z","error":{"status":500,"message":"a sentence, not a word: keep it out"}}"#,
        );
        assert_eq!(f.code, None);
    }

    #[test]
    fn resets_parse_relative_to_the_record() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 22, 0, 0).unwrap();
        let z = FixedOffset::east_opt(0).unwrap();
        assert_eq!(
            parse_resets("resets 9:50pm", at, z),
            Some(Utc.with_ymd_and_hms(2026, 12, 2, 21, 50, 0).unwrap())
        );
        assert_eq!(
            parse_resets("resets at 23:15", at, z),
            Some(Utc.with_ymd_and_hms(2026, 12, 1, 23, 15, 0).unwrap())
        );
        assert_eq!(
            parse_resets("resets 12am", at, z),
            Some(Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap())
        );
        let paris = FixedOffset::east_opt(3600).unwrap();
        assert_eq!(
            parse_resets("resets 11pm", at, paris),
            Some(Utc.with_ymd_and_hms(2026, 12, 2, 22, 0, 0).unwrap())
        );
        assert_eq!(parse_resets("resets soon", at, z), None);
        assert_eq!(parse_resets("resets 13pm", at, z), None);
        assert_eq!(parse_resets("resets 99:99", at, z), None);
    }
}
