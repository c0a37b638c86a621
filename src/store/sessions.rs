//! The facts of the user's own failed calls (early warning from the assistants' session
//! files): record, read a provider's recent ones back for its verdict, roll them up hourly,
//! keep 30 days raw; and the follower's offsets across restarts.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::rollup::{DAY, HOUR, get_meta, set_meta};
use super::{RAW_RETENTION_DAYS, ROLLUP_RETENTION_DAYS, Store, StoreError, from_ts, ts};
use super::{find_provider, provider_key};
use crate::monitor::sessions::{ErrorFact, FollowState, SessionErrorKind};
use crate::switch::profiles::AssistantId;

const SESSION_HOURLY_UNTIL: &str = "session_hourly_until";
const MS_PER_HOUR: i64 = HOUR * 1000;

fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

impl Store {
    /// Store facts (a fact with no provider is skipped: it cannot be judged against any
    /// provider). The same record twice is stored once. Returns how many were new.
    pub fn record_session_errors(&mut self, facts: &[ErrorFact]) -> Result<usize, StoreError> {
        let r = (|| -> Result<usize, rusqlite::Error> {
            let tx = self.conn.transaction()?;
            let mut n = 0;
            for f in facts {
                let Some(provider) = &f.provider else {
                    continue;
                };
                let p = provider_key(&tx, provider)?;
                n += tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO session_errors
                             (provider, at_ms, session, assistant, kind, status, code, final, resets_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        p,
                        f.at.timestamp_millis(),
                        f.session,
                        f.assistant.as_str(),
                        f.kind.as_str(),
                        f.status,
                        f.code,
                        f.final_,
                        f.resets_at.map(ts),
                    ])?;
            }
            let mut touched: Vec<&str> = facts.iter().filter_map(|f| f.provider.as_deref()).collect();
            touched.sort_unstable();
            touched.dedup();
            for provider in touched {
                if let Some(p) = super::find_provider(&tx, provider)? {
                    let newest = facts
                        .iter()
                        .filter(|f| f.provider.as_deref() == Some(provider))
                        .map(|f| f.at)
                        .max()
                        .unwrap_or_else(Utc::now);
                    update_session_leads(&tx, p, newest.max(Utc::now()))?;
                }
            }
            tx.commit()?;
            Ok(n)
        })()
        .map_err(StoreError::from);
        self.ctx(r)
    }

    /// `provider`'s facts since `since`, oldest first: what its sessions verdict reads after
    /// a restart.
    pub fn recent_session_errors(
        &self,
        provider: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ErrorFact>, StoreError> {
        let r = (|| -> Result<Vec<ErrorFact>, rusqlite::Error> {
            let Some(p) = find_provider(&self.conn, provider)? else {
                return Ok(Vec::new());
            };
            let mut stmt = self.conn.prepare_cached(
                "SELECT at_ms, session, assistant, kind, status, code, final, resets_at
                   FROM session_errors WHERE provider = ?1 AND at_ms >= ?2 ORDER BY at_ms",
            )?;
            let rows = stmt.query_map(params![p, since.timestamp_millis()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, bool>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (at, session, assistant, kind, status, code, final_, resets) = row?;
                // A row of an assistant or kind this build does not know is skipped.
                let (Some(assistant), Some(kind)) = (
                    AssistantId::parse(&assistant),
                    SessionErrorKind::parse(&kind),
                ) else {
                    continue;
                };
                out.push(ErrorFact {
                    at: from_ms(at),
                    assistant,
                    kind,
                    status: status.and_then(|s| u16::try_from(s).ok()),
                    code,
                    final_,
                    session,
                    resets_at: resets.map(from_ts),
                    provider: Some(provider.to_string()),
                });
            }
            Ok(out)
        })()
        .map_err(StoreError::from);
        self.ctx(r)
    }

    /// Roll complete hours of facts into `session_hourly`, then drop raw facts older than 30
    /// days (only once rolled) and hourly rows older than 400. Part of [`Store::maintain`].
    pub fn rollup_session_errors(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let now = ts(now);
        let r = (|| {
            let tx = self.conn.transaction()?;
            let end = now - now.rem_euclid(HOUR);
            let start = match get_meta(&tx, SESSION_HOURLY_UNTIL)? {
                Some(w) => w,
                None => match tx.query_row("SELECT min(at_ms) FROM session_errors", [], |r| {
                    r.get::<_, Option<i64>>(0)
                })? {
                    Some(first_ms) => {
                        let first = first_ms.div_euclid(1000);
                        first - first.rem_euclid(HOUR)
                    }
                    None => return tx.commit(),
                },
            };
            if start < end {
                tx.execute(
                    "INSERT OR REPLACE INTO session_hourly(provider, bucket, provider_errors,
                         account_errors, network_errors, other_errors, finals, sessions)
                     SELECT provider, (at_ms / ?3) * 3600, sum(kind = 'provider'),
                            sum(kind = 'account'), sum(kind = 'network'),
                            sum(kind NOT IN ('provider', 'account', 'network')),
                            sum(final), count(DISTINCT session)
                       FROM session_errors WHERE at_ms >= ?1 AND at_ms < ?2
                      GROUP BY provider, at_ms / ?3",
                    params![start * 1000, end * 1000, MS_PER_HOUR],
                )?;
                set_meta(&tx, SESSION_HOURLY_UNTIL, end)?;
            }
            let raw_cut = (now - RAW_RETENTION_DAYS * DAY).min(end);
            tx.execute(
                "DELETE FROM session_errors WHERE at_ms < ?1",
                [raw_cut * 1000],
            )?;
            tx.execute(
                "DELETE FROM session_hourly WHERE bucket < ?1",
                [now - ROLLUP_RETENTION_DAYS * DAY],
            )?;
            tx.commit()
        })()
        .map_err(StoreError::from);
        self.ctx(r)
    }

    /// The follower's offsets as last saved (empty on a first start or if unreadable: the
    /// follower then starts at the files' ends, which loses nothing that matters).
    pub fn load_follow_state(&self) -> Result<FollowState, StoreError> {
        let r = self
            .conn
            .prepare_cached("SELECT state FROM session_follow WHERE id = 1")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, String>(0)).optional())
            .map_err(StoreError::from);
        let text = self.ctx(r)?;
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default())
    }

    pub fn save_follow_state(&mut self, state: &FollowState) -> Result<(), StoreError> {
        let json = serde_json::to_string(state)?;
        let r = self
            .conn
            .prepare_cached("INSERT OR REPLACE INTO session_follow(id, state) VALUES (1, ?1)")
            .and_then(|mut s| s.execute([json]))
            .map(|_| ())
            .map_err(StoreError::from);
        self.ctx(r)
    }
}

/// Recompute how long before the page each of provider `p`'s recent incidents the user's own
/// sessions saw provider trouble (the same episodes as the probes' lead, over the facts of
/// kind `provider`). Cheap when the provider has no such facts (one indexed lookup).
pub(super) fn update_session_leads(
    conn: &rusqlite::Connection,
    p: i64,
    now: DateTime<Utc>,
) -> Result<(), rusqlite::Error> {
    use crate::monitor::verdict::{LEAD_HORIZON, detection_lead};
    let any: Option<i64> = conn
        .prepare_cached(
            "SELECT 1 FROM session_errors WHERE provider = ?1 AND kind = 'provider' LIMIT 1",
        )?
        .query_row([p], |r| r.get(0))
        .optional()?;
    if any.is_none() {
        return Ok(());
    }
    let incidents: Vec<(i64, i64, Option<i64>)> = conn
        .prepare_cached(
            "SELECT i.key, coalesce((SELECT min(u.at) FROM incident_updates u WHERE u.incident = i.key),
                                    i.first_seen_at) AS posted, i.resolved_at
               FROM incidents i
              WHERE i.provider = ?1 AND i.kind = 'incident' AND posted >= ?2",
        )?
        .query_map(params![p, ts(now - super::probes::LEAD_RECOMPUTE)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    for (key, start, resolved) in incidents {
        let from = start - LEAD_HORIZON.num_seconds();
        let until = resolved.unwrap_or(ts(now)).max(start);
        let trouble: Vec<DateTime<Utc>> = conn
            .prepare_cached(
                "SELECT at_ms FROM session_errors
                  WHERE provider = ?1 AND kind = 'provider' AND at_ms >= ?2 AND at_ms <= ?3",
            )?
            .query_map(params![p, from * 1000, until * 1000 + 999], |r| {
                Ok(from_ms(r.get(0)?))
            })?
            .collect::<Result<_, _>>()?;
        let lead =
            detection_lead(from_ts(start), from_ts(until), &trouble).map(|d| d.num_seconds());
        conn.prepare_cached("UPDATE incidents SET sessions_lead_s = ?2 WHERE key = ?1")?
            .execute(params![key, lead])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::sessions::FileCursor;
    use crate::store::test_support::t0;
    use chrono::Duration;

    fn fact(at: DateTime<Utc>, kind: SessionErrorKind, session: &str) -> ErrorFact {
        ErrorFact {
            at,
            assistant: AssistantId::ClaudeCode,
            kind,
            status: Some(529),
            code: Some("overloaded".into()),
            final_: false,
            session: session.into(),
            resets_at: None,
            provider: Some("anthropic".into()),
        }
    }

    fn count(s: &Store, table: &str) -> i64 {
        s.conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn the_sessions_detection_lead_is_stored_with_the_incident() {
        use crate::model::{
            Impact, Incident, IncidentKind, IncidentStatus, IncidentUpdate, Status,
        };
        use crate::store::test_support::obs;
        let mut s = Store::open_in_memory().unwrap();
        // The user's sessions fail from 14:00 on (one retry a minute, two sessions); an
        // account limit before that counts for nothing.
        s.record_session_errors(&[fact(
            t0() - Duration::minutes(20),
            SessionErrorKind::Account,
            "a",
        )])
        .unwrap();
        let facts: Vec<ErrorFact> = (0..=30)
            .map(|m| {
                fact(
                    t0() + Duration::minutes(m),
                    SessionErrorKind::Provider,
                    if m % 2 == 0 { "a" } else { "b" },
                )
            })
            .collect();
        s.record_session_errors(&facts).unwrap();
        // The page posts its incident at 14:25 (backdated to 14:05).
        let mut o = obs(
            "anthropic",
            t0() + Duration::minutes(30),
            Status::MajorOutage,
        );
        o.incidents = vec![Incident {
            id: "inc-1".into(),
            title: "Elevated errors on Claude API".into(),
            kind: IncidentKind::Incident,
            impact: Impact::Major,
            status: IncidentStatus::Investigating,
            started_at: Some(t0() + Duration::minutes(5)),
            resolved_at: None,
            updated_at: None,
            components: vec![],
            url: None,
            updates: vec![IncidentUpdate {
                at: t0() + Duration::minutes(25),
                status: IncidentStatus::Investigating,
                body: "Investigating".into(),
            }],
        }];
        s.record(&o).unwrap();
        let inc = s
            .incidents(Some("anthropic"), t0() - Duration::days(1))
            .unwrap();
        assert_eq!(inc.len(), 1);
        assert_eq!(inc[0].sessions_lead_secs, Some(25 * 60));
        // A provider whose sessions saw nothing gets no lead.
        let mut quiet = obs("openai", t0() + Duration::minutes(30), Status::MajorOutage);
        quiet.incidents = o.incidents.clone();
        s.record(&quiet).unwrap();
        let inc = s
            .incidents(Some("openai"), t0() - Duration::days(1))
            .unwrap();
        assert_eq!(inc[0].sessions_lead_secs, None);
    }

    #[test]
    fn facts_round_trip_once() {
        let mut s = Store::open_in_memory().unwrap();
        let mut facts: Vec<ErrorFact> = (0..3)
            .map(|i| {
                fact(
                    t0() + Duration::milliseconds(i * 700),
                    SessionErrorKind::Provider,
                    "a",
                )
            })
            .collect();
        facts[2].kind = SessionErrorKind::Account;
        facts[2].resets_at = Some(t0() + Duration::hours(5));
        let mut orphan = fact(t0(), SessionErrorKind::Provider, "b");
        orphan.provider = None;
        facts.push(orphan);
        assert_eq!(s.record_session_errors(&facts).unwrap(), 3);
        assert_eq!(
            s.record_session_errors(&facts).unwrap(),
            0,
            "read twice, kept once"
        );
        let back = s.recent_session_errors("anthropic", t0()).unwrap();
        assert_eq!(back, facts[..3]);
        assert!(
            s.recent_session_errors("anthropic", t0() + Duration::seconds(2))
                .unwrap()
                .is_empty()
        );
        assert!(s.recent_session_errors("openai", t0()).unwrap().is_empty());
    }

    #[test]
    fn facts_roll_up_hourly_and_go_after_30_days() {
        let mut s = Store::open_in_memory().unwrap();
        let facts: Vec<ErrorFact> = (0..6)
            .map(|i| {
                let kind = if i < 4 {
                    SessionErrorKind::Provider
                } else {
                    SessionErrorKind::Network
                };
                fact(
                    t0() + Duration::minutes(i * 10),
                    kind,
                    if i % 2 == 0 { "a" } else { "b" },
                )
            })
            .collect();
        s.record_session_errors(&facts).unwrap();
        s.maintain(t0() + Duration::days(40)).unwrap();
        assert_eq!(count(&s, "session_errors"), 0);
        let row: (i64, i64, i64, i64) = s
            .conn
            .query_row(
                "SELECT bucket, provider_errors, network_errors, sessions FROM session_hourly",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(row, (ts(t0()), 4, 2, 2));
    }

    #[test]
    fn follow_state_round_trips() {
        let mut s = Store::open_in_memory().unwrap();
        assert_eq!(s.load_follow_state().unwrap(), FollowState::default());
        let mut st = FollowState::default();
        st.files.insert(
            "/tmp/x/s.jsonl".into(),
            FileCursor {
                dev: 1,
                ino: 2,
                offset: 3,
                skipping: false,
                provider: Some("openai".into()),
            },
        );
        s.save_follow_state(&st).unwrap();
        s.save_follow_state(&st).unwrap();
        assert_eq!(s.load_follow_state().unwrap(), st);
    }
}
