//! The `sessions` verdict of one provider: a pure sliding window over the facts of the user's
//! own failed calls, by the records' own times. Only provider trouble can make an outage;
//! account errors become a notice, network errors a count for the offline judgement.
//!
//! Thresholds (a storm, not one flaky turn):
//! - facts older than [`WINDOW`] before `now` are history and count for nothing;
//! - degraded: at least [`DEGRADED_ERRORS`] provider errors within the last [`RECENT`]
//!   (Claude Code retries a 529 several times in one turn, so one or two are a flaky turn);
//! - partial outage: at least [`PARTIAL_ERRORS`] provider errors in the window AND either two
//!   sessions or two calls that failed for good: failures that persist across retries and
//!   turns, not one unlucky request;
//! - never a major outage: the user's few sessions are a small sample. How big an outage is
//!   remains the page's and the probes' to say.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::Serialize;

use super::classify::SessionErrorKind;
use super::records::ErrorFact;
use crate::model::Status;

/// How far back facts count.
pub const WINDOW: Duration = Duration::minutes(10);
/// The span in which a burst makes "degraded".
pub const RECENT: Duration = Duration::minutes(5);
pub const DEGRADED_ERRORS: u32 = 3;
pub const PARTIAL_ERRORS: u32 = 8;
/// Records stamped a little ahead of our clock (another machine's clock, a shared home) count.
const SKEW: Duration = Duration::minutes(1);

/// What the user's own sessions say about one provider.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SessionsVerdict {
    pub status: Status,
    /// "7 failed calls (529) in 3 min, 2 sessions"; empty when nothing failed on the provider.
    pub summary: String,
    /// Provider errors in the window.
    pub errors: u32,
    /// The newest record in the window (of any kind).
    pub at: DateTime<Utc>,
    /// The user's own limit or sign-in, for what it is: "Claude Code: your session limit,
    /// resets 21:50".
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub account_notice: Option<String>,
    /// Calls that never reached the provider: for the offline judgement, not this verdict.
    pub network_errors: u32,
}

fn in_window(f: &ErrorFact, now: DateTime<Utc>) -> bool {
    f.at > now - WINDOW && f.at <= now + SKEW
}

/// The verdict of one provider's facts (already attributed to it), or `None` when no fact is
/// in the window. `tz` renders reset times in the user's clock.
pub fn judge(facts: &[ErrorFact], now: DateTime<Utc>, tz: FixedOffset) -> Option<SessionsVerdict> {
    let live: Vec<&ErrorFact> = facts.iter().filter(|f| in_window(f, now)).collect();
    let at = live.iter().map(|f| f.at).max()?;
    let provider: Vec<&&ErrorFact> = live
        .iter()
        .filter(|f| f.kind == SessionErrorKind::Provider)
        .collect();
    let errors = provider.len() as u32;
    let recent = provider.iter().filter(|f| f.at > now - RECENT).count() as u32;
    let sessions: BTreeSet<&str> = provider.iter().map(|f| f.session.as_str()).collect();
    let finals = provider.iter().filter(|f| f.final_).count();
    let status = if errors >= PARTIAL_ERRORS && (sessions.len() >= 2 || finals >= 2) {
        Status::PartialOutage
    } else if recent >= DEGRADED_ERRORS {
        Status::Degraded
    } else {
        Status::Operational
    };
    let summary = if errors == 0 {
        String::new()
    } else {
        summarize(&provider, sessions.len())
    };
    let account_notice = live
        .iter()
        .filter(|f| f.kind == SessionErrorKind::Account)
        .max_by_key(|f| f.at)
        .map(|f| account_notice(f, tz));
    let network_errors = live
        .iter()
        .filter(|f| f.kind == SessionErrorKind::Network)
        .count() as u32;
    Some(SessionsVerdict {
        status,
        summary,
        errors,
        at,
        account_notice,
        network_errors,
    })
}

/// The verdict of `provider` from the facts in the store (after a restart, or in another
/// process such as the CLI), with reset times in the local clock.
pub fn from_store(
    store: &crate::store::Store,
    provider: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionsVerdict>, crate::store::StoreError> {
    let facts = store.recent_session_errors(provider, now - WINDOW)?;
    Ok(judge(&facts, now, crate::config::local_offset()))
}

impl SessionsVerdict {
    /// Something the user should see: provider trouble, or their own account.
    pub fn worth_showing(&self) -> bool {
        self.errors > 0 || self.account_notice.is_some()
    }

    /// As `status --json` prints it.
    pub fn signal(self) -> crate::model::SessionsSignal {
        crate::model::SessionsSignal {
            status: self.status,
            summary: self.summary,
            errors: self.errors,
            at: self.at,
            account_notice: self.account_notice,
        }
    }
}

/// One verdict per provider named by the facts (facts with no provider are left out: they
/// cannot be judged against any page).
pub fn judge_all(
    facts: &[ErrorFact],
    now: DateTime<Utc>,
    tz: FixedOffset,
) -> BTreeMap<String, SessionsVerdict> {
    let mut by: BTreeMap<&str, Vec<ErrorFact>> = BTreeMap::new();
    for f in facts {
        if let Some(p) = &f.provider {
            by.entry(p).or_default().push(f.clone());
        }
    }
    by.into_iter()
        .filter_map(|(p, fs)| judge(&fs, now, tz).map(|v| (p.to_string(), v)))
        .collect()
}

/// "7 failed calls (529, 500) in 3 min, 2 sessions".
fn summarize(provider: &[&&ErrorFact], sessions: usize) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for f in provider {
        let what = f
            .status
            .map(|s| s.to_string())
            .or_else(|| f.code.clone())
            .unwrap_or_else(|| "error".into());
        *counts.entry(what).or_default() += 1;
    }
    let mut what: Vec<(String, usize)> = counts.into_iter().collect();
    what.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let what: Vec<String> = what.into_iter().take(3).map(|(w, _)| w).collect();
    let first = provider.iter().map(|f| f.at).min();
    let last = provider.iter().map(|f| f.at).max();
    let minutes = match (first, last) {
        (Some(a), Some(b)) => ((b - a).num_seconds() + 59) / 60,
        _ => 0,
    }
    .max(1);
    let n = provider.len();
    format!(
        "{n} failed call{} ({}) in {minutes} min, {sessions} session{}",
        if n == 1 { "" } else { "s" },
        what.join(", "),
        if sessions == 1 { "" } else { "s" }
    )
}

/// "Claude Code: your session limit, resets 21:50".
fn account_notice(f: &ErrorFact, tz: FixedOffset) -> String {
    let code = f.code.as_deref().unwrap_or_default().to_ascii_lowercase();
    let what = if code.contains("session_limit") {
        "your session limit"
    } else if code.contains("weekly_limit") {
        "your weekly limit"
    } else if matches!(f.status, Some(401 | 403))
        || code.contains("auth")
        || code.contains("unauthorized")
    {
        "sign-in or API key refused"
    } else if code.contains("quota") || code.contains("resource_exhausted") {
        "your quota is used up"
    } else if code.contains("billing") {
        "billing"
    } else if code == "rate_limit" || code.contains("rate_limit_exceeded") {
        "your rate limit"
    } else {
        "your usage limit"
    };
    let resets = f
        .resets_at
        .map(|r| format!(", resets {}", r.with_timezone(&tz).format("%H:%M")))
        .unwrap_or_default();
    format!("{}: {what}{resets}", f.assistant.label())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::profiles::AssistantId;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    /// `n` facts of `kind`, `secs_ago` apart going back from `ago` seconds before now.
    fn fact(ago: i64, kind: SessionErrorKind, session: &str, final_: bool) -> ErrorFact {
        ErrorFact {
            at: now() - Duration::seconds(ago),
            assistant: AssistantId::ClaudeCode,
            kind,
            status: (kind == SessionErrorKind::Provider).then_some(529),
            code: Some("overloaded".into()),
            final_,
            session: session.into(),
            resets_at: None,
            provider: Some("anthropic".into()),
        }
    }

    fn burst(n: i64, session: &str, finals: i64) -> Vec<ErrorFact> {
        (0..n)
            .map(|i| fact(i * 20, SessionErrorKind::Provider, session, i < finals))
            .collect()
    }

    #[test]
    fn verdict_table() {
        let utc = FixedOffset::east_opt(0).unwrap();
        let cases: Vec<(&str, Vec<ErrorFact>, Option<Status>, u32)> = vec![
            ("nothing", vec![], None, 0),
            (
                "one flaky turn",
                burst(2, "a", 0),
                Some(Status::Operational),
                2,
            ),
            (
                "a burst in one session",
                burst(3, "a", 0),
                Some(Status::Degraded),
                3,
            ),
            (
                "many retries, one session, one final failure",
                burst(9, "a", 1),
                Some(Status::Degraded),
                9,
            ),
            (
                "a storm in one session, two failed turns",
                burst(9, "a", 2),
                Some(Status::PartialOutage),
                9,
            ),
            (
                "a storm across two sessions",
                [burst(4, "a", 0), burst(4, "b", 0)].concat(),
                Some(Status::PartialOutage),
                8,
            ),
            (
                "old errors are history",
                (0..20)
                    .map(|i| fact(700 + i, SessionErrorKind::Provider, "a", true))
                    .collect(),
                None,
                0,
            ),
            (
                "errors 6-9 minutes ago: counted, not recent",
                (0..4)
                    .map(|i| fact(400 + i * 30, SessionErrorKind::Provider, "a", false))
                    .collect(),
                Some(Status::Operational),
                4,
            ),
            (
                "account errors never make an outage",
                (0..20)
                    .map(|i| fact(i * 10, SessionErrorKind::Account, "a", true))
                    .collect(),
                Some(Status::Operational),
                0,
            ),
            (
                "network errors never make an outage",
                (0..20)
                    .map(|i| fact(i * 10, SessionErrorKind::Network, "a", true))
                    .collect(),
                Some(Status::Operational),
                0,
            ),
        ];
        for (name, facts, want, errors) in cases {
            let v = judge(&facts, now(), utc);
            assert_eq!(v.as_ref().map(|v| v.status), want, "{name}");
            assert_eq!(v.map_or(0, |v| v.errors), errors, "{name}");
        }
    }

    #[test]
    fn summary_notice_and_network_count() {
        let utc = FixedOffset::east_opt(0).unwrap();
        let mut facts = [burst(5, "a", 0), burst(2, "b", 1)].concat();
        let mut limit = fact(30, SessionErrorKind::Account, "c", true);
        limit.code = Some("session_limit".into());
        limit.status = Some(429);
        limit.resets_at = Some(Utc.with_ymd_and_hms(2026, 12, 1, 21, 50, 0).unwrap());
        facts.push(limit);
        facts.push(fact(10, SessionErrorKind::Network, "a", false));
        facts.push(fact(5, SessionErrorKind::Network, "a", false));
        let v = judge(&facts, now(), utc).unwrap();
        assert_eq!(v.summary, "7 failed calls (529) in 2 min, 2 sessions");
        assert_eq!(v.at, now());
        assert_eq!(
            v.account_notice.as_deref(),
            Some("Claude Code: your session limit, resets 21:50")
        );
        assert_eq!(v.network_errors, 2);
        let all = judge_all(&facts, now(), utc);
        assert_eq!(all.keys().collect::<Vec<_>>(), ["anthropic"]);
    }
}
