//! Synthetic but realistic history, for benchmarks and tests.
//!
//! Writes the same tables as [`Store::record`] (samples, components, component changes,
//! transitions, incidents and their updates, latest) but through one transaction per
//! day with prepared statements, then runs [`Store::maintain`] at each day's end as the
//! poller would, so a year of data ends up the size a year of real use would.

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{TransactionBehavior, params};

use super::provider_key;
use super::record::{insert_transition, upsert_incident};
use super::rollup::DAY;
use super::{Store, StoreError, from_ts, ts};
use crate::model::{
    ComponentState, ErrorClass, Impact, Incident, IncidentKind, IncidentStatus, IncidentUpdate,
    Observation, Status,
};

/// Provider ids the generator uses, in order (more than 15 get numbered ids).
pub const GENERATED_PROVIDER_IDS: [&str; 15] = [
    "anthropic",
    "openai",
    "gemini",
    "groq",
    "mistral",
    "cohere",
    "deepseek",
    "xai",
    "perplexity",
    "openrouter",
    "together",
    "fireworks",
    "cursor",
    "github-copilot",
    "azure-openai",
];
const COMPONENTS: [(&str, &str); 3] = [("api", "API"), ("chat", "Chat"), ("console", "Console")];
/// Chance that one poll of one provider fails (network blip): unknown.
const FAILURE_RATE: f64 = 0.0005;

/// One planned stretch of trouble (an incident or a maintenance).
struct Episode {
    start: i64,
    end: i64,
    status: Status,
    affects: [bool; 3],
    id: String,
    announced: bool,
}

impl Episode {
    fn incident(&self, open: bool) -> Incident {
        let (kind, impact) = match self.status {
            Status::Maintenance => (IncidentKind::Maintenance, Impact::Maintenance),
            Status::Degraded => (IncidentKind::Incident, Impact::Minor),
            Status::PartialOutage => (IncidentKind::Incident, Impact::Major),
            _ => (IncidentKind::Incident, Impact::Critical),
        };
        let mut updates = vec![IncidentUpdate {
            at: from_ts(self.start),
            status: IncidentStatus::Investigating,
            body: "We are investigating elevated error rates.".into(),
        }];
        if !open {
            updates.insert(
                0,
                IncidentUpdate {
                    at: from_ts(self.end),
                    status: IncidentStatus::Resolved,
                    body: "This incident has been resolved.".into(),
                },
            );
        }
        Incident {
            id: self.id.clone(),
            kind,
            title: format!("{} on some models", self.status.label()),
            impact,
            status: if open {
                IncidentStatus::Investigating
            } else {
                IncidentStatus::Resolved
            },
            started_at: Some(from_ts(self.start)),
            resolved_at: (!open).then(|| from_ts(self.end)),
            updated_at: None,
            url: Some(format!("https://status.example.com/incidents/{}", self.id)),
            components: COMPONENTS
                .iter()
                .zip(self.affects)
                .filter(|(_, a)| *a)
                .map(|((id, _), _)| (*id).to_string())
                .collect(),
            updates,
        }
    }
}

/// Per-provider generator state.
struct Gen {
    id: String,
    key: i64,
    comp_keys: [i64; 3],
    status: Option<Status>,
    comp_status: [Option<Status>; 3],
    episodes: Vec<Episode>,
    next: usize,
}

fn plan(rng: &mut StdRng, provider: usize, from: i64, to: i64) -> Vec<Episode> {
    let mut out = Vec::new();
    // A few incidents a month: gaps of 3 to 15 days between stretches of trouble.
    let mut t = from + rng.random_range(0..10 * DAY);
    while t < to {
        let roll: f64 = rng.random();
        let (status, minutes) = if roll < 0.15 {
            (Status::Maintenance, rng.random_range(30..180))
        } else if roll < 0.65 {
            (Status::Degraded, rng.random_range(10..240))
        } else if roll < 0.9 {
            (Status::PartialOutage, rng.random_range(10..120))
        } else {
            (Status::MajorOutage, rng.random_range(5..90))
        };
        let mut affects = [false; 3];
        affects[0] = true; // the API is in nearly every incident worth the name
        affects[1] = rng.random_bool(0.6);
        affects[2] = rng.random_bool(0.3);
        out.push(Episode {
            start: t,
            end: t + minutes * 60,
            status,
            affects,
            id: format!("p{provider}-{t}"),
            announced: false,
        });
        t += minutes * 60 + rng.random_range(3 * DAY..15 * DAY);
    }
    out
}

/// Fill `store` with `days` of history for `providers` providers (three components
/// each), one poll every `step_secs`, ending at `end`. Deterministic for a given `seed`.
pub fn generate_history(
    store: &mut Store,
    providers: usize,
    days: u32,
    step_secs: i64,
    end: DateTime<Utc>,
    seed: u64,
) -> Result<(), StoreError> {
    let r = generate(store, providers, days, step_secs, end, seed);
    store.ctx(r)
}

fn generate(
    store: &mut Store,
    providers: usize,
    days: u32,
    step_secs: i64,
    end: DateTime<Utc>,
    seed: u64,
) -> Result<(), StoreError> {
    let step = step_secs.max(1);
    let end = ts(end);
    let start = end - i64::from(days) * DAY;
    let mut rng = StdRng::seed_from_u64(seed);

    let mut gens: Vec<Gen> = Vec::with_capacity(providers);
    {
        let tx = store
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for i in 0..providers {
            let id = GENERATED_PROVIDER_IDS
                .get(i)
                .map_or_else(|| format!("provider-{i}"), |n| (*n).to_string());
            let key = provider_key(&tx, &id)?;
            let mut comp_keys = [0i64; 3];
            for (j, (cid, name)) in COMPONENTS.iter().enumerate() {
                comp_keys[j] = tx.query_row(
                    "INSERT INTO components(provider, component_id, name, watched, last_status, last_seen)
                     VALUES (?1, ?2, ?3, 1, ?4, ?5)
                     ON CONFLICT(provider, component_id) DO UPDATE SET name = excluded.name
                     RETURNING key",
                    params![key, cid, name, Status::Unknown.code(), start],
                    |r| r.get(0),
                )?;
            }
            let episodes = plan(&mut rng, i, start, end);
            gens.push(Gen {
                id,
                key,
                comp_keys,
                status: None,
                comp_status: [None; 3],
                episodes,
                next: 0,
            });
        }
        tx.commit()?;
    }

    let mut day_from = start;
    while day_from < end {
        let day_to = (day_from + DAY).min(end);
        let tx = store
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut sample = tx.prepare_cached(
                "INSERT OR REPLACE INTO samples(provider, ts, status, source_ok, http_status,
                     latency_ms, error_class, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut change = tx.prepare_cached(
                "INSERT OR REPLACE INTO component_changes(component, ts, status) VALUES (?1, ?2, ?3)",
            )?;
            let mut t = day_from;
            while t < day_to {
                for g in gens.iter_mut() {
                    tick(&tx, &mut rng, g, t, &mut sample, &mut change)?;
                }
                t += step;
            }
            let last_tick = t - step;
            for g in &gens {
                finish_day(&tx, g, last_tick)?;
            }
        }
        tx.commit()?;
        store.maintain(from_ts(day_to))?;
        day_from = day_to;
    }
    Ok(())
}

fn tick(
    tx: &rusqlite::Connection,
    rng: &mut StdRng,
    g: &mut Gen,
    t: i64,
    sample: &mut rusqlite::CachedStatement<'_>,
    change: &mut rusqlite::CachedStatement<'_>,
) -> Result<(), rusqlite::Error> {
    // Resolve the episode that ended, then announce the one that started.
    while let Some(ep) = g.episodes.get_mut(g.next) {
        if ep.end > t {
            break;
        }
        if ep.announced {
            upsert_incident(tx, g.key, &ep.incident(false), t)?;
        }
        g.next += 1;
    }
    let active = g.episodes.get_mut(g.next).filter(|ep| ep.start <= t);
    let mut comps = [Status::Operational; 3];
    if let Some(ep) = active {
        if !ep.announced {
            // Pages admit trouble a little late: first seen is now, started is earlier.
            upsert_incident(tx, g.key, &ep.incident(true), t)?;
            ep.announced = true;
        }
        for (c, a) in comps.iter_mut().zip(ep.affects) {
            if a {
                *c = ep.status;
            }
        }
    }
    let failed = rng.random_bool(FAILURE_RATE);
    if failed {
        comps = [Status::Unknown; 3];
    }
    let status = if failed {
        Status::Unknown
    } else {
        Status::worst(comps)
    };
    sample.execute(params![
        g.key,
        t,
        status.code(),
        !failed,
        (!failed).then_some(200),
        if failed {
            10_000
        } else {
            rng.random_range(60..400)
        },
        failed.then_some(ErrorClass::Timeout.as_str()),
        failed.then_some("timed out after 10 s"),
    ])?;
    for (j, &now) in comps.iter().enumerate() {
        let prev = g.comp_status[j];
        if prev != Some(now) {
            change.execute(params![g.comp_keys[j], t, now.code()])?;
            // Like record(): a failed poll is not a component transition.
            if let Some(p) = prev
                && !failed
                && p != Status::Unknown
            {
                insert_transition(tx, g.key, Some(g.comp_keys[j]), t, p, now)?;
            }
            g.comp_status[j] = Some(now);
        }
    }
    if let Some(p) = g.status
        && p != status
    {
        insert_transition(tx, g.key, None, t, p, status)?;
    }
    g.status = Some(status);
    Ok(())
}

/// What record() keeps current: last statuses and the latest observation.
fn finish_day(tx: &rusqlite::Connection, g: &Gen, at: i64) -> Result<(), StoreError> {
    let status = g.status.unwrap_or(Status::Unknown);
    tx.prepare_cached("UPDATE providers SET last_status = ?2, last_at = ?3 WHERE key = ?1")?
        .execute(params![g.key, status.code(), at])?;
    let mut components = Vec::with_capacity(3);
    for (j, (cid, name)) in COMPONENTS.iter().enumerate() {
        let s = g.comp_status[j].unwrap_or(Status::Unknown);
        tx.prepare_cached("UPDATE components SET last_status = ?2, last_seen = ?3 WHERE key = ?1")?
            .execute(params![g.comp_keys[j], s.code(), at])?;
        components.push(ComponentState {
            id: (*cid).into(),
            name: (*name).into(),
            status: s,
            watched: true,
        });
    }
    let open: Vec<Incident> = g
        .episodes
        .get(g.next)
        .filter(|ep| ep.announced)
        .map(|ep| ep.incident(true))
        .into_iter()
        .collect();
    let ok = status != Status::Unknown;
    let obs = Observation {
        provider_id: g.id.clone(),
        at: from_ts(at),
        status,
        source_ok: ok,
        http_status: ok.then_some(200),
        latency_ms: Some(150),
        error: (!ok).then_some(ErrorClass::Timeout),
        reason: (!ok).then(|| "timed out after 10 s".to_string()),
        missing_watched: Vec::new(),
        components: if ok { components } else { Vec::new() },
        incidents: open,
    };
    tx.prepare_cached(
        "INSERT INTO latest(provider, observed_at, observation) VALUES (?1, ?2, ?3)
         ON CONFLICT(provider) DO UPDATE SET observed_at = excluded.observed_at,
             observation = excluded.observation",
    )?
    .execute(params![g.key, at, serde_json::to_string(&obs)?])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::t0;
    use chrono::Duration;

    #[test]
    fn generated_history_is_mostly_up_with_some_incidents() {
        let mut s = Store::open_in_memory().unwrap();
        let end = t0() + Duration::hours(7);
        generate_history(&mut s, 2, 40, 60, end, 7).unwrap();
        let all = s.latest_all().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].at, end - Duration::minutes(1));

        let since = end - Duration::days(40);
        let incidents = s.incidents(Some("anthropic"), since).unwrap();
        assert!(
            (2..=15).contains(&incidents.len()),
            "{} incidents",
            incidents.len()
        );
        assert!(incidents.iter().any(|i| i.duration.is_some()));

        let u = s.uptime("anthropic", None, since, end).unwrap();
        let pct = u.pct.unwrap();
        assert!((90.0..100.0).contains(&pct), "{pct}");
        // Minute polls: practically everything is known.
        assert!(u.known_seconds > 40 * 86_400 * 99 / 100, "{u:?}");

        // Older than 30 days is pruned, yet the bars stay whole from rollups.
        let bars = s
            .daily_bars(
                "anthropic",
                Some("api"),
                39,
                (end - Duration::days(1)).date_naive(),
            )
            .unwrap();
        assert!(bars.iter().all(|b| b.worst != Status::Unknown), "{bars:?}");
        let oldest: i64 = s
            .conn
            .query_row("SELECT min(ts) FROM samples", [], |r| r.get(0))
            .unwrap();
        assert!(oldest >= ts(end) - 31 * DAY);
        assert!(!s.transitions(None, since).unwrap().is_empty());
        s.integrity_check().unwrap();
    }
}
