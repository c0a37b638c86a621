//! Which provider a failed call went to: the provider the session file names (Codex's
//! `session_meta`), else the provider of the assistant's active profile. A Claude Code
//! switched to OpenRouter fails on OpenRouter, not on Anthropic.

use super::records::ErrorFact;
use crate::switch::assistants::AssistantView;
use crate::switch::profiles::AssistantId;

/// The provider of `assistant`'s active profile, if it is detected and depends on one.
pub fn provider_of(assistant: AssistantId, views: &[AssistantView]) -> Option<String> {
    views
        .iter()
        .find(|v| v.id == assistant)
        .and_then(|v| v.provider.clone())
}

/// Fill `fact.provider` from the active profile unless the session file named it.
pub fn attribute(fact: &mut ErrorFact, views: &[AssistantView]) {
    if fact.provider.is_none() {
        fact.provider = provider_of(fact.assistant, views);
    }
}
