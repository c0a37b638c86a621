//! Switching the local coding assistant to a fallback provider, and back: the engine, one
//! module per assistant, the format-preserving editors, atomic file writes, detection of the
//! installed assistants and the failover rule with its executor.

pub mod assistants;
pub mod claude;
pub mod codex;
pub mod edit;
pub mod engine;
pub mod failover;
pub mod fs;
pub mod gemini;
pub mod keys;
pub mod opencode;
pub mod profiles;
