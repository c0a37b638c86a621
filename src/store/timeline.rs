//! Time-weighting: turning point samples into seconds per status, shared by raw queries and rollups.

use rusqlite::{Connection, params};

use super::StatusSeconds;
use crate::model::Status;

/// One point of a timeline: from `ts`, the subject was in `status`.
pub(crate) type Point = (i64, Status);

/// Walk `points` (sorted by time; include the last point before `from`) over
/// `[from, to)`: each point covers until the next one but at most `max_gap`, clipped to
/// the window. Calls `f(start, end, status)` for every covered stretch; uncovered time
/// is simply not reported (it is unknown).
pub(crate) fn walk(
    points: &[Point],
    from: i64,
    to: i64,
    max_gap: i64,
    mut f: impl FnMut(i64, i64, Status),
) {
    for (i, &(ts, status)) in points.iter().enumerate() {
        let next = points.get(i + 1).map_or(i64::MAX, |p| p.0);
        let start = ts.max(from);
        let end = next.min(ts.saturating_add(max_gap)).min(to);
        if end > start {
            f(start, end, status);
        }
    }
}

/// Seconds per status over `[from, to)`; unknown counts only explicit unknown samples.
pub(crate) fn sum(points: &[Point], from: i64, to: i64, max_gap: i64) -> StatusSeconds {
    let mut out = [0i64; 6];
    walk(points, from, to, max_gap, |a, b, s| {
        out[s.code() as usize] += b - a
    });
    out
}

/// Like [`sum`] but split into buckets of `bucket` seconds (aligned to the epoch).
/// Returns (bucket start, seconds) for every bucket that was touched, in order.
pub(crate) fn sum_by_bucket(
    points: &[Point],
    from: i64,
    to: i64,
    max_gap: i64,
    bucket: i64,
) -> Vec<(i64, StatusSeconds)> {
    let mut out: Vec<(i64, StatusSeconds)> = Vec::new();
    walk(points, from, to, max_gap, |mut a, b, s| {
        while a < b {
            let start = a.div_euclid(bucket) * bucket;
            let end = (start + bucket).min(b);
            if out.last().is_none_or(|(k, _)| *k != start) {
                out.push((start, [0; 6]));
            }
            if let Some((_, secs)) = out.last_mut() {
                secs[s.code() as usize] += end - a;
            }
            a = end;
        }
    });
    out
}

/// A component's timeline: at every provider sample, the component's status then
/// (its last change at or before the sample; `unknown` when the poll failed).
pub(crate) fn component_points(samples: &[(i64, bool)], changes: &[Point]) -> Vec<Point> {
    let mut j = 0usize;
    samples
        .iter()
        .map(|&(ts, ok)| {
            while j + 1 < changes.len() && changes[j + 1].0 <= ts {
                j += 1;
            }
            let status = match changes.get(j) {
                Some(&(cts, s)) if ok && cts <= ts => s,
                _ => Status::Unknown,
            };
            (ts, status)
        })
        .collect()
}

/// Provider samples that matter for `[from, to)`: from `max_gap` before it.
pub(crate) fn load_samples(
    conn: &Connection,
    provider: i64,
    from: i64,
    to: i64,
    max_gap: i64,
) -> Result<Vec<(i64, Status, bool)>, rusqlite::Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT ts, status, source_ok FROM samples
         WHERE provider = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts",
    )?;
    let rows = stmt.query_map(params![provider, from - max_gap, to], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            Status::from_code(r.get(1)?),
            r.get::<_, bool>(2)?,
        ))
    })?;
    rows.collect()
}

/// A component's changes that matter for `[from, to)`: the last one at or before
/// `from - max_gap` and every one after it.
pub(crate) fn load_changes(
    conn: &Connection,
    component: i64,
    from: i64,
    to: i64,
    max_gap: i64,
) -> Result<Vec<Point>, rusqlite::Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT ts, status FROM component_changes
         WHERE component = ?1 AND ts < ?3 AND ts >= coalesce(
             (SELECT max(ts) FROM component_changes WHERE component = ?1 AND ts <= ?2), ?2)
         ORDER BY ts",
    )?;
    let rows = stmt.query_map(params![component, from - max_gap, to], |r| {
        Ok((r.get::<_, i64>(0)?, Status::from_code(r.get(1)?)))
    })?;
    rows.collect()
}

/// The timeline of a provider (component `None`) or one of its components over
/// `[from, to)`, straight from raw samples.
pub(crate) fn load_points(
    conn: &Connection,
    provider: i64,
    component: Option<i64>,
    from: i64,
    to: i64,
    max_gap: i64,
) -> Result<Vec<Point>, rusqlite::Error> {
    let samples = load_samples(conn, provider, from, to, max_gap)?;
    Ok(match component {
        None => samples.iter().map(|&(ts, s, _)| (ts, s)).collect(),
        Some(c) => {
            let changes = load_changes(conn, c, from, to, max_gap)?;
            let s: Vec<(i64, bool)> = samples.iter().map(|&(ts, _, ok)| (ts, ok)).collect();
            component_points(&s, &changes)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn samples_cover_until_next_but_at_most_max_gap() {
        // 0..600 operational each minute, 600..900 major, then silence.
        let mut pts: Vec<Point> = (0..10).map(|i| (i * 60, Operational)).collect();
        pts.extend((10..15).map(|i| (i * 60, MajorOutage)));
        let s = sum(&pts, 0, 3600, 300);
        assert_eq!(s[Operational.code() as usize], 600);
        // The last major sample at 840 covers until 1140 (max gap), not beyond.
        assert_eq!(s[MajorOutage.code() as usize], 300 + 240);
        assert_eq!(s[Unknown.code() as usize], 0);
    }

    #[test]
    fn window_edges_clip_and_earlier_sample_carries_in() {
        let pts = vec![(-30, Degraded), (30, Operational)];
        let s = sum(&pts, 0, 60, 300);
        assert_eq!(s[Degraded.code() as usize], 30);
        assert_eq!(s[Operational.code() as usize], 30);
    }

    #[test]
    fn buckets_split_a_stretch() {
        let pts = vec![(3500, MajorOutage), (3700, Operational)];
        let b = sum_by_bucket(&pts, 0, 7200, 300, 3600);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0], (0, [0, 0, 0, 0, 100, 0]));
        assert_eq!(b[1], (3600, [300, 0, 0, 0, 100, 0]));
    }

    #[test]
    fn component_follows_last_change_and_failed_polls_are_unknown() {
        let samples = vec![(0, true), (60, true), (120, false), (180, true)];
        let changes = vec![(-600, Degraded), (60, Operational)];
        let pts = component_points(&samples, &changes);
        assert_eq!(
            pts,
            vec![
                (0, Degraded),
                (60, Operational),
                (120, Unknown),
                (180, Operational)
            ]
        );
    }
}
