//! The dashboard in a child process, so closing it gives all of WebKit's memory back, and
//! the resident (the Linux `weathervane-tray`, or `weathervane-desktop` elsewhere) never
//! maps a toolkit for it.
//!
//! WebKitGTK keeps its network process (and the main process keeps the GTK/WebKit state
//! the first window loaded) for the life of the process that opened a webview; tauri-
//! runtime-wry keeps the web context alive on Linux on purpose (tauri#14626). So the
//! resident never opens one: "Open dashboard" starts `weathervane-desktop --dashboard`,
//! which shows the window, serves the same commands from the same config and database,
//! and exits when the window closes. Both ends live here so the two residents speak it
//! the same way.
//!
//! The two talk over the child's stdin/stdout, one word per line:
//! - child to resident: `refresh` (poll now), `config` (the config file changed: reload
//!   it), `switched` (an assistant's file was written: redraw the tray);
//! - resident to child: `changed` (re-read what you show), `focus` (bring the window to
//!   the front), `paused <RFC 3339>` or `paused none` (the tray's pause, for the overview).
//!
//! The child exits when its window closes or its stdin ends (the resident quit).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::config::paths::Locations;

/// `EXE --dashboard` with this process's config and data paths, so the dashboard reads the
/// same files the resident does.
pub fn dashboard_command(exe: &Path, locations: &Locations) -> Command {
    let mut cmd = Command::new(exe);
    cmd.arg("--dashboard")
        .env("WEATHERVANE_DATA_DIR", &locations.data_dir);
    if locations.config_must_exist {
        cmd.env("WEATHERVANE_CONFIG", &locations.config);
    }
    cmd
}

/// A line from the child, as the resident understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromChild {
    Refresh,
    Config,
    Switched,
}

impl FromChild {
    pub fn parse(line: &str) -> Option<FromChild> {
        match line.trim() {
            "refresh" => Some(FromChild::Refresh),
            "config" => Some(FromChild::Config),
            "switched" => Some(FromChild::Switched),
            _ => None,
        }
    }

    pub fn as_line(&self) -> &'static str {
        match self {
            FromChild::Refresh => "refresh",
            FromChild::Config => "config",
            FromChild::Switched => "switched",
        }
    }
}

/// A line from the resident, as the child understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToChild {
    Changed,
    Focus,
    Paused(Option<DateTime<Utc>>),
}

impl ToChild {
    pub fn parse(line: &str) -> Option<ToChild> {
        let line = line.trim();
        match line {
            "changed" => Some(ToChild::Changed),
            "focus" => Some(ToChild::Focus),
            "paused none" => Some(ToChild::Paused(None)),
            _ => {
                let ts = line.strip_prefix("paused ")?;
                DateTime::parse_from_rfc3339(ts)
                    .ok()
                    .map(|t| ToChild::Paused(Some(t.with_timezone(&Utc))))
            }
        }
    }

    pub fn to_line(&self) -> String {
        match self {
            ToChild::Changed => "changed".into(),
            ToChild::Focus => "focus".into(),
            ToChild::Paused(None) => "paused none".into(),
            ToChild::Paused(Some(t)) => format!("paused {}", t.to_rfc3339()),
        }
    }
}

/// The child's end: what it tells the resident (its stdout).
#[derive(Default)]
pub struct ParentLink {
    out: Mutex<()>,
}

impl ParentLink {
    pub fn send(&self, msg: FromChild) {
        let _guard = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{}", msg.as_line())
            .and_then(|_| out.flush())
            .is_err()
        {
            tracing::warn!("the tray process is gone; cannot tell it {:?}", msg);
        }
    }
}

/// The resident's end: the running dashboard process, if any.
#[derive(Default)]
pub struct DashboardProcess {
    running: Mutex<Option<Running>>,
}

struct Running {
    child: Arc<Mutex<Child>>,
    stdin: ChildStdin,
}

impl DashboardProcess {
    /// Focus the running dashboard, or start one with `cmd` (see [`dashboard_command`]);
    /// `on_line` gets what it says (on a background thread) until it exits.
    pub fn open(
        &self,
        mut cmd: Command,
        paused: Option<DateTime<Utc>>,
        on_line: impl Fn(FromChild) + Send + 'static,
    ) -> std::io::Result<()> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = running.as_mut() {
            let alive = r
                .child
                .lock()
                .map(|mut c| matches!(c.try_wait(), Ok(None)))
                .unwrap_or(false);
            if alive && writeln!(r.stdin, "{}", ToChild::Focus.to_line()).is_ok() {
                return Ok(());
            }
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn()?;
        let stdout = child.stdout.take();
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("no stdin for the dashboard process"))?;
        let _ = writeln!(stdin, "{}", ToChild::Paused(paused).to_line());
        let pid = child.id();
        let child = Arc::new(Mutex::new(child));
        let reaper = child.clone();
        std::thread::Builder::new()
            .name("dashboard-child".into())
            .spawn(move || {
                if let Some(out) = stdout {
                    for line in BufReader::new(out).lines() {
                        let Ok(line) = line else { break };
                        match FromChild::parse(&line) {
                            Some(msg) => on_line(msg),
                            None => tracing::debug!(line, "dashboard process said"),
                        }
                    }
                }
                // Its stdout closed: it exited (or is about to). Reap it.
                if let Ok(mut c) = reaper.lock() {
                    let status = c.wait();
                    tracing::info!(
                        ?status,
                        "the dashboard process ended; its memory is given back"
                    );
                }
            })?;
        tracing::info!(pid, "dashboard process started");
        *running = Some(Running { child, stdin });
        Ok(())
    }

    /// Tell the running dashboard something; nothing happens when none runs.
    pub fn send(&self, msg: ToChild) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = running.as_mut()
            && writeln!(r.stdin, "{}", msg.to_line()).is_err()
        {
            *running = None;
        }
    }
}

/// Read the resident's lines until stdin ends; `on_line` for each one it understands.
pub fn read_parent(
    on_line: impl Fn(ToChild) + Send + 'static,
    on_eof: impl FnOnce() + Send + 'static,
) {
    let spawned = std::thread::Builder::new()
        .name("from-tray".into())
        .spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                match ToChild::parse(&line) {
                    Some(msg) => on_line(msg),
                    None => tracing::debug!(line, "the tray process said"),
                }
            }
            on_eof();
        });
    if let Err(e) = spawned {
        tracing::error!("cannot listen to the tray process: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        for m in [FromChild::Refresh, FromChild::Config, FromChild::Switched] {
            assert_eq!(FromChild::parse(m.as_line()), Some(m));
        }
        let t = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for m in [
            ToChild::Changed,
            ToChild::Focus,
            ToChild::Paused(None),
            ToChild::Paused(Some(t)),
        ] {
            assert_eq!(ToChild::parse(&m.to_line()), Some(m));
        }
        assert_eq!(FromChild::parse("hello"), None);
        assert_eq!(ToChild::parse("paused tomorrow"), None);
    }
}
