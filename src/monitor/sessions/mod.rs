//! Early warning from the user's own assistants: follow the session files Claude Code, Codex
//! and Gemini CLI write (read-only), turn their failed-call records into facts, attribute them
//! to a provider, and judge a `sessions` verdict per provider beside the page and the probes.
//!
//! - [`records`]: one JSONL line → an [`ErrorFact`] (or the provider a session runs on);
//! - [`classify`]: whose trouble a failed call is;
//! - [`follow`]: read only what was appended, offsets kept across restarts ([`FollowState`]);
//! - [`codex_log`]: Codex's SQLite log (`logs_2.sqlite`), its retries as they happen, read-only;
//! - [`watch`]: where the files are, file-change events, facts over a channel;
//! - [`verdict`]: a sliding-window verdict per provider;
//! - [`attribute`]: which provider a fact belongs to.

pub mod attribute;
pub mod classify;
pub mod codex_log;
pub mod follow;
pub mod records;
pub mod verdict;
pub mod watch;

pub use attribute::{attribute, provider_of};
pub use classify::{SessionErrorKind, Signal, classify};
pub use follow::{FileCursor, FollowOptions, FollowState, Follower, LogCursor, StartAt};
pub use records::{ErrorFact, LineContext, Parsed, parse_line, sanitize_code, session_key};
pub use verdict::{SessionsVerdict, judge, judge_all};
