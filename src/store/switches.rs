//! The switch history: every switch, switch back and restore, with what it changed (key names and hashes, never values).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError, from_ts, ts};

/// One file a switch event wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwitchFile {
    /// The file written (symlinks resolved).
    pub file: String,
    /// Which of the assistant's files (its backup label); "" in history from before labels.
    pub label: String,
    /// Dotted key paths the write changed in it.
    pub keys: Vec<String>,
    /// The copy of the file as it was before the write, when it existed.
    pub backup: Option<String>,
    pub hash_before: String,
    pub hash_after: String,
    /// Its permission bits before the write (None: absent, unknown or not Unix).
    pub mode_before: Option<u32>,
}

/// One recorded switch, switch back or restore.
///
/// `file`, `keys`, `backup`, `hash_before` and `hash_after` describe the
/// event's first file (`files[0]`); `files` lists every file it wrote. When
/// recording, an empty `files` means the one file the top-level fields name.
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
    /// Every file the event wrote, in order.
    pub files: Vec<SwitchFile>,
    /// Made by an automatic failover rule rather than by the user.
    pub automatic: bool,
}

impl SwitchRecord {
    /// The files, or the one the top-level fields name when `files` is empty.
    pub fn file_list(&self) -> Vec<SwitchFile> {
        if !self.files.is_empty() {
            return self.files.clone();
        }
        vec![SwitchFile {
            file: self.file.clone(),
            label: String::new(),
            keys: self.keys.clone(),
            backup: self.backup.clone(),
            hash_before: self.hash_before.clone(),
            hash_after: self.hash_after.clone(),
            mode_before: None,
        }]
    }
}

const COLUMNS: &str = "key, at, assistant, action, from_profile, to_profile, file, keys, backup,
                        hash_before, hash_after, reverted_by, origin";

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
        let files = rec.file_list();
        let r = (|| {
            let tx = self.conn.transaction()?;
            let first = &files[0];
            let keys = serde_json::to_string(&first.keys).unwrap_or_else(|_| "[]".into());
            tx.execute(
                "INSERT INTO switch_events(at, assistant, action, from_profile, to_profile, file, keys,
                     backup, hash_before, hash_after, pending, reverts, origin)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12)",
                params![
                    ts(rec.at),
                    rec.assistant,
                    rec.action,
                    rec.from_profile,
                    rec.to_profile,
                    first.file,
                    keys,
                    first.backup,
                    first.hash_before,
                    first.hash_after,
                    reverts,
                    if rec.automatic { "auto" } else { "manual" }
                ],
            )?;
            let key = tx.last_insert_rowid();
            for (i, f) in files.iter().enumerate() {
                tx.execute(
                    "INSERT INTO switch_files(event, idx, file, label, keys, backup, hash_before, hash_after, mode_before)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        key,
                        i as i64,
                        f.file,
                        f.label,
                        serde_json::to_string(&f.keys).unwrap_or_else(|_| "[]".into()),
                        f.backup,
                        f.hash_before,
                        f.hash_after,
                        f.mode_before
                    ],
                )?;
            }
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
        .map_err(|e| StoreError::from(e).with_path(&self.path));
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
            .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    /// Intents not yet settled (a process was killed mid-write), oldest first.
    pub fn pending_switches(&self, assistant: &str) -> Result<Vec<SwitchRecord>, StoreError> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM switch_events
                  WHERE assistant = ?1 AND pending = 1 ORDER BY key"
            ))?;
            let rows = stmt.query_map([assistant], row)?;
            rows.collect::<Result<Vec<_>, _>>()
        })()
        .map_err(|e| StoreError::from(e).with_path(&self.path));
        let mut out = self.ctx(r)?;
        self.load_files(&mut out)?;
        Ok(out)
    }

    /// Settle intent `key` given which of its files (by `files` order) hold
    /// their new content: all of them, it counts (like [`Store::complete_switch`]);
    /// none, it is dropped; some, it counts for those files only, and does not
    /// mark the event it undoes as undone (part of that is still in place).
    pub fn settle_switch(&mut self, key: i64, written: &[bool]) -> Result<(), StoreError> {
        if written.iter().all(|w| *w) {
            return self.complete_switch(key);
        }
        if !written.iter().any(|w| *w) {
            return self.discard_switch(key);
        }
        let r = (|| {
            let tx = self.conn.transaction()?;
            for (i, w) in written.iter().enumerate() {
                if !w {
                    tx.execute(
                        "DELETE FROM switch_files WHERE event = ?1 AND idx = ?2",
                        params![key, i as i64],
                    )?;
                }
            }
            // The event's own columns follow its first remaining file.
            tx.execute(
                "UPDATE switch_events SET pending = 0,
                        (file, keys, backup, hash_before, hash_after) =
                        (SELECT file, keys, backup, hash_before, hash_after FROM switch_files
                          WHERE event = ?1 ORDER BY idx LIMIT 1)
                  WHERE key = ?1",
                [key],
            )?;
            tx.commit()
        })()
        .map_err(|e| StoreError::from(e).with_path(&self.path));
        self.ctx(r)
    }

    /// Settle intents a killed process left behind, given the (single) file's
    /// hash now: one whose result is on disk happened; the others did not.
    /// Call it under the switch lock, before reading the history.
    pub fn resolve_pending(
        &mut self,
        assistant: &str,
        file_hash: &str,
    ) -> Result<usize, StoreError> {
        let pending = self.pending_switches(assistant)?;
        let n = pending.len();
        for rec in pending {
            let written: Vec<bool> = rec
                .file_list()
                .iter()
                .map(|f| f.hash_after == file_hash)
                .collect();
            self.settle_switch(rec.key, &written)?;
        }
        Ok(n)
    }

    fn load_files(&self, recs: &mut [SwitchRecord]) -> Result<(), StoreError> {
        for rec in recs.iter_mut() {
            let r = (|| {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT file, label, keys, backup, hash_before, hash_after, mode_before
                       FROM switch_files WHERE event = ?1 ORDER BY idx",
                )?;
                let rows = stmt.query_map([rec.key], |r| {
                    let keys: String = r.get(2)?;
                    Ok(SwitchFile {
                        file: r.get(0)?,
                        label: r.get(1)?,
                        keys: serde_json::from_str(&keys).unwrap_or_default(),
                        backup: r.get(3)?,
                        hash_before: r.get(4)?,
                        hash_after: r.get(5)?,
                        mode_before: r.get(6)?,
                    })
                })?;
                rows.collect::<Result<Vec<_>, _>>()
            })()
            .map_err(|e| StoreError::from(e).with_path(&self.path));
            rec.files = self.ctx(r)?;
        }
        Ok(())
    }

    /// Switch history, newest first (all assistants when `assistant` is None).
    pub fn switches(
        &self,
        assistant: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SwitchRecord>, StoreError> {
        let r = (|| {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {COLUMNS}
                   FROM switch_events
                  WHERE (?1 IS NULL OR assistant = ?1) AND pending = 0
                  ORDER BY at DESC, key DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![assistant, limit as i64], row)?;
            rows.collect::<Result<Vec<_>, _>>()
        })()
        .map_err(|e| StoreError::from(e).with_path(&self.path));
        let mut out = self.ctx(r)?;
        self.load_files(&mut out)?;
        Ok(out)
    }

    /// The newest switch of `assistant` that nothing has undone yet: what "switch back" undoes.
    /// The hash the history says the backup at `path` holds (the file's content
    /// just before the write that made it), if any recorded write made it.
    pub fn backup_hash(&self, path: &str) -> Result<Option<String>, StoreError> {
        let r = self
            .conn
            .prepare_cached(
                "SELECT hash_before FROM switch_files WHERE backup = ?1 ORDER BY event DESC LIMIT 1",
            )
            .and_then(|mut stmt| stmt.query_row([path], |r| r.get(0)).optional())
            .map_err(StoreError::from);
        self.ctx(r)
    }

    pub fn open_switch(&self, assistant: &str) -> Result<Option<SwitchRecord>, StoreError> {
        let r = (|| {
            self.conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS}
                       FROM switch_events
                      WHERE assistant = ?1 AND action = 'switch' AND reverted_by IS NULL
                        AND pending = 0
                      ORDER BY at DESC, key DESC LIMIT 1"
                ))?
                .query_row([assistant], row)
                .optional()
        })()
        .map_err(|e| StoreError::from(e).with_path(&self.path));
        let mut out: Vec<SwitchRecord> = self.ctx(r)?.into_iter().collect();
        self.load_files(&mut out)?;
        Ok(out.pop())
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
        files: Vec::new(),
        automatic: r.get::<_, String>(12)? == "auto",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::t0;

    fn rec(action: &str, at: DateTime<Utc>) -> SwitchRecord {
        SwitchRecord {
            automatic: false,
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
            files: vec![],
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

    fn two_files(action: &str, at: DateTime<Utc>) -> SwitchRecord {
        let file = |name: &str, after: &str| SwitchFile {
            file: format!("/h/.gemini/{name}"),
            label: format!("gemini-{name}"),
            keys: vec!["K".into()],
            backup: None,
            hash_before: "old".into(),
            hash_after: after.into(),
            mode_before: None,
        };
        SwitchRecord {
            automatic: false,
            assistant: "gemini".into(),
            files: vec![file("settings.json", "s1"), file(".env", "e1")],
            ..rec(action, at)
        }
    }

    #[test]
    fn a_switch_of_two_files_keeps_both_and_a_half_done_one_keeps_the_written_file() {
        let mut s = Store::open_in_memory().unwrap();
        let k = s.record_switch(&two_files("switch", t0()), None).unwrap();
        let pending = s.pending_switches("gemini").unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].files.len(), 2);
        assert_eq!(
            pending[0].file, "/h/.gemini/settings.json",
            "the first file on top"
        );
        // Killed between the writes: only .env was written.
        s.settle_switch(k, &[false, true]).unwrap();
        let open = s.open_switch("gemini").unwrap().unwrap();
        assert_eq!(open.files.len(), 1);
        assert_eq!(open.files[0].file, "/h/.gemini/.env");
        assert_eq!(open.file, "/h/.gemini/.env");
        assert_eq!(open.hash_after, "e1");
        // A back that only got half way does not close the switch.
        let b = s
            .record_switch(
                &two_files("back", t0() + chrono::Duration::minutes(1)),
                Some(k),
            )
            .unwrap();
        s.settle_switch(b, &[true, false]).unwrap();
        assert_eq!(s.open_switch("gemini").unwrap().unwrap().key, k);
        let b2 = s
            .record_switch(
                &two_files("back", t0() + chrono::Duration::minutes(2)),
                Some(k),
            )
            .unwrap();
        s.settle_switch(b2, &[true, true]).unwrap();
        assert_eq!(s.open_switch("gemini").unwrap(), None);
        // A dropped intent leaves no file rows behind.
        let gone = s.record_switch(&two_files("switch", t0()), None).unwrap();
        s.settle_switch(gone, &[false, false]).unwrap();
        let n: i64 = s
            .conn
            .query_row(
                "SELECT count(*) FROM switch_files WHERE event = ?1",
                [gone],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0);
    }
}
