//! Switching the local coding assistant to a fallback provider, and back.

pub mod claude;
pub mod codex;
pub mod dotenv;
pub mod edit;
pub mod engine;
pub mod fs;
pub mod gemini;
pub mod keys;
pub mod opencode;
pub mod profiles;
