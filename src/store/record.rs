//! Writing observations (one transaction each) and reading the latest state back.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Store, StoreError, provider_key, ts};
use crate::model::{Incident, IncidentKind, Observation, Status};

pub(crate) fn find_component(
    conn: &Connection,
    provider: i64,
    id: &str,
) -> Result<Option<i64>, rusqlite::Error> {
    conn.prepare_cached("SELECT key FROM components WHERE provider = ?1 AND component_id = ?2")?
        .query_row(params![provider, id], |r| r.get(0))
        .optional()
}

pub(crate) fn kind_str(k: IncidentKind) -> &'static str {
    match k {
        IncidentKind::Incident => "incident",
        IncidentKind::Maintenance => "maintenance",
    }
}

/// Close the provider's open incidents that the observation at `at` did not list
/// (their `last_seen_at` is older). The end time is when we noticed, which is at
/// most one poll interval late.
fn close_vanished_incidents(
    conn: &Connection,
    provider: i64,
    at: i64,
) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "UPDATE incidents
            SET status = CASE kind WHEN 'maintenance' THEN 'completed' ELSE 'resolved' END,
                resolved_at = ?2
          WHERE provider = ?1 AND resolved_at IS NULL AND last_seen_at < ?2
            AND status NOT IN ('resolved', 'postmortem', 'completed')",
    )?
    .execute(params![provider, at])?;
    Ok(())
}

/// Insert or refresh one incident and its updates. `first_seen_at` is only ever set by
/// the first insert: it is when WE saw it, which the detection-lead figure relies on.
pub(crate) fn upsert_incident(
    conn: &Connection,
    provider: i64,
    inc: &Incident,
    seen_at: i64,
) -> Result<(), rusqlite::Error> {
    let components = serde_json::to_string(&inc.components).unwrap_or_else(|_| "[]".into());
    let key: i64 = conn
        .prepare_cached(
            "INSERT INTO incidents(provider, incident_id, kind, title, impact, status,
                 started_at, resolved_at, updated_at, first_seen_at, last_seen_at, url, components)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12)
             ON CONFLICT(provider, incident_id) DO UPDATE SET
                 kind = excluded.kind, title = excluded.title, impact = excluded.impact,
                 status = excluded.status,
                 started_at = coalesce(excluded.started_at, incidents.started_at),
                 resolved_at = coalesce(excluded.resolved_at, incidents.resolved_at),
                 updated_at = coalesce(excluded.updated_at, incidents.updated_at),
                 first_seen_at = min(incidents.first_seen_at, excluded.first_seen_at),
                 last_seen_at = max(incidents.last_seen_at, excluded.last_seen_at),
                 url = coalesce(excluded.url, incidents.url),
                 components = CASE WHEN excluded.components = '[]'
                                   THEN incidents.components ELSE excluded.components END
             RETURNING key",
        )?
        .query_row(
            params![
                provider,
                inc.id,
                kind_str(inc.kind),
                inc.title,
                inc.impact.as_str(),
                inc.status.as_str(),
                inc.started_at.map(ts),
                inc.resolved_at.map(ts),
                inc.updated_at.map(ts),
                seen_at,
                inc.url,
                components,
            ],
            |r| r.get(0),
        )?;
    let mut up = conn.prepare_cached(
        "INSERT INTO incident_updates(incident, at, status, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING",
    )?;
    for u in &inc.updates {
        up.execute(params![key, ts(u.at), u.status.as_str(), u.body])?;
    }
    Ok(())
}

impl Store {
    /// Store one poll result: the sample, component changes, incidents and their
    /// updates, transitions and the latest state, all in one transaction.
    ///
    /// Incidents are never deleted. An open one that a healthy source stops listing
    /// is closed at this observation's time: status pages drop resolved incidents
    /// from their summary, so disappearing is how most resolutions arrive.
    #[tracing::instrument(skip(self, obs), fields(provider = %obs.provider_id, at = %obs.at))]
    pub fn record(&mut self, obs: &Observation) -> Result<(), StoreError> {
        let r = self.record_inner(obs);
        self.ctx(r)
    }

    fn record_inner(&mut self, obs: &Observation) -> Result<(), StoreError> {
        let json = serde_json::to_string(obs)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = ts(obs.at);
        let p = provider_key(&tx, &obs.provider_id)?;

        tx.prepare_cached(
            "INSERT OR REPLACE INTO samples(provider, ts, status, source_ok, http_status,
                 latency_ms, error_class, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            p,
            at,
            obs.status.code(),
            obs.source_ok,
            obs.http_status,
            obs.latency_ms,
            obs.error.map(|e| e.as_str()),
            obs.reason,
        ])?;

        // Provider transition, against the newest status we hold. An observation older
        // than that (the other process got there first) changes nothing.
        let (last_status, last_at): (Option<i64>, Option<i64>) = tx
            .prepare_cached("SELECT last_status, last_at FROM providers WHERE key = ?1")?
            .query_row([p], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let newest = last_at.is_none_or(|l| at >= l);
        if newest {
            if let Some(prev) = last_status.map(Status::from_code)
                && prev != obs.status
            {
                insert_transition(&tx, p, None, at, prev, obs.status)?;
            }
            tx.prepare_cached(
                "UPDATE providers SET last_status = ?2, last_at = ?3 WHERE key = ?1",
            )?
            .execute(params![p, obs.status.code(), at])?;
        }

        if newest {
            record_components(&tx, p, at, obs)?;
        }

        for inc in &obs.incidents {
            upsert_incident(&tx, p, inc, at)?;
        }
        if newest && obs.source_ok {
            close_vanished_incidents(&tx, p, at)?;
        }
        if !obs.incidents.is_empty() {
            super::probes::update_leads(&tx, p, obs.at)?;
            super::sessions::update_session_leads(&tx, p, obs.at)?;
        }

        tx.prepare_cached(
            "INSERT INTO latest(provider, observed_at, observation) VALUES (?1, ?2, ?3)
             ON CONFLICT(provider) DO UPDATE SET observed_at = excluded.observed_at,
                 observation = excluded.observation
             WHERE excluded.observed_at >= latest.observed_at",
        )?
        .execute(params![p, at, json])?;
        tx.commit()?;
        Ok(())
    }

    /// The newest observation of one provider.
    #[tracing::instrument(skip(self))]
    pub fn latest(&self, provider_id: &str) -> Result<Option<Observation>, StoreError> {
        let r = (|| {
            let json: Option<String> = self
                .conn
                .prepare_cached(
                    "SELECT l.observation FROM latest l JOIN providers p ON p.key = l.provider
                     WHERE p.id = ?1",
                )?
                .query_row([provider_id], |r| r.get(0))
                .optional()?;
            Ok(match json {
                Some(j) => Some(serde_json::from_str(&j)?),
                None => None,
            })
        })();
        self.ctx(r)
    }

    /// The newest observation of every provider ever recorded, ordered by provider id.
    #[tracing::instrument(skip(self))]
    pub fn latest_all(&self) -> Result<Vec<Observation>, StoreError> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT l.observation FROM latest l JOIN providers p ON p.key = l.provider
                 ORDER BY p.id",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for j in rows {
                out.push(serde_json::from_str(&j?)?);
            }
            Ok(out)
        })();
        self.ctx(r)
    }
}

pub(crate) fn insert_transition(
    conn: &Connection,
    provider: i64,
    component: Option<i64>,
    at: i64,
    from: Status,
    to: Status,
) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO transitions(provider, component, at, from_status, to_status)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![provider, component, at, from.code(), to.code()])?;
    Ok(())
}

/// Component rows and change-only status history. A component the observation does
/// not list (failed poll, or removed from the page) becomes `unknown`, without a
/// transition: the source said nothing about it, so nothing "happened" to it.
fn record_components(
    tx: &Connection,
    p: i64,
    at: i64,
    obs: &Observation,
) -> Result<(), rusqlite::Error> {
    let mut known: HashMap<String, (i64, Status)> = HashMap::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT component_id, key, last_status FROM components WHERE provider = ?1",
        )?;
        let rows = stmt.query_map([p], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get::<_, i64>(1)?, Status::from_code(r.get(2)?)),
            ))
        })?;
        for row in rows {
            let (id, v) = row?;
            known.insert(id, v);
        }
    }
    let mut change = tx.prepare_cached(
        "INSERT OR REPLACE INTO component_changes(component, ts, status) VALUES (?1, ?2, ?3)",
    )?;
    for c in &obs.components {
        let status = if obs.source_ok {
            c.status
        } else {
            Status::Unknown
        };
        match known.remove(&c.id) {
            Some((key, prev)) => {
                tx.prepare_cached(
                    "UPDATE components SET name = ?2, watched = ?3, last_status = ?4, last_seen = ?5
                     WHERE key = ?1",
                )?
                .execute(params![key, c.name, c.watched, status.code(), at])?;
                if prev != status {
                    change.execute(params![key, at, status.code()])?;
                    insert_transition(tx, p, Some(key), at, prev, status)?;
                }
            }
            None => {
                let key: i64 = tx
                    .prepare_cached(
                        "INSERT INTO components(provider, component_id, name, watched, last_status, last_seen)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING key",
                    )?
                    .query_row(
                        params![p, c.id, c.name, c.watched, status.code(), at],
                        |r| r.get(0),
                    )?;
                change.execute(params![key, at, status.code()])?;
            }
        }
    }
    for (key, prev) in known.values() {
        if *prev != Status::Unknown {
            change.execute(params![key, at, Status::Unknown.code()])?;
            tx.prepare_cached("UPDATE components SET last_status = ?2 WHERE key = ?1")?
                .execute(params![key, Status::Unknown.code()])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorClass, Impact, IncidentStatus, IncidentUpdate};
    use crate::store::test_support::{obs, t0};
    use chrono::Duration;

    #[test]
    fn record_then_latest_round_trips() {
        let mut s = Store::open_in_memory().unwrap();
        let mut o = obs("anthropic", t0(), Status::Degraded);
        o.incidents.push(Incident {
            id: "inc1".into(),
            kind: IncidentKind::Incident,
            title: "Elevated errors".into(),
            impact: Impact::Minor,
            status: IncidentStatus::Investigating,
            started_at: Some(t0()),
            resolved_at: None,
            updated_at: None,
            url: Some("https://status.example/inc1".into()),
            components: vec!["api".into()],
            updates: vec![IncidentUpdate {
                at: t0(),
                status: IncidentStatus::Investigating,
                body: "Looking".into(),
            }],
        });
        s.record(&o).unwrap();
        assert_eq!(s.latest("anthropic").unwrap(), Some(o.clone()));
        assert_eq!(s.latest("nobody").unwrap(), None);

        let mut later = obs("anthropic", t0() + Duration::minutes(1), Status::Unknown);
        later.error = Some(ErrorClass::Timeout);
        later.reason = Some("timed out after 10 s".into());
        s.record(&later).unwrap();
        // An out-of-order older observation does not replace the newer one.
        s.record(&obs(
            "anthropic",
            t0() - Duration::minutes(5),
            Status::Operational,
        ))
        .unwrap();
        s.record(&obs("openai", t0(), Status::Operational)).unwrap();
        let all = s.latest_all().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0], later);
        assert_eq!(all[1].provider_id, "openai");
    }

    #[test]
    fn an_incident_the_source_stops_listing_is_closed_when_we_noticed() {
        let mut s = Store::open_in_memory().unwrap();
        let inc = Incident {
            id: "gone".into(),
            kind: IncidentKind::Incident,
            title: "Elevated errors".into(),
            impact: Impact::Major,
            status: IncidentStatus::Investigating,
            started_at: Some(t0()),
            resolved_at: None,
            updated_at: None,
            url: None,
            components: vec![],
            updates: vec![],
        };
        let mut o = obs("anthropic", t0(), Status::MajorOutage);
        o.incidents.push(inc.clone());
        s.record(&o).unwrap();
        // A failed poll lists nothing, but says nothing about the incident either.
        let mut failed = obs("anthropic", t0() + Duration::minutes(1), Status::Unknown);
        failed.source_ok = false;
        failed.error = Some(ErrorClass::Timeout);
        s.record(&failed).unwrap();
        let open = s
            .incidents(Some("anthropic"), t0() - Duration::days(1))
            .unwrap();
        assert_eq!(open[0].status, IncidentStatus::Investigating);
        assert_eq!(open[0].resolved_at, None);
        // A healthy poll that no longer lists it: resolved then.
        let later = t0() + Duration::minutes(20);
        s.record(&obs("anthropic", later, Status::Operational))
            .unwrap();
        let done = s
            .incidents(Some("anthropic"), t0() - Duration::days(1))
            .unwrap();
        assert_eq!(done[0].status, IncidentStatus::Resolved);
        assert_eq!(done[0].resolved_at, Some(later));
        assert_eq!(done[0].duration, Some(Duration::minutes(20)));
        // Listed again later (reopened on the page): open again with its new state.
        let mut again = obs(
            "anthropic",
            later + Duration::minutes(1),
            Status::MajorOutage,
        );
        again.incidents.push(inc);
        s.record(&again).unwrap();
        let re = s
            .incidents(Some("anthropic"), t0() - Duration::days(1))
            .unwrap();
        assert_eq!(re[0].status, IncidentStatus::Investigating);
    }

    #[test]
    fn components_are_stored_only_on_change() {
        let mut s = Store::open_in_memory().unwrap();
        for i in 0..5 {
            s.record(&obs("a", t0() + Duration::minutes(i), Status::Operational))
                .unwrap();
        }
        s.record(&obs("a", t0() + Duration::minutes(5), Status::MajorOutage))
            .unwrap();
        s.record(&obs("a", t0() + Duration::minutes(6), Status::Unknown))
            .unwrap();
        let n: i64 = s
            .conn
            .query_row("SELECT count(*) FROM component_changes", [], |r| r.get(0))
            .unwrap();
        // api: op, major, unknown; web: op, unknown.
        assert_eq!(n, 5);
    }
}
