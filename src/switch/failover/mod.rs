//! Automatic failover: the pure rule (`rule`) and the executor that carries its decisions out
//! with the switch engine (`executor`).

pub mod executor;
pub mod rule;

pub use rule::*;
