//! From the outside world to "what is true now": fetching, the status sources, the poller,
//! the measured verdicts, the snapshot joined with the watch list, and the notification policy.

pub mod backfill;
pub mod fetch;
pub mod policy;
pub mod poller;
pub mod sessions;
pub mod sources;
pub mod state;
pub mod verdict;
