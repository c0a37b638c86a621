//! Switching the local coding assistant to a fallback provider, and back.

pub mod fs;
pub mod profiles;
