//! A strictly read-only tailer for append-only JSONL files: per file an offset, only the bytes
//! appended since the last read, a torn last line left for next time, over-long lines skipped
//! without buffering them, truncated or replaced files started over. Files are opened
//! read-only and never written, locked or moved. The offsets are a [`FollowState`] the caller
//! persists (the store keeps it across restarts); there is no global state.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono::{FixedOffset, Offset, Utc};
use serde::{Deserialize, Serialize};

use super::records::{LineContext, Parsed, parse_line};
use crate::switch::profiles::AssistantId;

/// Lines longer than this are skipped (no error record is anywhere near it; a transcript line
/// holding a pasted file can be).
pub const MAX_LINE: usize = 1 << 20;
/// Bytes read per `read` call.
const CHUNK: usize = 64 * 1024;

/// Where reading starts in a file seen for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// From its first byte: a file created while we watch.
    Beginning,
    /// At its end: history is not news (and may be gigabytes).
    End,
    /// The last this-many bytes, from the first whole line in them: errors of the last few
    /// minutes at start-up.
    Tail(u64),
}

/// Where one file was left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCursor {
    pub dev: u64,
    pub ino: u64,
    /// Bytes consumed: everything before is read (or skipped).
    pub offset: u64,
    /// The bytes up to `offset` end inside an over-long (or cut) line: skip to its newline.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipping: bool,
    /// The provider the file named (Codex `session_meta`), remembered for its later errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// Where reading of an SQLite log (Codex's `logs_2.sqlite`) was left: the last row id read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogCursor {
    pub dev: u64,
    pub ino: u64,
    /// Rows up to this id are read (or were history when first seen).
    pub last_id: i64,
}

/// Every followed file's cursor; serialisable so the store can keep it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowState {
    pub files: BTreeMap<PathBuf, FileCursor>,
    /// SQLite logs followed by row id (absent from states saved before they were read, which
    /// still load).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub logs: BTreeMap<PathBuf, LogCursor>,
}

/// How the follower reads.
#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    pub max_line: usize,
    /// A known file that grew by more than this while we were not looking (Weathervane was
    /// off) is resumed this many bytes before its end instead: a first start after a week
    /// off must not read a week of transcripts.
    pub max_catch_up: u64,
    /// The user's UTC offset, for reset times named in local time.
    pub utc_offset: FixedOffset,
}

impl Default for FollowOptions {
    fn default() -> FollowOptions {
        FollowOptions {
            max_line: MAX_LINE,
            max_catch_up: 256 * 1024,
            utc_offset: Utc.fix(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Follows any number of files; one per session.
#[derive(Debug, Default)]
pub struct Follower {
    state: FollowState,
    opts: FollowOptions,
}

/// The first line of a file, if it ends within `max` bytes.
pub(crate) fn first_line(path: &Path, max: usize) -> Option<Vec<u8>> {
    let file = File::open(path).ok()?;
    let mut head = Vec::new();
    file.take(max as u64 + 1).read_to_end(&mut head).ok()?;
    let end = head.iter().position(|&b| b == b'\n')?;
    head.truncate(end);
    Some(head)
}

#[cfg(unix)]
pub(crate) fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
pub(crate) fn identity(_m: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

impl Follower {
    pub fn new(state: FollowState, opts: FollowOptions) -> Follower {
        Follower { state, opts }
    }

    pub fn state(&self) -> &FollowState {
        &self.state
    }

    pub(crate) fn state_mut(&mut self) -> &mut FollowState {
        &mut self.state
    }

    pub(crate) fn options(&self) -> &FollowOptions {
        &self.opts
    }

    /// Stop following `path` (it was removed).
    pub fn forget(&mut self, path: &Path) {
        self.state.files.remove(path);
    }

    /// Drop the cursors of files that no longer exist.
    pub fn forget_missing(&mut self) {
        self.state.files.retain(|p, _| p.exists());
        self.state.logs.retain(|p, _| p.exists());
    }

    /// Whether `path` is followed already.
    pub fn knows(&self, path: &Path) -> bool {
        self.state.files.contains_key(path)
    }

    /// Read what was appended to `path` since the last call, as parsed records of
    /// `assistant`'s format. `first` says where to start if `path` is new to us. Codex errors
    /// get the provider its `session_meta` named.
    pub fn read_new(
        &mut self,
        path: &Path,
        assistant: AssistantId,
        first: StartAt,
    ) -> Result<Vec<Parsed>, FollowError> {
        let ctx = LineContext::for_file(assistant, path, self.opts.utc_offset);
        let mut out = Vec::new();
        let mut provider = match self.state.files.get(path) {
            Some(c) => c.provider.clone(),
            // A Codex rollout first seen mid-way: its first line (`session_meta`) names the
            // provider its later errors belong to. One bounded read per file, once.
            None if assistant == AssistantId::Codex && first != StartAt::Beginning => {
                match first_line(path, self.opts.max_line).and_then(|l| parse_line(&l, &ctx)) {
                    Some(Parsed::Provider { provider, .. }) => Some(provider),
                    _ => None,
                }
            }
            None => None,
        };
        self.read_lines(path, first, |line| match parse_line(line, &ctx) {
            Some(Parsed::Provider {
                session,
                provider: p,
            }) => {
                provider = Some(p.clone());
                out.push(Parsed::Provider {
                    session,
                    provider: p,
                });
            }
            Some(Parsed::Error(mut f)) => {
                if f.provider.is_none() {
                    f.provider = provider.clone();
                }
                out.push(Parsed::Error(f));
            }
            None => {}
        })?;
        if let Some(c) = self.state.files.get_mut(path) {
            c.provider = provider;
        }
        Ok(out)
    }

    /// Call `each` with every whole line appended to `path` since the last call (without its
    /// newline). The cursor moves past the last newline only: a torn last line waits.
    pub fn read_lines(
        &mut self,
        path: &Path,
        first: StartAt,
        mut each: impl FnMut(&[u8]),
    ) -> Result<(), FollowError> {
        let io = |source| FollowError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Read-only open; std takes no lock. Metadata from the handle, so identity and length
        // are the file we read even if it is replaced meanwhile.
        let mut file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        let (dev, ino) = identity(&meta);
        let len = meta.len();
        let max_catch_up = self.opts.max_catch_up;
        let cursor = self
            .state
            .files
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                let offset = match first {
                    StartAt::Beginning => 0,
                    StartAt::End => len,
                    StartAt::Tail(n) => len.saturating_sub(n),
                };
                FileCursor {
                    dev,
                    ino,
                    offset,
                    // Starting inside the file: the first (partial) line is not ours.
                    skipping: offset > 0 && offset < len,
                    provider: None,
                }
            });
        if (cursor.dev, cursor.ino) != (dev, ino) || len < cursor.offset {
            // Replaced (a new file under the old name) or truncated: a new file, read it whole.
            *cursor = FileCursor {
                dev,
                ino,
                offset: 0,
                skipping: false,
                provider: None,
            };
        } else if len - cursor.offset > max_catch_up && max_catch_up > 0 {
            cursor.offset = len - max_catch_up;
            cursor.skipping = true;
        }
        if cursor.offset == len {
            return Ok(());
        }
        file.seek(SeekFrom::Start(cursor.offset)).map_err(io)?;
        // Only up to the length seen now: bytes written meanwhile are the next event's.
        let mut reader = file.take(len - cursor.offset);
        let mut buf = vec![0u8; CHUNK];
        let mut line: Vec<u8> = Vec::new();
        let mut pos = cursor.offset;
        let mut skipping = cursor.skipping;
        let mut consumed = cursor.offset;
        loop {
            let n = reader.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            let mut rest = &buf[..n];
            while let Some(i) = rest.iter().position(|&b| b == b'\n') {
                if !skipping {
                    line.extend_from_slice(&rest[..i]);
                    let l = line.strip_suffix(b"\r").unwrap_or(&line);
                    if !l.is_empty() {
                        each(l);
                    }
                }
                line.clear();
                skipping = false;
                pos += i as u64 + 1;
                consumed = pos;
                rest = &rest[i + 1..];
            }
            pos += rest.len() as u64;
            if !skipping {
                if line.len() + rest.len() > self.opts.max_line {
                    // Too long to be a record we want: drop it and skip to its newline.
                    line.clear();
                    skipping = true;
                } else {
                    line.extend_from_slice(rest);
                }
            }
            if skipping {
                // Nothing of a skipped line is kept: the cursor may move past it.
                consumed = pos;
            }
        }
        cursor.offset = consumed;
        cursor.skipping = skipping;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines(f: &mut Follower, p: &Path, first: StartAt) -> Vec<String> {
        let mut out = Vec::new();
        f.read_lines(p, first, |l| {
            out.push(String::from_utf8_lossy(l).into_owned())
        })
        .unwrap();
        out
    }

    fn append(p: &Path, bytes: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .unwrap();
        f.write_all(bytes).unwrap();
    }

    #[test]
    fn reads_only_appended_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"a\nb\ntor");
        let mut f = Follower::default();
        assert_eq!(lines(&mut f, &p, StartAt::Beginning), ["a", "b"]);
        assert_eq!(lines(&mut f, &p, StartAt::Beginning), Vec::<String>::new());
        append(&p, b"n\r\nc\n");
        assert_eq!(lines(&mut f, &p, StartAt::Beginning), ["torn", "c"]);
        assert_eq!(f.state().files[&p].offset, 12);
    }

    #[test]
    fn first_sight_starts_at_end_or_tail() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"old-1\nold-2\nold-3\n");
        let mut f = Follower::default();
        assert!(lines(&mut f, &p, StartAt::End).is_empty());
        append(&p, b"new\n");
        assert_eq!(lines(&mut f, &p, StartAt::End), ["new"]);
        let mut g = Follower::default();
        // The last 8 bytes start inside "old-2": that partial line is not read.
        let q = dir.path().join("t.jsonl");
        append(&q, b"old-1\nold-2\nold-3\n");
        assert_eq!(lines(&mut g, &q, StartAt::Tail(8)), ["old-3"]);
        let mut h = Follower::default();
        assert_eq!(
            lines(&mut h, &q, StartAt::Tail(1 << 20)),
            ["old-1", "old-2", "old-3"]
        );
    }

    #[test]
    fn long_lines_are_skipped_without_buffering() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let mut f = Follower::new(
            FollowState::default(),
            FollowOptions {
                max_line: 100,
                ..FollowOptions::default()
            },
        );
        append(&p, b"short\n");
        append(&p, &[b'x'; 150]);
        assert_eq!(lines(&mut f, &p, StartAt::Beginning), ["short"]);
        // The cursor moved past the skipped bytes, remembering to skip to the newline.
        assert_eq!(f.state().files[&p].offset, 156);
        assert!(f.state().files[&p].skipping);
        append(&p, &[b'y'; 150]);
        append(&p, b"\nafter\n");
        assert_eq!(lines(&mut f, &p, StartAt::Beginning), ["after"]);
        assert!(!f.state().files[&p].skipping);
    }

    #[test]
    fn truncated_or_replaced_files_start_over() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"one\ntwo\n");
        let mut f = Follower::default();
        assert_eq!(lines(&mut f, &p, StartAt::Beginning), ["one", "two"]);
        std::fs::write(&p, b"x\n").unwrap();
        assert_eq!(lines(&mut f, &p, StartAt::Beginning), ["x"]);
        #[cfg(unix)]
        {
            // Replaced by a longer file under the same name: a new inode.
            let tmp = dir.path().join("new");
            std::fs::write(&tmp, b"r1\nr2\nr3\n").unwrap();
            std::fs::rename(&tmp, &p).unwrap();
            assert_eq!(lines(&mut f, &p, StartAt::Beginning), ["r1", "r2", "r3"]);
        }
    }

    #[test]
    fn state_round_trips_and_catch_up_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"a\n");
        let mut f = Follower::default();
        lines(&mut f, &p, StartAt::Beginning);
        let json = serde_json::to_string(f.state()).unwrap();
        let state: FollowState = serde_json::from_str(&json).unwrap();
        assert_eq!(&state, f.state());
        append(&p, b"b\n");
        let mut g = Follower::new(state, FollowOptions::default());
        assert_eq!(lines(&mut g, &p, StartAt::End), ["b"]);
        // A restart after a lot was written: only the last `max_catch_up` bytes.
        let mut h = Follower::new(
            g.state().clone(),
            FollowOptions {
                max_catch_up: 4,
                ..FollowOptions::default()
            },
        );
        append(&p, b"c1\nc2\nc3\n");
        assert_eq!(lines(&mut h, &p, StartAt::End), ["c3"]);
    }

    #[test]
    fn a_codex_rollout_seen_midway_still_names_its_provider() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rollout-x.jsonl");
        append(
            &p,
            br#"{"timestamp":"2026-12-01T10:00:00Z","type":"session_meta","payload":{"id":"x","model_provider":"azure"}}
{"timestamp":"2026-12-01T10:00:01Z","type":"event_msg","payload":{"type":"token_count"}}
"#,
        );
        let mut f = Follower::default();
        assert!(
            f.read_new(&p, AssistantId::Codex, StartAt::End)
                .unwrap()
                .is_empty()
        );
        append(
            &p,
            br#"{"timestamp":"2026-12-01T10:02:00Z","type":"event_msg","payload":{"type":"error","message":"unexpected status 503"}}
"#,
        );
        let got = f.read_new(&p, AssistantId::Codex, StartAt::End).unwrap();
        assert!(
            matches!(&got[..], [Parsed::Error(e)] if e.provider.as_deref() == Some("azure")),
            "{got:?}"
        );
    }

    #[test]
    fn files_are_only_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"a\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
        }
        let before = std::fs::metadata(&p).unwrap().modified().unwrap();
        let mut f = Follower::default();
        assert_eq!(lines(&mut f, &p, StartAt::Beginning), ["a"]);
        assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), before);
    }
}
