//! Integration tests of the core, as one test binary (ripgrep's layout): the real CLI against fake status servers on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod backfill;
mod cli;
mod codex_log;
mod datadog;
mod early_warning;
mod failover_timelines;
mod faults;
mod poller;
mod sessions;
mod sessions_poller;
mod switch;
mod switch_gemini;
