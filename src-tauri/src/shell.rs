//! The shell's state: where things live, the open store, the running poller, the pause.
//!
//! Everything here is plain Rust over the core; no Tauri types, so it is testable as is.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;
use weathervane::app::{self, History, Overview, ProbesView};
use weathervane::assistants::{
    self, AssistantView, BackupView, PlanView, SwitchEvent, SwitchOutcome,
};
use weathervane::config::Config;
use weathervane::events::CoreEvent;
use weathervane::fetch::Fetcher;
use weathervane::poller::{PolicyStates, Poller, PollerHandle};
use weathervane::store::Store;
use weathervane::switcher::engine::{self, Context};
use weathervane::switcher::keys::OsKeyring;
use weathervane::switcher::profiles::AssistantId;

use crate::error::ShellError;

/// Where the config and the data live: the same flags, env vars and defaults as the CLI.
#[derive(Debug, Clone)]
pub struct Locations {
    pub config: PathBuf,
    /// The user named the file, so it must exist.
    pub config_must_exist: bool,
    pub data_dir: PathBuf,
}

pub struct Shell {
    pub locations: Locations,
    config: Mutex<Arc<Config>>,
    store: Arc<Mutex<Store>>,
    events: broadcast::Sender<CoreEvent>,
    poller: Mutex<Option<(PollerHandle, tokio::task::JoinHandle<()>)>>,
    paused_until: Mutex<Option<DateTime<Utc>>>,
    /// Kept across poller restarts, so a settings change does not re-announce an outage.
    policy: PolicyStates,
    /// Set in the dashboard's own process: no poller here, the tray process polls.
    parent: std::sync::OnceLock<crate::child::ParentLink>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the tray down with it: the data is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shell {
    /// Read the config and open the store; nothing is polled yet.
    pub fn open(locations: Locations) -> Result<Shell, ShellError> {
        let config = Config::load(&locations.config, locations.config_must_exist)?;
        std::fs::create_dir_all(&locations.data_dir).map_err(|e| {
            ShellError::new(
                "store",
                format!(
                    "cannot create the data folder {}: {e}",
                    locations.data_dir.display()
                ),
            )
        })?;
        let store = Store::open(&locations.data_dir.join("weathervane.db"))?;
        let (events, _) = broadcast::channel(256);
        Ok(Shell {
            locations,
            config: Mutex::new(Arc::new(config)),
            store: Arc::new(Mutex::new(store)),
            events,
            poller: Mutex::new(None),
            paused_until: Mutex::new(None),
            policy: PolicyStates::default(),
            parent: std::sync::OnceLock::new(),
        })
    }

    /// Make this the dashboard process's shell: it never polls, and tells the tray
    /// process what it changed (see `child`).
    pub fn become_dashboard_child(&self) {
        let _ = self.parent.set(crate::child::ParentLink::default());
    }

    pub fn is_dashboard_child(&self) -> bool {
        self.parent.get().is_some()
    }

    /// In the dashboard process: tell the tray process. Elsewhere: nothing.
    pub fn tell_parent(&self, msg: crate::child::FromChild) {
        if let Some(p) = self.parent.get() {
            p.send(msg);
        }
    }

    /// The pause the tray process reports, shown by the dashboard process's overview.
    pub fn set_paused_display(&self, until: Option<DateTime<Utc>>) {
        *lock(&self.paused_until) = until;
    }

    pub fn config(&self) -> Arc<Config> {
        lock(&self.config).clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.events.subscribe()
    }

    /// Start polling with the current config. Must run inside the async runtime.
    pub fn start_poller(&self) -> Result<(), ShellError> {
        let config = self.config();
        let fetcher = Fetcher::new(config.timeout, config.max_body)
            .map_err(|e| ShellError::new("system", e.to_string()))?;
        let mut poller = Poller::new(
            config.clone(),
            fetcher,
            self.store.clone(),
            self.events.clone(),
        )
        .with_policy_states(self.policy.clone())
        .with_keyring(Arc::new(OsKeyring));
        // Failover rules switch assistants in this user's HOME, like the tray does.
        match self.switch_context(&config) {
            Ok(ctx) => poller = poller.with_switching(ctx),
            Err(e) => tracing::warn!("failover rules are off: {}", e.message),
        }
        let (handle, join) = poller.spawn();
        handle.pause_until(*lock(&self.paused_until));
        if let Some((old, _)) = lock(&self.poller).replace((handle, join)) {
            old.shutdown();
        }
        Ok(())
    }

    /// Swap in a new config and restart polling with it.
    pub fn replace_config(&self, config: Config) -> Result<(), ShellError> {
        *lock(&self.config) = Arc::new(config);
        if self.is_dashboard_child() {
            // The tray process polls: it reloads the file.
            self.tell_parent(crate::child::FromChild::Config);
            return Ok(());
        }
        self.start_poller()
    }

    /// Stop polling and wait (bounded) for the tasks to end.
    pub async fn stop_poller(&self) {
        let running = lock(&self.poller).take();
        if let Some((handle, join)) = running {
            handle.shutdown();
            if tokio::time::timeout(Duration::from_secs(3), join)
                .await
                .is_err()
            {
                tracing::warn!("the poller did not stop within 3 s; exiting anyway");
            }
        }
    }

    pub fn refresh_now(&self) {
        self.tell_parent(crate::child::FromChild::Refresh);
        if let Some((h, _)) = lock(&self.poller).as_ref() {
            h.refresh_now();
        }
    }

    pub fn paused_until(&self) -> Option<DateTime<Utc>> {
        lock(&self.paused_until).filter(|t| *t > Utc::now())
    }

    /// Pause notifications until `until` (`None` resumes).
    pub fn pause(&self, until: Option<DateTime<Utc>>) {
        *lock(&self.paused_until) = until;
        if let Some((h, _)) = lock(&self.poller).as_ref() {
            h.pause_until(until);
        }
    }

    /// Run a store query off the async threads.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, ShellError>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &Config) -> Result<T, ShellError> + Send + 'static,
    {
        let store = self.store.clone();
        let config = self.config();
        tokio::task::spawn_blocking(move || f(&lock(&store), &config))
            .await
            .map_err(|e| ShellError::new("system", format!("a background task failed: {e}")))?
    }

    pub async fn overview(&self) -> Result<Overview, ShellError> {
        let paused = self.paused_until();
        self.with_store(move |s, c| Ok(app::overview(s, c, paused, Utc::now())?))
            .await
    }

    /// The Early warning page over the last `hours` (1..=168).
    pub async fn probes(&self, hours: u32) -> Result<ProbesView, ShellError> {
        if !(1..=24 * 7).contains(&hours) {
            return Err(ShellError::new(
                "input",
                format!("hours must be between 1 and 168, not {hours}"),
            ));
        }
        self.with_store(move |s, c| Ok(app::probes(s, c, hours, Utc::now())?))
            .await
    }

    pub async fn history(&self, days: u32) -> Result<History, ShellError> {
        self.with_store(move |s, c| Ok(app::history(s, c, days, Utc::now())?))
            .await
    }

    /// Where switches look: this process's HOME and environment, our data dir, the
    /// project folders from the config.
    fn switch_context(&self, config: &Config) -> Result<Context, ShellError> {
        let mut ctx = Context::from_process(self.locations.data_dir.clone()).ok_or_else(|| {
            ShellError::new("system", "cannot find your home directory (is HOME set?)")
        })?;
        ctx.project_dirs = config.project_dirs.clone();
        Ok(ctx)
    }

    /// Run a switch-engine call off the async threads, with the store writable.
    async fn with_switch<T, F>(&self, f: F) -> Result<T, ShellError>
    where
        T: Send + 'static,
        F: FnOnce(&Context, &mut Store, &Config) -> Result<T, ShellError> + Send + 'static,
    {
        let config = self.config();
        let ctx = self.switch_context(&config)?;
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&ctx, &mut lock(&store), &config))
            .await
            .map_err(|e| ShellError::new("system", format!("a background task failed: {e}")))?
    }

    /// Every assistant: detected, its profile, its open switch, its fallback.
    pub async fn assistants(&self) -> Result<Vec<AssistantView>, ShellError> {
        self.with_switch(|ctx, s, c| Ok(assistants::list(ctx, c, s)?))
            .await
    }

    /// What switching would change; writes nothing.
    pub async fn plan_switch(
        &self,
        a: AssistantId,
        profile: String,
    ) -> Result<PlanView, ShellError> {
        self.with_switch(move |ctx, _, c| {
            Ok(PlanView::from(&engine::plan(
                ctx,
                &c.profiles,
                a,
                &profile,
            )?))
        })
        .await
    }

    pub async fn switch(
        &self,
        a: AssistantId,
        profile: String,
    ) -> Result<SwitchOutcome, ShellError> {
        self.with_switch(move |ctx, s, c| {
            let done = engine::switch(ctx, s, &c.profiles, a, &profile)?;
            tracing::info!(assistant = %a, profile, changed = done.plan.changes.len(), "switched");
            Ok(SwitchOutcome::switched(&done, &c.profiles))
        })
        .await
    }

    pub async fn switch_back(&self, a: AssistantId) -> Result<SwitchOutcome, ShellError> {
        self.with_switch(move |ctx, s, c| {
            let done = engine::back(ctx, s, a)?;
            tracing::info!(assistant = %a, "switched back");
            Ok(SwitchOutcome::back(&done, &c.profiles))
        })
        .await
    }

    pub async fn switch_history(
        &self,
        a: Option<AssistantId>,
    ) -> Result<Vec<SwitchEvent>, ShellError> {
        self.with_store(move |s, _| Ok(assistants::history(s, a, 100)?))
            .await
    }

    pub async fn backups(&self, a: AssistantId) -> Result<Vec<BackupView>, ShellError> {
        self.with_switch(move |ctx, _, _| {
            Ok(engine::backups(ctx, a)?
                .into_iter()
                .map(BackupView::from)
                .collect())
        })
        .await
    }

    /// Put a backup back (after backing up what is there now); returns the backup restored.
    pub async fn restore(&self, a: AssistantId, name: String) -> Result<String, ShellError> {
        self.with_switch(move |ctx, s, _| {
            let path = engine::restore(ctx, s, a, &name)?;
            tracing::info!(assistant = %a, backup = %path.display(), "restored");
            Ok(path.display().to_string())
        })
        .await
    }
}
