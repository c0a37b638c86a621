//! What the desktop app shows, built from the config and the store: the views its commands return.
//!
//! Every type here is exported to TypeScript (ts-rs) for the dashboard, so the UI never
//! restates a shape by hand. The shell calls these functions and only adapts the result.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::config::edit::NotificationSettings;
use crate::config::{Config, ProviderConfig};
use crate::model::{
    ComponentState, Impact, IncidentKind, IncidentStatus, Observation, StateReport, Status,
};
use crate::monitor::sessions::{self, SessionsVerdict};
use crate::monitor::sources::probe::ProbeAuth;
use crate::monitor::verdict::Verdict;
use crate::store::{IncidentLead, ProbePoint, Store, StoreError};
use crate::switch::failover::Rule;
use crate::switch::profiles::{self, AssistantId};
use crate::views::status;

/// The dashboard's overview page and the tray's source of truth.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Overview {
    pub generated_at: DateTime<Utc>,
    /// Every source failed on the network: statuses are unknown, not down.
    pub offline: bool,
    /// Notifications paused ("Pause for 1 hour") until this instant.
    pub paused_until: Option<DateTime<Utc>>,
    pub providers: Vec<ProviderCard>,
}

/// One provider's card.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProviderCard {
    pub id: String,
    pub name: String,
    pub status: Status,
    pub source_ok: bool,
    pub checked_at: Option<DateTime<Utc>>,
    /// When the current status began, as far as our history knows.
    pub since: Option<DateTime<Utc>>,
    /// Why the source failed or the data is stale.
    pub reason: Option<String>,
    /// The status page a person reads.
    pub url: Option<String>,
    pub components: Vec<ComponentState>,
    pub incidents: Vec<IncidentCard>,
    /// What Weathervane's own probes measure, shown beside (never merged into)
    /// `status`; None when the user has not turned probes on for this provider.
    pub measured: Option<Verdict>,
    /// What the user's own assistants recorded in the last minutes (failed calls on this
    /// provider, or their own account's limit); None when nothing.
    pub sessions: Option<SessionsVerdict>,
}

/// An open incident on a card, with its newest update.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct IncidentCard {
    pub id: String,
    pub title: String,
    pub impact: Impact,
    pub status: IncidentStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub url: Option<String>,
    pub latest_update: Option<String>,
    pub latest_update_at: Option<DateTime<Utc>>,
}

/// The history page: 90-day bars and the incident timeline.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct History {
    pub days: u32,
    pub until: DateTime<Utc>,
    pub providers: Vec<ProviderHistory>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProviderHistory {
    pub id: String,
    pub name: String,
    pub uptime_pct: Option<f64>,
    /// Uptime over the standard windows (24h, 7d, 30d, 90d) that fit in the days asked for.
    pub windows: Vec<WindowUptime>,
    /// Mean time to recovery of the incidents in the window, in seconds.
    #[ts(type = "number | null")]
    pub mttr_secs: Option<i64>,
    pub bars: Vec<DayBar>,
    /// The watched components (all of them when the user watches all).
    pub components: Vec<ComponentHistory>,
    /// Newest first.
    pub incidents: Vec<TimelineIncident>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct WindowUptime {
    /// "24h", "7d", "30d" or "90d".
    pub window: String,
    pub uptime_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ComponentHistory {
    pub id: String,
    pub name: String,
    pub uptime_pct: Option<f64>,
    pub bars: Vec<DayBar>,
}

/// One UTC day of a bar.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct DayBar {
    #[ts(type = "string")]
    pub date: NaiveDate,
    pub worst: Status,
    pub uptime_pct: Option<f64>,
    pub incident_ids: Vec<String>,
    /// From the status page's own incident history (a day before Weathervane's first
    /// observation), not observed.
    pub backfilled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct TimelineIncident {
    pub id: String,
    pub title: String,
    pub kind: IncidentKind,
    pub impact: Impact,
    pub status: IncidentStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub first_seen_at: DateTime<Utc>,
    pub duration_secs: Option<f64>,
    pub url: Option<String>,
    /// Seconds our probes saw trouble before the page said so (negative: after).
    #[ts(type = "number | null")]
    pub lead_secs: Option<i64>,
    /// Probes were running around it (then a null lead means they saw nothing).
    pub probed: bool,
    /// Seconds the user's own sessions saw provider trouble before the page said so
    /// (negative: after); null when they saw nothing around it.
    #[ts(type = "number | null")]
    pub sessions_lead_secs: Option<i64>,
}

/// The overview from the latest stored observations.
pub fn overview(
    store: &Store,
    config: &Config,
    paused_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Overview, StoreError> {
    let latest = store.latest_all()?;
    let StateReport { offline, providers } = status::build(config, &latest, now);
    // One query for the whole list: status changes over the last 90 days.
    let transitions = store.transitions(None, now - Duration::days(90))?;
    let cards = providers
        .into_iter()
        .map(|p| -> Result<ProviderCard, StoreError> {
            let obs = latest.iter().find(|o| o.provider_id == p.id);
            let since = transitions
                .iter()
                .rev()
                .find(|t| t.provider_id == p.id && t.component_id.is_none())
                .filter(|t| t.to == p.status)
                .map(|t| t.at);
            let measured = match config.provider(&p.id) {
                Some(pc) => status::measured(store, pc, offline, now)?,
                None => None,
            };
            let sessions =
                sessions::verdict::from_store(store, &p.id, now)?.filter(|v| v.worth_showing());
            Ok(ProviderCard {
                measured,
                sessions,
                incidents: p.incidents.iter().map(|i| incident_card(i, obs)).collect(),
                id: p.id,
                name: p.name,
                status: p.status,
                source_ok: p.source_ok,
                checked_at: p.checked_at,
                since,
                reason: p.reason,
                url: p.url,
                components: p.components,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Overview {
        generated_at: now,
        offline,
        paused_until: paused_until.filter(|t| *t > now),
        providers: cards,
    })
}

fn incident_card(i: &crate::model::IncidentSummary, obs: Option<&Observation>) -> IncidentCard {
    let full = obs.and_then(|o| o.incidents.iter().find(|x| x.id == i.id));
    let newest = full.and_then(|f| f.updates.first());
    IncidentCard {
        id: i.id.clone(),
        title: i.title.clone(),
        impact: i.impact,
        status: i.status,
        started_at: i.started_at,
        url: i.url.clone(),
        latest_update: newest
            .map(|u| u.body.clone())
            .or_else(|| i.latest_update.clone()),
        latest_update_at: newest.map(|u| u.at),
    }
}

/// Bars and incidents over the last `days` days (1..=90) for every enabled provider.
pub fn history(
    store: &Store,
    config: &Config,
    days: u32,
    now: DateTime<Utc>,
) -> Result<History, StoreError> {
    let days = days.clamp(1, 90);
    let chosen: Vec<&ProviderConfig> = config.enabled().collect();
    histories(store, config, &chosen, days, now)
}

/// The history of the providers chosen, over `days` (the CLI asks for up to 400).
pub fn histories(
    store: &Store,
    _config: &Config,
    chosen: &[&ProviderConfig],
    days: u32,
    now: DateTime<Utc>,
) -> Result<History, StoreError> {
    let since = now - Duration::days(i64::from(days));
    let today = now.date_naive();
    let latest = store.latest_all()?;
    let mut providers = Vec::new();
    for p in chosen {
        providers.push(provider_history(
            store,
            p,
            latest.iter().find(|o| o.provider_id == p.id),
            days,
            since,
            now,
            today,
        )?);
    }
    Ok(History {
        days,
        until: now,
        providers,
    })
}

fn provider_history(
    store: &Store,
    p: &ProviderConfig,
    latest: Option<&Observation>,
    days: u32,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<ProviderHistory, StoreError> {
    let bars = |component: Option<&str>| -> Result<Vec<DayBar>, StoreError> {
        Ok(store
            .daily_bars(&p.id, component, days, today)?
            .into_iter()
            .map(|b| DayBar {
                date: b.date,
                worst: b.worst,
                uptime_pct: b.uptime_pct,
                incident_ids: b.incident_ids,
                backfilled: b.backfilled,
            })
            .collect())
    };
    let mut components = Vec::new();
    for c in latest
        .map(|o| o.components.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|c| c.watched)
    {
        components.push(ComponentHistory {
            id: c.id.clone(),
            name: c.name.clone(),
            uptime_pct: store.uptime(&p.id, Some(&c.id), since, now)?.pct,
            bars: bars(Some(&c.id))?,
        });
    }
    let incidents = store
        .incidents(Some(&p.id), since)?
        .into_iter()
        .map(|i| TimelineIncident {
            duration_secs: i.duration.map(|d| d.num_seconds() as f64),
            id: i.id,
            title: i.title,
            kind: i.kind,
            impact: i.impact,
            status: i.status,
            started_at: i.started_at,
            resolved_at: i.resolved_at,
            first_seen_at: i.first_seen_at,
            url: i.url,
            lead_secs: i.lead_secs,
            probed: i.lead_probed,
            sessions_lead_secs: i.sessions_lead_secs,
        })
        .collect();
    let mut windows = Vec::new();
    for (label, d) in [("24h", 1u32), ("7d", 7), ("30d", 30), ("90d", 90)] {
        if d <= days {
            windows.push(WindowUptime {
                window: label.to_string(),
                uptime_pct: store
                    .uptime(&p.id, None, now - Duration::days(i64::from(d)), now)?
                    .pct,
            });
        }
    }
    Ok(ProviderHistory {
        id: p.id.clone(),
        name: p.name.clone(),
        uptime_pct: store.uptime(&p.id, None, since, now)?.pct,
        windows,
        mttr_secs: store.mttr(&p.id, since)?.map(|d| d.num_seconds()),
        bars: bars(None)?,
        components,
        incidents,
    })
}

/// The worst status over the providers, for the tray icon: a known problem beats
/// "unknown", and "unknown" (or offline) beats "operational" so a dead source is visible.
pub fn tray_status(o: &Overview) -> Status {
    if o.offline {
        return Status::Unknown;
    }
    let known = Status::worst(o.providers.iter().map(shown_status));
    let any_unknown = o.providers.iter().any(|p| p.status == Status::Unknown);
    if known.is_problem() || !(any_unknown || o.providers.is_empty()) {
        known
    } else {
        Status::Unknown
    }
}

/// The status the tray colours a provider by: the official one, or the measured
/// one when it is worse (only for providers the user probes; a measured
/// "unknown" never hides the official status).
pub fn shown_status(p: &ProviderCard) -> Status {
    // The user's own failing sessions colour the icon like a measured problem.
    let signals = [
        p.measured.as_ref().map(|v| v.status),
        p.sessions.as_ref().map(|v| v.status),
    ];
    signals
        .into_iter()
        .flatten()
        .filter(|s| s.is_problem())
        .fold(p.status, |shown, m| {
            if shown == Status::Unknown {
                m
            } else {
                shown.worse(m)
            }
        })
}

/// The tooltip: one line per provider that is not operational, with since-when.
pub fn tooltip(o: &Overview, now: DateTime<Utc>) -> String {
    let mut lines: Vec<String> = o
        .providers
        .iter()
        .filter(|p| p.status != Status::Operational)
        .map(|p| match p.since {
            Some(t) => format!(
                "{}: {} for {}",
                p.name,
                p.status.label().to_lowercase(),
                crate::monitor::policy::format_duration(now.signed_duration_since(t))
            ),
            None => format!("{}: {}", p.name, p.status.label().to_lowercase()),
        })
        .collect();
    // Measured trouble the status page does not (yet) admit.
    for p in &o.providers {
        if let Some(v) = p.measured.as_ref().filter(|v| v.status.is_problem()) {
            lines.push(format!("{}: measured {}", p.name, v.summary));
        }
        if let Some(v) = p.sessions.as_ref().filter(|v| v.status.is_problem()) {
            lines.push(format!("{}: your sessions: {}", p.name, v.summary));
        }
    }
    if o.offline {
        lines.insert(0, "You appear to be offline".into());
    }
    if lines.is_empty() {
        lines.push(if o.providers.is_empty() {
            "No providers enabled".into()
        } else {
            "All watched services operational".into()
        });
    }
    format!("Weathervane\n{}", lines.join("\n"))
}

/// The Early warning page: every probed provider's verdict, chart and detection lead,
/// the providers that could be probed, and the failover rules.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProbesView {
    pub generated_at: DateTime<Utc>,
    /// The chart's span (24 or 168).
    pub hours: u32,
    /// Width of one chart bucket.
    pub bucket_secs: u32,
    pub offline: bool,
    pub providers: Vec<ProbedProvider>,
    /// What the user's own assistants recorded in the last minutes, per provider (only the
    /// providers with something to show).
    pub sessions: Vec<SessionsRow>,
    /// Which assistants' session files are followed (`[sessions]` in the config).
    pub sessions_followed: Vec<String>,
    /// Enabled providers with a probe the user has not turned on.
    pub available: Vec<ProbeChoice>,
    pub rules: Vec<FailoverRuleView>,
}

/// One provider's sessions verdict on the Early warning page.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SessionsRow {
    pub id: String,
    pub name: String,
    /// The status page's word, beside the sessions' one.
    pub official: Status,
    pub verdict: SessionsVerdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProbedProvider {
    pub id: String,
    pub name: String,
    /// The status page's word, beside the measured one.
    pub official: Status,
    pub verdict: Verdict,
    /// The request each probe makes.
    pub url: String,
    /// Keyring entry used for the key; None: unauthenticated (a 401 proves it answers).
    pub key: Option<String>,
    pub interval_secs: u32,
    pub slow_ms: u32,
    pub points: Vec<ProbePoint>,
    pub leads: LeadSummary,
}

/// How often the probes saw an incident before the status page did.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct LeadSummary {
    /// Incidents in the last 90 days while probes were running.
    pub incidents: u32,
    /// Of which the probes saw first.
    pub seen_first: u32,
    /// Median lead over the incidents the probes saw at all (negative: the page was first).
    #[ts(type = "number | null")]
    pub median_lead_secs: Option<i64>,
    /// The incidents, newest first.
    pub recent: Vec<IncidentLead>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProbeChoice {
    pub id: String,
    pub name: String,
    pub url: String,
    pub auth: ProbeAuth,
}

/// A failover rule as the dashboard shows and edits it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct FailoverRuleView {
    pub assistant: AssistantId,
    pub assistant_name: String,
    pub provider: String,
    pub provider_name: String,
    pub to: String,
    pub to_name: String,
    pub after_secs: u32,
    pub back_after_secs: u32,
    pub min_dwell_secs: u32,
    pub enabled: bool,
}

fn secs32(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

/// The failover rules for the dashboard.
pub fn rule_views(config: &Config) -> Vec<FailoverRuleView> {
    config
        .failover
        .iter()
        .map(|r: &Rule| FailoverRuleView {
            assistant: r.assistant,
            assistant_name: r.assistant.label().to_string(),
            provider_name: config
                .provider(&r.provider)
                .map_or_else(|| r.provider.clone(), |p| p.name.clone()),
            provider: r.provider.clone(),
            to_name: profiles::find(&config.profiles, r.assistant, &r.to)
                .map_or_else(|| r.to.clone(), |p| p.name.clone()),
            to: r.to.clone(),
            after_secs: secs32(r.after),
            back_after_secs: secs32(r.back_after),
            min_dwell_secs: secs32(r.min_dwell),
            enabled: r.enabled,
        })
        .collect()
}

/// Summarise detection leads: probed incidents, how many seen first, the median lead.
pub fn lead_summary(leads: Vec<IncidentLead>) -> LeadSummary {
    let probed: Vec<&IncidentLead> = leads.iter().filter(|l| l.probed).collect();
    let mut seen: Vec<i64> = probed.iter().filter_map(|l| l.lead_secs).collect();
    seen.sort_unstable();
    LeadSummary {
        incidents: probed.len() as u32,
        seen_first: seen.iter().filter(|s| **s > 0).count() as u32,
        median_lead_secs: (!seen.is_empty()).then(|| seen[seen.len() / 2]),
        recent: leads,
    }
}

/// The Early warning page over the last `hours` (24 or up to 7 days).
pub fn probes(
    store: &Store,
    config: &Config,
    hours: u32,
    now: DateTime<Utc>,
) -> Result<ProbesView, StoreError> {
    let hours = hours.clamp(1, 24 * 7);
    let bucket = if hours <= 24 {
        Duration::minutes(5)
    } else {
        Duration::hours(1)
    };
    let latest = store.latest_all()?;
    let StateReport { offline, providers } = status::build(config, &latest, now);
    let mut out = Vec::new();
    for (p, spec) in config.probed() {
        let Some(verdict) = status::measured(store, p, offline, now)? else {
            continue;
        };
        let leads = store.incident_leads(Some(&p.id), now - Duration::days(90))?;
        out.push(ProbedProvider {
            id: p.id.clone(),
            name: p.name.clone(),
            official: providers
                .iter()
                .find(|x| x.id == p.id)
                .map_or(Status::Unknown, |x| x.status),
            verdict,
            url: spec.url.to_string(),
            key: spec.key.clone(),
            interval_secs: secs32(spec.interval),
            slow_ms: u32::try_from(spec.slow.as_millis()).unwrap_or(u32::MAX),
            points: store.probe_series(
                &p.id,
                now - Duration::hours(i64::from(hours)),
                now,
                bucket,
            )?,
            leads: lead_summary(leads),
        });
    }
    let available = config
        .providers
        .iter()
        .filter(|p| p.enabled)
        .filter_map(|p| {
            let s = p.probe.as_ref().filter(|s| !s.enabled)?;
            Some(ProbeChoice {
                id: p.id.clone(),
                name: p.name.clone(),
                url: s.url.to_string(),
                auth: s.auth,
            })
        })
        .collect();
    let mut sessions_rows = Vec::new();
    for p in config.enabled() {
        if let Some(v) =
            sessions::verdict::from_store(store, &p.id, now)?.filter(|v| v.worth_showing())
        {
            let official = latest
                .iter()
                .find(|o| o.provider_id == p.id)
                .map_or(Status::Unknown, |o| o.status);
            sessions_rows.push(SessionsRow {
                id: p.id.clone(),
                name: p.name.clone(),
                official,
                verdict: v,
            });
        }
    }
    // opencode records no failed calls Weathervane reads (yet).
    use crate::switch::profiles::AssistantId as A;
    let sessions_followed = [A::ClaudeCode, A::Codex, A::Gemini]
        .iter()
        .filter(|a| config.sessions.enabled(**a))
        .map(|a| a.label().to_string())
        .collect();
    Ok(ProbesView {
        generated_at: now,
        hours,
        bucket_secs: bucket.num_seconds() as u32,
        offline,
        providers: out,
        sessions: sessions_rows,
        sessions_followed,
        available,
        rules: rule_views(config),
    })
}

/// The settings page: what the config says, plus the live component list to pick from.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SettingsView {
    pub config_path: String,
    pub config_exists: bool,
    /// Which assistants' session files are followed for early warning (`[sessions]`).
    pub sessions: Vec<SessionsSetting>,
    pub providers: Vec<ProviderSetting>,
    pub notifications: NotificationSettings,
    /// Filled in by the shell, which owns the login item.
    pub autostart: bool,
    /// Automatic failover rules, one per assistant.
    pub failover: Vec<FailoverRuleView>,
}

/// One assistant's early-warning switch on the Settings page.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SessionsSetting {
    pub assistant: AssistantId,
    pub name: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProviderSetting {
    pub id: String,
    pub name: String,
    /// As spelled in the config: statuspage, incidentio, google-cloud, instatus, datadog, feed.
    pub kind: String,
    pub url: String,
    pub interval_secs: u32,
    pub enabled: bool,
    pub pollable: bool,
    pub note: Option<String>,
    /// "catalog", "config" or "catalog+config".
    pub origin: String,
    /// Names or ids as written in the config; empty = every component.
    pub watch: Vec<String>,
    /// Every component the source listed at its last successful check.
    pub components: Vec<ComponentChoice>,
    /// The API probe, when this provider has one (the catalog's or the config's).
    pub probe: Option<ProbeSetting>,
}

/// A provider's API probe on the Settings page.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProbeSetting {
    pub enabled: bool,
    pub url: String,
    pub auth: ProbeAuth,
    /// Keyring entry name; None probes without a key.
    pub key: Option<String>,
    pub interval_secs: u32,
    pub slow_ms: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ComponentChoice {
    pub id: String,
    pub name: String,
    pub group: Option<String>,
}

/// The settings page's view of `config` (read from `path`).
pub fn settings_view(
    store: &Store,
    config: &Config,
    path: &std::path::Path,
    autostart: bool,
) -> Result<SettingsView, StoreError> {
    let latest = store.latest_all()?;
    let providers = config
        .providers
        .iter()
        .map(|p| ProviderSetting {
            id: p.id.clone(),
            name: p.name.clone(),
            kind: p.kind.as_str().to_string(),
            url: p.url.to_string(),
            interval_secs: u32::try_from(p.interval.as_secs()).unwrap_or(u32::MAX),
            enabled: p.enabled,
            pollable: p.pollable,
            note: p.note.clone(),
            origin: p.origin.to_string(),
            watch: p.watch.clone(),
            probe: p.probe.as_ref().map(|s| ProbeSetting {
                enabled: s.enabled,
                url: s.url.to_string(),
                auth: s.auth,
                key: s.key.clone(),
                interval_secs: secs32(s.interval),
                slow_ms: u32::try_from(s.slow.as_millis()).unwrap_or(u32::MAX),
            }),
            components: latest
                .iter()
                .find(|o| o.provider_id == p.id)
                .map(|o| {
                    o.components
                        .iter()
                        .map(|c| ComponentChoice {
                            id: c.id.clone(),
                            name: c.name.clone(),
                            group: None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    use crate::switch::profiles::AssistantId as A;
    let sessions = [A::ClaudeCode, A::Codex, A::Gemini]
        .into_iter()
        .map(|a| SessionsSetting {
            assistant: a,
            name: a.label().to_string(),
            enabled: config.sessions.enabled(a),
        })
        .collect();
    Ok(SettingsView {
        config_path: path.display().to_string(),
        config_exists: path.exists(),
        sessions,
        providers,
        notifications: NotificationSettings::from_prefs(&config.prefs),
        autostart,
        failover: rule_views(config),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{obs, t0};
    use std::path::Path;

    fn cfg() -> Config {
        Config::parse(
            "catalog = false\n[[providers]]\nid = \"a\"\nname = \"Alpha\"\nkind = \"statuspage\"\nurl = \"https://a.example\"\ninterval = \"60s\"\n[[providers]]\nid = \"b\"\nname = \"Beta\"\nkind = \"statuspage\"\nurl = \"https://b.example\"\ninterval = \"60s\"\n",
            Path::new("t.toml"),
        )
        .unwrap()
    }

    #[test]
    fn overview_says_since_when_the_current_status_holds() {
        let mut s = Store::open_in_memory().unwrap();
        let t = t0();
        s.record(&obs("a", t, Status::Operational)).unwrap();
        s.record(&obs("a", t + Duration::minutes(1), Status::MajorOutage))
            .unwrap();
        s.record(&obs("a", t + Duration::minutes(2), Status::MajorOutage))
            .unwrap();
        s.record(&obs("b", t + Duration::minutes(2), Status::Operational))
            .unwrap();
        let now = t + Duration::minutes(2);
        let o = overview(&s, &cfg(), None, now).unwrap();
        assert_eq!(o.providers[0].status, Status::MajorOutage);
        assert_eq!(o.providers[0].since, Some(t + Duration::minutes(1)));
        assert_eq!(tray_status(&o), Status::MajorOutage);
        let tip = tooltip(&o, now);
        assert_eq!(tip, "Weathervane\nAlpha: major outage for 1 min");
    }

    #[test]
    fn unknown_shows_but_never_outranks_a_known_problem() {
        let mut s = Store::open_in_memory().unwrap();
        let t = t0();
        s.record(&obs("a", t, Status::Degraded)).unwrap();
        let o = overview(&s, &cfg(), None, t).unwrap();
        // b was never checked: unknown, but a degraded a wins.
        assert_eq!(o.providers[1].status, Status::Unknown);
        assert_eq!(tray_status(&o), Status::Degraded);
        s.record(&obs("a", t, Status::Operational)).unwrap();
        let o = overview(&s, &cfg(), None, t).unwrap();
        assert_eq!(tray_status(&o), Status::Unknown);
        assert!(tooltip(&o, t).contains("Beta: unknown"));
    }

    #[test]
    fn a_past_pause_is_not_reported() {
        let s = Store::open_in_memory().unwrap();
        let t = t0();
        let o = overview(&s, &cfg(), Some(t - Duration::minutes(1)), t).unwrap();
        assert_eq!(o.paused_until, None);
        let o = overview(&s, &cfg(), Some(t + Duration::minutes(1)), t).unwrap();
        assert_eq!(o.paused_until, Some(t + Duration::minutes(1)));
    }

    #[test]
    fn history_has_one_bar_per_day_and_the_incident() {
        let mut s = Store::open_in_memory().unwrap();
        let t = t0();
        s.record(&obs("a", t, Status::Operational)).unwrap();
        let h = history(&s, &cfg(), 90, t).unwrap();
        assert_eq!(h.providers.len(), 2);
        assert_eq!(h.providers[0].bars.len(), 90);
        assert_eq!(h.providers[0].bars[89].date, t.date_naive());
        let h = history(&s, &cfg(), 500, t).unwrap();
        assert_eq!(h.days, 90);
    }
}
