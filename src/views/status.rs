//! Builds the current-state report (`status --json`) from stored observations, applying staleness.

use chrono::{DateTime, Utc};

use crate::config::{Config, ProviderConfig};
use crate::model::{IncidentSummary, Observation, ProviderState, StateReport, Status};
use crate::monitor::poller::is_offline;
use crate::monitor::verdict::{self, Verdict};

/// Data older than this many intervals is `unknown`.
pub const STALE_AFTER_INTERVALS: u32 = 3;

/// One provider's state from its latest observation (or none yet).
pub fn provider_state(
    p: &ProviderConfig,
    latest: Option<&Observation>,
    now: DateTime<Utc>,
) -> ProviderState {
    let Some(o) = latest else {
        return ProviderState {
            id: p.id.clone(),
            name: p.name.clone(),
            status: Status::Unknown,
            source_ok: false,
            checked_at: None,
            reason: Some("not checked yet: run `weathervane poll --once` or start the app".into()),
            missing_watched: vec![],
            components: vec![],
            incidents: vec![],
            url: Some(p.homepage()),
            measured: None,
            sessions: None,
        };
    };
    let stale = is_stale(p, o, now);
    let reason = if stale {
        Some(format!(
            "stale: last checked {} ago",
            crate::monitor::policy::format_duration(now.signed_duration_since(o.at))
        ))
    } else {
        o.reason.clone()
    };
    ProviderState {
        id: p.id.clone(),
        name: p.name.clone(),
        status: if stale { Status::Unknown } else { o.status },
        source_ok: o.source_ok,
        checked_at: Some(o.at),
        reason,
        missing_watched: o.missing_watched.clone(),
        components: o.components.clone(),
        incidents: o
            .incidents
            .iter()
            .filter(|i| i.is_open())
            .map(IncidentSummary::from)
            .collect(),
        url: Some(p.homepage()),
        measured: None,
        sessions: None,
    }
}

/// Is this observation older than [`STALE_AFTER_INTERVALS`] intervals?
pub fn is_stale(p: &ProviderConfig, o: &Observation, now: DateTime<Utc>) -> bool {
    let limit = chrono::Duration::from_std(p.interval * STALE_AFTER_INTERVALS)
        .unwrap_or(chrono::Duration::MAX);
    now.signed_duration_since(o.at) > limit
}

/// The report over every enabled provider.
pub fn build(config: &Config, latest: &[Observation], now: DateTime<Utc>) -> StateReport {
    let mut providers = Vec::new();
    let mut recent = Vec::new();
    for p in config.enabled() {
        let o = latest.iter().find(|o| o.provider_id == p.id);
        if let Some(o) = o.filter(|o| !is_stale(p, o, now)) {
            recent.push(o.clone());
        }
        providers.push(provider_state(p, o, now));
    }
    // Offline is judged only on fresh data: old failures say nothing about now.
    let offline = recent.len() == providers.len() && is_offline(&recent);
    StateReport { offline, providers }
}

/// The report with the signals beside the official status: what the probes measure (for
/// providers the user probes) and what the user's own sessions recorded. From the store, no
/// network: what `status`, `statusline` and the desktop read.
pub fn current(
    store: &crate::store::Store,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<StateReport, crate::store::StoreError> {
    let latest = store.latest_all()?;
    let mut report = build(config, &latest, now);
    for p in &mut report.providers {
        let Some(pc) = config.provider(&p.id) else {
            continue;
        };
        if let Some(v) = measured(store, pc, report.offline, now)? {
            p.measured = Some(crate::model::Measured {
                status: v.status,
                summary: v.summary,
            });
        }
        p.sessions = crate::monitor::sessions::verdict::from_store(store, &p.id, now)?
            .filter(|v| v.worth_showing())
            .map(|v| v.signal());
    }
    Ok(report)
}

/// The measured verdict for one provider, when its probe is on.
pub fn measured(
    store: &crate::store::Store,
    p: &ProviderConfig,
    offline: bool,
    now: DateTime<Utc>,
) -> Result<Option<Verdict>, crate::store::StoreError> {
    let Some(spec) = p.probe.as_ref().filter(|s| s.enabled && p.enabled) else {
        return Ok(None);
    };
    let samples = store.probe_samples(&p.id, now - verdict::WINDOW_AGE, verdict::WINDOW)?;
    let baseline = store.probe_baseline(&p.id, now)?;
    let slow_ms = u32::try_from(spec.slow.as_millis()).unwrap_or(u32::MAX);
    Ok(Some(verdict::judge(
        &samples, baseline, slow_ms, offline, now,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorClass, Observation};
    use std::path::Path;

    fn cfg() -> Config {
        Config::parse(
            "catalog = false\n[[providers]]\nid = \"a\"\nkind = \"statuspage\"\nurl = \"https://a.example\"\ninterval = \"60s\"\n[[providers]]\nid = \"b\"\nkind = \"statuspage\"\nurl = \"https://b.example\"\n",
            Path::new("t.toml"),
        )
        .unwrap()
    }

    fn obs(id: &str, at: DateTime<Utc>, status: Status, err: Option<ErrorClass>) -> Observation {
        Observation {
            provider_id: id.into(),
            at,
            status,
            source_ok: err.is_none(),
            http_status: None,
            latency_ms: None,
            error: err,
            reason: err.map(|_| "fetch failed".into()),
            missing_watched: vec![],
            components: vec![],
            incidents: vec![],
        }
    }

    #[test]
    fn data_older_than_three_intervals_is_unknown_not_operational() {
        let now = Utc::now();
        let fresh = obs(
            "a",
            now - chrono::Duration::seconds(170),
            Status::MajorOutage,
            None,
        );
        let stale = obs(
            "b",
            now - chrono::Duration::seconds(181),
            Status::Operational,
            None,
        );
        let r = build(&cfg(), &[fresh, stale], now);
        assert_eq!(r.providers[0].status, Status::MajorOutage);
        assert_eq!(r.providers[1].status, Status::Unknown);
        assert!(
            r.providers[1]
                .reason
                .as_deref()
                .unwrap()
                .starts_with("stale")
        );
        assert_eq!(r.exit_code(), 2);
    }

    #[test]
    fn offline_needs_every_provider_failing_now() {
        let now = Utc::now();
        let a = obs("a", now, Status::Unknown, Some(ErrorClass::Dns));
        let b = obs("b", now, Status::Unknown, Some(ErrorClass::Connect));
        assert!(build(&cfg(), &[a.clone(), b.clone()], now).offline);
        // An old failure says nothing about now.
        let old_b = obs(
            "b",
            now - chrono::Duration::hours(2),
            Status::Unknown,
            Some(ErrorClass::Connect),
        );
        assert!(!build(&cfg(), &[a.clone(), old_b], now).offline);
        // A provider never checked: not offline either.
        assert!(!build(&cfg(), &[a], now).offline);
    }

    #[test]
    fn never_checked_says_how_to_check() {
        let r = build(&cfg(), &[], Utc::now());
        assert_eq!(r.providers[0].status, Status::Unknown);
        assert!(
            r.providers[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("poll --once")
        );
        assert_eq!(r.exit_code(), 3);
    }
}
