//! SQLite history: observations, component changes, incidents, transitions, rollups and retention.
