//! Weathervane's desktop shell: opens the store, runs the core poller, and maps core events
//! to the tray, desktop notifications and the dashboard window. No SQL, HTTP or config I/O here.

mod child;
mod commands;
pub mod error;
mod gl;
mod notify;
mod settings_cmds;
pub mod shell;
mod switch_cmds;
mod tray;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{Duration, Utc};
use clap::Parser;
use tauri::{AppHandle, Emitter, Manager, RunEvent, Runtime, WebviewUrl, WebviewWindowBuilder};
use tokio::sync::broadcast::error::RecvError;
use weathervane::assistants::{self, Offer};
use weathervane::events::CoreEvent;

use crate::error::ShellError;
use crate::notify::{Action, Notifier};
use crate::shell::{Locations, Shell};

/// Tells the dashboard to re-read what it shows.
pub const CHANGED_EVENT: &str = "weathervane://changed";
pub const DASHBOARD: &str = "dashboard";

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

fn locations(args: &Args) -> Locations {
    let (config, config_must_exist) = weathervane::cli::config_path_of(args.config.as_deref());
    Locations {
        config,
        config_must_exist,
        data_dir: weathervane::cli::data_dir_of(args.data_dir.as_deref()),
    }
}

/// The platform's place for logs: ~/.local/state/weathervane/logs on Linux.
fn log_dir() -> Option<PathBuf> {
    let d = directories::ProjectDirs::from("dev", "weathervane", "weathervane")?;
    Some(
        d.state_dir()
            .unwrap_or_else(|| d.data_local_dir())
            .join("logs"),
    )
}

fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let file = log_dir().and_then(|dir| {
        std::fs::create_dir_all(&dir).ok()?;
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("weathervane")
            .filename_suffix("log")
            .max_log_files(7)
            .build(&dir)
            .ok()
    });
    match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let file_layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer);
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .with(file_layer)
                .try_init();
            Some(guard)
        }
        None => {
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .try_init();
            None
        }
    }
}

/// The binary's entry point; returns the exit code.
pub fn main_entry() -> i32 {
    let args = Args::parse();
    if !args.dashboard {
        gl::keep_out_of_this_process();
    }
    let _log = init_logging();
    let shell = match Shell::open(locations(&args)) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            tracing::error!("cannot start: {}", e.message);
            eprintln!("weathervane-desktop: {}", e.message);
            // Tell a user who started us from a menu, not only a terminal.
            Notifier::new(None).show(&startup_alert(&e), &[], |_| {});
            return if e.kind == "config" { 78 } else { 74 };
        }
    };
    if args.dashboard {
        return run_dashboard(shell);
    }
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            open_dashboard(app);
        }))
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ));
    let app = match app_builder(builder, shell.clone(), true).build(tauri::generate_context!()) {
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
            let shell = handle.state::<Arc<Shell>>().inner().clone();
            tauri::async_runtime::block_on(shell.stop_poller());
            tracing::info!("stopped");
        }
        _ => {}
    });
    0
}

/// The dashboard's own process: the window, the commands, no tray and no poller. It ends
/// when the window closes or the tray process goes away.
fn run_dashboard(shell: Arc<Shell>) -> i32 {
    shell.become_dashboard_child();
    let builder = tauri::Builder::default().plugin(tauri_plugin_autostart::init(
        tauri_plugin_autostart::MacosLauncher::LaunchAgent,
        None,
    ));
    let app = match app_builder(builder, shell, false).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("cannot start the dashboard: {e}");
            return 1;
        }
    };
    app.run(|_, _| {});
    0
}

fn startup_alert(e: &ShellError) -> weathervane::policy::Alert {
    weathervane::policy::Alert {
        provider_id: String::new(),
        provider_name: "Weathervane".into(),
        kind: weathervane::policy::AlertKind::Outage,
        status: weathervane::model::Status::Unknown,
        previous: weathervane::model::Status::Unknown,
        since: Utc::now(),
        duration: None,
        signal: weathervane::policy::Signal::Official,
        title: "Weathervane cannot start".into(),
        body: e.message.clone(),
    }
}

/// Everything but the plugins that need a real desktop: testable with `mock_builder()`.
pub fn app_builder<R: Runtime>(
    builder: tauri::Builder<R>,
    shell: Arc<Shell>,
    with_tray: bool,
) -> tauri::Builder<R> {
    builder
        .manage(shell)
        .invoke_handler(tauri::generate_handler![
            commands::overview,
            commands::history,
            commands::probes,
            settings_cmds::settings,
            settings_cmds::update_settings,
            settings_cmds::detect_source,
            commands::set_autostart,
            commands::refresh_now,
            commands::open_status_page,
            switch_cmds::assistants,
            switch_cmds::plan_switch,
            switch_cmds::switch_assistant,
            switch_cmds::switch_back,
            switch_cmds::switch_history,
            switch_cmds::backups,
            switch_cmds::restore_backup,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            let shell = handle.state::<Arc<Shell>>().inner().clone();
            let icon = write_notification_icon(&shell.locations.data_dir);
            app.manage(Arc::new(Notifier::new(icon)));
            app.manage(TrayShown::default());
            if with_tray {
                tray::create(&handle)?;
            }
            if shell.is_dashboard_child() {
                let h = handle.clone();
                let s = shell.clone();
                let h2 = handle.clone();
                child::read_parent(
                    move |msg| match msg {
                        child::ToChild::Changed => {
                            let _ = h.emit(CHANGED_EVENT, ());
                        }
                        child::ToChild::Focus => {
                            let h3 = h.clone();
                            let _ = h.run_on_main_thread(move || show_dashboard_window(&h3));
                        }
                        child::ToChild::Paused(until) => {
                            s.set_paused_display(until);
                            let _ = h.emit(CHANGED_EVENT, ());
                        }
                    },
                    move || h2.exit(0),
                );
                show_dashboard_window(&handle);
                return Ok(());
            }
            app.manage(child::DashboardProcess::default());
            let pump_shell = shell.clone();
            let rx = shell.subscribe();
            tauri::async_runtime::spawn(pump(handle.clone(), pump_shell, rx));
            tauri::async_runtime::block_on(async { shell.start_poller() })
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error>)?;
            // WebDriver needs a window to attach to: open the dashboard under automation.
            if std::env::var_os("TAURI_WEBVIEW_AUTOMATION").is_some() {
                open_dashboard(&handle);
            }
            tracing::info!(
                config = %shell.locations.config.display(),
                data = %shell.locations.data_dir.display(),
                "started"
            );
            Ok(())
        })
}

/// Core events to tray, notifications and the dashboard.
async fn pump<R: Runtime>(
    app: AppHandle<R>,
    shell: Arc<Shell>,
    mut rx: tokio::sync::broadcast::Receiver<CoreEvent>,
) {
    loop {
        match rx.recv().await {
            Ok(CoreEvent::Observed(_))
            | Ok(CoreEvent::Offline(_))
            | Ok(CoreEvent::Measured { .. })
            | Err(RecvError::Lagged(_)) => {
                refresh_tray(app.clone(), shell.clone());
                changed(&app);
            }
            Ok(CoreEvent::Alert(alert)) => {
                let notifier = app.state::<Arc<Notifier>>().inner().clone();
                let offers = offers_for(&shell, &alert).await;
                let handle = app.clone();
                notifier.show(&alert, &offers, move |action| match action {
                    Action::OpenDashboard => {
                        let h = handle.clone();
                        let _ = handle.run_on_main_thread(move || open_dashboard(&h));
                    }
                    Action::Switch(id) => run_switch_action(&handle, &id),
                });
            }
            Ok(CoreEvent::StoreError(e)) => {
                tracing::error!("history not saved: {e}");
            }
            Ok(CoreEvent::AutoSwitched(done)) => {
                let notifier = app.state::<Arc<Notifier>>().inner().clone();
                let (title, body) = autoswitch_text(&done);
                let undo: Vec<Offer> = done
                    .undo
                    .as_deref()
                    .and_then(assistants::parse_action)
                    .map(|(assistant, profile)| Offer {
                        assistant,
                        profile,
                        label: "Undo".into(),
                    })
                    .into_iter()
                    .collect();
                let handle = app.clone();
                notifier.offer(&title, &body, &undo, move |action| match action {
                    Action::OpenDashboard => {
                        let h = handle.clone();
                        let _ = handle.run_on_main_thread(move || open_dashboard(&h));
                    }
                    Action::Switch(id) => run_switch_action(&handle, &id),
                });
                after_switch(&app, &shell);
            }
            Err(RecvError::Closed) => break,
        }
    }
}

/// A failover's notification: what was switched and why, or why it could not be.
fn autoswitch_text(done: &weathervane::events::AutoSwitch) -> (String, String) {
    match &done.result {
        Ok(out) => {
            let title = if done.back {
                format!("Switched back automatically: {}", out.summary)
            } else {
                format!("Switched automatically: {}", out.summary)
            };
            let mut body = vec![format!("{}.", done.reason)];
            body.extend(out.details.iter().cloned());
            (title, body.join("\n"))
        }
        Err(e) => (
            format!("Automatic switch of {} failed", done.assistant.label()),
            format!("{}. Nothing was changed: {e}", done.reason),
        ),
    }
}

/// The switches an alert offers: to the fallback on an outage, back on a recovery.
async fn offers_for(shell: &Shell, alert: &weathervane::policy::Alert) -> Vec<Offer> {
    use weathervane::policy::AlertKind;
    let views = match shell.assistants().await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("cannot read the assistants: {}", e.message);
            return Vec::new();
        }
    };
    match alert.kind {
        AlertKind::Outage | AlertKind::Escalation => {
            assistants::outage_offers(&views, &alert.provider_id)
        }
        AlertKind::Recovery => assistants::recovery_offers(&views, &alert.provider_id),
        _ => Vec::new(),
    }
}

/// Run a `switch:<assistant>:<profile>` or `back:<assistant>` from the tray or a
/// notification, and say what happened in a notification.
pub(crate) fn run_switch_action<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let Some((a, profile)) = assistants::parse_action(id) else {
        tracing::warn!(id, "unknown action");
        return;
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let shell = app.state::<Arc<Shell>>().inner().clone();
        let notifier = app.state::<Arc<Notifier>>().inner().clone();
        let result = match profile {
            Some(p) => shell.switch(a, p).await,
            None => shell.switch_back(a).await,
        };
        match result {
            Ok(out) => notifier.message(&out.summary, &out.details.join("\n")),
            Err(e) => {
                tracing::warn!(assistant = %a, "switch refused: {}", e.message);
                notifier.message(&format!("Cannot switch {}", a.label()), &e.message);
            }
        }
        after_switch(&app, &shell);
    });
}

/// After any write to an assistant's file: redraw the tray (even if it looks the same, so a
/// check mark GTK toggled on a refused switch is put right) and tell the dashboard.
pub(crate) fn after_switch<R: Runtime>(app: &AppHandle<R>, shell: &Arc<Shell>) {
    if shell.is_dashboard_child() {
        // The tray lives in the other process.
        shell.tell_parent(child::FromChild::Switched);
        let _ = app.emit(CHANGED_EVENT, ());
        return;
    }
    if let Some(shown) = app.try_state::<TrayShown>() {
        shown.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
        // The assistants' files changed: read them again.
        *shown.1.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
    refresh_tray(app.clone(), shell.clone());
    changed(app);
}

/// What the tray shows now (see [`tray::signature`]).
#[derive(Default)]
struct TrayShown(
    std::sync::Mutex<String>,
    /// The assistants as last read, and when: the tray redraws on every poll, and reading
    /// four assistants' files and scanning PATH each time cost idle CPU for nothing.
    std::sync::Mutex<Option<(std::time::Instant, Vec<assistants::AssistantView>)>>,
);

/// How long the tray trusts its last reading of the assistants' files (a switch made
/// here refreshes it at once; an edit by hand shows within this time).
const ASSISTANTS_FRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// The assistants for the tray, read again at most every [`ASSISTANTS_FRESH`].
async fn tray_assistants<R: Runtime>(
    app: &AppHandle<R>,
    shell: &Shell,
) -> Vec<assistants::AssistantView> {
    let state = app.state::<TrayShown>();
    if let Some((at, v)) = state.1.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
        && at.elapsed() < ASSISTANTS_FRESH
    {
        return v.clone();
    }
    let fresh = shell.assistants().await.unwrap_or_else(|e| {
        tracing::warn!("cannot read the assistants: {}", e.message);
        Vec::new()
    });
    *state.1.lock().unwrap_or_else(|p| p.into_inner()) =
        Some((std::time::Instant::now(), fresh.clone()));
    fresh
}

/// Recompute the overview and redraw the tray (off the caller's path).
pub fn refresh_tray<R: Runtime>(app: AppHandle<R>, shell: Arc<Shell>) {
    if shell.is_dashboard_child() {
        return;
    }
    tauri::async_runtime::spawn(async move {
        let overview = shell.overview().await;
        let assistants = tray_assistants(&app, &shell).await;
        match overview {
            Ok(o) => {
                let view = tray::View::new(&o, &assistants);
                let sig = tray::signature(&view);
                let last = app.state::<TrayShown>();
                let mut shown = last.0.lock().unwrap_or_else(|p| p.into_inner());
                if *shown == sig {
                    return;
                }
                match tray::update(&app, &view) {
                    Ok(()) => *shown = sig,
                    Err(e) => tracing::warn!("cannot update the tray: {e}"),
                }
            }
            Err(e) => tracing::warn!("cannot read the current state: {}", e.message),
        }
    });
}

/// Tray menu clicks.
pub(crate) fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let shell = app.state::<Arc<Shell>>().inner().clone();
    match id {
        "refresh" => shell.refresh_now(),
        "pause" => {
            let until = match shell.paused_until() {
                Some(_) => None,
                None => Some(Utc::now() + Duration::hours(1)),
            };
            shell.pause(until);
            tracing::info!(?until, "notifications paused");
            refresh_tray(app.clone(), shell);
            if let Some(d) = app.try_state::<child::DashboardProcess>() {
                d.send(child::ToChild::Paused(until));
            }
            changed(app);
        }
        "dashboard" => open_dashboard(app),
        "quit" => app.exit(0),
        other if other.starts_with("switch:") || other.starts_with("back:") => {
            run_switch_action(app, other)
        }
        other => {
            if let Some(pid) = other.strip_prefix("open:")
                && let Some(p) = shell.config().provider(pid)
                && let Err(e) = open_url(&p.homepage())
            {
                tracing::warn!("{}", e.message);
            }
        }
    }
}

/// Tell the dashboard (in this process, or in its own) to re-read what it shows.
pub(crate) fn changed<R: Runtime>(app: &AppHandle<R>) {
    let _ = app.emit(CHANGED_EVENT, ());
    if let Some(d) = app.try_state::<child::DashboardProcess>() {
        d.send(child::ToChild::Changed);
    }
}

/// Show the dashboard. From the tray process it runs in a process of its own (see
/// `child`), so closing it gives WebKit's memory back; under WebDriver automation, and in
/// the dashboard process itself, the window is made here.
pub fn open_dashboard<R: Runtime>(app: &AppHandle<R>) {
    let automated = std::env::var_os("TAURI_WEBVIEW_AUTOMATION").is_some();
    let Some(proc_) = app
        .try_state::<child::DashboardProcess>()
        .filter(|_| !automated)
    else {
        show_dashboard_window(app);
        return;
    };
    let shell = app.state::<Arc<Shell>>().inner().clone();
    let mut env = vec![(
        "WEATHERVANE_DATA_DIR",
        shell.locations.data_dir.clone().into_os_string(),
    )];
    if shell.locations.config_must_exist {
        env.push((
            "WEATHERVANE_CONFIG",
            shell.locations.config.clone().into_os_string(),
        ));
    }
    let handle = app.clone();
    let opened = proc_.open(&env, shell.paused_until(), move |msg| {
        let shell = handle.state::<Arc<Shell>>().inner().clone();
        match msg {
            child::FromChild::Refresh => shell.refresh_now(),
            child::FromChild::Switched => after_switch(&handle, &shell),
            child::FromChild::Config => {
                let l = &shell.locations;
                match weathervane::config::Config::load(&l.config, l.config_must_exist) {
                    Ok(c) => {
                        if let Err(e) = shell.replace_config(c) {
                            tracing::warn!("cannot restart polling: {}", e.message);
                        }
                        refresh_tray(handle.clone(), shell.clone());
                        changed(&handle);
                    }
                    Err(e) => {
                        tracing::warn!("the dashboard saved a config that does not load: {e}")
                    }
                }
            }
        }
    });
    if let Err(e) = opened {
        tracing::error!("cannot start the dashboard process ({e}); opening it here instead");
        show_dashboard_window(app);
    }
}

/// The dashboard window in this process, created now if it is not open.
fn show_dashboard_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(DASHBOARD) {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
        return;
    }
    let built = WebviewWindowBuilder::new(app, DASHBOARD, WebviewUrl::App("index.html".into()))
        .title("Weathervane")
        .inner_size(1000.0, 720.0)
        .min_inner_size(560.0, 420.0)
        .build();
    if let Err(e) = built {
        tracing::error!("cannot open the dashboard: {e}");
    }
}

/// Only web pages leave the app, in the user's browser.
pub fn open_url(url: &str) -> Result<(), ShellError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ShellError::new(
            "input",
            format!("not a web address: {url}"),
        ));
    }
    tauri_plugin_opener::open_url(url, None::<&str>)
        .map_err(|e| ShellError::new("system", format!("cannot open {url}: {e}")))
}

pub(crate) fn autostart_enabled<R: Runtime>(app: &AppHandle<R>) -> bool {
    use tauri_plugin_autostart::ManagerExt;
    app.try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .is_some()
        && app.autolaunch().is_enabled().unwrap_or(false)
}

pub(crate) fn set_autostart<R: Runtime>(app: &AppHandle<R>, on: bool) -> Result<bool, ShellError> {
    use tauri_plugin_autostart::ManagerExt;
    if app
        .try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .is_none()
    {
        return Err(ShellError::new("system", "autostart is not available here"));
    }
    let a = app.autolaunch();
    let r = if on { a.enable() } else { a.disable() };
    r.map_err(|e| ShellError::new("system", format!("cannot change autostart: {e}")))?;
    a.is_enabled()
        .map_err(|e| ShellError::new("system", format!("cannot read autostart: {e}")))
}

/// Notification daemons want an icon file, not bytes: keep a copy in the data dir.
fn write_notification_icon(data_dir: &std::path::Path) -> Option<PathBuf> {
    let path = data_dir.join("weathervane.png");
    let bytes: &[u8] = include_bytes!("../../icons/128x128.png");
    if std::fs::read(&path).ok().as_deref() != Some(bytes)
        && let Err(e) = std::fs::write(&path, bytes)
    {
        tracing::warn!("cannot write the notification icon: {e}");
        return None;
    }
    Some(path)
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
        let shell = Arc::new(
            Shell::open(Locations {
                config,
                config_must_exist: true,
                data_dir: dir.path().join("data"),
            })
            .unwrap(),
        );
        let app = app_builder(tauri::test::mock_builder(), shell.clone(), false)
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
