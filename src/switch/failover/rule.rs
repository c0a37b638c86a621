//! Automatic failover: a pure decision per rule ("when PROVIDER is in partial or major outage, switch ASSISTANT to PROFILE; switch back after it has been healthy for M minutes").
//!
//! The caller (the poller) passes the provider's health, the assistant's
//! switch state and `now`; [`decide`] returns the new [`RuleState`] and at most
//! one action. The caller performs it with the switch engine and reports back
//! with [`RuleState::switched`] / [`RuleState::switched_back`] /
//! [`RuleState::failed`]. Decisions (also documented on the items):
//! - Official partial/major outage triggers at once (status pages are slow to
//!   say so; when they do, it is real). A measured partial/major outage must
//!   last `after` first. Degraded never triggers. A measured verdict never
//!   becomes an outage from rate limits (see `verdict`), so a 429 storm never
//!   switches anything.
//! - Offline: nothing is decided and nothing is timed; no provider is blamed.
//!   The clocks started before it start again after it.
//! - Healthy means the official status is known and not an outage, and the
//!   measured one is not an outage. An unknown official status stops the
//!   healthy clock: staying on the fallback is the safe side.
//! - A manual switch always wins: while the assistant has an open switch the
//!   rule did not make, the rule does nothing; when the user undoes or replaces
//!   the rule's switch, the rule keeps its hands off until the provider is
//!   healthy again.
//! - Two automatic actions of one rule are never closer than `min_dwell`.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Status;
use crate::switch::profiles::AssistantId;

/// Default time a measured outage must last before a switch.
pub const DEFAULT_AFTER: StdDuration = StdDuration::from_secs(5 * 60);
/// Default healthy time before switching back.
pub const DEFAULT_BACK_AFTER: StdDuration = StdDuration::from_secs(10 * 60);
/// Default shortest time between two automatic actions of one rule.
pub const DEFAULT_MIN_DWELL: StdDuration = StdDuration::from_secs(10 * 60);

/// One rule, from `[failover.<assistant>]` in the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub assistant: AssistantId,
    /// The provider whose outage triggers it (a catalog id).
    pub provider: String,
    /// The profile to switch to.
    pub to: String,
    /// A measured outage must last this long (an official one triggers at once).
    pub after: StdDuration,
    /// Switch back once the provider has been healthy this long.
    pub back_after: StdDuration,
    /// Never two automatic actions closer than this.
    pub min_dwell: StdDuration,
    pub enabled: bool,
}

/// The rule's provider as the poller sees it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    /// Latest official status (Unknown when its source failed).
    pub official: Status,
    /// The probes' verdict (Unknown without probes, while measuring, or offline).
    pub measured: Status,
    /// The user's network is down.
    pub offline: bool,
}

/// The assistant's switch state now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistantNow {
    /// The provider the assistant's current profile depends on.
    pub provider: Option<String>,
    /// The profile it is on now.
    pub profile: Option<String>,
    /// The switch "Switch back" would undo: its history key and whether a rule made it.
    pub open_switch: Option<(i64, bool)>,
}

/// What the rule did last, kept between calls (and across restarts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleState {
    /// Since when the measured verdict has been an outage.
    pub measured_outage_since: Option<DateTime<Utc>>,
    /// Since when the provider has been healthy.
    pub healthy_since: Option<DateTime<Utc>>,
    /// The rule's own switch that is still open (its history key).
    pub switched: Option<i64>,
    /// The user undid or replaced the rule's switch: do nothing until healthy.
    pub hands_off: bool,
    /// The last automatic action, or a failed attempt at one.
    pub last_action: Option<DateTime<Utc>>,
}

impl RuleState {
    /// The switch the action asked for happened; `key` is its history row.
    pub fn switched(&mut self, key: i64, at: DateTime<Utc>) {
        self.switched = Some(key);
        self.last_action = Some(at);
        self.healthy_since = None;
    }

    /// The switch back happened.
    pub fn switched_back(&mut self, at: DateTime<Utc>) {
        self.switched = None;
        self.last_action = Some(at);
    }

    /// The action failed (refused, file unreadable...): try again after the dwell time.
    pub fn failed(&mut self, at: DateTime<Utc>) {
        self.last_action = Some(at);
    }
}

/// What the rule wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Switch the assistant to the rule's profile.
    SwitchTo { profile: String, reason: String },
    /// Undo the rule's switch.
    SwitchBack { reason: String },
}

fn is_outage(s: Status) -> bool {
    matches!(s, Status::PartialOutage | Status::MajorOutage)
}

fn mins(d: StdDuration) -> String {
    // Whole minutes that have passed: "healthy for 13 minutes" after 13 min 15 s.
    let m = (d.as_secs() / 60).max(1);
    if m == 1 {
        "1 minute".into()
    } else {
        format!("{m} minutes")
    }
}

/// Decide what `rule` does now. Pure: everything it needs is passed in.
pub fn decide(
    rule: &Rule,
    prev: &RuleState,
    health: Health,
    assistant: &AssistantNow,
    provider_name: &str,
    now: DateTime<Utc>,
) -> (RuleState, Option<Action>) {
    let mut st = prev.clone();
    if !rule.enabled {
        return (st, None);
    }
    if health.offline {
        // Nothing is timed while offline: an outage or a recovery seen before
        // must be seen again after (the probes' first verdicts then still count
        // the failures of the user's own network).
        st.measured_outage_since = None;
        st.healthy_since = None;
        return (st, None);
    }

    // Track the clocks.
    if is_outage(health.measured) {
        st.measured_outage_since.get_or_insert(now);
    } else if health.measured != Status::Unknown {
        st.measured_outage_since = None;
    }
    let healthy = health.official != Status::Unknown
        && !is_outage(health.official)
        && !is_outage(health.measured);
    if healthy {
        st.healthy_since.get_or_insert(now);
    } else {
        st.healthy_since = None;
    }

    // A manual switch always wins.
    if let Some(ours) = st.switched {
        let still_ours = assistant.open_switch == Some((ours, true));
        if !still_ours {
            st.switched = None;
            st.hands_off = true;
        }
    }
    if st.hands_off {
        if healthy {
            st.hands_off = false;
        }
        return (st, None);
    }
    let dwell_over = st
        .last_action
        .is_none_or(|t| now - t >= Duration::from_std(rule.min_dwell).unwrap_or_default());

    if st.switched.is_some() {
        let back_after = Duration::from_std(rule.back_after).unwrap_or_default();
        if let Some(since) = st.healthy_since
            && now - since >= back_after
            && dwell_over
        {
            return (
                st,
                Some(Action::SwitchBack {
                    reason: format!(
                        "{provider_name} has been healthy for {}",
                        mins((now - since).to_std().unwrap_or_default())
                    ),
                }),
            );
        }
        return (st, None);
    }

    // Not switched by us: only an assistant on the rule's provider, with no
    // switch of the user's open, is ours to move.
    if assistant.open_switch.is_some()
        || assistant.provider.as_deref() != Some(rule.provider.as_str())
        || assistant.profile.as_deref() == Some(rule.to.as_str())
        || !dwell_over
    {
        return (st, None);
    }
    let reason = if is_outage(health.official) {
        Some(format!(
            "{provider_name}'s status page reports a {}",
            health.official.label().to_lowercase()
        ))
    } else {
        let after = Duration::from_std(rule.after).unwrap_or_default();
        st.measured_outage_since
            .filter(|since| now - *since >= after)
            .map(|since| {
                format!(
                    "Weathervane's probes have measured a {} of {provider_name} for {}",
                    health.measured.label().to_lowercase(),
                    mins((now - since).to_std().unwrap_or_default())
                )
            })
    };
    match reason {
        Some(reason) => (
            st,
            Some(Action::SwitchTo {
                profile: rule.to.clone(),
                reason,
            }),
        ),
        None => (st, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rule() -> Rule {
        Rule {
            assistant: AssistantId::ClaudeCode,
            provider: "anthropic".into(),
            to: "openrouter".into(),
            after: StdDuration::from_secs(300),
            back_after: StdDuration::from_secs(600),
            min_dwell: StdDuration::from_secs(600),
            enabled: true,
        }
    }

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn h(official: Status, measured: Status) -> Health {
        Health {
            official,
            measured,
            offline: false,
        }
    }

    fn on_anthropic() -> AssistantNow {
        AssistantNow {
            provider: Some("anthropic".into()),
            profile: Some("anthropic".into()),
            open_switch: None,
        }
    }

    fn auto_switched(key: i64) -> AssistantNow {
        AssistantNow {
            provider: Some("openrouter".into()),
            profile: Some("openrouter".into()),
            open_switch: Some((key, true)),
        }
    }

    use Status::*;

    #[test]
    fn official_outage_switches_at_once_and_back_after_healthy_time() {
        let r = rule();
        let (st, a) = decide(
            &r,
            &RuleState::default(),
            h(MajorOutage, Unknown),
            &on_anthropic(),
            "Anthropic",
            at(0),
        );
        assert!(
            matches!(a, Some(Action::SwitchTo { ref profile, .. }) if profile == "openrouter"),
            "{a:?}"
        );
        let mut st = st;
        st.switched(7, at(0));
        // Healthy again at 12, but switching back waits 10 healthy minutes.
        let (st, a) = decide(
            &r,
            &st,
            h(Operational, Unknown),
            &auto_switched(7),
            "Anthropic",
            at(12),
        );
        assert_eq!(a, None);
        let (_, a) = decide(
            &r,
            &st,
            h(Operational, Unknown),
            &auto_switched(7),
            "Anthropic",
            at(22),
        );
        assert_eq!(
            a,
            Some(Action::SwitchBack {
                reason: "Anthropic has been healthy for 10 minutes".into()
            })
        );
    }

    #[test]
    fn measured_outage_must_last() {
        let r = rule();
        let mut st = RuleState::default();
        for m in 0..5 {
            let (s, a) = decide(
                &r,
                &st,
                h(Operational, MajorOutage),
                &on_anthropic(),
                "Anthropic",
                at(m),
            );
            assert_eq!(a, None, "minute {m}");
            st = s;
        }
        let (_, a) = decide(
            &r,
            &st,
            h(Operational, PartialOutage),
            &on_anthropic(),
            "Anthropic",
            at(5),
        );
        assert!(matches!(a, Some(Action::SwitchTo { .. })));
    }

    #[test]
    fn degraded_offline_and_unknown_never_switch() {
        let r = rule();
        for health in [
            h(Degraded, Degraded),
            h(Unknown, Unknown),
            Health {
                official: MajorOutage,
                measured: MajorOutage,
                offline: true,
            },
        ] {
            let mut st = RuleState::default();
            for m in 0..60 {
                let (s, a) = decide(&r, &st, health, &on_anthropic(), "Anthropic", at(m));
                assert_eq!(a, None, "{health:?} at minute {m}");
                st = s;
            }
        }
    }

    #[test]
    fn time_offline_counts_for_neither_clock() {
        let r = rule();
        let offline = Health {
            official: Unknown,
            measured: Unknown,
            offline: true,
        };
        // Measured down at 0, then the user's network is down until 30: the
        // first verdict after it is no 30-minute outage.
        let (st, _) = decide(
            &r,
            &RuleState::default(),
            h(Operational, MajorOutage),
            &on_anthropic(),
            "Anthropic",
            at(0),
        );
        let (st, _) = decide(&r, &st, offline, &on_anthropic(), "Anthropic", at(1));
        let (st, a) = decide(
            &r,
            &st,
            h(Operational, MajorOutage),
            &on_anthropic(),
            "Anthropic",
            at(30),
        );
        assert_eq!(a, None);
        assert_eq!(st.measured_outage_since, Some(at(30)));
        // Healthy from 1, offline at 5: healthy again from 11, not from 1.
        let mut st = RuleState::default();
        st.switched(7, at(0));
        let ok = h(Operational, Unknown);
        let (st, _) = decide(&r, &st, ok, &auto_switched(7), "Anthropic", at(1));
        let (st, _) = decide(&r, &st, offline, &auto_switched(7), "Anthropic", at(5));
        let (st, a) = decide(&r, &st, ok, &auto_switched(7), "Anthropic", at(11));
        assert_eq!(a, None);
        let (_, a) = decide(&r, &st, ok, &auto_switched(7), "Anthropic", at(21));
        assert!(matches!(a, Some(Action::SwitchBack { .. })), "{a:?}");
    }

    #[test]
    fn a_manual_switch_is_never_overridden() {
        let r = rule();
        // The user switched to ollama themselves before the outage.
        let manual = AssistantNow {
            provider: Some("ollama".into()),
            profile: Some("ollama".into()),
            open_switch: Some((3, false)),
        };
        let (_, a) = decide(
            &r,
            &RuleState::default(),
            h(MajorOutage, MajorOutage),
            &manual,
            "Anthropic",
            at(0),
        );
        assert_eq!(a, None);

        // We switched; the user switched back by hand during the outage: hands off.
        let mut st = RuleState::default();
        st.switched(7, at(0));
        let (st, a) = decide(
            &r,
            &st,
            h(MajorOutage, Unknown),
            &on_anthropic(),
            "Anthropic",
            at(15),
        );
        assert_eq!(a, None);
        assert!(st.hands_off);
        let (st, a) = decide(
            &r,
            &st,
            h(MajorOutage, Unknown),
            &on_anthropic(),
            "Anthropic",
            at(40),
        );
        assert_eq!(a, None, "still hands off while the outage lasts");
        // Recovery clears it; the next outage may switch again.
        let (st, _) = decide(
            &r,
            &st,
            h(Operational, Unknown),
            &on_anthropic(),
            "Anthropic",
            at(60),
        );
        assert!(!st.hands_off);
        let (_, a) = decide(
            &r,
            &st,
            h(MajorOutage, Unknown),
            &on_anthropic(),
            "Anthropic",
            at(90),
        );
        assert!(matches!(a, Some(Action::SwitchTo { .. })));
    }

    #[test]
    fn dwell_time_stops_flapping() {
        let r = rule();
        let mut st = RuleState::default();
        st.switched(7, at(0));
        // Healthy from minute 0: back_after (10) and dwell (10) both pass at 10.
        let (s, _) = decide(
            &r,
            &st,
            h(Operational, Unknown),
            &auto_switched(7),
            "Anthropic",
            at(0),
        );
        let (mut s, a) = decide(
            &r,
            &s,
            h(Operational, Unknown),
            &auto_switched(7),
            "Anthropic",
            at(10),
        );
        assert!(matches!(a, Some(Action::SwitchBack { .. })));
        s.switched_back(at(10));
        // Down again a minute later: not before the dwell time is over.
        let (s, a) = decide(
            &r,
            &s,
            h(MajorOutage, Unknown),
            &on_anthropic(),
            "Anthropic",
            at(11),
        );
        assert_eq!(a, None);
        let (_, a) = decide(
            &r,
            &s,
            h(MajorOutage, Unknown),
            &on_anthropic(),
            "Anthropic",
            at(20),
        );
        assert!(matches!(a, Some(Action::SwitchTo { .. })));
    }

    #[test]
    fn a_failed_attempt_waits_for_the_dwell_time() {
        let r = rule();
        let (mut st, a) = decide(
            &r,
            &RuleState::default(),
            h(MajorOutage, Unknown),
            &on_anthropic(),
            "Anthropic",
            at(0),
        );
        assert!(a.is_some());
        st.failed(at(0));
        let (st, a) = decide(
            &r,
            &st,
            h(MajorOutage, Unknown),
            &on_anthropic(),
            "Anthropic",
            at(1),
        );
        assert_eq!(a, None);
        let (_, a) = decide(
            &r,
            &st,
            h(MajorOutage, Unknown),
            &on_anthropic(),
            "Anthropic",
            at(10),
        );
        assert!(a.is_some());
    }

    #[test]
    fn disabled_rules_and_other_providers_do_nothing() {
        let mut r = rule();
        r.enabled = false;
        let (_, a) = decide(
            &r,
            &RuleState::default(),
            h(MajorOutage, MajorOutage),
            &on_anthropic(),
            "Anthropic",
            at(0),
        );
        assert_eq!(a, None);
        let r = rule();
        let bedrock = AssistantNow {
            provider: Some("aws-bedrock".into()),
            profile: Some("bedrock".into()),
            open_switch: None,
        };
        let (_, a) = decide(
            &r,
            &RuleState::default(),
            h(MajorOutage, MajorOutage),
            &bedrock,
            "Anthropic",
            at(0),
        );
        assert_eq!(a, None);
    }
}
