//! Hourly and daily rollups of time per status, and retention (pruning).
//!
//! Rollups cover complete UTC hours/days before `now`; watermarks in `meta` say how far
//! they go, so re-running changes nothing. Rollups are computed from raw samples with
//! the same time-weighting as raw queries, so either path gives the same seconds.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::timeline::{load_points, sum_by_bucket};
use super::{PruneStats, RAW_RETENTION_DAYS, ROLLUP_RETENTION_DAYS, Store, StoreError, ts};

pub(crate) const HOUR: i64 = 3600;
pub(crate) const DAY: i64 = 86_400;
/// End (exclusive) of the hours rolled into `rollup_hourly`.
pub(crate) const HOURLY_UNTIL: &str = "hourly_until";
/// End (exclusive) of the days rolled into `rollup_daily`.
pub(crate) const DAILY_UNTIL: &str = "daily_until";
/// Raw samples before this were pruned (queries use hourly rollups pro rata there).
pub(crate) const RAW_PRUNED_BEFORE: &str = "raw_pruned_before";

pub(crate) fn floor(t: i64, unit: i64) -> i64 {
    t.div_euclid(unit) * unit
}

pub(crate) fn get_meta(conn: &Connection, key: &str) -> Result<Option<i64>, rusqlite::Error> {
    conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: i64) -> Result<(), rusqlite::Error> {
    conn.prepare_cached("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")?
        .execute(params![key, value])?;
    Ok(())
}

/// Every (provider key, component key or 0) the store has a timeline for.
pub(crate) fn subjects(conn: &Connection) -> Result<Vec<(i64, i64)>, rusqlite::Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, 0 FROM providers UNION ALL SELECT provider, key FROM components ORDER BY 1, 2",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

impl Store {
    /// Roll complete hours and days before `now` that are not rolled yet.
    #[tracing::instrument(skip(self))]
    pub fn rollup(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let r = self.rollup_inner(ts(now));
        self.ctx(r)
    }

    fn rollup_inner(&mut self, now: i64) -> Result<(), StoreError> {
        let max_gap = self.max_gap;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let end = floor(now, HOUR);
        let start = match get_meta(&tx, HOURLY_UNTIL)? {
            Some(w) => w,
            None => match tx.query_row("SELECT min(ts) FROM samples", [], |r| {
                r.get::<_, Option<i64>>(0)
            })? {
                Some(first) => floor(first, HOUR),
                None => return Ok(()), // nothing recorded yet: nothing to roll
            },
        };
        if start < end {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO rollup_hourly(provider, component, bucket, s0, s1, s2, s3, s4, s5)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for (p, c) in subjects(&tx)? {
                let comp = (c != 0).then_some(c);
                let points = load_points(&tx, p, comp, start, end, max_gap)?;
                for (bucket, mut s) in sum_by_bucket(&points, start, end, max_gap, HOUR) {
                    let known: i64 = s[..5].iter().sum();
                    s[5] = HOUR - known;
                    put.execute(params![p, c, bucket, s[0], s[1], s[2], s[3], s[4], s[5]])?;
                }
            }
            set_meta(&tx, HOURLY_UNTIL, end)?;
        }

        // Days from the hourly rows: a day is complete once all its hours are rolled.
        let day_end = floor(end, DAY);
        let day_start = match get_meta(&tx, DAILY_UNTIL)? {
            Some(w) => w,
            None => floor(start, DAY),
        };
        if day_start < day_end {
            tx.execute(
                "INSERT OR REPLACE INTO rollup_daily(provider, component, bucket, s0, s1, s2, s3, s4, s5)
                 SELECT provider, component, (bucket / 86400) * 86400,
                        sum(s0), sum(s1), sum(s2), sum(s3), sum(s4),
                        86400 - sum(s0) - sum(s1) - sum(s2) - sum(s3) - sum(s4)
                 FROM rollup_hourly WHERE bucket >= ?1 AND bucket < ?2
                 GROUP BY provider, component, bucket / 86400",
                params![day_start, day_end],
            )?;
            set_meta(&tx, DAILY_UNTIL, day_end)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Delete raw samples and component changes older than 30 days (keeping each
    /// component's last change before the cut) and rollups and transitions older than
    /// 400 days. Raw data not yet rolled up is never deleted.
    #[tracing::instrument(skip(self))]
    pub fn prune(&mut self, now: DateTime<Utc>) -> Result<PruneStats, StoreError> {
        let r = self.prune_inner(ts(now));
        self.ctx(r)
    }

    fn prune_inner(&mut self, now: i64) -> Result<PruneStats, StoreError> {
        let max_gap = self.max_gap;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut stats = PruneStats::default();
        // Keep max_gap of raw before the rolled horizon so the next rollup still sees
        // the sample that carries into its first hour.
        let raw_cut =
            get_meta(&tx, HOURLY_UNTIL)?.map(|w| (now - RAW_RETENTION_DAYS * DAY).min(w - max_gap));
        let rollup_cut = now - ROLLUP_RETENTION_DAYS * DAY;
        let subjects = subjects(&tx)?;
        for &(p, c) in &subjects {
            if let Some(cut) = raw_cut {
                if c == 0 {
                    stats.samples += tx
                        .prepare_cached("DELETE FROM samples WHERE provider = ?1 AND ts < ?2")?
                        .execute(params![p, cut])?;
                } else {
                    stats.component_changes += tx
                        .prepare_cached(
                            "DELETE FROM component_changes WHERE component = ?1 AND ts < (
                                 SELECT max(ts) FROM component_changes
                                 WHERE component = ?1 AND ts < ?2)",
                        )?
                        .execute(params![c, cut])?;
                }
            }
            for table in ["rollup_hourly", "rollup_daily"] {
                stats.rollup_rows += tx
                    .prepare_cached(&format!(
                        "DELETE FROM {table} WHERE provider = ?1 AND component = ?2 AND bucket < ?3"
                    ))?
                    .execute(params![p, c, rollup_cut])?;
            }
        }
        if let Some(cut) = raw_cut
            && get_meta(&tx, RAW_PRUNED_BEFORE)?.is_none_or(|prev| cut > prev)
        {
            set_meta(&tx, RAW_PRUNED_BEFORE, cut)?;
        }
        stats.transitions = tx
            .prepare_cached("DELETE FROM transitions WHERE at < ?1")?
            .execute([rollup_cut])?;
        tx.commit()?;
        Ok(stats)
    }

    /// Hours before this are rolled up (`None`: nothing rolled yet): when maintenance last
    /// ran, to the hour.
    pub fn rolled_up_until(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let r = get_meta(&self.conn, HOURLY_UNTIL)
            .map(|v| v.map(super::from_ts))
            .map_err(StoreError::from);
        self.ctx(r)
    }

    /// [`Store::rollup`] then [`Store::prune`]: what the poller runs now and then.
    #[tracing::instrument(skip(self))]
    pub fn maintain(&mut self, now: DateTime<Utc>) -> Result<PruneStats, StoreError> {
        self.rollup(now)?;
        self.rollup_probes(now)?;
        self.rollup_session_errors(now)?;
        self.prune(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::store::test_support::{obs, t0};
    use chrono::Duration;

    fn count(s: &Store, table: &str) -> i64 {
        s.conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    /// Two days of minute samples with an outage and a failed stretch.
    fn history(s: &mut Store) {
        for i in 0..(2 * 24 * 60) {
            let at = t0() + Duration::minutes(i) + Duration::seconds(7);
            let st = match i {
                100..=160 => Status::MajorOutage,
                700..=720 => Status::Degraded,
                1500..=1530 => Status::Unknown,
                2000..=2010 => continue, // gap of 11 minutes
                _ => Status::Operational,
            };
            s.record(&obs("a", at, st)).unwrap();
        }
    }

    #[test]
    fn rollup_is_idempotent_and_matches_raw() {
        let mut s = Store::open_in_memory().unwrap();
        history(&mut s);
        let windows = [
            (t0(), t0() + Duration::days(2)),
            (t0() + Duration::minutes(37), t0() + Duration::hours(30)),
            (t0() - Duration::hours(3), t0() + Duration::hours(5)),
        ];
        let comps = [None, Some("api"), Some("web")];
        let mut raw = Vec::new();
        for &(a, b) in &windows {
            for c in comps {
                raw.push(s.uptime("a", c, a, b).unwrap());
            }
        }
        let now = t0() + Duration::days(2) + Duration::minutes(30);
        s.rollup(now).unwrap();
        let hourly = count(&s, "rollup_hourly");
        let daily = count(&s, "rollup_daily");
        assert_eq!(hourly, 48 * 3);
        assert_eq!(daily, 2 * 3);
        s.rollup(now).unwrap();
        s.rollup(now - Duration::hours(5)).unwrap();
        assert_eq!(count(&s, "rollup_hourly"), hourly);
        assert_eq!(count(&s, "rollup_daily"), daily);

        let mut i = 0;
        for &(a, b) in &windows {
            for c in comps {
                let rolled = s.uptime("a", c, a, b).unwrap();
                assert_eq!(rolled, raw[i], "window {a}..{b} component {c:?}");
                i += 1;
            }
        }
        // The daily rows hold a whole day each.
        let day: (i64, i64) = s
            .conn
            .query_row(
                "SELECT s0 + s1 + s2 + s3 + s4 + s5, s4 FROM rollup_daily WHERE component = 0
                 ORDER BY bucket LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(day, (86_400, 61 * 60));
    }

    #[test]
    fn prune_keeps_rollups_bars_and_component_state() {
        let mut s = Store::open_in_memory().unwrap();
        history(&mut s);
        let end = t0() + Duration::days(2);
        s.rollup(end).unwrap();
        let today = (end - Duration::days(1)).date_naive();
        let bars = s.daily_bars("a", None, 2, today).unwrap();
        let up = s.uptime("a", Some("api"), t0(), end).unwrap();

        // 40 days later, raw is gone but rollups stay.
        let later = end + Duration::days(40);
        let stats = s.prune(later).unwrap();
        // The samples within max_gap of the rolled horizon stay for the next rollup.
        assert_eq!(stats.samples, 2 * 24 * 60 - 11 - 5);
        assert!(stats.component_changes > 0);
        assert_eq!(stats.rollup_rows, 0);
        assert_eq!(count(&s, "samples"), 5);
        // The last change per component survives.
        assert_eq!(count(&s, "component_changes"), 2);
        assert_eq!(s.daily_bars("a", None, 2, today).unwrap(), bars);
        assert_eq!(s.uptime("a", Some("api"), t0(), end).unwrap(), up);
        // A window starting mid-hour in pruned time takes that hour's rollup pro rata:
        // 01:00..02:00 held 1193 s of major outage (from 01:40:07), so its last ten
        // minutes count a sixth of that, rather than nothing.
        let u = s
            .uptime(
                "a",
                None,
                t0() + Duration::minutes(110),
                t0() + Duration::hours(2),
            )
            .unwrap();
        assert_eq!(u.in_status(Status::MajorOutage), 199);
        assert_eq!(u.known_seconds, 600);

        // Past 400 days, rollups go too.
        let stats = s.prune(end + Duration::days(401)).unwrap();
        assert_eq!(stats.rollup_rows, 48 * 3 + 2 * 3);
    }

    #[test]
    fn prune_never_drops_unrolled_raw() {
        let mut s = Store::open_in_memory().unwrap();
        history(&mut s);
        let stats = s.prune(t0() + Duration::days(90)).unwrap();
        assert_eq!(stats.samples, 0);
    }
}
