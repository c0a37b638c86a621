//! Synthetic but realistic history, for benchmarks and tests.

use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// Fill `store` with `days` of history ending at `end` (placeholder until the fast path lands).
pub fn generate_history(
    _store: &mut Store,
    _providers: usize,
    _days: u32,
    _step_secs: i64,
    _end: DateTime<Utc>,
    _seed: u64,
) -> Result<(), StoreError> {
    Ok(())
}
