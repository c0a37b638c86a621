//! The switch history: every switch, switch back and restore, with what it changed (key names and hashes, never values).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError, from_ts, ts};

/// One recorded switch, switch back or restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwitchRecord {
    /// Row id (0 before it is stored).
    pub key: i64,
    pub at: DateTime<Utc>,
    pub assistant: String,
    /// "switch", "back" or "restore".
    pub action: String,
    pub from_profile: Option<String>,
    pub to_profile: Option<String>,
    pub file: String,
    /// Dotted key paths the write changed.
    pub keys: Vec<String>,
    /// The copy of the file as it was before the write, when it existed.
    pub backup: Option<String>,
    pub hash_before: String,
    pub hash_after: String,
    /// The event that undid this one, if any.
    pub reverted_by: Option<i64>,
}

impl Store {
    /// Record a switch event as an intent, before the file is written. It counts
    /// only once [`Store::complete_switch`] says the write happened (then, when
    /// it undoes `reverts`, that one is marked reverted), and is dropped by
    /// [`Store::discard_switch`] when the write failed.
    pub fn record_switch(
        &mut self,
        rec: &SwitchRecord,
        reverts: Option<i64>,
    ) -> Result<i64, StoreError> {
        let r = (|| {
            let tx = self.conn.transaction()?;
            let keys = serde_json::to_string(&rec.keys).unwrap_or_else(|_| "[]".into());
            tx.execute(
                "INSERT INTO switch_events(at, assistant, action, from_profile, to_profile, file, keys,
                     backup, hash_before, hash_after, pending, reverts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11)",
                params![
                    ts(rec.at),
                    rec.assistant,
                    rec.action,
                    rec.from_profile,
                    rec.to_profile,
                    rec.file,
                    keys,
                    rec.backup,
                    rec.hash_before,
                    rec.hash_after,
                    reverts
                ],
            )?;
            let key = tx.last_insert_rowid();
            tx.commit()?;
            Ok(key)
        })();
        self.ctx(r)
    }

    /// The write of event `key` happened: it counts now.
    pub fn complete_switch(&mut self, key: i64) -> Result<(), StoreError> {
        let r = (|| {
            let tx = self.conn.transaction()?;
            tx.execute("UPDATE switch_events SET pending = 0 WHERE key = ?1", [key])?;
            tx.execute(
                "UPDATE switch_events SET reverted_by = ?1
                  WHERE key = (SELECT reverts FROM switch_events WHERE key = ?1)",
                [key],
            )?;
            tx.commit()
        })()
        .map_err(StoreError::from);
        self.ctx(r)
    }

    /// The write of event `key` did not happen: forget it.
    pub fn discard_switch(&mut self, key: i64) -> Result<(), StoreError> {
        let r = self
            .conn
            .execute(
                "DELETE FROM switch_events WHERE key = ?1 AND pending = 1",
                [key],
            )
            .map(|_| ())
            .map_err(StoreError::from);
        self.ctx(r)
    }

    /// Settle intents a killed process left behind, given the file's hash now:
    /// one whose result is on disk happened; the others did not. Call it under
    /// the switch lock, before reading the history.
    pub fn resolve_pending(
        &mut self,
        assistant: &str,
        file_hash: &str,
    ) -> Result<usize, StoreError> {
        let pending: Vec<(i64, String)> = {
            let r = (|| {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT key, hash_after FROM switch_events
                      WHERE assistant = ?1 AND pending = 1 ORDER BY key",
                )?;
                let rows = stmt.query_map([assistant], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<Result<Vec<_>, _>>()
            })()
            .map_err(StoreError::from);
            self.ctx(r)?
        };
        let n = pending.len();
        for (key, hash_after) in pending {
            if hash_after == file_hash {
                self.complete_switch(key)?;
            } else {
                self.discard_switch(key)?;
            }
        }
        Ok(n)
    }

    /// Switch history, newest first (all assistants when `assistant` is None).
    pub fn switches(
        &self,
        assistant: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SwitchRecord>, StoreError> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT key, at, assistant, action, from_profile, to_profile, file, keys, backup,
                        hash_before, hash_after, reverted_by
                   FROM switch_events
                  WHERE (?1 IS NULL OR assistant = ?1) AND pending = 0
                  ORDER BY at DESC, key DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![assistant, limit as i64], row)?;
            rows.collect::<Result<Vec<_>, _>>()
        })()
        .map_err(StoreError::from);
        self.ctx(r)
    }

    /// The newest switch of `assistant` that nothing has undone yet: what "switch back" undoes.
    pub fn open_switch(&self, assistant: &str) -> Result<Option<SwitchRecord>, StoreError> {
        let r = (|| {
            self.conn
                .prepare_cached(
                    "SELECT key, at, assistant, action, from_profile, to_profile, file, keys, backup,
                            hash_before, hash_after, reverted_by
                       FROM switch_events
                      WHERE assistant = ?1 AND action = 'switch' AND reverted_by IS NULL
                        AND pending = 0
                      ORDER BY at DESC, key DESC LIMIT 1",
                )?
                .query_row([assistant], row)
                .optional()
        })()
        .map_err(StoreError::from);
        self.ctx(r)
    }
}

fn row(r: &rusqlite::Row<'_>) -> Result<SwitchRecord, rusqlite::Error> {
    let keys: String = r.get(7)?;
    Ok(SwitchRecord {
        key: r.get(0)?,
        at: from_ts(r.get(1)?),
        assistant: r.get(2)?,
        action: r.get(3)?,
        from_profile: r.get(4)?,
        to_profile: r.get(5)?,
        file: r.get(6)?,
        keys: serde_json::from_str(&keys).unwrap_or_default(),
        backup: r.get(8)?,
        hash_before: r.get(9)?,
        hash_after: r.get(10)?,
        reverted_by: r.get(11)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::t0;

    fn rec(action: &str, at: DateTime<Utc>) -> SwitchRecord {
        SwitchRecord {
            key: 0,
            at,
            assistant: "claude-code".into(),
            action: action.into(),
            from_profile: Some("anthropic".into()),
            to_profile: Some("bedrock".into()),
            file: "/home/me/.claude/settings.json".into(),
            keys: vec!["env.CLAUDE_CODE_USE_BEDROCK".into()],
            backup: Some("/data/backups/x.bak".into()),
            hash_before: "a".into(),
            hash_after: "b".into(),
            reverted_by: None,
        }
    }

    #[test]
    fn switch_back_marks_the_switch_reverted() {
        let mut s = Store::open_in_memory().unwrap();
        let k = s.record_switch(&rec("switch", t0()), None).unwrap();
        assert_eq!(
            s.open_switch("claude-code").unwrap(),
            None,
            "an intent does not count yet"
        );
        s.complete_switch(k).unwrap();
        assert_eq!(s.open_switch("claude-code").unwrap().unwrap().key, k);
        assert_eq!(s.open_switch("codex").unwrap(), None);
        let b = s
            .record_switch(&rec("back", t0() + chrono::Duration::minutes(5)), Some(k))
            .unwrap();
        assert!(
            s.open_switch("claude-code").unwrap().is_some(),
            "not undone until the back is done"
        );
        s.complete_switch(b).unwrap();
        assert_eq!(s.open_switch("claude-code").unwrap(), None);
        let all = s.switches(None, 10).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].action, "back", "newest first");
        assert_eq!(all[1].reverted_by, Some(b));
        assert_eq!(all[1].keys, vec!["env.CLAUDE_CODE_USE_BEDROCK".to_string()]);
    }

    #[test]
    fn intents_left_by_a_killed_process_are_settled_by_the_file() {
        let mut s = Store::open_in_memory().unwrap();
        // Killed after writing the file: its hash is on disk.
        let done = s.record_switch(&rec("switch", t0()), None).unwrap();
        // Killed before writing: the file never got this hash.
        let mut never = rec("switch", t0() + chrono::Duration::minutes(1));
        never.hash_after = "c".into();
        let lost = s.record_switch(&never, None).unwrap();
        assert_eq!(s.resolve_pending("claude-code", "b").unwrap(), 2);
        assert_eq!(s.open_switch("claude-code").unwrap().unwrap().key, done);
        let all = s.switches(None, 10).unwrap();
        assert_eq!(all.len(), 1);
        assert!(all.iter().all(|r| r.key != lost));
        assert_eq!(s.resolve_pending("claude-code", "b").unwrap(), 0);
    }
}
