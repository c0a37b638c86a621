//! The resident's loop: core events to the tray and notifications, clicks (tray items,
//! notification buttons, a second launch, the dashboard process) back to the core. One task
//! owns all the state, so nothing here needs a lock.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use ksni::TrayMethods;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::{self, UnboundedSender};
use weathervane::config::paths::Locations;
use weathervane::desktop::child::{self, DashboardProcess, FromChild, ToChild};
use weathervane::desktop::notice::{self, Notice};
use weathervane::desktop::programs;
use weathervane::events::CoreEvent;
use weathervane::runtime::{ErrorKind, Host, Runtime as Core};
use weathervane::switch::assistants::AssistantView;
use weathervane::views::actions::Action;
use weathervane::views::menu::{self, Tray};

use crate::instance::{self, Claim};
use crate::notify::Notifier;
use crate::sni::{FromTray, SniTray};

/// How long the tray trusts its last reading of the assistants' files: reading four
/// assistants' files and scanning PATH on every poll costs idle CPU for nothing (a switch
/// made here refreshes it at once; an edit by hand shows within this time).
const ASSISTANTS_FRESH: Duration = Duration::from_secs(60);

/// What reaches the loop from outside the core's bus.
enum Input {
    Click(Action),
    Dashboard(FromChild),
}

struct App {
    core: Arc<Core>,
    tray: Option<ksni::Handle<SniTray>>,
    shown: Option<Tray>,
    assistants: Option<(Instant, Vec<AssistantView>)>,
    dashboard: DashboardProcess,
    notifier: Arc<Notifier>,
    input: UnboundedSender<Input>,
    /// "No tray here" was said: once per run.
    said_no_host: bool,
}

/// Run the resident until Quit or a signal.
pub async fn run(locations: Locations, started: Instant) -> ExitCode {
    let (wake_tx, mut wake_rx) = mpsc::unbounded_channel();
    // Held for the process's life: it owns the single-instance name.
    let _instance = match instance::claim(wake_tx).await {
        Ok(Claim::First(conn)) => Some(conn),
        Ok(Claim::Second) => {
            tracing::info!("Weathervane already runs here: asked it to open the dashboard");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            tracing::warn!("{e}; a second launch will not find this one");
            None
        }
    };
    let host = Host::from_process(&locations);
    let core = match Core::open(locations, host) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            tracing::error!("cannot start: {}", e.message);
            eprintln!("weathervane-tray: {}", e.message);
            // Tell a user who started us from a menu, not only a terminal.
            let n = Notifier::new(None);
            n.show(
                Notice::message("Weathervane cannot start", &e.message),
                |_| {},
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
            return ExitCode::from(if e.kind == ErrorKind::Config { 78 } else { 74 });
        }
    };
    let (tray_tx, mut tray_rx) = mpsc::unbounded_channel();
    // With no watcher on the bus ksni does not fail: it tells `watcher_offline` and
    // registers when one appears.
    let tray = match SniTray::new(tray_tx)
        .assume_sni_available(true)
        .spawn()
        .await
    {
        Ok(h) => {
            tracing::info!(ms = started.elapsed().as_millis() as u64, "tray up");
            Some(h)
        }
        Err(e) => {
            tracing::error!("no tray ({e}); polling and notifications go on");
            None
        }
    };
    if let Err(e) = core.start_poller() {
        tracing::error!("cannot start polling: {}", e.message);
        return ExitCode::from(70);
    }
    let (input, mut input_rx) = mpsc::unbounded_channel();
    let mut app = App {
        notifier: Notifier::new(weathervane::desktop::notice::write_icon(
            &core.locations.data_dir,
        )),
        core: core.clone(),
        tray,
        shown: None,
        assistants: None,
        dashboard: DashboardProcess::default(),
        input,
        said_no_host: false,
    };
    tracing::info!(
        config = %core.locations.config.display(),
        data = %core.locations.data_dir.display(),
        "started"
    );
    app.redraw().await;
    let mut events = core.subscribe();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!("cannot follow SIGTERM: {e}");
            None
        }
    };
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(ev) => app.on_event(ev).await,
                Err(RecvError::Lagged(_)) => app.redraw().await,
                Err(RecvError::Closed) => break,
            },
            Some(msg) = tray_rx.recv() => match msg {
                FromTray::Click(Action::Quit) => break,
                FromTray::Click(a) => app.on_click(a).await,
                FromTray::NoHost => app.no_host(),
                FromTray::HostOnline => {
                    tracing::info!(ms = started.elapsed().as_millis() as u64, "a tray host took the icon");
                }
            },
            Some(input) = input_rx.recv() => match input {
                Input::Click(Action::Quit) => break,
                Input::Click(a) => app.on_click(a).await,
                Input::Dashboard(msg) => app.on_dashboard(msg).await,
            },
            Some(instance::Wake) = wake_rx.recv() => app.open_dashboard(),
            _ = tokio::signal::ctrl_c() => break,
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => break,
        }
    }
    core.stop_poller().await;
    if let Some(t) = app.tray.take() {
        t.shutdown().await;
    }
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

impl App {
    async fn on_event(&mut self, ev: CoreEvent) {
        match ev {
            CoreEvent::Observed(_)
            | CoreEvent::Offline(_)
            | CoreEvent::Measured { .. }
            | CoreEvent::Sessions { .. } => {
                self.redraw().await;
                self.dashboard.send(ToChild::Changed);
            }
            CoreEvent::Alert(alert) => {
                // Fresh: an offer must match the files as they are now.
                let views = self.core.assistants().await.unwrap_or_else(|e| {
                    tracing::warn!("cannot read the assistants: {}", e.message);
                    Vec::new()
                });
                let offers = notice::offers_for(&alert, &views);
                self.notify(Notice::alert(&alert, &offers));
            }
            CoreEvent::AutoSwitched(done) => {
                self.notify(Notice::autoswitch(&done));
                self.after_switch().await;
            }
            CoreEvent::StoreError(e) => tracing::error!("history not saved: {e}"),
        }
    }

    async fn on_click(&mut self, action: Action) {
        match action {
            Action::Refresh => self.core.refresh_now(),
            Action::TogglePause => {
                let until = match self.core.paused_until() {
                    Some(_) => None,
                    None => Some(Utc::now() + chrono::Duration::hours(1)),
                };
                self.core.pause(until);
                tracing::info!(?until, "notifications paused");
                self.redraw().await;
                self.dashboard.send(ToChild::Paused(until));
                self.dashboard.send(ToChild::Changed);
            }
            Action::OpenDashboard => self.open_dashboard(),
            // The loop ends on Quit before it gets here.
            Action::Quit => {}
            Action::OpenStatusPage(pid) => {
                if let Some(p) = self.core.config().provider(&pid) {
                    open_url(&p.homepage());
                }
            }
            Action::Switch { .. } | Action::Back(_) => {
                let Some((a, profile)) = action.as_switch() else {
                    return;
                };
                let result = match profile {
                    Some(p) => self.core.switch(a, p).await,
                    None => self.core.switch_back(a).await,
                };
                match result {
                    Ok(out) => self.notify(Notice::message(out.summary, out.details.join("\n"))),
                    Err(e) => {
                        tracing::warn!(assistant = %a, "switch refused: {}", e.message);
                        self.notify(Notice::message(
                            format!("Cannot switch {}", a.label()),
                            e.message,
                        ));
                    }
                }
                self.after_switch().await;
            }
        }
    }

    async fn on_dashboard(&mut self, msg: FromChild) {
        match msg {
            FromChild::Refresh => self.core.refresh_now(),
            FromChild::Switched => self.after_switch().await,
            FromChild::Config => match self.core.reload_config() {
                Ok(()) => {
                    self.redraw().await;
                    self.dashboard.send(ToChild::Changed);
                }
                Err(e) => tracing::warn!(
                    "the dashboard saved a config that does not load: {}",
                    e.message
                ),
            },
        }
    }

    /// After any write to an assistant's file: read the assistants again, redraw, and tell
    /// the dashboard.
    async fn after_switch(&mut self) {
        self.assistants = None;
        self.shown = None;
        self.redraw().await;
        self.dashboard.send(ToChild::Changed);
    }

    /// Show a notification; its buttons come back through the loop.
    fn notify(&self, notice: Notice) {
        let input = self.input.clone();
        self.notifier.show(notice, move |a| {
            let _ = input.send(Input::Click(a));
        });
    }

    /// No panel shows tray icons: say so once, with the way to the dashboard.
    fn no_host(&mut self) {
        if std::mem::replace(&mut self.said_no_host, true) {
            return;
        }
        self.notify(Notice::message(
            "Weathervane has no tray icon here",
            "No panel on this desktop shows tray icons (on GNOME, the AppIndicator extension \
             adds them). Weathervane keeps watching and will notify you; the icon appears as \
             soon as a panel that shows them runs.",
        ));
    }

    async fn assistants(&mut self) -> Vec<AssistantView> {
        if let Some((at, v)) = &self.assistants
            && at.elapsed() < ASSISTANTS_FRESH
        {
            return v.clone();
        }
        let fresh = self.core.assistants().await.unwrap_or_else(|e| {
            tracing::warn!("cannot read the assistants: {}", e.message);
            Vec::new()
        });
        self.assistants = Some((Instant::now(), fresh.clone()));
        fresh
    }

    /// Recompute the tray's model; send it to the panel only when it changed.
    async fn redraw(&mut self) {
        let overview = match self.core.overview().await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!("cannot read the current state: {}", e.message);
                return;
            }
        };
        let assistants = self.assistants().await;
        let model = menu::tray(&overview, &assistants, Utc::now());
        if self.shown.as_ref() == Some(&model) {
            return;
        }
        if let Some(tray) = &self.tray {
            let shown = model.clone();
            tray.update(move |t| t.set(shown)).await;
        }
        self.shown = Some(model);
    }

    /// Start the dashboard process (or bring it to the front).
    fn open_dashboard(&mut self) {
        let exe = desktop_exe();
        let cmd = child::dashboard_command(&exe, &self.core.locations);
        let input = self.input.clone();
        let opened = self
            .dashboard
            .open(cmd, self.core.paused_until(), move |msg| {
                let _ = input.send(Input::Dashboard(msg));
            });
        if let Err(e) = opened {
            tracing::error!("cannot start the dashboard ({}): {e}", exe.display());
            self.notify(Notice::message(
                "Cannot open the dashboard",
                format!("{}: {e}", exe.display()),
            ));
        }
    }
}

/// `weathervane-desktop`: `WEATHERVANE_DESKTOP` if set, else beside this binary, else on
/// PATH; the bare name when neither has it (the error then names what was looked for).
fn desktop_exe() -> PathBuf {
    if let Some(p) = std::env::var_os("WEATHERVANE_DESKTOP").filter(|p| !p.is_empty()) {
        return p.into();
    }
    programs::find(programs::DESKTOP).unwrap_or_else(|| programs::DESKTOP.into())
}

/// Only web pages leave the app, in the user's browser.
fn open_url(url: &str) {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        tracing::warn!("not a web address: {url}");
        return;
    }
    match std::process::Command::new("xdg-open").arg(url).spawn() {
        // Reaped off the loop: xdg-open returns once the browser has the page.
        Ok(mut c) => {
            std::thread::spawn(move || c.wait());
        }
        Err(e) => tracing::warn!("cannot open {url}: {e}"),
    }
}
