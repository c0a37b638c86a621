//! Builds the current-state report (`status --json`) from stored observations, applying staleness.

use chrono::{DateTime, Utc};

use crate::config::{Config, ProviderConfig};
use crate::model::{IncidentSummary, Observation, ProviderState, StateReport, Status};
use crate::poller::is_offline;

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
        };
    };
    let stale = is_stale(p, o, now);
    let reason = if stale {
        Some(format!(
            "stale: last checked {} ago",
            crate::policy::format_duration(now.signed_duration_since(o.at))
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
