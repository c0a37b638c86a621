//! The events the core broadcasts to whoever listens (the CLI's `watch`, the desktop shell).

use crate::model::Observation;
use crate::policy::Alert;

#[derive(Debug, Clone)]
pub enum CoreEvent {
    /// A provider was polled (successfully or not) and the result stored.
    Observed(Box<Observation>),
    /// The policy decided the user should be told something.
    Alert(Box<Alert>),
    /// Every source failed on the network (true) or one answered again (false).
    Offline(bool),
    /// The history could not be written (disk full, read-only data dir...).
    StoreError(String),
}
