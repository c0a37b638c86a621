//! Carries out the failover rules for one provider: reads the assistant's state, asks the pure [`failover::decide`], performs the switch with the engine (recorded as automatic), and remembers the rule's state in the store.
//!
//! Blocking (files, SQLite): the poller calls [`run_rules`] from `spawn_blocking`.

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::events::AutoSwitch;
use crate::store::Store;
use crate::switch::assistants::{self, Offer, SwitchOutcome};
use crate::switch::engine::{self, Context};
use crate::switch::failover::{self, Action, AssistantNow, Health, RuleState};

/// Evaluate every enabled rule on `provider_id` with its health now; returns what was done.
pub fn run_rules(
    ctx: &Context,
    config: &Config,
    store: &mut Store,
    provider_id: &str,
    health: Health,
    now: DateTime<Utc>,
) -> Vec<AutoSwitch> {
    let mut out = Vec::new();
    let provider_name = config
        .provider(provider_id)
        .map_or_else(|| provider_id.to_string(), |p| p.name.clone());
    for rule in config
        .failover
        .iter()
        .filter(|r| r.enabled && r.provider == provider_id)
    {
        let a = rule.assistant;
        let prev: RuleState = match store.failover_state(a.as_str()) {
            Ok(Some(json)) => serde_json::from_str(&json).unwrap_or_default(),
            Ok(None) => RuleState::default(),
            Err(e) => {
                tracing::warn!(assistant = %a, "cannot read the failover rule's state: {e}");
                continue;
            }
        };
        let view = match assistants::view(ctx, config, store, a) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(assistant = %a, "cannot read the assistant's state: {e}");
                continue;
            }
        };
        let open = match store.open_switch(a.as_str()) {
            Ok(o) => o.map(|r| (r.key, r.automatic)),
            Err(e) => {
                tracing::warn!(assistant = %a, "cannot read the switch history: {e}");
                continue;
            }
        };
        let now_state = AssistantNow {
            provider: view.provider.clone(),
            profile: if view.problem.is_some() {
                // A file we cannot read is not ours to change.
                None
            } else {
                view.active_profile.clone()
            },
            open_switch: open,
        };
        let (mut next, action) =
            failover::decide(rule, &prev, health, &now_state, &provider_name, now);
        if let Some(action) = action {
            out.push(perform(
                ctx,
                config,
                store,
                &mut next,
                rule.to.as_str(),
                &view,
                action,
                now,
            ));
        }
        if next != prev {
            let json = serde_json::to_string(&next).unwrap_or_default();
            if let Err(e) = store.set_failover_state(a.as_str(), &json) {
                tracing::warn!(assistant = %a, "cannot save the failover rule's state: {e}");
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn perform(
    ctx: &Context,
    config: &Config,
    store: &mut Store,
    state: &mut RuleState,
    to: &str,
    view: &assistants::AssistantView,
    action: Action,
    now: DateTime<Utc>,
) -> AutoSwitch {
    let a = view.id;
    match action {
        Action::SwitchTo { profile, reason } => {
            let done = engine::switch_as(ctx, store, &config.profiles, a, &profile, true);
            let result = match done {
                Ok(done) => match &done.record {
                    Some(rec) => {
                        state.switched(rec.key, now);
                        Ok(SwitchOutcome::switched(&done, &config.profiles))
                    }
                    None => {
                        state.failed(now);
                        Err(format!("{} was already on that profile", a.label()))
                    }
                },
                Err(e) => {
                    state.failed(now);
                    Err(e.to_string())
                }
            };
            tracing::info!(assistant = %a, profile, ok = result.is_ok(), "automatic failover");
            let undo = result.is_ok().then(|| Offer {
                assistant: a,
                profile: None,
                label: "Undo".into(),
            });
            AutoSwitch {
                assistant: a,
                back: false,
                reason,
                result,
                undo: undo.map(|o| o.action_id()),
            }
        }
        Action::SwitchBack { reason } => {
            let result = match engine::back_as(ctx, store, a, true) {
                Ok(done) => {
                    state.switched_back(now);
                    Ok(SwitchOutcome::back(&done, &config.profiles))
                }
                Err(e) => {
                    state.failed(now);
                    Err(e.to_string())
                }
            };
            tracing::info!(assistant = %a, ok = result.is_ok(), "automatic switch back");
            let undo = result.is_ok().then(|| Offer {
                assistant: a,
                profile: Some(to.to_string()),
                label: "Undo".into(),
            });
            AutoSwitch {
                assistant: a,
                back: true,
                reason,
                result,
                undo: undo.map(|o| o.action_id()),
            }
        }
    }
}
