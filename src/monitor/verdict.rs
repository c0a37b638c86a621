//! The measured verdict: a sliding window of probe samples judged by error rate and by latency against the provider's own baseline, and the detection lead of an official incident.
//!
//! Pure functions of samples and `now`; the poller, the overview and the CLI
//! all judge the same way. The verdict is shown beside the official status and
//! never merged into it.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::model::Status;
use crate::monitor::sources::probe::{ProbeClass, ProbeSample};

/// Samples a verdict looks at (the newest ones).
pub const WINDOW: usize = 10;
/// Samples older than this do not count: a verdict is about now.
pub const WINDOW_AGE: Duration = Duration::minutes(15);
/// Fewer known samples than this: still measuring.
pub const MIN_SAMPLES: usize = 3;
/// Failing share for a major outage (with at least [`MAJOR_MIN`] failures).
pub const MAJOR_RATE: f64 = 0.5;
pub const MAJOR_MIN: usize = 3;
/// Failing share for a partial outage (with at least [`PARTIAL_MIN`] failures).
pub const PARTIAL_RATE: f64 = 0.2;
pub const PARTIAL_MIN: usize = 2;
/// This many newest requests all succeeding ends an outage verdict, however
/// many failures are still in the window: recovery is seen in minutes, not after
/// the window has emptied.
pub const RECOVERED_AFTER: usize = 3;
/// Median latency this many times the baseline is slow, even under the threshold.
pub const SLOW_FACTOR: f64 = 3.0;

/// What the probes say about a provider now.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Verdict {
    /// Operational, degraded (slow), partial or major outage; Unknown while
    /// measuring or offline. Rate limits never make it worse than operational.
    pub status: Status,
    /// "failing (8 of 10 requests 529)", "slow (median 4.2 s, usually 380 ms)".
    pub summary: String,
    /// Samples in the window.
    pub samples: u32,
    /// Of which failed (5xx, 529, timeout, DNS, TLS, connect).
    pub failures: u32,
    pub rate_limited: u32,
    pub slow: u32,
    /// The most common failure, when there are failures.
    pub top_failure: Option<ProbeClass>,
    /// Median latency of the answered samples in the window.
    pub median_ms: Option<u32>,
    /// The provider's usual latency (median of recent healthy answers).
    pub baseline_ms: Option<u32>,
    /// Newest sample's time.
    pub at: Option<DateTime<Utc>>,
}

fn median(mut v: Vec<u32>) -> Option<u32> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len() / 2])
}

/// Median latency of healthy answers (ok or slow): what "usual" means for this provider.
pub fn baseline(samples: &[ProbeSample]) -> Option<u32> {
    median(
        samples
            .iter()
            .filter(|s| matches!(s.class, ProbeClass::Ok | ProbeClass::Slow))
            .map(|s| s.latency_ms)
            .collect(),
    )
}

fn ms(v: u32) -> String {
    if v >= 1000 {
        format!("{:.1} s", v as f64 / 1000.0)
    } else {
        format!("{v} ms")
    }
}

/// Judge the newest samples (any order; at most [`WINDOW`] of those no older
/// than [`WINDOW_AGE`] count). `slow_ms` is the provider's slow threshold.
/// `offline`: the user's network is down, so nothing is blamed.
pub fn judge(
    samples: &[ProbeSample],
    baseline_ms: Option<u32>,
    slow_ms: u32,
    offline: bool,
    now: DateTime<Utc>,
) -> Verdict {
    let mut recent: Vec<&ProbeSample> = samples
        .iter()
        .filter(|s| s.at > now - WINDOW_AGE && s.at <= now + Duration::seconds(5))
        .collect();
    recent.sort_by_key(|s| std::cmp::Reverse(s.at));
    recent.truncate(WINDOW);
    let n = recent.len();
    let count = |f: &dyn Fn(ProbeClass) -> bool| recent.iter().filter(|s| f(s.class)).count();
    let failures = count(&|c| c.is_failure());
    let rate_limited = count(&|c| c == ProbeClass::RateLimited);
    let slow = count(&|c| c == ProbeClass::Slow);
    let median_ms = median(
        recent
            .iter()
            .filter(|s| matches!(s.class, ProbeClass::Ok | ProbeClass::Slow))
            .map(|s| s.latency_ms)
            .collect(),
    );
    let top_failure = ProbeClass::ALL
        .into_iter()
        .filter(|c| c.is_failure())
        .map(|c| (count(&|x| x == c), c))
        .filter(|(k, _)| *k > 0)
        .max_by_key(|(k, _)| *k)
        .map(|(_, c)| c);
    let mut v = Verdict {
        status: Status::Unknown,
        summary: String::new(),
        samples: n as u32,
        failures: failures as u32,
        rate_limited: rate_limited as u32,
        slow: slow as u32,
        top_failure,
        median_ms,
        baseline_ms,
        at: recent.first().map(|s| s.at),
    };
    if offline {
        v.summary = "offline: not measuring".into();
        return v;
    }
    if n < MIN_SAMPLES {
        v.summary = if n == 0 && samples.is_empty() {
            "no measurements yet".into()
        } else if n == 0 {
            "no recent measurements".into()
        } else {
            format!("measuring ({n} of {MIN_SAMPLES} requests so far)")
        };
        return v;
    }
    let rate = failures as f64 / n as f64;
    // A burst that has ended: the newest requests all fine, and the failures
    // before them dense (at least half of the span they cover). Sporadic
    // failures spread over the window are judged by their rate instead.
    let fail_pos: Vec<usize> = recent
        .iter()
        .enumerate()
        .filter(|(_, s)| s.class.is_failure())
        .map(|(i, _)| i)
        .collect();
    let recovered = match (fail_pos.first(), fail_pos.last()) {
        (Some(&newest), Some(&oldest)) => {
            newest >= RECOVERED_AFTER && fail_pos.len() * 2 > oldest - newest
        }
        _ => false,
    };
    let failing_words = || {
        // "8 of 10 requests 529", or "3 of 10 requests failed (2 529, 1 timed out)".
        let kinds: Vec<(usize, ProbeClass)> = ProbeClass::ALL
            .into_iter()
            .filter(|c| c.is_failure())
            .map(|c| (count(&|x| x == c), c))
            .filter(|(k, _)| *k > 0)
            .collect();
        if kinds.len() == 1 {
            format!("{failures} of {n} requests {}", kinds[0].1.label())
        } else {
            let parts: Vec<String> = kinds
                .iter()
                .map(|(k, c)| format!("{k} {}", c.label()))
                .collect();
            format!("{failures} of {n} requests failed: {}", parts.join(", "))
        }
    };
    let outage_rate = failures >= PARTIAL_MIN && rate >= PARTIAL_RATE;
    if recovered && outage_rate {
        v.status = Status::Operational;
        v.summary = format!(
            "answering again (last {RECOVERED_AFTER} requests fine; {failures} of {n} failed before)"
        );
        return v;
    }
    if failures >= MAJOR_MIN && rate >= MAJOR_RATE {
        v.status = Status::MajorOutage;
        v.summary = format!("failing ({})", failing_words());
        return v;
    }
    if failures >= PARTIAL_MIN && rate >= PARTIAL_RATE {
        v.status = Status::PartialOutage;
        v.summary = format!("failing ({})", failing_words());
        return v;
    }
    let too_slow = median_ms.is_some_and(|m| {
        m > slow_ms || baseline_ms.is_some_and(|b| b > 0 && m as f64 > SLOW_FACTOR * b as f64)
    });
    if too_slow || slow * 2 >= n {
        v.status = Status::Degraded;
        let usual = baseline_ms
            .map(|b| format!(", usually {}", ms(b)))
            .unwrap_or_default();
        v.summary = format!(
            "slow (median {}{usual})",
            median_ms.map(ms).unwrap_or_else(|| "?".into())
        );
        return v;
    }
    v.status = Status::Operational;
    v.summary = if rate_limited * 2 >= n {
        format!("answering, but rate-limited ({rate_limited} of {n} requests 429; not an outage)")
    } else {
        match median_ms {
            Some(m) => format!("healthy (median {})", ms(m)),
            None => "healthy".into(),
        }
    };
    v
}

/// How long before an official incident our probes saw trouble on its provider.
/// `started` is when the page first said so (see `store::IncidentLead::started_at`).
///
/// `trouble` are the times of failing or slow samples (any order). The episode
/// that counts is the one running at `started` or ended at most [`LEAD_GAP`]
/// before it, beginning no earlier than [`LEAD_HORIZON`] before; samples less
/// than [`LEAD_GAP`] apart belong to one episode. Positive: we saw it first;
/// negative: the page said so before our probes saw anything (then the first
/// trouble up to `until`, the incident's end or now, counts). None: the probes
/// saw nothing around it.
pub fn detection_lead(
    started: DateTime<Utc>,
    until: DateTime<Utc>,
    trouble: &[DateTime<Utc>],
) -> Option<Duration> {
    let mut t: Vec<DateTime<Utc>> = trouble
        .iter()
        .copied()
        .filter(|x| *x >= started - LEAD_HORIZON && *x <= until)
        .collect();
    t.sort_unstable();
    // Walk episodes; keep the start of the last one that reaches `started`
    // (ends no earlier than LEAD_GAP before it).
    let mut best: Option<DateTime<Utc>> = None;
    let mut i = 0;
    while i < t.len() {
        let begin = t[i];
        let mut end = begin;
        while i + 1 < t.len() && t[i + 1] - end <= LEAD_GAP {
            i += 1;
            end = t[i];
        }
        i += 1;
        if begin > started {
            // First trouble after the page spoke: only if nothing came before.
            return Some(best.map_or(started - begin, |b| started - b));
        }
        if end >= started - LEAD_GAP {
            best = Some(begin);
        }
    }
    best.map(|b| started - b)
}

/// Samples further apart than this are separate episodes of trouble.
pub const LEAD_GAP: Duration = Duration::minutes(10);
/// How far before an incident's start trouble may begin and still count.
pub const LEAD_HORIZON: Duration = Duration::hours(6);

/// Is this sample trouble for the detection lead?
pub fn is_trouble(c: ProbeClass) -> bool {
    c.is_failure() || c == ProbeClass::Slow
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap()
    }

    fn run(classes: &[ProbeClass], latency: u32) -> Vec<ProbeSample> {
        classes
            .iter()
            .enumerate()
            .map(|(i, c)| ProbeSample {
                provider_id: "anthropic".into(),
                at: t0() - Duration::seconds(60 * (classes.len() - 1 - i) as i64),
                class: *c,
                latency_ms: latency,
                http_status: None,
                detail: None,
            })
            .collect()
    }

    use ProbeClass::*;

    #[test]
    fn verdict_table() {
        let cases: &[(&[ProbeClass], u32, Status, &str)] = &[
            (
                &[Ok; 10],
                300,
                Status::Operational,
                "healthy (median 300 ms)",
            ),
            (
                &[
                    Overloaded, Overloaded, Ok, Overloaded, Overloaded, Overloaded, Overloaded, Ok,
                    Overloaded, Overloaded,
                ],
                300,
                Status::MajorOutage,
                "failing (8 of 10 requests 529)",
            ),
            (
                &[Ok, Ok, ServerError, Ok, Ok, Ok, Timeout, Ok, Ok, Ok],
                300,
                Status::PartialOutage,
                "failing (2 of 10 requests failed: 1 5xx, 1 timed out)",
            ),
            (
                &[Ok, Ok, ServerError, Ok, Ok, Ok, Ok, Ok, Ok, Ok],
                300,
                Status::Operational,
                "healthy (median 300 ms)",
            ),
            (
                &[RateLimited; 10],
                300,
                Status::Operational,
                "answering, but rate-limited (10 of 10 requests 429; not an outage)",
            ),
            (
                &[Ok, Ok],
                300,
                Status::Unknown,
                "measuring (2 of 3 requests so far)",
            ),
            (
                &[Connect; 4],
                0,
                Status::MajorOutage,
                "failing (4 of 4 requests refused)",
            ),
            (
                &[Slow; 10],
                4200,
                Status::Degraded,
                "slow (median 4.2 s, usually 300 ms)",
            ),
            (&[Rejected; 10], 300, Status::Operational, "healthy"),
            (
                &[
                    Overloaded, Overloaded, Overloaded, Overloaded, Overloaded, Overloaded,
                    Overloaded, Ok, Ok, Ok,
                ],
                300,
                Status::Operational,
                "answering again (last 3 requests fine; 7 of 10 failed before)",
            ),
            (
                &[
                    Overloaded, Overloaded, Overloaded, Overloaded, Overloaded, Overloaded, Ok, Ok,
                    Overloaded, Ok,
                ],
                300,
                Status::MajorOutage,
                "failing (7 of 10 requests 529)",
            ),
        ];
        for (classes, lat, status, summary) in cases {
            let v = judge(&run(classes, *lat), Some(300), 3000, false, t0());
            assert_eq!(v.status, *status, "{classes:?}");
            assert_eq!(v.summary, *summary, "{classes:?}");
        }
    }

    #[test]
    fn slow_against_the_providers_own_baseline() {
        // 1.2 s is under the 3 s threshold but four times the usual 300 ms.
        let v = judge(&run(&[Ok; 10], 1200), Some(300), 3000, false, t0());
        assert_eq!(v.status, Status::Degraded);
        // Without a baseline, only the threshold counts.
        let v = judge(&run(&[Ok; 10], 1200), None, 3000, false, t0());
        assert_eq!(v.status, Status::Operational);
    }

    #[test]
    fn only_the_newest_recent_samples_count() {
        // Twenty failures long ago, then ten good answers: healthy.
        let mut s = run(&[Overloaded; 20], 300);
        for x in &mut s {
            x.at -= Duration::minutes(30);
        }
        s.extend(run(&[Ok; 10], 300));
        assert_eq!(
            judge(&s, None, 3000, false, t0()).status,
            Status::Operational
        );
        // Nothing in the last 15 minutes: not measuring, not healthy.
        let v = judge(&s, None, 3000, false, t0() + Duration::hours(1));
        assert_eq!(v.status, Status::Unknown);
        assert_eq!(v.summary, "no recent measurements");
    }

    #[test]
    fn offline_blames_nobody() {
        let v = judge(&run(&[Dns; 10], 0), None, 3000, true, t0());
        assert_eq!(v.status, Status::Unknown);
        assert_eq!(v.summary, "offline: not measuring");
    }

    #[test]
    fn baseline_is_the_median_of_healthy_answers() {
        let mut s = run(&[Ok, Ok, Ok, Timeout], 100);
        s[1].latency_ms = 300;
        s[3].latency_ms = 10_000;
        assert_eq!(baseline(&s), Some(100));
        assert_eq!(baseline(&[]), None);
    }

    fn m(mins: i64) -> DateTime<Utc> {
        t0() + Duration::minutes(mins)
    }

    #[test]
    fn detection_lead_table() {
        let until = m(120);
        type Case = (&'static str, Vec<DateTime<Utc>>, Option<i64>);
        let cases: &[Case] = &[
            ("nothing seen", vec![], None),
            (
                "one episode 25 min before, still going",
                (-25..=5).map(m).collect(),
                Some(25),
            ),
            (
                "a blip 30 min before is an episode of its own",
                vec![m(-30), m(-25), m(-5)],
                Some(5),
            ),
            (
                "episode ended 8 min before the page",
                vec![m(-30), m(-25), m(-18), m(-8)],
                Some(30),
            ),
            (
                "old episode ended long before: not this incident",
                vec![m(-200), m(-190)],
                None,
            ),
            (
                "an old episode, then the one that counts",
                vec![m(-200), m(-190), m(-12), m(-10), m(0)],
                Some(12),
            ),
            (
                "page first: trouble 7 min after it",
                vec![m(7), m(8)],
                Some(-7),
            ),
            ("beyond the horizon", vec![m(-400)], None),
            ("after the incident ended", vec![m(130)], None),
        ];
        for (what, trouble, want) in cases {
            let got = detection_lead(t0(), until, trouble).map(|d| d.num_minutes());
            assert_eq!(got, *want, "{what}");
        }
    }
}
