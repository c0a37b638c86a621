//! `weathervane-tray`: Weathervane's resident on Linux. The core runtime (poller, policy,
//! switching), the tray over StatusNotifierItem/dbusmenu and notifications over
//! org.freedesktop.Notifications, all plain D-Bus: no GTK, no WebKit. The dashboard is
//! `weathervane-desktop --dashboard`, started beside it on demand (`weathervane::desktop::child`).
//! Modules: `app` (the loop), `sni` + `icons` (the tray), `notify`, `instance` (one per
//! session); the autostart entry is the core's (`weathervane::desktop::autostart`).

#[cfg(all(unix, not(target_os = "macos")))]
mod app;
#[cfg(all(unix, not(target_os = "macos")))]
mod icons;
#[cfg(all(unix, not(target_os = "macos")))]
mod instance;
#[cfg(all(unix, not(target_os = "macos")))]
mod notify;
#[cfg(all(unix, not(target_os = "macos")))]
mod sni;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

/// `weathervane-tray [--config FILE] [--data-dir DIR] [--autostart on|off]`.
#[derive(Debug, Parser)]
#[command(name = "weathervane-tray", version, about = "Weathervane in the tray")]
struct Args {
    /// Config file (TOML). Default: the platform config dir's weathervane/config.toml.
    #[arg(long, env = "WEATHERVANE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the history database lives. Default: the platform data dir's weathervane/.
    #[arg(long, env = "WEATHERVANE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Start at login (an XDG autostart entry for this binary), or not; then exit.
    #[arg(long, value_name = "WHEN")]
    autostart: Option<Toggle>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Toggle {
    On,
    Off,
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Some(t) = args.autostart {
        return set_autostart(matches!(t, Toggle::On));
    }
    run(args, started)
}

/// `--autostart on|off`: the XDG entry that runs this binary at login.
fn set_autostart(on: bool) -> ExitCode {
    use weathervane::desktop::autostart;
    let done = autostart::dir().map_err(|e| e.to_string()).and_then(|dir| {
        if on {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            autostart::enable(&dir, &exe).map_err(|e| e.to_string())?;
        } else {
            autostart::disable(&dir).map_err(|e| e.to_string())?;
        }
        Ok(autostart::is_on(&dir))
    });
    match done {
        Ok(on) => {
            println!("start at login: {}", if on { "on" } else { "off" });
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("weathervane-tray: {e}");
            ExitCode::from(74)
        }
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
fn run(args: Args, started: std::time::Instant) -> ExitCode {
    let locations = weathervane::config::paths::Locations::resolve(
        args.config.as_deref(),
        args.data_dir.as_deref(),
    );
    // One thread: the resident waits on timers and D-Bus; store and switch calls already
    // run on tokio's blocking pool, and fewer threads keep the idle footprint small.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("weathervane-tray: cannot start the async runtime: {e}");
            return ExitCode::from(70);
        }
    };
    rt.block_on(app::run(locations, started))
}

/// Elsewhere `weathervane-desktop` is the resident (Tauri's tray).
#[cfg(not(all(unix, not(target_os = "macos"))))]
fn run(_args: Args, _started: std::time::Instant) -> ExitCode {
    eprintln!("weathervane-tray runs on Linux; use weathervane-desktop here");
    ExitCode::from(69)
}
