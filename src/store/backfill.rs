//! History from the first day: a page's own past incidents stored as backfilled, and the days before our first observation derived from them.
//!
//! Backfilled days are never mixed with observed ones: they are only ever days before
//! the provider's first observation (so no observed second is counted twice), they sit
//! in their own table, and every bar built from them says so.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior, params};

use super::record::kind_str;
use super::rollup::{DAY, floor, get_meta, set_meta};
use super::{StatusSeconds, Store, StoreError, find_provider, provider_key, ts};
use crate::model::{Impact, Incident, IncidentKind, Status};

/// How far back a page's history is read.
pub const BACKFILL_DAYS: i64 = 90;

/// What one backfill stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackfillStats {
    /// Incidents inserted (ones we already held are left as they are).
    pub incidents: usize,
    /// Days given a status from the page's history (the provider's own row).
    pub days: usize,
}

fn meta_key(provider: i64) -> String {
    format!("backfilled:{provider}")
}

/// The status an incident implies for what it affects, by its impact: a backfilled day
/// is as bad as the worst incident that touched it.
fn implied(i: &Incident) -> Status {
    match (i.kind, i.impact) {
        (IncidentKind::Maintenance, _) => Status::Maintenance,
        (_, Impact::Maintenance) => Status::Maintenance,
        (_, impact) => impact.status(),
    }
}

/// The first moment we know anything observed about a provider: its oldest sample,
/// or older rollup days once samples were pruned.
fn first_observed(conn: &Connection, p: i64) -> Result<Option<i64>, rusqlite::Error> {
    let sample: Option<i64> = conn
        .prepare_cached("SELECT min(ts) FROM samples WHERE provider = ?1")?
        .query_row([p], |r| r.get(0))?;
    let rolled: Option<i64> = conn
        .prepare_cached(
            "SELECT min(bucket) FROM rollup_daily
             WHERE provider = ?1 AND component = 0 AND s0 + s1 + s2 + s3 + s4 > 0",
        )?
        .query_row([p], |r| r.get(0))?;
    Ok([sample, rolled].into_iter().flatten().min())
}

impl Store {
    /// Has this provider's history already been read from its page? Once it has, it is
    /// never read again, across restarts too.
    pub fn backfill_done(&self, provider_id: &str) -> Result<bool, StoreError> {
        let r = (|| {
            let Some(p) = find_provider(&self.conn, provider_id)? else {
                return Ok(false);
            };
            Ok(get_meta(&self.conn, &meta_key(p))?.is_some())
        })();
        self.ctx(r)
    }

    /// Store a page's own past incidents as backfilled and give each day of the last
    /// [`BACKFILL_DAYS`] before our first observation the worst status they imply, then
    /// mark the provider done, all in one transaction: a backfill that fails leaves
    /// nothing behind and may be tried again; one that succeeded is never repeated.
    ///
    /// Days are covered from the oldest incident the page still lists (or 90 days back,
    /// whichever is later): before that the page's history says nothing, and a day it
    /// says nothing about is left unknown rather than called operational.
    pub fn backfill(
        &mut self,
        provider_id: &str,
        history: &[Incident],
        now: DateTime<Utc>,
    ) -> Result<BackfillStats, StoreError> {
        let r = self.backfill_inner(provider_id, history, ts(now));
        self.ctx(r)
    }

    fn backfill_inner(
        &mut self,
        provider_id: &str,
        history: &[Incident],
        now: i64,
    ) -> Result<BackfillStats, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let p = provider_key(&tx, provider_id)?;
        let mut stats = BackfillStats::default();
        if get_meta(&tx, &meta_key(p))?.is_some() {
            return Ok(stats);
        }
        let window_start = floor(now, DAY) - (BACKFILL_DAYS - 1) * DAY;
        // Only what started and ended: an open incident is the live poll's to follow.
        let spans: Vec<(&Incident, i64, i64)> = history
            .iter()
            .filter_map(|i| {
                let s = ts(i.started_at?);
                let e = i.resolved_at.map_or(now, ts).max(s);
                (e >= window_start && s <= now).then_some((i, s, e))
            })
            .collect();

        for (i, _, _) in spans.iter().filter(|(i, _, _)| i.resolved_at.is_some()) {
            let components = serde_json::to_string(&i.components)?;
            // DO NOTHING: what the live poll recorded is ours and stays as it is.
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO incidents(provider, incident_id, kind, title, impact, status,
                         started_at, resolved_at, updated_at, first_seen_at, last_seen_at, url,
                         components, backfilled)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, 1)
                     ON CONFLICT(provider, incident_id) DO NOTHING
                     RETURNING key",
                )?
                .query_map(
                    params![
                        p,
                        i.id,
                        kind_str(i.kind),
                        i.title,
                        i.impact.as_str(),
                        i.status.as_str(),
                        i.started_at.map(ts),
                        i.resolved_at.map(ts),
                        i.updated_at.map(ts),
                        // When we learned of it, not when it happened.
                        now,
                        i.url,
                        components,
                    ],
                    |r| r.get::<_, i64>(0),
                )?
                .collect::<Result<Vec<i64>, _>>()?;
            let Some(key) = inserted.first() else {
                continue;
            };
            stats.incidents += 1;
            for u in &i.updates {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO incident_updates(incident, at, status, body)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![key, ts(u.at), u.status.as_str(), u.body])?;
            }
        }

        let oldest = spans.iter().map(|(_, s, _)| floor(*s, DAY)).min();
        let first_obs_day = first_observed(&tx, p)?.map_or(floor(now, DAY), |t| floor(t, DAY));
        if let Some(oldest) = oldest {
            let from = oldest.max(window_start);
            // Subjects: the provider (0, through its watched components) and each component.
            let mut subjects: Vec<(i64, Option<String>, bool)> = vec![(0, None, true)];
            let mut stmt = tx.prepare_cached(
                "SELECT key, component_id, watched FROM components WHERE provider = ?1",
            )?;
            let rows = stmt.query_map([p], |r| Ok((r.get(0)?, Some(r.get(1)?), r.get(2)?)))?;
            for row in rows {
                subjects.push(row?);
            }
            drop(stmt);
            let watched: Vec<&str> = subjects
                .iter()
                .filter(|(c, _, w)| *c != 0 && *w)
                .filter_map(|(_, id, _)| id.as_deref())
                .collect();
            let concerns = |i: &Incident, subject: Option<&str>| match subject {
                // An incident that names no component is taken to concern all of them.
                _ if i.components.is_empty() => true,
                Some(c) => i.components.iter().any(|x| x == c),
                None => {
                    watched.is_empty() || i.components.iter().any(|x| watched.contains(&x.as_str()))
                }
            };
            let mut day = from;
            while day < first_obs_day {
                for (c, id, _) in &subjects {
                    let status = Status::worst(
                        spans
                            .iter()
                            .filter(|(i, s, e)| {
                                *s < day + DAY && *e >= day && concerns(i, id.as_deref())
                            })
                            .map(|(i, _, _)| implied(i))
                            .chain([Status::Operational]),
                    );
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO backfill_days(provider, component, day, status)
                         VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![p, c, day, status.code()])?;
                    if *c == 0 {
                        stats.days += 1;
                    }
                }
                day += DAY;
            }
        }
        set_meta(&tx, &meta_key(p), now)?;
        tx.commit()?;
        Ok(stats)
    }

    /// Backfilled day statuses of a provider (component key 0) or component, by day start.
    pub(crate) fn backfill_days(
        &self,
        p: i64,
        c: i64,
        from: i64,
        to: i64,
    ) -> Result<HashMap<i64, Status>, rusqlite::Error> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, status FROM backfill_days
             WHERE provider = ?1 AND component = ?2 AND day >= ?3 AND day < ?4",
        )?;
        let rows = stmt.query_map(params![p, c, floor(from, DAY), to], |r| {
            Ok((r.get::<_, i64>(0)?, Status::from_code(r.get(1)?)))
        })?;
        rows.collect()
    }

    /// Add the backfilled days' time within `[from, to)` to `secs`. They lie before our
    /// first observation, so nothing observed is counted twice.
    pub(crate) fn add_backfilled(
        &self,
        p: i64,
        c: i64,
        from: i64,
        to: i64,
        secs: &mut StatusSeconds,
    ) -> Result<(), rusqlite::Error> {
        for (day, status) in self.backfill_days(p, c, from, to)? {
            let overlap = (day + DAY).min(to) - day.max(from);
            if overlap > 0 {
                secs[status.code() as usize] += overlap;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ComponentState, Observation};
    use crate::monitor::sources::{ParseContext, Parser, feed::FeedLists};
    use crate::store::test_support::obs;
    use chrono::{NaiveDate, TimeZone};

    const CHAT: &str = "9fb5ccff-e128-455a-be20-59572f8d363a";
    const WEB: &str = "2347916e-1f82-448c-b07d-8cfbbad57322";

    fn history(file: &str, parser: Parser, watch: &[String], now: DateTime<Utc>) -> Vec<Incident> {
        let body = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/status")
                .join(file),
        )
        .unwrap();
        let ctx = ParseContext {
            watch,
            now,
            feed_lists: FeedLists::default(),
        };
        parser.parse(&body, &ctx).unwrap().incidents
    }

    /// OpenRouter as first polled on 2026-09-15: Chat watched, the website not.
    fn openrouter_first_poll(s: &mut Store, now: DateTime<Utc>) {
        let mut o: Observation = obs("openrouter", now, Status::Operational);
        o.components = vec![
            ComponentState {
                id: CHAT.into(),
                name: "Chat".into(),
                status: Status::Operational,
                watched: true,
            },
            ComponentState {
                id: WEB.into(),
                name: "Web & Application Services".into(),
                status: Status::Operational,
                watched: false,
            },
        ];
        s.record(&o).unwrap();
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn datadog_history_fills_the_days_before_the_first_poll_once() {
        let now = Utc.with_ymd_and_hms(2026, 9, 15, 12, 0, 0).unwrap();
        let mut s = Store::open_in_memory().unwrap();
        openrouter_first_poll(&mut s, now);
        assert!(!s.backfill_done("openrouter").unwrap());
        let hist = history(
            "datadog_openrouter_config_2026-09-15.json",
            Parser::Datadog,
            &[],
            now,
        );
        let stats = s.backfill("openrouter", &hist, now).unwrap();
        // The 2026-05-31 record ended before the 90-day window; the other three are in it.
        assert_eq!(stats.incidents, 3);
        // From the oldest incident in the window (08-28) to the day before our first poll.
        assert_eq!(stats.days, 18);
        assert!(s.backfill_done("openrouter").unwrap());

        let bars = s
            .daily_bars("openrouter", None, 90, now.date_naive())
            .unwrap();
        let bar = |d: NaiveDate| bars.iter().find(|b| b.date == d).unwrap();
        // Days the page's history says nothing about stay unknown, never "operational".
        assert_eq!(bar(day(2026, 8, 27)).worst, Status::Unknown);
        assert!(!bar(day(2026, 8, 27)).backfilled);
        // 08-28: the 429s on Chat (watched) were a degradation.
        let d = bar(day(2026, 8, 28));
        assert!(d.backfilled);
        assert_eq!(d.worst, Status::Degraded);
        assert!(
            d.incident_ids
                .contains(&"a80f04f9-7b2a-4094-bd45-e42dd5c2ed8a".to_string())
        );
        // 09-04: only the video API (not watched) was degraded.
        assert_eq!(bar(day(2026, 9, 4)).worst, Status::Operational);
        assert!(bar(day(2026, 9, 4)).backfilled);
        // Today is observed, not backfilled.
        assert!(!bar(day(2026, 9, 15)).backfilled);

        // The website's own bar carries its degradation.
        let web = s
            .daily_bars("openrouter", Some(WEB), 90, now.date_naive())
            .unwrap();
        let w = web.iter().find(|b| b.date == day(2026, 8, 28)).unwrap();
        assert_eq!((w.worst, w.backfilled), (Status::Degraded, true));

        // Uptime knows the 18 days; MTTR has the three resolved incidents.
        let up = s
            .uptime("openrouter", None, now - chrono::Duration::days(30), now)
            .unwrap();
        assert_eq!(up.in_status(Status::Degraded), DAY);
        assert!(up.known_seconds >= 18 * DAY);
        assert_eq!(up.pct, Some(100.0), "degraded counts as up");
        let mttr = s
            .mttr("openrouter", now - chrono::Duration::days(90))
            .unwrap();
        // (2 h 45 + 15 h 28 + 4 min) / 3
        assert_eq!(
            mttr,
            Some(chrono::Duration::seconds((165 + 928 + 4) * 60 / 3))
        );

        // Never twice: a second run (a restart, a later poll) stores nothing more.
        let again = s
            .backfill("openrouter", &hist, now + chrono::Duration::hours(1))
            .unwrap();
        assert_eq!(again, BackfillStats::default());
        let n: i64 = s
            .conn
            .query_row(
                "SELECT count(*) FROM incidents WHERE backfilled = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 3);
    }

    #[test]
    fn what_the_live_poll_recorded_is_kept_as_observed() {
        let now = Utc.with_ymd_and_hms(2026, 9, 15, 12, 0, 0).unwrap();
        let mut s = Store::open_in_memory().unwrap();
        let hist = history(
            "datadog_openrouter_config_2026-09-15.json",
            Parser::Datadog,
            &[],
            now,
        );
        let mut o = obs("openrouter", now, Status::Operational);
        o.incidents = vec![hist[0].clone()];
        s.record(&o).unwrap();
        let stats = s.backfill("openrouter", &hist, now).unwrap();
        assert_eq!(
            stats.incidents, 2,
            "the one already recorded is not touched"
        );
        let flags: Vec<(String, i64)> = s
            .conn
            .prepare("SELECT incident_id, backfilled FROM incidents ORDER BY started_at DESC")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(flags[0], (hist[0].id.clone(), 0));
        assert!(flags[1..].iter().all(|(_, b)| *b == 1));
    }

    #[test]
    fn google_cloud_history_is_read_for_the_watched_product() {
        let now = Utc.with_ymd_and_hms(2026, 3, 5, 0, 0, 0).unwrap();
        let watch = vec!["Vertex Gemini API".to_owned()];
        let hist = history(
            "gcloud_incidents_capture_2026-07.json",
            Parser::GoogleCloud,
            &watch,
            now,
        );
        let mut s = Store::open_in_memory().unwrap();
        // The live poll names the product as the same synthesised component the history does.
        let mut o = obs("google-gemini", now, Status::Operational);
        o.components = vec![ComponentState {
            id: "Z0FZJAMvEB4j3NbCJs6B".into(),
            name: "Vertex Gemini API".into(),
            status: Status::Operational,
            watched: true,
        }];
        s.record(&o).unwrap();
        let stats = s.backfill("google-gemini", &hist, now).unwrap();
        // Only the 2026-02-27 Vertex Gemini API incident had begun by then.
        assert_eq!(stats.incidents, 1);
        assert_eq!(stats.days, 6, "02-27 to 03-04");
        let bars = s
            .daily_bars("google-gemini", None, 10, now.date_naive())
            .unwrap();
        let d = bars.iter().find(|b| b.date == day(2026, 2, 27)).unwrap();
        assert!(d.backfilled);
        assert_ne!(d.worst, Status::Operational);
        assert_ne!(d.worst, Status::Unknown);
    }

    #[test]
    fn a_page_without_history_gives_none_and_is_not_asked_again() {
        let now = Utc.with_ymd_and_hms(2026, 9, 15, 12, 0, 0).unwrap();
        let mut s = Store::open_in_memory().unwrap();
        s.record(&obs("feedy", now, Status::Operational)).unwrap();
        assert_eq!(
            s.backfill("feedy", &[], now).unwrap(),
            BackfillStats::default()
        );
        assert!(s.backfill_done("feedy").unwrap());
        let bars = s.daily_bars("feedy", None, 90, now.date_naive()).unwrap();
        assert!(bars.iter().all(|b| !b.backfilled));
        assert_eq!(
            bars.iter().filter(|b| b.worst != Status::Unknown).count(),
            1
        );
    }

    #[test]
    fn days_already_observed_are_never_backfilled() {
        // Polled since 09-10 (a database from before this feature): only earlier days fill.
        let first = Utc.with_ymd_and_hms(2026, 9, 10, 12, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 9, 15, 12, 0, 0).unwrap();
        let mut s = Store::open_in_memory().unwrap();
        openrouter_first_poll(&mut s, first);
        openrouter_first_poll(&mut s, now);
        let hist = history(
            "datadog_openrouter_config_2026-09-15.json",
            Parser::Datadog,
            &[],
            now,
        );
        let stats = s.backfill("openrouter", &hist, now).unwrap();
        assert_eq!(stats.days, 13, "08-28 to 09-09");
        let bars = s
            .daily_bars("openrouter", None, 90, now.date_naive())
            .unwrap();
        assert!(
            bars.iter()
                .filter(|b| b.date >= day(2026, 9, 10))
                .all(|b| !b.backfilled)
        );
    }
}
