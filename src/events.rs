//! The events the core broadcasts to whoever listens (the CLI's `watch`, the desktop shell).

use crate::model::Observation;
use crate::monitor::policy::Alert;
use crate::monitor::sessions::SessionsVerdict;
use crate::monitor::verdict::Verdict;
use crate::switch::assistants::SwitchOutcome;
use crate::switch::profiles::AssistantId;

#[derive(Debug, Clone)]
pub enum CoreEvent {
    /// A provider was polled (successfully or not) and the result stored.
    Observed(Box<Observation>),
    /// A provider was probed and the sample stored: the measured verdict now.
    Measured {
        provider_id: String,
        verdict: Box<Verdict>,
    },
    /// The user's own sessions were judged again for a provider (new failed calls, or old
    /// ones leaving the window).
    Sessions {
        provider_id: String,
        verdict: Box<SessionsVerdict>,
    },
    /// The policy decided the user should be told something.
    Alert(Box<Alert>),
    /// Every source failed on the network (true) or one answered again (false).
    Offline(bool),
    /// A failover rule switched an assistant (or back), or tried to.
    AutoSwitched(Box<AutoSwitch>),
    /// The history could not be written (disk full, read-only data dir...).
    StoreError(String),
}

/// What an automatic failover did.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoSwitch {
    pub assistant: AssistantId,
    /// A switch back to the profile the rule switched away from.
    pub back: bool,
    /// Why, in words: "Anthropic's status page reports a major outage".
    pub reason: String,
    /// What was written, or why nothing was.
    pub result: Result<SwitchOutcome, String>,
    /// The action id that undoes it in one click (`back:<a>` or `switch:<a>:<profile>`).
    pub undo: Option<String>,
}
