//! The one place that wires the core together: it opens the store, builds the fetcher, the
//! keyring and the switch context, starts the poller, and runs store and switch calls off the
//! async threads. `weathervane watch` and the desktop programs both start from it (the seam
//! yaak calls a Host), so the poller is wired once. The world it touches (HOME, environment,
//! keyring) is handed in as a [`Host`], so tests run it in a temp HOME with a memory keyring.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::broadcast;
use ts_rs::TS;

use crate::config::edit::ConfigEditError;
use crate::config::paths::Locations;
use crate::config::{Config, ConfigError};
use crate::events::CoreEvent;
use crate::monitor::fetch::Fetcher;
use crate::monitor::poller::{PolicyStates, Poller, PollerHandle, SessionsSetup};
use crate::monitor::sessions::watch::WatchOptions;
use crate::monitor::sessions::{self, FollowOptions};
use crate::monitor::sources::detect::DetectError;
use crate::store::{Store, StoreError};
use crate::switch::assistants::{
    self, AssistantView, BackupView, PlanView, SwitchEvent, SwitchOutcome,
};
use crate::switch::engine::{self, Context, SwitchError};
use crate::switch::keys::{Keyring, OsKeyring};
use crate::switch::profiles::AssistantId;
use crate::views::dashboard::{self, History, Overview, ProbesView};

/// What kind of thing went wrong, for a front end to react to (the UI gets it as a string
/// union generated from this enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ErrorKind {
    /// The user's config file.
    Config,
    /// The history database or the data folder.
    Store,
    /// Reaching a status page.
    Network,
    /// A bad argument from the caller.
    Input,
    /// A switch was refused (nothing was written).
    Switch,
    /// The machine: no HOME, a task that died, a desktop service missing.
    System,
}

/// The one error the runtime gives its front ends: a kind and words for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[ts(export)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    /// What went wrong, in words for the user.
    pub message: String,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> AppError {
        AppError {
            kind,
            message: message.into(),
        }
    }

    pub fn input(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::Input, message)
    }

    pub fn system(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::System, message)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::new(ErrorKind::Store, e.to_string())
    }
}

impl From<ConfigError> for AppError {
    fn from(e: ConfigError) -> Self {
        AppError::new(ErrorKind::Config, e.to_string())
    }
}

impl From<ConfigEditError> for AppError {
    fn from(e: ConfigEditError) -> Self {
        AppError::new(ErrorKind::Config, e.to_string())
    }
}

impl From<DetectError> for AppError {
    fn from(e: DetectError) -> Self {
        AppError::new(ErrorKind::Network, e.to_string())
    }
}

impl From<SwitchError> for AppError {
    fn from(e: SwitchError) -> Self {
        AppError::new(ErrorKind::Switch, e.to_string())
    }
}

/// The outside world the runtime acts on: where switches look (HOME, the environment, the
/// keyring) and the keyring the probes read. Production uses [`Host::from_process`]; tests
/// build one over a temp HOME and a memory keyring.
#[derive(Clone)]
pub struct Host {
    /// `None` when there is no home folder: switching and failover are then off.
    pub switch: Option<Context>,
    pub keyring: Arc<dyn Keyring>,
}

impl Host {
    /// This process's HOME, environment and OS keyring.
    pub fn from_process(locations: &Locations) -> Host {
        Host {
            switch: Context::from_process(locations.data_dir.clone()),
            keyring: Arc::new(OsKeyring),
        }
    }

    /// A given switch context; its keyring serves the probes too.
    pub fn with_context(ctx: Context) -> Host {
        Host {
            keyring: ctx.keyring.clone(),
            switch: Some(ctx),
        }
    }
}

/// The running core: config, store, event bus, poller, pause.
pub struct Runtime {
    pub locations: Locations,
    host: Host,
    config: Mutex<Arc<Config>>,
    store: Arc<Mutex<Store>>,
    events: broadcast::Sender<CoreEvent>,
    poller: Mutex<Option<(PollerHandle, tokio::task::JoinHandle<()>)>>,
    paused_until: Mutex<Option<DateTime<Utc>>>,
    /// Kept across poller restarts, so a settings change does not re-announce an outage.
    policy: PolicyStates,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the whole program down: the data is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Runtime {
    /// Read the config and open the store; nothing is polled yet.
    pub fn open(locations: Locations, host: Host) -> Result<Runtime, AppError> {
        let config = Config::load(&locations.config, locations.config_must_exist)?;
        Runtime::with_config(locations, host, config)
    }

    /// Open the store for a config already read.
    pub fn with_config(
        locations: Locations,
        host: Host,
        config: Config,
    ) -> Result<Runtime, AppError> {
        // 0700 like the store's own folder: the app and `watch` create it first.
        crate::store::create_private_dir(&locations.data_dir).map_err(|e| {
            AppError::new(
                ErrorKind::Store,
                format!(
                    "cannot create the data folder {}: {e}",
                    locations.data_dir.display()
                ),
            )
        })?;
        let store = Store::open(&locations.db_path())?;
        // A pause outlives a restart, like the rest of the policy's memory; one that has
        // ended is dropped.
        let paused_until = match store.policy_pause() {
            Ok(until) => until.filter(|t| *t > Utc::now()),
            Err(e) => {
                tracing::warn!("cannot read the notification pause: {e}");
                None
            }
        };
        let (events, _) = broadcast::channel(256);
        Ok(Runtime {
            locations,
            host,
            config: Mutex::new(Arc::new(config)),
            store: Arc::new(Mutex::new(store)),
            events,
            poller: Mutex::new(None),
            paused_until: Mutex::new(paused_until),
            policy: PolicyStates::default(),
        })
    }

    pub fn config(&self) -> Arc<Config> {
        lock(&self.config).clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.events.subscribe()
    }

    /// A fetcher with the config's timeout and body cap.
    pub fn fetcher(&self) -> Result<Fetcher, AppError> {
        let c = self.config();
        Fetcher::new(c.timeout, c.max_body).map_err(|e| AppError::system(e.to_string()))
    }

    /// Start (or restart) polling with the current config. Must run inside a tokio runtime.
    pub fn start_poller(&self) -> Result<(), AppError> {
        let config = self.config();
        let mut poller = Poller::new(
            config.clone(),
            self.fetcher()?,
            self.store.clone(),
            self.events.clone(),
        )
        .with_policy_states(self.policy.clone())
        .with_keyring(self.host.keyring.clone());
        // Failover rules switch assistants in this user's HOME, like a click does, and the
        // user's own assistants' session files are followed there.
        match self.switch_context(&config) {
            Ok(ctx) => {
                let roots = sessions::watch::roots(&ctx.home, &ctx.env, &config.sessions);
                if !roots.is_empty() {
                    poller = poller.with_sessions(SessionsSetup {
                        roots,
                        options: WatchOptions {
                            follow: FollowOptions {
                                utc_offset: crate::config::local_offset(),
                                ..FollowOptions::default()
                            },
                            ..WatchOptions::default()
                        },
                    });
                }
                poller = poller.with_switching(ctx);
            }
            Err(e) => tracing::warn!(
                "failover rules and the sessions' early warning are off: {}",
                e.message
            ),
        }
        let (handle, join) = poller.spawn();
        handle.pause_until(*lock(&self.paused_until));
        if let Some((old, _)) = lock(&self.poller).replace((handle, join)) {
            old.shutdown();
        }
        Ok(())
    }

    pub fn is_polling(&self) -> bool {
        lock(&self.poller).is_some()
    }

    /// Swap in a new config; polling, if it runs here, restarts with it.
    pub fn replace_config(&self, config: Config) -> Result<(), AppError> {
        *lock(&self.config) = Arc::new(config);
        if self.is_polling() {
            self.start_poller()?;
        }
        Ok(())
    }

    /// Read the config file again and use it (after another process edited it).
    pub fn reload_config(&self) -> Result<(), AppError> {
        let l = &self.locations;
        let config = Config::load(&l.config, l.config_must_exist)?;
        self.replace_config(config)
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
                tracing::warn!("the poller did not stop within 3 s; going on without it");
            }
        }
    }

    pub fn refresh_now(&self) {
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
        if let Err(e) = lock(&self.store).set_policy_pause(until) {
            tracing::warn!("the pause will not survive a restart: {e}");
        }
        if let Some((h, _)) = lock(&self.poller).as_ref() {
            h.pause_until(until);
        }
    }

    /// Run a store query off the async threads.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &Config) -> Result<T, AppError> + Send + 'static,
    {
        let store = self.store.clone();
        let config = self.config();
        tokio::task::spawn_blocking(move || f(&lock(&store), &config))
            .await
            .map_err(|e| AppError::system(format!("a background task failed: {e}")))?
    }

    pub async fn overview(&self) -> Result<Overview, AppError> {
        let paused = self.paused_until();
        self.with_store(move |s, c| Ok(dashboard::overview(s, c, paused, Utc::now())?))
            .await
    }

    /// The Early warning page over the last `hours` (1..=168).
    pub async fn probes(&self, hours: u32) -> Result<ProbesView, AppError> {
        if !(1..=24 * 7).contains(&hours) {
            return Err(AppError::input(format!(
                "hours must be between 1 and 168, not {hours}"
            )));
        }
        self.with_store(move |s, c| Ok(dashboard::probes(s, c, hours, Utc::now())?))
            .await
    }

    pub async fn history(&self, days: u32) -> Result<History, AppError> {
        self.with_store(move |s, c| Ok(dashboard::history(s, c, days, Utc::now())?))
            .await
    }

    /// Where switches look: the host's HOME and environment, our data dir, the project
    /// folders from the config.
    pub fn switch_context(&self, config: &Config) -> Result<Context, AppError> {
        let mut ctx =
            self.host.switch.clone().ok_or_else(|| {
                AppError::system("cannot find your home directory (is HOME set?)")
            })?;
        ctx.data_dir = self.locations.data_dir.clone();
        ctx.project_dirs = config.project_dirs.clone();
        Ok(ctx)
    }

    /// Run a switch-engine call off the async threads, with the store writable.
    async fn with_switch<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Context, &mut Store, &Config) -> Result<T, AppError> + Send + 'static,
    {
        let config = self.config();
        let ctx = self.switch_context(&config)?;
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&ctx, &mut lock(&store), &config))
            .await
            .map_err(|e| AppError::system(format!("a background task failed: {e}")))?
    }

    /// Every assistant: detected, its profile, its open switch, its fallback.
    pub async fn assistants(&self) -> Result<Vec<AssistantView>, AppError> {
        self.with_switch(|ctx, s, c| Ok(assistants::list(ctx, c, s)?))
            .await
    }

    /// What switching would change; writes nothing.
    pub async fn plan_switch(&self, a: AssistantId, profile: String) -> Result<PlanView, AppError> {
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

    pub async fn switch(&self, a: AssistantId, profile: String) -> Result<SwitchOutcome, AppError> {
        self.with_switch(move |ctx, s, c| {
            let done = engine::switch(ctx, s, &c.profiles, a, &profile)?;
            tracing::info!(assistant = %a, profile, changed = done.plan.changes.len(), "switched");
            Ok(SwitchOutcome::switched(&done, &c.profiles))
        })
        .await
    }

    pub async fn switch_back(&self, a: AssistantId) -> Result<SwitchOutcome, AppError> {
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
    ) -> Result<Vec<SwitchEvent>, AppError> {
        self.with_store(move |s, _| Ok(assistants::history(s, a, 100)?))
            .await
    }

    pub async fn backups(&self, a: AssistantId) -> Result<Vec<BackupView>, AppError> {
        self.with_switch(move |ctx, _, _| {
            Ok(engine::backups(ctx, a)?
                .into_iter()
                .map(BackupView::from)
                .collect())
        })
        .await
    }

    /// Put a backup back (after backing up what is there now); returns the backup restored.
    pub async fn restore(&self, a: AssistantId, name: String) -> Result<String, AppError> {
        self.with_switch(move |ctx, s, _| {
            let path = engine::restore(ctx, s, a, &name)?;
            tracing::info!(assistant = %a, backup = %path.display(), "restored");
            Ok(path.display().to_string())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;
    use crate::switch::keys::MemoryKeyring;

    /// A runtime in a temp HOME with a memory keyring and one fake provider on a closed port.
    fn runtime(dir: &Path) -> Runtime {
        let config = dir.join("config.toml");
        std::fs::write(
            &config,
            "catalog = false\n[[providers]]\nid = \"fake\"\nname = \"Fake\"\nkind = \"statuspage\"\nurl = \"http://127.0.0.1:9/fake\"\n",
        )
        .unwrap();
        let home = dir.join("home");
        std::fs::create_dir_all(&home).unwrap();
        let locations = Locations::resolve(Some(&config), Some(&dir.join("data")));
        let ctx = Context {
            home,
            env: HashMap::new(),
            data_dir: locations.data_dir.clone(),
            claude_managed_settings: dir.join("managed-settings.json"),
            keyring: Arc::new(MemoryKeyring::default()),
            program: "weathervane".into(),
            project_dirs: Vec::new(),
        };
        Runtime::open(locations, Host::with_context(ctx)).unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn the_data_folder_the_app_creates_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let _rt = runtime(dir.path());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("data")), 0o700);
        assert_eq!(mode(&dir.path().join("data/weathervane.db")), 0o600);
    }

    /// "Pause for 1 hour" holds across a restart of the app; an ended pause does not come back.
    #[test]
    fn a_pause_outlives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let until = Utc::now() + chrono::Duration::hours(1);
        {
            let rt = runtime(dir.path());
            assert_eq!(rt.paused_until(), None);
            rt.pause(Some(until));
        }
        let rt = runtime(dir.path());
        assert_eq!(
            rt.paused_until().map(|t| t.timestamp()),
            Some(until.timestamp())
        );
        rt.pause(Some(Utc::now() - chrono::Duration::minutes(1)));
        drop(rt);
        assert_eq!(runtime(dir.path()).paused_until(), None);
    }

    #[tokio::test]
    async fn a_runtime_opens_answers_and_switches_in_its_own_home() {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime(dir.path());
        assert!(!rt.is_polling());
        let o = rt.overview().await.unwrap();
        assert_eq!(o.providers[0].id, "fake");
        // A switch goes to the host's HOME, never the real one.
        let claude = dir.path().join("home/.claude/settings.json");
        std::fs::create_dir_all(claude.parent().unwrap()).unwrap();
        std::fs::write(&claude, "{\n  \"env\": {}\n}\n").unwrap();
        let out = rt
            .switch(AssistantId::ClaudeCode, "ollama".into())
            .await
            .unwrap();
        assert!(out.summary.contains("Ollama"), "{}", out.summary);
        assert!(std::fs::read_to_string(&claude).unwrap().contains("11434"));
        rt.switch_back(AssistantId::ClaudeCode).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(&claude).unwrap(),
            "{\n  \"env\": {}\n}\n"
        );
        let e = rt.probes(0).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Input);
    }

    #[tokio::test]
    async fn the_poller_starts_restarts_with_a_new_config_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime(dir.path());
        let mut rx = rt.subscribe();
        rt.start_poller().unwrap();
        assert!(rt.is_polling());
        // The closed port makes the fake provider unknown on the first poll.
        let first = loop {
            if let CoreEvent::Observed(o) = rx.recv().await.unwrap() {
                break o;
            }
        };
        assert_eq!(first.provider_id, "fake");
        assert!(!first.source_ok);
        rt.reload_config().unwrap();
        assert!(rt.is_polling());
        rt.stop_poller().await;
        assert!(!rt.is_polling());
    }

    #[test]
    fn no_home_means_no_switching_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime(dir.path());
        let rt = Runtime {
            host: Host {
                switch: None,
                keyring: Arc::new(MemoryKeyring::default()),
            },
            ..rt
        };
        let e = rt.switch_context(&rt.config()).err().unwrap();
        assert_eq!(e.kind, ErrorKind::System);
        assert!(e.message.contains("HOME"), "{}", e.message);
    }

    #[test]
    fn errors_serialise_as_kind_and_message() {
        let e = AppError::input("no provider \"x\"");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"kind": "input", "message": "no provider \"x\""})
        );
    }
}
