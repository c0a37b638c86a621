//! Weathervane's desktop programs, composed here: the resident tray process and the
//! dashboard process it starts on demand. The core runtime does the work; the modules below
//! adapt it: `pump` (events to tray and notifications, clicks back), `tray` and `tray_state`
//! (the menu), `windows` (the dashboard, in its own process: `weathervane::desktop::child`), `notify`, `integration` (browser, start at login, icon),
//! `ipc` (the table of what the dashboard may call) over `commands`, `settings_cmds`
//! and `switch_cmds`. No SQL, HTTP or
//! config file I/O here.

mod commands;
mod gl;
mod integration;
mod ipc;
mod logging;
mod notify;
mod pump;
mod role;
mod settings_cmds;
mod switch_cmds;
mod tray;
mod tray_state;
mod windows;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use clap::Parser;
use tauri::{Emitter, Manager, RunEvent, Runtime};
use weathervane::config::paths::Locations;
use weathervane::desktop::child;
use weathervane::monitor::policy::{Alert, AlertKind, Signal};
use weathervane::runtime::{AppError, ErrorKind, Host, Runtime as Core};

use crate::notify::Notifier;
use crate::role::Role;
pub use crate::windows::{CHANGED_EVENT, DASHBOARD};

/// `weathervane-desktop [--config FILE] [--data-dir DIR]`: the same flags and env vars as the CLI.
#[derive(Debug, Parser)]
#[command(
    name = "weathervane-desktop",
    version,
    about = "Weathervane in the tray"
)]
struct Args {
    /// Config file (TOML). Default: the platform config dir's weathervane/config.toml.
    #[arg(long, env = "WEATHERVANE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the history database lives. Default: the platform data dir's weathervane/.
    #[arg(long, env = "WEATHERVANE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Run only the dashboard window (started by the tray process; see `child`).
    #[arg(long, hide = true)]
    dashboard: bool,
}

/// The binary's entry point; returns the exit code.
pub fn main_entry() -> i32 {
    let args = Args::parse();
    if !args.dashboard {
        gl::keep_out_of_this_process();
    }
    let _log = logging::init();
    let locations = Locations::resolve(args.config.as_deref(), args.data_dir.as_deref());
    let host = Host::from_process(&locations);
    let core = match Core::open(locations, host) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            tracing::error!("cannot start: {}", e.message);
            eprintln!("weathervane-desktop: {}", e.message);
            // Tell a user who started us from a menu, not only a terminal.
            Notifier::new(None).show(&startup_alert(&e), &[], |_| {});
            return if e.kind == ErrorKind::Config { 78 } else { 74 };
        }
    };
    if args.dashboard {
        return run_dashboard(core);
    }
    let builder = with_autostart(tauri::Builder::default().plugin(
        tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            windows::open_dashboard(app);
        }),
    ));
    let app = match app_builder(builder, core, Role::Tray, true).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("cannot start the desktop app: {e}");
            eprintln!("weathervane-desktop: cannot start: {e}");
            return 1;
        }
    };
    app.run(move |handle, event| match event {
        // Closing the dashboard destroys its webview; the app lives on in the tray.
        RunEvent::ExitRequested { api, code, .. } if code.is_none() => api.prevent_exit(),
        RunEvent::Exit => {
            let core = handle.state::<Arc<Core>>().inner().clone();
            tauri::async_runtime::block_on(core.stop_poller());
            tracing::info!("stopped");
        }
        _ => {}
    });
    0
}

/// The dashboard's own process: the window, the commands, no tray and no poller. It ends
/// when the window closes or the tray process goes away.
fn run_dashboard(core: Arc<Core>) -> i32 {
    let builder = with_autostart(tauri::Builder::default());
    let role = Role::Dashboard(child::ParentLink::default());
    let app = match app_builder(builder, core, role, false).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("cannot start the dashboard: {e}");
            return 1;
        }
    };
    app.run(|_, _| {});
    0
}

/// Start at login: tauri-plugin-autostart off Linux; on Linux the XDG entry that runs
/// `weathervane-tray` (`integration`), so no plugin.
#[cfg(not(target_os = "linux"))]
fn with_autostart(builder: tauri::Builder<tauri::Wry>) -> tauri::Builder<tauri::Wry> {
    builder.plugin(tauri_plugin_autostart::init(
        tauri_plugin_autostart::MacosLauncher::LaunchAgent,
        None,
    ))
}

#[cfg(target_os = "linux")]
fn with_autostart(builder: tauri::Builder<tauri::Wry>) -> tauri::Builder<tauri::Wry> {
    builder
}

fn startup_alert(e: &AppError) -> Alert {
    Alert {
        provider_id: String::new(),
        provider_name: "Weathervane".into(),
        kind: AlertKind::Outage,
        status: weathervane::model::Status::Unknown,
        previous: weathervane::model::Status::Unknown,
        since: Utc::now(),
        duration: None,
        signal: Signal::Official,
        title: "Weathervane cannot start".into(),
        body: e.message.clone(),
    }
}

/// Everything but the plugins that need a real desktop: testable with `mock_builder()`.
pub fn app_builder<R: Runtime>(
    builder: tauri::Builder<R>,
    core: Arc<Core>,
    role: Role,
    with_tray: bool,
) -> tauri::Builder<R> {
    builder
        .manage(core)
        .manage(role)
        .invoke_handler(ipc::handler())
        .setup(move |app| {
            let handle = app.handle().clone();
            let core = handle.state::<Arc<Core>>().inner().clone();
            let icon = weathervane::desktop::notice::write_icon(&core.locations.data_dir);
            app.manage(Arc::new(Notifier::new(icon)));
            app.manage(tray_state::TrayShown::default());
            if handle.state::<Role>().is_dashboard() {
                follow_parent(&handle, core);
                windows::show_dashboard_window(&handle);
                return Ok(());
            }
            if with_tray {
                tray::create(&handle)?;
            }
            app.manage(child::DashboardProcess::default());
            let rx = core.subscribe();
            tauri::async_runtime::spawn(pump::pump(handle.clone(), rx));
            tauri::async_runtime::block_on(async { core.start_poller() })
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error>)?;
            // WebDriver needs a window to attach to: open the dashboard under automation.
            if std::env::var_os("TAURI_WEBVIEW_AUTOMATION").is_some() {
                windows::open_dashboard(&handle);
            }
            tracing::info!(
                config = %core.locations.config.display(),
                data = %core.locations.data_dir.display(),
                "started"
            );
            Ok(())
        })
}

/// In the dashboard process: do what the tray process says, and end when it goes away.
fn follow_parent<R: Runtime>(handle: &tauri::AppHandle<R>, core: Arc<Core>) {
    let h = handle.clone();
    let h2 = handle.clone();
    child::read_parent(
        move |msg| match msg {
            child::ToChild::Changed => {
                let _ = h.emit(CHANGED_EVENT, ());
            }
            child::ToChild::Focus => {
                let h3 = h.clone();
                let _ = h.run_on_main_thread(move || windows::show_dashboard_window(&h3));
            }
            child::ToChild::Paused(until) => {
                // Nothing polls here: this only changes what the overview shows.
                core.pause(until);
                let _ = h.emit(CHANGED_EVENT, ());
            }
        },
        move || h2.exit(0),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One command call over the mock runtime's IPC.
    fn invoke(
        webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
        cmd: &str,
        args: serde_json::Value,
    ) -> Result<tauri::ipc::InvokeResponseBody, serde_json::Value> {
        tauri::test::get_ipc_response(
            webview,
            tauri::webview::InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: tauri::ipc::InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: tauri::test::INVOKE_KEY.to_string(),
            },
        )
    }

    #[test]
    fn commands_answer_through_ipc_with_a_mock_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            "catalog = false\n[[providers]]\nid = \"fake\"\nname = \"Fake\"\nkind = \"statuspage\"\nurl = \"http://127.0.0.1:9/fake\"\n",
        )
        .unwrap();
        // A temp HOME and a memory keyring: the test never sees the user's files or keys.
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let locations = Locations::resolve(Some(&config), Some(&dir.path().join("data")));
        let ctx = weathervane::switch::engine::Context {
            home,
            env: Default::default(),
            data_dir: locations.data_dir.clone(),
            claude_managed_settings: dir.path().join("managed-settings.json"),
            keyring: Arc::new(weathervane::switch::keys::MemoryKeyring::default()),
            program: "weathervane".into(),
            project_dirs: Vec::new(),
        };
        let shell = Arc::new(Core::open(locations, Host::with_context(ctx)).unwrap());
        let app = app_builder(
            tauri::test::mock_builder(),
            shell.clone(),
            Role::Tray,
            false,
        )
        .build(tauri::test::mock_context(tauri::test::noop_assets()))
        .unwrap();
        let webview = tauri::WebviewWindowBuilder::new(&app, DASHBOARD, Default::default())
            .build()
            .unwrap();
        let res = invoke(&webview, "overview", serde_json::json!({})).unwrap();
        let v: serde_json::Value = res.deserialize().unwrap();
        assert_eq!(v["providers"][0]["id"], "fake");
        assert_eq!(v["providers"][0]["status"], "unknown");
        assert_eq!(v["offline"], false);
        // A bad argument is a typed error, not a panic.
        let err = invoke(
            &webview,
            "open_status_page",
            serde_json::json!({"id": "nope"}),
        )
        .unwrap_err();
        assert_eq!(err["kind"], "input");
        let err = invoke(
            &webview,
            "plan_switch",
            serde_json::json!({"assistantId": "claude", "profile": "openrouter"}),
        )
        .unwrap_err();
        assert_eq!(err["kind"], "input");
        assert!(err["message"].as_str().unwrap().contains("claude-code"));
        let res = invoke(&webview, "switch_history", serde_json::json!({})).unwrap();
        let v: serde_json::Value = res.deserialize().unwrap();
        assert_eq!(v, serde_json::json!([]));
        tauri::async_runtime::block_on(shell.stop_poller());
    }
}
