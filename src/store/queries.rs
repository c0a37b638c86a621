//! Reads for the CLI and dashboard: uptime, daily bars, incidents, MTTR, transitions.
//!
//! Windows are split so whole UTC days come from `rollup_daily`, whole hours from
//! `rollup_hourly`, and only the ragged edges (and anything not rolled yet) from raw
//! samples; the time-weighting is the same on every path.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use rusqlite::{Connection, params};

use super::find_provider;
use super::record::{find_component, kind_str};
use super::rollup::{DAILY_UNTIL, DAY, HOUR, HOURLY_UNTIL, RAW_PRUNED_BEFORE, floor, get_meta};
use super::timeline::{load_points, sum};
use super::{
    DayBar, StatusSeconds, Store, StoreError, StoredIncident, Transition, Uptime, from_ts, ts,
};
use crate::model::{Impact, IncidentKind, IncidentStatus, IncidentUpdate, Status};

fn add(into: &mut StatusSeconds, s: &StatusSeconds) {
    for (a, b) in into.iter_mut().zip(s) {
        *a += b;
    }
}

fn rollup_sum(
    conn: &Connection,
    table: &str,
    p: i64,
    c: i64,
    from: i64,
    to: i64,
) -> Result<StatusSeconds, rusqlite::Error> {
    conn.prepare_cached(&format!(
        "SELECT coalesce(sum(s0), 0), coalesce(sum(s1), 0), coalesce(sum(s2), 0),
                coalesce(sum(s3), 0), coalesce(sum(s4), 0), coalesce(sum(s5), 0)
         FROM {table} WHERE provider = ?1 AND component = ?2 AND bucket >= ?3 AND bucket < ?4"
    ))?
    .query_row(params![p, c, from, to], |r| {
        Ok([
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ])
    })
}

fn parse_impact(s: &str) -> Impact {
    match s {
        "none" => Impact::None,
        "maintenance" => Impact::Maintenance,
        "minor" => Impact::Minor,
        "major" => Impact::Major,
        _ => Impact::Critical,
    }
}

fn parse_kind(s: &str) -> IncidentKind {
    if s == kind_str(IncidentKind::Maintenance) {
        IncidentKind::Maintenance
    } else {
        IncidentKind::Incident
    }
}

fn day_start(d: NaiveDate) -> i64 {
    d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp()
}

/// Does an incident (its component ids as stored JSON) concern this component? One that
/// names no components is taken to concern all of them: the source does not say.
fn concerns(components_json: &str, component: Option<&str>) -> bool {
    let Some(c) = component else { return true };
    let list: Vec<String> = serde_json::from_str(components_json).unwrap_or_default();
    list.is_empty() || list.iter().any(|x| x == c)
}

impl Store {
    /// Keys for a provider/component; `None` when never recorded.
    fn subject(
        &self,
        provider_id: &str,
        component_id: Option<&str>,
    ) -> Result<Option<(i64, i64)>, rusqlite::Error> {
        let Some(p) = find_provider(&self.conn, provider_id)? else {
            return Ok(None);
        };
        match component_id {
            None => Ok(Some((p, 0))),
            Some(cid) => Ok(find_component(&self.conn, p, cid)?.map(|c| (p, c))),
        }
    }

    /// Seconds per status over `[from, to)`, unknown not yet filled in.
    pub(crate) fn seconds_between(
        &self,
        p: i64,
        c: i64,
        from: i64,
        to: i64,
    ) -> Result<StatusSeconds, rusqlite::Error> {
        let hourly_until = get_meta(&self.conn, HOURLY_UNTIL)?.unwrap_or(0);
        let daily_until = get_meta(&self.conn, DAILY_UNTIL)?.unwrap_or(0);
        let comp = (c != 0).then_some(c);
        let mut total = [0i64; 6];
        let mut raw_from: Option<i64> = None;
        let raw_before = get_meta(&self.conn, RAW_PRUNED_BEFORE)?.unwrap_or(0);
        let flush_raw = |raw_from: &mut Option<i64>, upto: i64, total: &mut StatusSeconds| {
            let Some(a) = raw_from.take() else {
                return Ok(());
            };
            let hour = floor(a, HOUR);
            if a < raw_before + self.max_gap && upto <= hourly_until && upto <= hour + HOUR {
                // Part of an hour whose samples are pruned: its rollup, pro rata.
                let row = rollup_sum(&self.conn, "rollup_hourly", p, c, hour, hour + HOUR)?;
                for (t, r) in total.iter_mut().zip(row).take(5) {
                    *t += (r as f64 * (upto - a) as f64 / HOUR as f64).round() as i64;
                }
            } else {
                let pts = load_points(&self.conn, p, comp, a, upto, self.max_gap)?;
                add(total, &sum(&pts, a, upto, self.max_gap));
            }
            Ok::<(), rusqlite::Error>(())
        };
        let mut t = from;
        while t < to {
            let day_limit = floor(to.min(daily_until), DAY);
            if t % DAY == 0 && t + DAY <= day_limit {
                flush_raw(&mut raw_from, t, &mut total)?;
                add(
                    &mut total,
                    &rollup_sum(&self.conn, "rollup_daily", p, c, t, day_limit)?,
                );
                t = day_limit;
                continue;
            }
            let hour_limit = floor(to.min(hourly_until), HOUR);
            if t % HOUR == 0 && t + HOUR <= hour_limit {
                // Stop at the next midnight if whole days can take over from there.
                let next_day = floor(t, DAY) + DAY;
                let end = if next_day < hour_limit && next_day + DAY <= day_limit {
                    next_day
                } else {
                    hour_limit
                };
                flush_raw(&mut raw_from, t, &mut total)?;
                add(
                    &mut total,
                    &rollup_sum(&self.conn, "rollup_hourly", p, c, t, end)?,
                );
                t = end;
                continue;
            }
            raw_from.get_or_insert(t);
            t = (floor(t, HOUR) + HOUR).min(to);
        }
        flush_raw(&mut raw_from, to, &mut total)?;
        Ok(total)
    }

    /// Time per status and uptime percentage of a provider (or one of its components)
    /// over `[since, until)`.
    #[tracing::instrument(skip(self))]
    pub fn uptime(
        &self,
        provider_id: &str,
        component_id: Option<&str>,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Uptime, StoreError> {
        let r = (|| {
            let (from, to) = (ts(since), ts(until));
            let window = (to - from).max(0);
            let secs = match self.subject(provider_id, component_id)? {
                Some((p, c)) if to > from => {
                    let mut secs = self.seconds_between(p, c, from, to)?;
                    self.add_backfilled(p, c, from, to, &mut secs)?;
                    secs
                }
                _ => [0; 6],
            };
            Ok(Uptime::from_seconds(secs, window))
        })();
        self.ctx(r)
    }

    /// One bar per UTC day, oldest first, exactly `days` of them ending with `today`.
    #[tracing::instrument(skip(self))]
    pub fn daily_bars(
        &self,
        provider_id: &str,
        component_id: Option<&str>,
        days: u32,
        today: NaiveDate,
    ) -> Result<Vec<DayBar>, StoreError> {
        let r = self.daily_bars_inner(provider_id, component_id, days, today);
        self.ctx(r)
    }

    fn daily_bars_inner(
        &self,
        provider_id: &str,
        component_id: Option<&str>,
        days: u32,
        today: NaiveDate,
    ) -> Result<Vec<DayBar>, StoreError> {
        let first = today
            .checked_sub_days(Days::new(u64::from(days.saturating_sub(1))))
            .unwrap_or(NaiveDate::MIN);
        let dates: Vec<NaiveDate> = first.iter_days().take(days as usize).collect();
        let (win_from, win_to) = (day_start(first), day_start(today) + DAY);
        let subject = self.subject(provider_id, component_id)?;

        let mut per_day: HashMap<i64, StatusSeconds> = HashMap::new();
        let mut backfilled: HashMap<i64, Status> = HashMap::new();
        let mut incidents: Vec<(String, i64, i64)> = Vec::new();
        if let Some((p, c)) = subject {
            backfilled = self.backfill_days(p, c, win_from, win_to)?;
            let daily_until = get_meta(&self.conn, DAILY_UNTIL)?.unwrap_or(0);
            let mut stmt = self.conn.prepare_cached(
                "SELECT bucket, s0, s1, s2, s3, s4, s5 FROM rollup_daily
                 WHERE provider = ?1 AND component = ?2 AND bucket >= ?3 AND bucket < ?4",
            )?;
            let rows = stmt.query_map(params![p, c, win_from, win_to.min(daily_until)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    [
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ],
                ))
            })?;
            for row in rows {
                let (b, s) = row?;
                per_day.insert(b, s);
            }
            // Days the daily rollup does not cover yet (today, typically).
            for d in &dates {
                let a = day_start(*d);
                if a + DAY > daily_until {
                    per_day.insert(a, self.seconds_between(p, c, a, a + DAY)?);
                }
            }
            let mut stmt = self.conn.prepare_cached(
                "SELECT incident_id, coalesce(started_at, first_seen_at) AS s,
                        coalesce(resolved_at, last_seen_at) AS e, components
                 FROM incidents WHERE provider = ?1 AND s < ?3 AND e >= ?2",
            )?;
            let rows = stmt.query_map(params![p, win_from, win_to], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            for row in rows {
                let (id, s, e, comps) = row?;
                if concerns(&comps, component_id) {
                    incidents.push((id, s, e));
                }
            }
            incidents.sort_by_key(|i| i.1);
        }

        Ok(dates
            .into_iter()
            .map(|date| {
                let a = day_start(date);
                let mut secs = per_day.get(&a).copied().unwrap_or([0; 6]);
                // A day we know nothing of ourselves, but the page's history does.
                let from_history = secs[..5].iter().all(|s| *s == 0)
                    && backfilled.get(&a).is_some_and(|st| {
                        secs[st.code() as usize] = DAY;
                        true
                    });
                let up = Uptime::from_seconds(secs, DAY);
                let worst = Status::worst(
                    Status::ALL
                        .into_iter()
                        .filter(|s| *s != Status::Unknown && up.in_status(*s) > 0),
                );
                DayBar {
                    date,
                    worst,
                    uptime_pct: up.pct,
                    seconds: up.seconds,
                    incident_ids: incidents
                        .iter()
                        .filter(|(_, s, e)| *s < a + DAY && *e >= a)
                        .map(|(id, _, _)| id.clone())
                        .collect(),
                    backfilled: from_history,
                }
            })
            .collect())
    }

    /// Incidents and maintenances of one provider (or all) active at or after `since`,
    /// newest first.
    #[tracing::instrument(skip(self))]
    pub fn incidents(
        &self,
        provider_id: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<StoredIncident>, StoreError> {
        let r = self.incidents_inner(provider_id, since);
        self.ctx(r)
    }

    fn incidents_inner(
        &self,
        provider_id: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<StoredIncident>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.key, p.id, i.incident_id, i.kind, i.title, i.impact, i.status,
                    i.started_at, i.resolved_at, i.first_seen_at, i.last_seen_at, i.url,
                    i.components, i.lead_s, i.lead_probed, i.sessions_lead_s
             FROM incidents i JOIN providers p ON p.key = i.provider
             WHERE (?1 IS NULL OR p.id = ?1)
               AND coalesce(i.resolved_at, i.last_seen_at) >= ?2
             ORDER BY coalesce(i.started_at, i.first_seen_at) DESC, i.key DESC",
        )?;
        let rows = stmt.query_map(params![provider_id, ts(since)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                StoredIncident {
                    provider_id: r.get(1)?,
                    id: r.get(2)?,
                    kind: parse_kind(&r.get::<_, String>(3)?),
                    title: r.get(4)?,
                    impact: parse_impact(&r.get::<_, String>(5)?),
                    status: IncidentStatus::parse_loose(&r.get::<_, String>(6)?)
                        .unwrap_or(IncidentStatus::Investigating),
                    started_at: r.get::<_, Option<i64>>(7)?.map(from_ts),
                    resolved_at: r.get::<_, Option<i64>>(8)?.map(from_ts),
                    first_seen_at: from_ts(r.get(9)?),
                    last_seen_at: from_ts(r.get(10)?),
                    url: r.get(11)?,
                    components: serde_json::from_str(&r.get::<_, String>(12)?).unwrap_or_default(),
                    duration: None,
                    updates: Vec::new(),
                    lead_secs: r.get(13)?,
                    lead_probed: r.get::<_, i64>(14)? != 0,
                    sessions_lead_secs: r.get(15)?,
                },
            ))
        })?;
        let mut out = Vec::new();
        let mut ups = self.conn.prepare_cached(
            "SELECT at, status, body FROM incident_updates WHERE incident = ?1 ORDER BY at DESC",
        )?;
        for row in rows {
            let (key, mut inc) = row?;
            inc.duration = inc
                .resolved_at
                .map(|r| r - inc.started_at.unwrap_or(inc.first_seen_at));
            let updates = ups.query_map([key], |r| {
                Ok(IncidentUpdate {
                    at: from_ts(r.get(0)?),
                    status: IncidentStatus::parse_loose(&r.get::<_, String>(1)?)
                        .unwrap_or(IncidentStatus::Investigating),
                    body: r.get(2)?,
                })
            })?;
            inc.updates = updates.collect::<Result<_, _>>()?;
            out.push(inc);
        }
        Ok(out)
    }

    /// Mean time to recovery over incidents (not maintenances) resolved at or after
    /// `since`: resolved minus started (or first seen when the page gives no start).
    #[tracing::instrument(skip(self))]
    pub fn mttr(
        &self,
        provider_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<chrono::Duration>, StoreError> {
        let r = (|| {
            let avg: Option<f64> = self
                .conn
                .prepare_cached(
                    "SELECT avg(max(0, i.resolved_at - coalesce(i.started_at, i.first_seen_at)))
                     FROM incidents i JOIN providers p ON p.key = i.provider
                     WHERE p.id = ?1 AND i.kind = 'incident'
                       AND i.resolved_at IS NOT NULL AND i.resolved_at >= ?2",
                )?
                .query_row(params![provider_id, ts(since)], |r| r.get(0))?;
            Ok(avg.map(|s| chrono::Duration::seconds(s.round() as i64)))
        })();
        self.ctx(r)
    }

    /// Status changes of one provider (or all) at or after `since`, oldest first.
    #[tracing::instrument(skip(self))]
    pub fn transitions(
        &self,
        provider_id: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<Transition>, StoreError> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT p.id, c.component_id, c.name, t.at, t.from_status, t.to_status
                 FROM transitions t JOIN providers p ON p.key = t.provider
                 LEFT JOIN components c ON c.key = t.component
                 WHERE (?1 IS NULL OR p.id = ?1) AND t.at >= ?2
                 ORDER BY t.at, t.rowid",
            )?;
            let rows = stmt.query_map(params![provider_id, ts(since)], |r| {
                Ok(Transition {
                    provider_id: r.get(0)?,
                    component_id: r.get(1)?,
                    component_name: r.get(2)?,
                    at: from_ts(r.get(3)?),
                    from: Status::from_code(r.get(4)?),
                    to: Status::from_code(r.get(5)?),
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })();
        self.ctx(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Incident, IncidentUpdate, Observation};
    use crate::store::test_support::{obs, t0};
    use Status::*;
    use chrono::Duration;

    /// 10 min operational, 5 min major, then nothing (gap -> unknown), one sample a minute.
    fn timeline(s: &mut Store) {
        for i in 0..10 {
            s.record(&obs("a", t0() + Duration::minutes(i), Operational))
                .unwrap();
        }
        for i in 10..15 {
            s.record(&obs("a", t0() + Duration::minutes(i), MajorOutage))
                .unwrap();
        }
    }

    #[test]
    fn uptime_weights_time_and_treats_gaps_as_unknown() {
        let mut s = Store::open_in_memory().unwrap();
        timeline(&mut s);
        let u = s
            .uptime("a", None, t0(), t0() + Duration::minutes(60))
            .unwrap();
        assert_eq!(u.in_status(Operational), 600);
        // 4 minutes between major samples plus the last one's 5-minute max gap.
        assert_eq!(u.in_status(MajorOutage), 540);
        assert_eq!(u.known_seconds, 1140);
        assert_eq!(u.in_status(Unknown), 3600 - 1140);
        let pct = u.pct.unwrap();
        assert!((pct - 600.0 / 1140.0 * 100.0).abs() < 1e-9, "{pct}");

        // The component that followed the provider, and one that stayed operational.
        let api = s
            .uptime("a", Some("api"), t0(), t0() + Duration::minutes(60))
            .unwrap();
        assert_eq!(api.seconds, u.seconds);
        let web = s
            .uptime("a", Some("web"), t0(), t0() + Duration::minutes(60))
            .unwrap();
        assert_eq!(web.in_status(Operational), 1140);
        assert_eq!(web.pct, Some(100.0));

        // Unknown provider / component / before any data: nothing known.
        let none = s
            .uptime("zzz", None, t0(), t0() + Duration::hours(1))
            .unwrap();
        assert_eq!((none.pct, none.in_status(Unknown)), (None, 3600));
        let none = s
            .uptime("a", Some("nope"), t0(), t0() + Duration::hours(1))
            .unwrap();
        assert_eq!(none.pct, None);
    }

    #[test]
    fn failed_polls_are_unknown_for_provider_and_components() {
        let mut s = Store::open_in_memory().unwrap();
        for i in 0..10 {
            let st = if (3..6).contains(&i) {
                Unknown
            } else {
                Degraded
            };
            s.record(&obs("a", t0() + Duration::minutes(i), st))
                .unwrap();
        }
        let end = t0() + Duration::minutes(10);
        for c in [None, Some("api")] {
            let u = s.uptime("a", c, t0(), end).unwrap();
            assert_eq!(u.in_status(Unknown), 180, "{c:?}");
            assert_eq!(u.in_status(Degraded), 420, "{c:?}");
            assert_eq!(u.pct, Some(100.0));
        }
    }

    #[test]
    fn daily_bars_have_exact_count_and_worst() {
        let mut s = Store::open_in_memory().unwrap();
        timeline(&mut s);
        let day2 = t0() + Duration::days(1) + Duration::hours(3);
        s.record(&obs("a", day2, Degraded)).unwrap();
        s.record(&obs("a", day2 + Duration::minutes(1), Operational))
            .unwrap();
        let today = (t0() + Duration::days(2)).date_naive();
        let bars = s.daily_bars("a", None, 5, today).unwrap();
        assert_eq!(bars.len(), 5);
        assert_eq!(bars[4].date, today);
        assert_eq!(bars[0].date, today - Days::new(4));
        let worst: Vec<Status> = bars.iter().map(|b| b.worst).collect();
        assert_eq!(worst, [Unknown, Unknown, MajorOutage, Degraded, Unknown]);
        assert_eq!(bars[2].seconds[MajorOutage.code() as usize], 540);
        assert_eq!(bars[3].uptime_pct, Some(100.0));
        assert_eq!(bars[4].uptime_pct, None);
        // Same answer once rolled up.
        s.rollup(t0() + Duration::days(2) + Duration::hours(1))
            .unwrap();
        assert_eq!(s.daily_bars("a", None, 5, today).unwrap(), bars);
        assert_eq!(s.daily_bars("a", Some("web"), 90, today).unwrap().len(), 90);
    }

    fn incident(id: &str, status: IncidentStatus, resolved: Option<i64>) -> Incident {
        Incident {
            id: id.into(),
            kind: IncidentKind::Incident,
            title: format!("Incident {id}"),
            impact: Impact::Major,
            status,
            started_at: Some(t0() - Duration::minutes(10)),
            resolved_at: resolved.map(|m| t0() + Duration::minutes(m)),
            updated_at: None,
            url: None,
            components: vec!["api".into()],
            updates: vec![IncidentUpdate {
                at: t0() - Duration::minutes(10),
                status: IncidentStatus::Investigating,
                body: "We are investigating".into(),
            }],
        }
    }

    fn with_incidents(at: DateTime<Utc>, incs: Vec<Incident>) -> Observation {
        let mut o = obs("a", at, PartialOutage);
        o.incidents = incs;
        o
    }

    #[test]
    fn incidents_keep_first_seen_dedup_updates_and_have_durations() {
        let mut s = Store::open_in_memory().unwrap();
        s.record(&with_incidents(
            t0(),
            vec![incident("i1", IncidentStatus::Investigating, None)],
        ))
        .unwrap();
        // Seen again with the same update, then resolved with one more.
        s.record(&with_incidents(
            t0() + Duration::minutes(1),
            vec![incident("i1", IncidentStatus::Investigating, None)],
        ))
        .unwrap();
        let open = s.incidents(Some("a"), t0() - Duration::days(1)).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].duration, None);
        assert_eq!(open[0].first_seen_at, t0());
        assert_eq!(open[0].started_at, Some(t0() - Duration::minutes(10)));

        let mut done = incident("i1", IncidentStatus::Resolved, Some(20));
        done.updates.insert(
            0,
            IncidentUpdate {
                at: t0() + Duration::minutes(20),
                status: IncidentStatus::Resolved,
                body: "Fixed".into(),
            },
        );
        s.record(&with_incidents(t0() + Duration::minutes(21), vec![done]))
            .unwrap();
        // The incident vanishes from the open list: it stays stored.
        s.record(&with_incidents(t0() + Duration::minutes(22), vec![]))
            .unwrap();

        let list = s.incidents(None, t0() - Duration::days(1)).unwrap();
        assert_eq!(list.len(), 1);
        let i = &list[0];
        assert_eq!(i.status, IncidentStatus::Resolved);
        assert_eq!(i.first_seen_at, t0());
        assert_eq!(i.duration, Some(Duration::minutes(30)));
        assert_eq!(i.updates.len(), 2);
        assert_eq!(i.updates[0].body, "Fixed");
        assert_eq!(i.components, vec!["api".to_string()]);
        // Not listed when it ended before `since`.
        assert!(
            s.incidents(None, t0() + Duration::hours(1))
                .unwrap()
                .is_empty()
        );

        // Started at 23:50 the day before, resolved 00:20: on both days, not the next.
        let next = (t0() + Duration::days(1)).date_naive();
        let bars = s.daily_bars("a", Some("api"), 3, next).unwrap();
        assert_eq!(bars[0].incident_ids, vec!["i1".to_string()]);
        assert_eq!(bars[1].incident_ids, vec!["i1".to_string()]);
        assert!(bars[2].incident_ids.is_empty());
        let web = s
            .daily_bars("a", Some("web"), 1, t0().date_naive())
            .unwrap();
        assert!(web[0].incident_ids.is_empty());
    }

    #[test]
    fn mttr_averages_resolved_incidents_only() {
        let mut s = Store::open_in_memory().unwrap();
        let mut maint = incident("m", IncidentStatus::Completed, Some(500));
        maint.kind = IncidentKind::Maintenance;
        s.record(&with_incidents(
            t0(),
            vec![
                incident("a", IncidentStatus::Resolved, Some(20)), // 30 min
                incident("b", IncidentStatus::Resolved, Some(80)), // 90 min
                incident("c", IncidentStatus::Identified, None),
                maint,
            ],
        ))
        .unwrap();
        assert_eq!(
            s.mttr("a", t0() - Duration::days(1)).unwrap(),
            Some(Duration::minutes(60))
        );
        assert_eq!(s.mttr("a", t0() + Duration::days(1)).unwrap(), None);
        assert_eq!(s.mttr("other", t0()).unwrap(), None);
    }

    #[test]
    fn transitions_record_provider_and_component_changes() {
        let mut s = Store::open_in_memory().unwrap();
        timeline(&mut s);
        s.record(&obs("a", t0() + Duration::minutes(15), Operational))
            .unwrap();
        let t = s.transitions(Some("a"), t0()).unwrap();
        let seen: Vec<(Option<&str>, Status, Status)> = t
            .iter()
            .map(|t| (t.component_id.as_deref(), t.from, t.to))
            .collect();
        assert_eq!(
            seen,
            [
                (None, Operational, MajorOutage),
                (Some("api"), Operational, MajorOutage),
                (None, MajorOutage, Operational),
                (Some("api"), MajorOutage, Operational),
            ]
        );
        assert_eq!(t[0].at, t0() + Duration::minutes(10));
        assert!(
            s.transitions(None, t0() + Duration::hours(1))
                .unwrap()
                .is_empty()
        );
    }
}
