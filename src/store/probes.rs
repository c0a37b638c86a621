//! Probe samples: record, the window a verdict reads, the latency baseline, chart series, detection leads, and the failover rules' memory.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;

use super::rollup::{DAY, HOUR, get_meta, set_meta};
use super::{RAW_RETENTION_DAYS, ROLLUP_RETENTION_DAYS, Store, StoreError, from_ts, ts};
use super::{find_provider, provider_key};

const PROBE_HOURLY_UNTIL: &str = "probe_hourly_until";
use crate::monitor::sources::probe::{ProbeClass, ProbeSample};
use crate::monitor::verdict::{self, LEAD_HORIZON};

/// How far back the latency baseline looks.
pub const BASELINE_WINDOW: Duration = Duration::hours(24);
/// Incidents whose detection lead is still (re)computed: those started this recently.
pub const LEAD_RECOMPUTE: Duration = Duration::days(7);

/// SQL list of the classes that count as a failure (see [`ProbeClass::is_failure`]).
fn failure_list() -> String {
    ProbeClass::ALL
        .into_iter()
        .filter(|c| c.is_failure())
        .map(|c| format!("'{}'", c.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

/// SQL list of the classes that are trouble for the detection lead.
fn trouble_list() -> String {
    ProbeClass::ALL
        .into_iter()
        .filter(|c| verdict::is_trouble(*c))
        .map(|c| format!("'{}'", c.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

/// One bucket of a probe chart.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ProbePoint {
    /// Start of the bucket.
    pub at: DateTime<Utc>,
    pub requests: u32,
    pub failures: u32,
    pub rate_limited: u32,
    pub slow: u32,
    /// Mean latency of the answered (ok or slow) requests.
    pub avg_ms: Option<u32>,
    pub max_ms: Option<u32>,
}

/// An official incident and how long before it our probes saw trouble.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct IncidentLead {
    pub provider_id: String,
    pub incident_id: String,
    pub title: String,
    /// When the page first said so: its first update (or, without updates, when
    /// Weathervane first saw it). Not the start time the page states, which pages
    /// backdate to when the impact began (Google Cloud by hours).
    pub started_at: DateTime<Utc>,
    /// Positive: the probes saw trouble this many seconds before the page;
    /// negative: after; None: they saw nothing.
    #[ts(type = "number | null")]
    pub lead_secs: Option<i64>,
    /// Probes were running around the incident.
    pub probed: bool,
}

fn sample_row(provider_id: &str, r: &rusqlite::Row<'_>) -> Result<ProbeSample, rusqlite::Error> {
    let class: String = r.get(1)?;
    Ok(ProbeSample {
        provider_id: provider_id.to_string(),
        at: from_ts(r.get(0)?),
        class: ProbeClass::parse(&class).unwrap_or(ProbeClass::Connect),
        latency_ms: r.get::<_, i64>(2)?.clamp(0, u32::MAX as i64) as u32,
        http_status: r.get::<_, Option<i64>>(3)?.map(|v| v as u16),
        detail: r.get(4)?,
    })
}

impl Store {
    /// Store one probe sample, then refresh the detection lead of the
    /// provider's recent incidents (a late first trouble makes a negative lead).
    pub fn record_probe(&mut self, s: &ProbeSample) -> Result<(), StoreError> {
        let r = (|| {
            let tx = self.conn.transaction()?;
            let p = provider_key(&tx, &s.provider_id)?;
            tx.prepare_cached(
                "INSERT OR REPLACE INTO probe_samples(provider, ts, class, latency_ms, http_status, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                p,
                ts(s.at),
                s.class.as_str(),
                s.latency_ms,
                s.http_status,
                s.detail
            ])?;
            update_leads(&tx, p, s.at)?;
            tx.commit()
        })()
        .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    /// Samples of `provider` since `since`, newest first (at most `limit`).
    pub fn probe_samples(
        &self,
        provider: &str,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ProbeSample>, StoreError> {
        let r = (|| {
            let Some(p) = find_provider(&self.conn, provider)? else {
                return Ok(Vec::new());
            };
            let mut stmt = self.conn.prepare_cached(
                "SELECT ts, class, latency_ms, http_status, detail FROM probe_samples
                  WHERE provider = ?1 AND ts >= ?2 ORDER BY ts DESC LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![p, ts(since), limit as i64], |r| {
                sample_row(provider, r)
            })?;
            rows.collect()
        })()
        .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    /// The provider's usual latency: the median of its healthy answers over the last day.
    pub fn probe_baseline(
        &self,
        provider: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<u32>, StoreError> {
        let r = (|| {
            let Some(p) = find_provider(&self.conn, provider)? else {
                return Ok(None);
            };
            let from = ts(now - BASELINE_WINDOW);
            let n: i64 = self
                .conn
                .prepare_cached(
                    "SELECT count(*) FROM probe_samples
                      WHERE provider = ?1 AND ts >= ?2 AND class IN ('ok', 'slow')",
                )?
                .query_row(params![p, from], |r| r.get(0))?;
            if n == 0 {
                return Ok(None);
            }
            self.conn
                .prepare_cached(
                    "SELECT latency_ms FROM probe_samples
                      WHERE provider = ?1 AND ts >= ?2 AND class IN ('ok', 'slow')
                      ORDER BY latency_ms LIMIT 1 OFFSET ?3",
                )?
                .query_row(params![p, from, n / 2], |r| r.get::<_, i64>(0))
                .optional()
                .map(|v| v.map(|v| v.clamp(0, u32::MAX as i64) as u32))
        })()
        .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    /// Requests, failures and latency per `bucket` from `from` to `to`, for a
    /// chart. Raw samples where they are kept (30 days), the hourly rollup
    /// before that; empty buckets are left out.
    pub fn probe_series(
        &self,
        provider: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket: Duration,
    ) -> Result<Vec<ProbePoint>, StoreError> {
        let b = bucket.num_seconds().max(60);
        let failures = failure_list();
        let r = (|| {
            let Some(p) = find_provider(&self.conn, provider)? else {
                return Ok(Vec::new());
            };
            // Raw samples from the start of their first (possibly pruned) hour on, the
            // hourly rollup before it: each hour comes from one of the two, never both.
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT (ts / ?4) * ?4 AS bucket, count(*),
                        sum(class IN ({failures})), sum(class = 'rate_limited'), sum(class = 'slow'),
                        sum(CASE WHEN class IN ('ok', 'slow') THEN latency_ms END),
                        sum(class IN ('ok', 'slow')),
                        max(CASE WHEN class IN ('ok', 'slow') THEN latency_ms END)
                   FROM probe_samples WHERE provider = ?1 AND ts >= ?2 AND ts < ?3
                  GROUP BY bucket
                 UNION ALL
                 SELECT (bucket / ?4) * ?4 AS b2, sum(requests), sum(failures), sum(rate_limited),
                        sum(slow), sum(latency_sum), sum(answered), max(latency_max)
                   FROM probe_hourly
                  WHERE provider = ?1 AND bucket >= ?2 AND bucket < ?3
                    AND bucket < coalesce((SELECT (min(ts) / 3600) * 3600 FROM probe_samples
                                            WHERE provider = ?1), ?3)
                  GROUP BY b2
                  ORDER BY 1"
            ))?;
            let rows = stmt.query_map(params![p, ts(from), ts(to), b], |r| {
                let answered: i64 = r.get::<_, Option<i64>>(6)?.unwrap_or(0);
                let sum: Option<i64> = r.get(5)?;
                Ok(ProbePoint {
                    at: from_ts(r.get(0)?),
                    requests: r.get::<_, i64>(1)? as u32,
                    failures: r.get::<_, Option<i64>>(2)?.unwrap_or(0) as u32,
                    rate_limited: r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u32,
                    slow: r.get::<_, Option<i64>>(4)?.unwrap_or(0) as u32,
                    avg_ms: sum
                        .filter(|_| answered > 0)
                        .map(|s| (s / answered).clamp(0, u32::MAX as i64) as u32),
                    max_ms: r
                        .get::<_, Option<i64>>(7)?
                        .map(|v| v.clamp(0, u32::MAX as i64) as u32),
                })
            })?;
            rows.collect()
        })()
        .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    /// Detection leads of incidents started since `since` (all providers when None), newest first.
    pub fn incident_leads(
        &self,
        provider: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<IncidentLead>, StoreError> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT p.id, i.incident_id, i.title, coalesce((SELECT min(u.at) FROM incident_updates u WHERE u.incident = i.key), i.first_seen_at),
                        i.lead_s, i.lead_probed
                   FROM incidents i JOIN providers p ON p.key = i.provider
                  WHERE (?1 IS NULL OR p.id = ?1) AND i.kind = 'incident'
                    AND coalesce((SELECT min(u.at) FROM incident_updates u WHERE u.incident = i.key), i.first_seen_at) >= ?2
                  ORDER BY 4 DESC",
            )?;
            let rows = stmt.query_map(params![provider, ts(since)], |r| {
                Ok(IncidentLead {
                    provider_id: r.get(0)?,
                    incident_id: r.get(1)?,
                    title: r.get(2)?,
                    started_at: from_ts(r.get(3)?),
                    lead_secs: r.get(4)?,
                    probed: r.get::<_, i64>(5)? != 0,
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })()
        .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    /// Roll complete hours of probe samples into `probe_hourly`, then drop raw
    /// samples older than 30 days (only once rolled) and hourly rows older than 400.
    pub fn rollup_probes(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let failures = failure_list();
        let now = ts(now);
        let r = (|| {
            let tx = self.conn.transaction()?;
            let end = now - now.rem_euclid(HOUR);
            let start = match get_meta(&tx, PROBE_HOURLY_UNTIL)? {
                Some(w) => w,
                None => match tx.query_row("SELECT min(ts) FROM probe_samples", [], |r| {
                    r.get::<_, Option<i64>>(0)
                })? {
                    Some(first) => first - first.rem_euclid(HOUR),
                    None => return tx.commit(),
                },
            };
            if start < end {
                tx.execute(
                    &format!(
                        "INSERT OR REPLACE INTO probe_hourly(provider, bucket, requests, failures,
                             rate_limited, slow, latency_sum, answered, latency_max)
                         SELECT provider, (ts / 3600) * 3600, count(*), sum(class IN ({failures})),
                                sum(class = 'rate_limited'), sum(class = 'slow'),
                                coalesce(sum(CASE WHEN class IN ('ok', 'slow') THEN latency_ms END), 0),
                                sum(class IN ('ok', 'slow')),
                                max(CASE WHEN class IN ('ok', 'slow') THEN latency_ms END)
                           FROM probe_samples WHERE ts >= ?1 AND ts < ?2
                          GROUP BY provider, ts / 3600"
                    ),
                    params![start, end],
                )?;
                set_meta(&tx, PROBE_HOURLY_UNTIL, end)?;
            }
            let raw_cut = (now - RAW_RETENTION_DAYS * DAY).min(end);
            tx.execute("DELETE FROM probe_samples WHERE ts < ?1", [raw_cut])?;
            tx.execute(
                "DELETE FROM probe_hourly WHERE bucket < ?1",
                [now - ROLLUP_RETENTION_DAYS * DAY],
            )?;
            tx.commit()
        })()
        .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    /// A failover rule's memory (JSON), if saved.
    pub fn failover_state(&self, assistant: &str) -> Result<Option<String>, StoreError> {
        let r = self
            .conn
            .prepare_cached("SELECT state FROM failover_state WHERE assistant = ?1")
            .and_then(|mut s| s.query_row([assistant], |r| r.get(0)).optional())
            .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    /// The notification policy's memory per stream (JSON), as [`Store::set_policy_state`] saved it.
    pub fn policy_states(&self) -> Result<Vec<(String, String)>, StoreError> {
        let r = self
            .conn
            .prepare_cached("SELECT stream, state FROM policy_state ORDER BY stream")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    pub fn set_policy_state(&mut self, stream: &str, state: &str) -> Result<(), StoreError> {
        let r = self
            .conn
            .prepare_cached("INSERT OR REPLACE INTO policy_state(stream, state) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute([stream, state]))
            .map(|_| ())
            .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    /// Until when notifications are paused ("Pause for 1 hour"), if they are.
    pub fn policy_pause(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let r = self
            .conn
            .prepare_cached("SELECT until FROM policy_pause WHERE id = 1")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, Option<i64>>(0)).optional())
            .map(|v| v.flatten().map(super::from_ts))
            .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    pub fn set_policy_pause(&mut self, until: Option<DateTime<Utc>>) -> Result<(), StoreError> {
        let r = self
            .conn
            .prepare_cached("INSERT OR REPLACE INTO policy_pause(id, until) VALUES (1, ?1)")
            .and_then(|mut s| s.execute([until.map(super::ts)]))
            .map(|_| ())
            .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    pub fn set_failover_state(&mut self, assistant: &str, state: &str) -> Result<(), StoreError> {
        let r = self
            .conn
            .prepare_cached(
                "INSERT OR REPLACE INTO failover_state(assistant, state) VALUES (?1, ?2)",
            )
            .and_then(|mut s| s.execute([assistant, state]))
            .map(|_| ())
            .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }
}

/// Recompute the detection lead of provider `p`'s incidents that started in
/// the last [`LEAD_RECOMPUTE`] before `now`. Cheap when the provider has no
/// probe samples (one indexed lookup).
pub(super) fn update_leads(
    conn: &rusqlite::Connection,
    p: i64,
    now: DateTime<Utc>,
) -> Result<(), rusqlite::Error> {
    let probed_at_all: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM probe_samples WHERE provider = ?1 LIMIT 1")?
        .query_row([p], |r| r.get(0))
        .optional()?;
    if probed_at_all.is_none() {
        return Ok(());
    }
    let incidents: Vec<(i64, i64, Option<i64>)> = conn
        .prepare_cached(
            "SELECT i.key, coalesce((SELECT min(u.at) FROM incident_updates u WHERE u.incident = i.key),
                                    i.first_seen_at) AS posted, i.resolved_at
               FROM incidents i
              WHERE i.provider = ?1 AND i.kind = 'incident' AND posted >= ?2",
        )?
        .query_map(params![p, ts(now - LEAD_RECOMPUTE)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let trouble_sql = format!(
        "SELECT ts FROM probe_samples WHERE provider = ?1 AND ts >= ?2 AND ts <= ?3
           AND class IN ({})",
        trouble_list()
    );
    for (key, start, resolved) in incidents {
        let from = start - LEAD_HORIZON.num_seconds();
        let until = resolved.unwrap_or(ts(now)).max(start);
        let any: i64 = conn
            .prepare_cached(
                "SELECT count(*) FROM probe_samples WHERE provider = ?1 AND ts >= ?2 AND ts <= ?3",
            )?
            .query_row(params![p, from, until], |r| r.get(0))?;
        let trouble: Vec<DateTime<Utc>> = conn
            .prepare_cached(&trouble_sql)?
            .query_map(params![p, from, until], |r| Ok(from_ts(r.get(0)?)))?
            .collect::<Result<_, _>>()?;
        let lead = verdict::detection_lead(from_ts(start), from_ts(until), &trouble)
            .map(|d| d.num_seconds());
        conn.prepare_cached("UPDATE incidents SET lead_s = ?2, lead_probed = ?3 WHERE key = ?1")?
            .execute(params![key, lead, (any > 0) as i64])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Impact, Incident, IncidentKind, IncidentStatus, Status};
    use crate::store::test_support::{obs, t0};

    fn sample(at: DateTime<Utc>, class: ProbeClass, ms: u32) -> ProbeSample {
        ProbeSample {
            provider_id: "anthropic".into(),
            at,
            class,
            latency_ms: ms,
            http_status: None,
            detail: None,
        }
    }

    fn incident(started: DateTime<Utc>) -> Incident {
        Incident {
            id: "inc-1".into(),
            title: "Elevated errors on Claude API".into(),
            kind: IncidentKind::Incident,
            impact: Impact::Major,
            status: IncidentStatus::Investigating,
            started_at: Some(started),
            resolved_at: None,
            updated_at: None,
            components: vec![],
            url: None,
            updates: vec![],
        }
    }

    #[test]
    fn samples_baseline_and_series() {
        let mut s = Store::open_in_memory().unwrap();
        for i in 0..30 {
            let class = if i >= 25 {
                ProbeClass::Overloaded
            } else {
                ProbeClass::Ok
            };
            s.record_probe(&sample(t0() + Duration::minutes(i), class, 200 + i as u32))
                .unwrap();
        }
        let recent = s
            .probe_samples("anthropic", t0() + Duration::minutes(20), 10)
            .unwrap();
        assert_eq!(recent.len(), 10);
        assert_eq!(recent[0].class, ProbeClass::Overloaded, "newest first");
        assert_eq!(recent[0].at, t0() + Duration::minutes(29));
        // Median of the 25 healthy answers, 200..=224.
        assert_eq!(
            s.probe_baseline("anthropic", t0() + Duration::minutes(30))
                .unwrap(),
            Some(212)
        );
        assert_eq!(s.probe_baseline("nobody", t0()).unwrap(), None);
        let series = s
            .probe_series(
                "anthropic",
                t0(),
                t0() + Duration::hours(1),
                Duration::minutes(10),
            )
            .unwrap();
        assert_eq!(series.len(), 3);
        assert_eq!((series[2].requests, series[2].failures), (10, 5));
        assert_eq!(series[0].avg_ms, Some(204));
        assert_eq!(series[0].max_ms, Some(209));
    }

    #[test]
    fn detection_lead_is_stored_with_the_incident() {
        let mut s = Store::open_in_memory().unwrap();
        // Probes healthy, then failing from 14:00; the page posts an incident at 14:25.
        for m in -30..40 {
            let class = if m >= 0 {
                ProbeClass::Overloaded
            } else {
                ProbeClass::Ok
            };
            s.record_probe(&sample(t0() + Duration::minutes(m), class, 300))
                .unwrap();
            if m == 30 {
                let mut o = obs(
                    "anthropic",
                    t0() + Duration::minutes(30),
                    Status::MajorOutage,
                );
                // Backdated to 14:05 by the page, but first posted at 14:25.
                let mut inc = incident(t0() + Duration::minutes(5));
                inc.updates = vec![crate::model::IncidentUpdate {
                    at: t0() + Duration::minutes(25),
                    status: IncidentStatus::Investigating,
                    body: "We are investigating elevated errors".into(),
                }];
                o.incidents = vec![inc];
                s.record(&o).unwrap();
            }
        }
        let leads = s.incident_leads(None, t0() - Duration::days(1)).unwrap();
        assert_eq!(leads.len(), 1);
        assert_eq!(leads[0].lead_secs, Some(25 * 60));
        assert!(leads[0].probed);
    }

    #[test]
    fn probes_roll_up_hourly_and_old_samples_go() {
        let mut s = Store::open_in_memory().unwrap();
        // Two hours of samples, one a minute; the second hour half failing.
        for i in 0..120 {
            let class = if i >= 60 && i % 2 == 0 {
                ProbeClass::ServerError
            } else {
                ProbeClass::Ok
            };
            s.record_probe(&sample(t0() + Duration::minutes(i), class, 100))
                .unwrap();
        }
        let later = t0() + Duration::days(40);
        s.maintain(later).unwrap();
        assert!(
            s.probe_samples("anthropic", t0() - Duration::days(1), 1000)
                .unwrap()
                .is_empty(),
            "raw samples older than 30 days are gone"
        );
        // The chart still has them, from the rollup.
        let series = s
            .probe_series(
                "anthropic",
                t0() - Duration::hours(1),
                t0() + Duration::hours(3),
                Duration::hours(1),
            )
            .unwrap();
        let got: Vec<(u32, u32, Option<u32>)> = series
            .iter()
            .map(|p| (p.requests, p.failures, p.avg_ms))
            .collect();
        assert_eq!(got, vec![(60, 0, Some(100)), (60, 30, Some(100))]);
        // Half of the second hour pruned: that hour comes from the raw samples alone,
        // not twice (rollup and raw), so the buckets stay unique.
        s.conn
            .execute(
                "DELETE FROM probe_samples WHERE ts < ?1",
                [ts(t0() + Duration::minutes(90))],
            )
            .unwrap();
        s.record_probe(&sample(t0() + Duration::minutes(100), ProbeClass::Ok, 100))
            .unwrap();
        let mixed = s
            .probe_series(
                "anthropic",
                t0() - Duration::hours(1),
                t0() + Duration::hours(3),
                Duration::hours(1),
            )
            .unwrap();
        let buckets: Vec<_> = mixed.iter().map(|p| p.at).collect();
        let mut unique = buckets.clone();
        unique.dedup();
        assert_eq!(buckets, unique, "{mixed:?}");
        assert_eq!(mixed[0].requests, 60, "the first hour from the rollup");
        // Running it again changes nothing.
        s.maintain(later).unwrap();
        let again = s
            .probe_series(
                "anthropic",
                t0() - Duration::hours(1),
                t0() + Duration::hours(3),
                Duration::hours(1),
            )
            .unwrap();
        assert_eq!(again, series);
    }

    #[test]
    fn policy_state_and_pause_round_trip() {
        let mut s = Store::open_in_memory().unwrap();
        assert!(s.policy_states().unwrap().is_empty());
        assert_eq!(s.policy_pause().unwrap(), None);
        s.set_policy_state("anthropic", "{\"a\":1}").unwrap();
        s.set_policy_state("anthropic", "{\"a\":2}").unwrap();
        s.set_policy_state("probe:anthropic", "{}").unwrap();
        assert_eq!(
            s.policy_states().unwrap(),
            [
                ("anthropic".to_string(), "{\"a\":2}".to_string()),
                ("probe:anthropic".to_string(), "{}".to_string())
            ]
        );
        let until = crate::store::from_ts(1_800_000_000);
        s.set_policy_pause(Some(until)).unwrap();
        assert_eq!(s.policy_pause().unwrap(), Some(until));
        s.set_policy_pause(None).unwrap();
        assert_eq!(s.policy_pause().unwrap(), None);
    }

    #[test]
    fn failover_state_round_trips() {
        let mut s = Store::open_in_memory().unwrap();
        assert_eq!(s.failover_state("claude-code").unwrap(), None);
        s.set_failover_state("claude-code", "{\"switched\":3}")
            .unwrap();
        s.set_failover_state("claude-code", "{\"switched\":4}")
            .unwrap();
        assert_eq!(
            s.failover_state("claude-code").unwrap().as_deref(),
            Some("{\"switched\":4}")
        );
    }
}
