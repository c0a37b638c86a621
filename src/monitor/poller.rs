//! Polling: one fetch of one provider (`poll_provider`), all at once (`poll_all`), and the long-running scheduler (`Poller`).
//!
//! The scheduler follows atuin's sync loop: one task per provider that sleeps
//! until its next due time (never bursting to catch up on missed ticks), and
//! `select!`s over that, a "refresh now" broadcast and shutdown. Failures back
//! off exponentially with jitter up to a cap and reset on success; while a
//! provider has a problem it is polled every 15 s.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinSet;

use crate::config::{Config, ProviderConfig};
use crate::events::CoreEvent;
use crate::model::{ErrorClass, Observation, Snapshot, Status};
use crate::monitor::fetch::{
    FetchError, FetchOutcome, Fetcher, Gate, Validators, changed_host, sniff_gate,
};
use crate::monitor::policy::{self, Alert, AlertKind, PolicyInput, ProviderPolicyState, Signal};
use crate::monitor::sessions::watch::{Root, SessionWatch, WatchOptions};
use crate::monitor::sessions::{self, ErrorFact, SessionsVerdict};
use crate::monitor::sources::probe::{self, ProbeClass, ProbeSample, ProbeSpec};
use crate::monitor::sources::{ParseContext, Parser};
use crate::monitor::state::evaluate;
use crate::monitor::verdict::{self, Verdict};
use crate::store::Store;
use crate::switch::engine::Context;
use crate::switch::failover::Health;
use crate::switch::failover::executor;
use crate::switch::keys::Keyring;
use crate::views::text;

/// Poll interval while a watched provider has a problem.
pub const INCIDENT_INTERVAL: Duration = Duration::from_secs(15);
/// Longest wait between attempts while a source keeps failing.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// After a provider's status changes, look again this soon, so the policy's
/// confirmation (two observations) costs seconds, not a whole interval: a
/// change on the page becomes a notification within one interval plus ~2 s.
pub const CONFIRM_DELAY: Duration = Duration::from_millis(1500);
/// Shortest time between two cross-checks of the status pages after probes fail on the network.
pub const CROSSCHECK_GAP: Duration = Duration::from_secs(30);
/// A wall-clock jump beyond the monotonic clock larger than this means the
/// machine slept: poll everything at once.
pub const CLOCK_JUMP: Duration = Duration::from_secs(30);

/// What a provider's last successful fetch left behind, for conditional GET.
#[derive(Debug, Clone)]
pub struct CacheEntry {
    pub endpoint: usize,
    pub validators: Validators,
    pub snapshot: Snapshot,
}

fn endpoint_url(p: &ProviderConfig, path: &str) -> Result<url::Url, String> {
    if path.is_empty() {
        return Ok(p.url.clone());
    }
    let base = p.url.as_str().trim_end_matches('/');
    url::Url::parse(&format!("{base}{path}")).map_err(|e| format!("cannot build the URL: {e}"))
}

fn failed(p: &ProviderConfig, at: DateTime<Utc>, e: &FetchError, what: &str) -> Observation {
    // A reason can quote what the server said (a certificate name, a parse error).
    let mut o = Observation {
        provider_id: p.id.clone(),
        at,
        status: Status::Unknown,
        source_ok: false,
        http_status: e.http_status,
        latency_ms: Some(e.latency.as_millis().min(u32::MAX as u128) as u32),
        error: Some(e.class),
        reason: Some(match e.gate {
            None => format!("{what}: {}", e.message),
            Some(gate) => gated_reason(p, gate, what, &e.message),
        }),
        missing_watched: vec![],
        components: vec![],
        incidents: vec![],
    };
    text::clean_observation(&mut o);
    o
}

/// A page that moved or keeps us out: what it means, what the answer was, and
/// what to do about it, since it is not an outage and must not be silent.
fn gated_reason(p: &ProviderConfig, gate: Gate, what: &str, message: &str) -> String {
    let todo = match gate {
        Gate::Moved => "to see where it went and what it runs on now",
        Gate::RefusesBots => {
            "to check for a readable source; meanwhile the API probe and your assistants' own sessions still warn you"
        }
    };
    format!(
        "{} ({what}: {message}); run `weathervane providers --detect {}` {todo}",
        gate.says(),
        p.homepage()
    )
}

fn observed(
    p: &ProviderConfig,
    at: DateTime<Utc>,
    snapshot: &Snapshot,
    http_status: Option<u16>,
    latency: Duration,
) -> Observation {
    let e = evaluate(snapshot, &p.watch);
    // Cleaned on the way in, so the store, the tray, the dashboard and every CLI output
    // get text that cannot drive a terminal.
    let mut o = Observation {
        provider_id: p.id.clone(),
        at,
        status: e.status,
        source_ok: true,
        http_status,
        latency_ms: Some(latency.as_millis().min(u32::MAX as u128) as u32),
        error: None,
        reason: None,
        missing_watched: e.missing_watched,
        components: e.components,
        incidents: e.incidents,
    };
    text::clean_observation(&mut o);
    o
}

/// Fetch and parse one provider once. Never fails: a failure is an observation
/// with `source_ok: false`, `Unknown` status and a reason. `now` is when the
/// poll starts; the observation is stamped when its answer arrived.
#[tracing::instrument(skip_all, fields(provider = %p.id))]
pub async fn poll_provider(
    fetcher: &Fetcher,
    p: &ProviderConfig,
    cache: Option<&CacheEntry>,
    now: DateTime<Utc>,
) -> (Observation, Option<CacheEntry>) {
    let started = Instant::now();
    let answered = || now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    let endpoints = p.kind.endpoints();
    if endpoints.is_empty() {
        let e = FetchError {
            gate: None,
            class: ErrorClass::Other,
            message: format!("sources of kind {} are not available yet", p.kind.as_str()),
            http_status: None,
            latency: Duration::ZERO,
        };
        return (failed(p, now, &e, "not polled"), None);
    }
    // Start from the endpoint that worked last time (incident.io fallback).
    let start = cache
        .map(|c| c.endpoint)
        .unwrap_or(0)
        .min(endpoints.len() - 1);
    let mut last_err: Option<(FetchError, String)> = None;
    for (idx, (path, parser)) in endpoints.iter().enumerate().skip(start) {
        let url = match endpoint_url(p, path) {
            Ok(u) => u,
            Err(m) => {
                let e = FetchError {
                    gate: None,
                    class: ErrorClass::Other,
                    message: m,
                    http_status: None,
                    latency: Duration::ZERO,
                };
                return (failed(p, now, &e, "bad URL"), None);
            }
        };
        let validators = cache
            .filter(|c| c.endpoint == idx)
            .map(|c| c.validators.clone())
            .unwrap_or_default();
        match fetcher.get(&url, &validators).await {
            Ok(FetchOutcome::NotModified { latency }) => {
                if let Some(c) = cache.filter(|c| c.endpoint == idx) {
                    let obs = observed(p, answered(), &c.snapshot, Some(304), latency);
                    return (obs, Some(c.clone()));
                }
                // A 304 we did not ask for: treat like a broken answer.
                let e = FetchError {
                    gate: None,
                    class: ErrorClass::HttpStatus,
                    message: "HTTP 304 without a cached copy".into(),
                    http_status: Some(304),
                    latency,
                };
                last_err = Some((e, url.to_string()));
            }
            Ok(FetchOutcome::Fresh {
                body,
                status,
                validators,
                latency,
                url: answered_url,
            }) => {
                match parse_off_the_workers(*parser, body, &p.watch, p.feed_lists, now).await {
                    Ok(snapshot) => {
                        let obs = observed(p, answered(), &snapshot, Some(status), latency);
                        let entry = CacheEntry {
                            endpoint: idx,
                            validators,
                            snapshot,
                        };
                        return (obs, Some(entry));
                    }
                    Err(ParseFailure::Unreadable(pe, sniffed)) => {
                        // HTML or a challenge where a status document was
                        // expected, or something else after a redirect to
                        // another host: the page moved or keeps us out.
                        let gate = sniffed
                            .or_else(|| changed_host(&url, &answered_url).then_some(Gate::Moved));
                        let e = FetchError {
                            gate,
                            class: ErrorClass::Parse,
                            message: format!("{} is not {}: {pe}", url, parser_name(*parser)),
                            http_status: Some(status),
                            latency,
                        };
                        last_err = Some((e, url.to_string()));
                    }
                    Err(ParseFailure::TooMany(what)) => {
                        let e = FetchError {
                            gate: None,
                            class: ErrorClass::TooLarge,
                            message: format!(
                                "{url} lists {what}, more than the {MAX_ENTRIES} entries Weathervane reads from one source"
                            ),
                            http_status: Some(status),
                            latency,
                        };
                        last_err = Some((e, url.to_string()));
                        // Another endpoint of the same page would say as much.
                        break;
                    }
                }
            }
            Err(e) => {
                let try_next = matches!(e.http_status, Some(404) | Some(410));
                last_err = Some((e, url.to_string()));
                if !try_next {
                    break;
                }
            }
        }
    }
    let (e, url) = last_err.unwrap_or_else(|| {
        (
            FetchError {
                gate: None,
                class: ErrorClass::Other,
                message: "no endpoint answered".into(),
                http_status: None,
                latency: Duration::ZERO,
            },
            p.url.to_string(),
        )
    });
    let what = if e.class == ErrorClass::Parse {
        "unreadable answer".to_string()
    } else {
        format!("fetching {url} failed")
    };
    (failed(p, answered(), &e, &what), None)
}

/// Most entries (components, incidents, feed items) read from one source. Real pages
/// list tens to a few hundred; far more is a broken or hostile page, and costs CPU on
/// every poll (a 100k-entry feed cost ~29 s a poll).
pub const MAX_ENTRIES: usize = 5_000;

enum ParseFailure {
    /// Why, and what the body looks like instead (a web page, a bot challenge).
    Unreadable(String, Option<Gate>),
    /// What there were too many of, counted.
    TooMany(String),
}

/// Parse on tokio's blocking pool, not on an async worker: a big body costs seconds of
/// CPU, and on the workers it would hold up every other provider's poll, their
/// timeouts and Ctrl-C. A feed is counted before it is parsed (a cheap scan), so an
/// oversized one costs no parsing at all.
async fn parse_off_the_workers(
    parser: Parser,
    body: Vec<u8>,
    watch: &[String],
    feed_lists: crate::monitor::sources::feed::FeedLists,
    now: DateTime<Utc>,
) -> Result<Snapshot, ParseFailure> {
    let watch = watch.to_vec();
    let task = tokio::task::spawn_blocking(move || {
        if parser == Parser::Feed {
            let items = count_feed_entries(&body);
            if items > MAX_ENTRIES {
                return Err(ParseFailure::TooMany(format!("{items} feed entries")));
            }
        }
        let ctx = ParseContext {
            watch: &watch,
            now,
            feed_lists,
        };
        let snapshot = parser
            .parse(&body, &ctx)
            .map_err(|e| ParseFailure::Unreadable(e.to_string(), sniff_gate(&body)))?;
        for (n, what) in [
            (snapshot.components.len(), "components"),
            (snapshot.incidents.len(), "incidents"),
        ] {
            if n > MAX_ENTRIES {
                return Err(ParseFailure::TooMany(format!("{n} {what}")));
            }
        }
        Ok(snapshot)
    });
    match task.await {
        Ok(r) => r,
        Err(e) => Err(ParseFailure::Unreadable(
            format!("the parser failed: {e}"),
            None,
        )),
    }
}

/// RSS `<item>` and Atom `<entry>` start tags in a feed body, counted without parsing.
fn count_feed_entries(body: &[u8]) -> usize {
    let starts = |tag: &[u8]| {
        body.windows(tag.len() + 1)
            .filter(|w| {
                w[..tag.len()].eq_ignore_ascii_case(tag)
                    && matches!(w[tag.len()], b'>' | b' ' | b'\t' | b'\r' | b'\n' | b'/')
            })
            .count()
    };
    starts(b"<item") + starts(b"<entry")
}

fn parser_name(p: Parser) -> &'static str {
    p.describe()
}

/// Poll every given provider at once; `progress` is told about each as it finishes.
pub async fn poll_all(
    fetcher: &Fetcher,
    providers: &[ProviderConfig],
    now: DateTime<Utc>,
    mut progress: impl FnMut(&Observation, usize, usize),
) -> Vec<Observation> {
    let mut set = JoinSet::new();
    for (i, p) in providers.iter().enumerate() {
        let f = fetcher.clone();
        let p = p.clone();
        set.spawn(async move { (i, poll_provider(&f, &p, None, now).await.0) });
    }
    let total = providers.len();
    let mut out: Vec<Option<Observation>> = vec![None; total];
    let mut done = 0;
    while let Some(res) = set.join_next().await {
        match res {
            Ok((i, obs)) => {
                done += 1;
                progress(&obs, done, total);
                out[i] = Some(obs);
            }
            Err(e) => tracing::error!("a poll task failed: {e}"),
        }
    }
    out.into_iter()
        .zip(providers)
        .map(|(o, p)| {
            o.unwrap_or_else(|| {
                let e = FetchError {
                    gate: None,
                    class: ErrorClass::Other,
                    message: "the poll task stopped unexpectedly".into(),
                    http_status: None,
                    latency: Duration::ZERO,
                };
                failed(p, now, &e, "internal error")
            })
        })
        .collect()
}

/// Every source failed, and in a way the user's own network explains: the
/// user is offline, not every provider at once. Needs at least two providers
/// to tell the difference.
pub fn is_offline(observations: &[Observation]) -> bool {
    observations.len() >= 2 && observations.iter().all(failed_on_network)
}

/// This source failed in a way the user's own network explains.
pub fn failed_on_network(o: &Observation) -> bool {
    !o.source_ok
        && matches!(
            o.error,
            Some(ErrorClass::Dns | ErrorClass::Connect | ErrorClass::Timeout | ErrorClass::Tls)
        )
}

/// Next wait for a provider after an observation. `changed`: its status
/// differs from the previous observation's (a change the policy has yet to
/// confirm). `jitter` in [-0.1, 0] spreads providers apart; it only ever
/// shortens the wait, so "within one interval" holds.
pub fn next_delay(
    interval: Duration,
    obs: &Observation,
    changed: bool,
    consecutive_failures: u32,
    jitter: f64,
) -> Duration {
    if obs.source_ok && changed {
        return CONFIRM_DELAY;
    }
    let base = if !obs.source_ok {
        let factor = 2u32.saturating_pow(consecutive_failures.saturating_sub(1).min(10));
        interval
            .saturating_mul(factor)
            .min(MAX_BACKOFF.max(interval))
    } else if obs.status.is_problem() {
        INCIDENT_INTERVAL.min(interval)
    } else {
        interval
    };
    base.mul_f64(1.0 + jitter.clamp(-0.1, 0.0))
}

/// Now, as the poller reads it. The wall clock outside tests; tests hand in
/// [`tokio_clock`], which follows tokio's (paused) clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The wall clock.
pub fn wall_clock() -> Clock {
    Arc::new(Utc::now)
}

/// A clock that starts at `base` and advances with tokio's clock (paused in tests).
pub fn tokio_clock(base: DateTime<Utc>) -> Clock {
    let start = tokio::time::Instant::now();
    Arc::new(move || base + chrono::Duration::from_std(start.elapsed()).unwrap_or_default())
}

/// Does the operating system say there is no network at all? Linux: no default
/// route for IPv4 or IPv6. Elsewhere (or unreadable): `false`, i.e. no opinion.
pub fn os_reports_no_network() -> bool {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    no_default_route(
        read("/proc/net/route").as_deref(),
        read("/proc/net/ipv6_route").as_deref(),
    )
}

/// The judgement of [`os_reports_no_network`] over the text of `/proc/net/route` and
/// `/proc/net/ipv6_route` (`None`: unreadable). No network only when IPv4 has no default
/// route (other than on `lo`) and IPv6 has none either or cannot be read.
pub fn no_default_route(v4: Option<&str>, v6: Option<&str>) -> bool {
    let v4 = v4.map(|t| {
        t.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 2 && f[1] == "00000000" && f[0] != "lo"
        })
    });
    let v6 = v6.map(|t| {
        t.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() >= 10
                && f[0] == "00000000000000000000000000000000"
                && f[1] == "00"
                && f[9] != "lo"
        })
    });
    matches!((v4, v6), (Some(false), Some(false)) | (Some(false), None))
}

/// The long-running poller: owns the schedule, writes the store, runs the policy, broadcasts events.
pub struct Poller {
    config: Arc<Config>,
    fetcher: Fetcher,
    store: Arc<Mutex<Store>>,
    events: broadcast::Sender<CoreEvent>,
    policy: PolicyStates,
    clock: Clock,
    keyring: Option<Arc<dyn Keyring>>,
    switching: Option<Context>,
    no_network: Arc<dyn Fn() -> bool + Send + Sync>,
    sessions: Option<SessionsSetup>,
}

/// Following the user's own assistants' session files (see [`sessions`]).
#[derive(Debug, Clone)]
pub struct SessionsSetup {
    /// Each enabled assistant's folder of session files.
    pub roots: Vec<Root>,
    pub options: WatchOptions,
}

/// How often the sessions verdicts are judged again while they hold facts, so that a storm
/// leaving the window ends in a recovery even when no new line is written.
pub const SESSIONS_REJUDGE: Duration = Duration::from_secs(30);
/// How often the session files' offsets are saved (and at shutdown).
pub const SESSIONS_SAVE: Duration = Duration::from_secs(60);

/// What the tasks send the central loop.
enum Msg {
    Official(Observation),
    Probe(ProbeSample),
    /// New facts from the user's sessions were stored for this provider, or its window moved.
    Sessions(String),
}

/// What the notification policy remembers per provider (what was announced, since when).
/// Shared so a poller restarted with a new config does not announce an ongoing outage again.
pub type PolicyStates = Arc<Mutex<HashMap<String, ProviderPolicyState>>>;

/// How to talk to a running poller.
#[derive(Clone)]
pub struct PollerHandle {
    refresh: broadcast::Sender<()>,
    shutdown: watch::Sender<bool>,
    pause: Arc<watch::Sender<Option<DateTime<Utc>>>>,
}

impl PollerHandle {
    /// Poll every provider now.
    pub fn refresh_now(&self) {
        let _ = self.refresh.send(());
    }

    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Tell the policy to announce nothing before `until` ("Pause for 1 hour"); `None` resumes.
    pub fn pause_until(&self, until: Option<DateTime<Utc>>) {
        self.pause.send_replace(until);
    }
}

impl Poller {
    pub fn new(
        config: Arc<Config>,
        fetcher: Fetcher,
        store: Arc<Mutex<Store>>,
        events: broadcast::Sender<CoreEvent>,
    ) -> Poller {
        Poller {
            config,
            fetcher,
            store,
            events,
            policy: PolicyStates::default(),
            clock: wall_clock(),
            keyring: None,
            switching: None,
            no_network: Arc::new(os_reports_no_network),
            sessions: None,
        }
    }

    /// Follow the user's assistants' session files: their failed calls make a `sessions`
    /// verdict per provider beside the page and the probes.
    pub fn with_sessions(mut self, setup: SessionsSetup) -> Poller {
        self.sessions = Some(setup);
        self
    }

    /// Read "now" from this clock (tests: [`tokio_clock`]).
    pub fn with_clock(mut self, clock: Clock) -> Poller {
        self.clock = clock;
        self
    }

    /// Where probe keys are read from (named by each probe's `key`); without
    /// one, probes go out without a key.
    pub fn with_keyring(mut self, keyring: Arc<dyn Keyring>) -> Poller {
        self.keyring = Some(keyring);
        self
    }

    /// Let failover rules switch assistants in this context (HOME, data dir).
    /// Without it, rules are not carried out.
    pub fn with_switching(mut self, ctx: Context) -> Poller {
        self.switching = Some(ctx);
        self
    }

    /// How to ask the OS whether there is any network (tests hand in a fake).
    pub fn with_network_check(mut self, check: Arc<dyn Fn() -> bool + Send + Sync>) -> Poller {
        self.no_network = check;
        self
    }

    /// Carry the policy's memory over from an earlier poller (see [`PolicyStates`]).
    pub fn with_policy_states(mut self, states: PolicyStates) -> Poller {
        self.policy = states;
        self
    }

    pub fn policy_states(&self) -> PolicyStates {
        self.policy.clone()
    }

    /// Start every task; returns the handle and a join handle that ends after shutdown.
    pub fn spawn(self) -> (PollerHandle, tokio::task::JoinHandle<()>) {
        let (refresh_tx, _) = broadcast::channel(8);
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (pause_tx, pause_rx) = watch::channel(self.config.prefs.paused_until);
        let handle = PollerHandle {
            refresh: refresh_tx.clone(),
            shutdown: shutdown_tx,
            pause: Arc::new(pause_tx),
        };
        let join = tokio::spawn(self.run(refresh_tx, shutdown_rx, pause_rx));
        (handle, join)
    }

    async fn run(
        self,
        refresh: broadcast::Sender<()>,
        shutdown: watch::Receiver<bool>,
        pause: watch::Receiver<Option<DateTime<Utc>>>,
    ) {
        let providers: Vec<ProviderConfig> = self.config.enabled().cloned().collect();
        let probed: Vec<(String, ProbeSpec)> = self
            .config
            .probed()
            .map(|(p, s)| (p.id.clone(), s.clone()))
            .collect();
        let (tx, mut rx) = mpsc::channel::<Msg>(64);
        // "Check the status pages now": a probe failed on the network, and
        // before anyone is blamed we want to know whether everything fails.
        let (crosscheck, _) = broadcast::channel::<()>(4);
        let mut last_crosscheck: Option<tokio::time::Instant> = None;
        let mut tasks = JoinSet::new();
        for p in providers.clone() {
            tasks.spawn(provider_loop(
                p,
                self.fetcher.clone(),
                self.clock.clone(),
                tx.clone(),
                refresh.subscribe(),
                crosscheck.subscribe(),
                shutdown.clone(),
            ));
        }
        for (id, spec) in probed.clone() {
            let key = probe_key(self.keyring.clone(), &id, &spec).await;
            tasks.spawn(probe_loop(
                id,
                spec,
                key,
                self.fetcher.clone(),
                self.clock.clone(),
                tx.clone(),
                refresh.subscribe(),
                shutdown.clone(),
            ));
        }
        if let Some(setup) = self.sessions.clone() {
            tasks.spawn(sessions_loop(
                setup,
                self.store.clone(),
                self.config.clone(),
                self.switching.clone(),
                self.clock.clone(),
                tx.clone(),
                shutdown.clone(),
            ));
        }
        drop(tx);
        tasks.spawn(clock_jump_watch(
            refresh.clone(),
            shutdown.clone(),
            self.clock.clone(),
        ));

        let names: HashMap<String, String> = self
            .config
            .providers
            .iter()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect();
        self.load_policy_states().await;
        let mut latest: HashMap<String, Observation> = HashMap::new();
        let mut latest_probe: HashMap<String, ProbeClass> = HashMap::new();
        let mut verdicts: HashMap<String, Verdict> = HashMap::new();
        let mut session_verdicts: HashMap<String, SessionsVerdict> = HashMap::new();
        // When the user's sessions last failed on their own network (for the offline judgement).
        let mut sessions_network_at: Option<DateTime<Utc>> = None;
        let mut offline = false;
        // Providers whose history is read or being read; one that fails leaves the set
        // and is tried again on its next successful poll.
        let backfills: Arc<Mutex<std::collections::HashSet<String>>> = Arc::default();
        // Roll up and prune at start, then hourly (on tokio's clock, so a paused test clock
        // schedules it too).
        let mut last_maintenance: Option<tokio::time::Instant> = None;
        while let Some(msg) = rx.recv().await {
            let provider_id = match &msg {
                Msg::Official(o) => o.provider_id.clone(),
                Msg::Probe(s) => s.provider_id.clone(),
                Msg::Sessions(id) => id.clone(),
            };
            let name = names
                .get(&provider_id)
                .cloned()
                .unwrap_or_else(|| provider_id.clone());
            let paused = *pause.borrow();
            let mut prefs = self.config.prefs.clone();
            if let Some(until) = paused {
                prefs.paused_until = Some(until);
            }
            let mut events: Vec<CoreEvent> = Vec::new();
            match msg {
                Msg::Official(obs) => {
                    self.store_write({
                        let o = obs.clone();
                        move |s| s.record(&o)
                    })
                    .await;
                    if obs.source_ok
                        && let Some(p) = providers.iter().find(|p| p.id == obs.provider_id)
                    {
                        self.spawn_backfill(p, &backfills);
                    }
                    latest.insert(obs.provider_id.clone(), obs.clone());
                    let now_offline = self.offline(
                        &latest,
                        &latest_probe,
                        providers.len(),
                        sessions_network_recent(sessions_network_at, (self.clock)()),
                    );
                    let offline_changed = now_offline != offline;
                    offline = now_offline;
                    let input = PolicyInput {
                        provider_id: obs.provider_id.clone(),
                        provider_name: name.clone(),
                        status: obs.status,
                        source_ok: obs.source_ok,
                        offline,
                        signal: Signal::Official,
                        problem_components: obs
                            .components
                            .iter()
                            .filter(|c| c.watched && c.status.is_problem())
                            .map(|c| c.name.clone())
                            .collect(),
                        incident_title: obs
                            .incidents
                            .iter()
                            .find(|i| i.is_open())
                            .map(|i| i.title.clone()),
                    };
                    let at = obs.at;
                    events.push(CoreEvent::Observed(Box::new(obs)));
                    // After the observation itself, so listeners see the provider, then the verdict.
                    if offline_changed {
                        events.push(CoreEvent::Offline(offline));
                    }
                    let probed_here = verdicts.contains_key(&provider_id)
                        || probed.iter().any(|(id, _)| *id == provider_id);
                    for mut alert in self.decide(&provider_id, &input, &prefs, at).await {
                        if probed_here {
                            alert.body = format!("Status page: {}", alert.body);
                        }
                        events.push(CoreEvent::Alert(Box::new(alert)));
                    }
                }
                Msg::Probe(sample) => {
                    latest_probe.insert(sample.provider_id.clone(), sample.class);
                    let now_offline = self.offline(
                        &latest,
                        &latest_probe,
                        providers.len(),
                        sessions_network_recent(sessions_network_at, (self.clock)()),
                    );
                    // A probe that fails on the network while the user is offline measured
                    // the user's network, not the provider: it is not kept, so it cannot
                    // make an outage of the first minutes back online.
                    let own_network = sample.class.is_network() && now_offline;
                    if !own_network {
                        self.store_write({
                            let s = sample.clone();
                            move |st| st.record_probe(&s)
                        })
                        .await;
                    }
                    if sample.class.is_network()
                        && !offline
                        && last_crosscheck.is_none_or(|t| t.elapsed() >= CROSSCHECK_GAP)
                    {
                        last_crosscheck = Some(tokio::time::Instant::now());
                        let _ = crosscheck.send(());
                    }
                    let offline_changed = now_offline != offline;
                    offline = now_offline;
                    let slow_ms = probed
                        .iter()
                        .find(|(id, _)| *id == provider_id)
                        .map_or(u32::MAX, |(_, s)| {
                            u32::try_from(s.slow.as_millis()).unwrap_or(u32::MAX)
                        });
                    let at = sample.at;
                    let verdict = self.judge(&provider_id, slow_ms, offline, at).await;
                    verdicts.insert(provider_id.clone(), verdict.clone());
                    let official = latest
                        .get(&provider_id)
                        .map_or(Status::Unknown, |o| o.status);
                    let input = PolicyInput {
                        provider_id: provider_id.clone(),
                        provider_name: name.clone(),
                        status: verdict.status,
                        source_ok: verdict.status != Status::Unknown,
                        offline,
                        signal: Signal::Probe,
                        problem_components: vec![],
                        incident_title: Some(format!(
                            "Measured: {} · status page: {}",
                            verdict.summary,
                            official.label().to_lowercase()
                        )),
                    };
                    events.push(CoreEvent::Measured {
                        provider_id: provider_id.clone(),
                        verdict: Box::new(verdict),
                    });
                    if offline_changed {
                        events.push(CoreEvent::Offline(offline));
                    }
                    let key = format!("probe:{provider_id}");
                    for alert in self.decide(&key, &input, &prefs, at).await {
                        events.push(CoreEvent::Alert(Box::new(measured_alert(alert))));
                    }
                }
                Msg::Sessions(id) => {
                    let now = (self.clock)();
                    let verdict = self.judge_sessions(&id, now).await;
                    if let Some(v) = verdict.as_ref().filter(|v| v.network_errors > 0) {
                        sessions_network_at = sessions_network_at.max(Some(v.at));
                    }
                    let before = session_verdicts.get(&id).cloned();
                    let status = verdict.as_ref().map_or(Status::Operational, |v| v.status);
                    let changed = before.as_ref().map(|v| (v.status, &v.summary, v.errors))
                        != verdict.as_ref().map(|v| (v.status, &v.summary, v.errors));
                    match &verdict {
                        Some(v) => {
                            session_verdicts.insert(id.clone(), v.clone());
                        }
                        None => {
                            session_verdicts.remove(&id);
                        }
                    }
                    if changed {
                        events.push(CoreEvent::Sessions {
                            provider_id: id.clone(),
                            verdict: Box::new(verdict.clone().unwrap_or_else(|| SessionsVerdict {
                                status: Status::Operational,
                                summary: String::new(),
                                errors: 0,
                                at: now,
                                account_notice: None,
                                network_errors: 0,
                            })),
                        });
                    }
                    let official = latest.get(&id).map_or(Status::Unknown, |o| o.status);
                    let summary = verdict
                        .as_ref()
                        .map(|v| v.summary.clone())
                        .unwrap_or_default();
                    let input = PolicyInput {
                        provider_id: id.clone(),
                        provider_name: name.clone(),
                        status,
                        source_ok: true,
                        offline,
                        signal: Signal::Sessions,
                        problem_components: vec![],
                        incident_title: Some(format!(
                            "Your sessions: {summary} · status page: {}",
                            official.label().to_lowercase()
                        )),
                    };
                    let key = format!("sessions:{id}");
                    for alert in self.decide(&key, &input, &prefs, now).await {
                        events.push(CoreEvent::Alert(Box::new(sessions_alert(alert))));
                    }
                }
            }
            let health = Health {
                official: latest
                    .get(&provider_id)
                    .map_or(Status::Unknown, |o| o.status),
                // The user's own failing sessions count as a measured signal, like probes.
                measured: measured_health(
                    verdicts.get(&provider_id).map(|v| v.status),
                    session_verdicts.get(&provider_id).map(|v| v.status),
                ),
                offline,
            };
            for done in self.failover(&provider_id, health).await {
                events.push(CoreEvent::AutoSwitched(Box::new(done)));
            }
            for e in events {
                let _ = self.events.send(e);
            }
            if last_maintenance.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
                last_maintenance = Some(tokio::time::Instant::now());
                let now = (self.clock)();
                self.store_write(move |s| s.maintain(now).map(|_| ())).await;
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Read a provider's history from its page once (history from the first day), off the
    /// loop: it is one extra fetch and must never delay an observation.
    fn spawn_backfill(
        &self,
        p: &ProviderConfig,
        started: &Arc<Mutex<std::collections::HashSet<String>>>,
    ) {
        let fresh = started.lock().is_ok_and(|mut set| set.insert(p.id.clone()));
        if !fresh {
            return;
        }
        let (store, fetcher, p, started) = (
            self.store.clone(),
            self.fetcher.clone(),
            p.clone(),
            started.clone(),
        );
        tokio::spawn(async move {
            let id = p.id.clone();
            let result = async {
                let check = store.clone();
                let pid = id.clone();
                let done = tokio::task::spawn_blocking(move || match check.lock() {
                    Ok(s) => s.backfill_done(&pid).map_err(|e| e.to_string()),
                    Err(_) => Err("the store lock is poisoned".to_string()),
                })
                .await
                .map_err(|e| e.to_string())??;
                if done {
                    return Ok(());
                }
                let now = Utc::now();
                let history = crate::monitor::backfill::fetch_history(&fetcher, &p, now)
                    .await
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default();
                tokio::task::spawn_blocking(move || match store.lock() {
                    Ok(mut s) => s
                        .backfill(&p.id, &history, now)
                        .map(|stats| tracing::info!(provider = %p.id, ?stats, "history read from the page"))
                        .map_err(|e| e.to_string()),
                    Err(_) => Err("the store lock is poisoned".to_string()),
                })
                .await
                .map_err(|e| e.to_string())?
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(provider = %id, "the page's history was not read (tried again next poll): {e}");
                if let Ok(mut set) = started.lock() {
                    set.remove(&id);
                }
            }
        });
    }

    /// Write to the store off the async threads; a failure is logged and broadcast, never fatal.
    async fn store_write<F>(&self, f: F)
    where
        F: FnOnce(&mut Store) -> Result<(), crate::store::StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        let events = self.events.clone();
        let write = tokio::task::spawn_blocking(move || match store.lock() {
            Ok(mut s) => {
                if s.was_removed() {
                    // Writing on would go into a deleted file, lost at exit: start the
                    // history again where the user will look for it, and say so.
                    let path = s.path().display().to_string();
                    s.reopen().map_err(|e| e.to_string())?;
                    let note = format!(
                        // Listeners print this after "history not saved: ".
                        "the history database {path} was deleted or replaced while running, so what was recorded before is lost; recording goes on in a new one there"
                    );
                    tracing::warn!("{note}");
                    let _ = events.send(CoreEvent::StoreError(note));
                }
                f(&mut s).map_err(|e| e.to_string())
            }
            Err(_) => Err("the store lock is poisoned".to_string()),
        })
        .await;
        match write {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!("cannot save to the history: {e}");
                let _ = self.events.send(CoreEvent::StoreError(e));
            }
            Err(e) => tracing::error!("store task failed: {e}"),
        }
    }

    /// The measured verdict for a provider from its stored samples.
    async fn judge(
        &self,
        provider_id: &str,
        slow_ms: u32,
        offline: bool,
        now: DateTime<Utc>,
    ) -> Verdict {
        let store = self.store.clone();
        let id = provider_id.to_string();
        let read = tokio::task::spawn_blocking(move || {
            let s = store
                .lock()
                .map_err(|_| "the store lock is poisoned".to_string())?;
            let samples = s
                .probe_samples(&id, now - verdict::WINDOW_AGE, verdict::WINDOW)
                .map_err(|e| e.to_string())?;
            let baseline = s.probe_baseline(&id, now).map_err(|e| e.to_string())?;
            Ok::<_, String>((samples, baseline))
        })
        .await;
        let why = match read {
            Ok(Ok((samples, baseline))) => {
                return verdict::judge(&samples, baseline, slow_ms, offline, now);
            }
            Ok(Err(e)) => e,
            Err(e) => e.to_string(),
        };
        tracing::error!("cannot read probe samples: {why}");
        verdict::judge(&[], None, slow_ms, offline, now)
    }

    /// The sessions verdict for a provider from its stored facts.
    async fn judge_sessions(
        &self,
        provider_id: &str,
        now: DateTime<Utc>,
    ) -> Option<SessionsVerdict> {
        let store = self.store.clone();
        let id = provider_id.to_string();
        let read = tokio::task::spawn_blocking(move || {
            let s = store
                .lock()
                .map_err(|_| "the store lock is poisoned".to_string())?;
            sessions::verdict::from_store(&s, &id, now).map_err(|e| e.to_string())
        })
        .await;
        match read {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                tracing::error!("cannot read the sessions' failed calls: {e}");
                None
            }
            Err(e) => {
                tracing::error!("sessions task failed: {e}");
                None
            }
        }
    }

    /// Run the notification policy for one stream (`key`: a provider id, or `probe:<id>`).
    /// A changed state is saved before its alerts go out, so a process killed right after
    /// announcing an outage does not announce it again when it starts.
    async fn decide(
        &self,
        key: &str,
        input: &PolicyInput,
        prefs: &policy::Prefs,
        at: DateTime<Utc>,
    ) -> Vec<Alert> {
        let prev = self
            .policy
            .lock()
            .map(|m| m.get(key).cloned().unwrap_or_default())
            .unwrap_or_default();
        let decision = policy::decide(&prev, input, prefs, at);
        if decision.state != prev {
            match serde_json::to_string(&decision.state) {
                Ok(json) => {
                    let stream = key.to_string();
                    self.store_write(move |s| s.set_policy_state(&stream, &json))
                        .await;
                }
                Err(e) => tracing::error!("cannot encode the policy state: {e}"),
            }
        }
        if let Ok(mut m) = self.policy.lock() {
            m.insert(key.to_string(), decision.state);
        }
        decision.alerts
    }

    /// What the policy remembered in the store (an earlier process), for every stream this
    /// process has no memory of yet. An entry that does not decode is forgotten: the worst
    /// that costs is one repeated notification.
    async fn load_policy_states(&self) {
        let store = self.store.clone();
        let saved = tokio::task::spawn_blocking(move || match store.lock() {
            Ok(s) => s.policy_states().map_err(|e| e.to_string()),
            Err(_) => Err("the store lock is poisoned".to_string()),
        })
        .await;
        let saved = match saved {
            Ok(Ok(saved)) => saved,
            Ok(Err(e)) => {
                tracing::error!("cannot read the notification state: {e}");
                return;
            }
            Err(e) => {
                tracing::error!("store task failed: {e}");
                return;
            }
        };
        let Ok(mut m) = self.policy.lock() else {
            return;
        };
        for (stream, json) in saved {
            match serde_json::from_str::<ProviderPolicyState>(&json) {
                Ok(state) => {
                    m.entry(stream).or_insert(state);
                }
                Err(e) => tracing::warn!(%stream, "forgetting a notification state: {e}"),
            }
        }
    }

    /// Offline: every status source and every probe failed in a way the user's
    /// own network explains, or the OS says there is no network and nothing
    /// answered. Then no provider is blamed.
    fn offline(
        &self,
        latest: &HashMap<String, Observation>,
        probes: &HashMap<String, ProbeClass>,
        providers: usize,
        sessions_network: bool,
    ) -> bool {
        judge_offline(
            latest,
            probes,
            providers,
            sessions_network,
            &*self.no_network,
        )
    }

    /// Carry out the failover rules on this provider.
    async fn failover(&self, provider_id: &str, health: Health) -> Vec<crate::events::AutoSwitch> {
        let Some(ctx) = self.switching.clone() else {
            return Vec::new();
        };
        if !self
            .config
            .failover
            .iter()
            .any(|r| r.enabled && r.provider == provider_id)
        {
            return Vec::new();
        }
        let store = self.store.clone();
        let config = self.config.clone();
        let id = provider_id.to_string();
        let now = (self.clock)();
        tokio::task::spawn_blocking(move || match store.lock() {
            Ok(mut s) => executor::run_rules(&ctx, &config, &mut s, &id, health, now),
            Err(_) => Vec::new(),
        })
        .await
        .unwrap_or_default()
    }
}

/// Offline: every status source and every probe failed in a way the user's own network
/// explains, or the OS says there is no network and nothing answered. Then no provider is
/// blamed. The user's own sessions failing on their network in the last minutes
/// (`sessions_network`) count as one more source: with a single status page failing on the
/// network, they tell "my network" from "their service".
pub fn judge_offline(
    latest: &HashMap<String, Observation>,
    probes: &HashMap<String, ProbeClass>,
    providers: usize,
    sessions_network: bool,
    no_network: &dyn Fn() -> bool,
) -> bool {
    let official_down = latest.values().all(failed_on_network);
    let probes_down = probes.values().all(|c| c.is_network());
    let all_known = latest.len() == providers;
    // Status pages, probes and the user's sessions are separate sources: two of any kind
    // can tell "my network" from "their service".
    let sources = latest.len() + probes.len() + usize::from(sessions_network);
    if all_known && sources >= 2 && official_down && probes_down {
        return true;
    }
    let nothing_answered = latest.values().all(|o| !o.source_ok)
        && probes.values().all(|c| !c.answered())
        && !(latest.is_empty() && probes.is_empty());
    nothing_answered && no_network()
}

/// The user's sessions failed on their network within the last two minutes.
fn sessions_network_recent(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    at.is_some_and(|t| {
        now - t <= chrono::Duration::minutes(2) && t <= now + chrono::Duration::minutes(1)
    })
}

/// Words for an alert from the probes: it says it was measured.
fn measured_alert(mut a: Alert) -> Alert {
    a.title = match a.kind {
        AlertKind::Recovery => format!("{}: requests succeed again (measured)", a.provider_name),
        _ => format!("{} (measured)", a.title),
    };
    if a.kind == AlertKind::Recovery {
        a.body = a
            .body
            .replacen("Operational again", "Measured healthy again", 1);
    }
    a
}

/// Words for an alert from the user's own sessions: it says where it came from.
fn sessions_alert(mut a: Alert) -> Alert {
    a.title = match a.kind {
        AlertKind::Recovery => format!("{}: your sessions' calls succeed again", a.provider_name),
        _ => format!("{} (your own sessions)", a.title),
    };
    if a.kind == AlertKind::Recovery {
        a.body = a.body.replacen(
            "Operational again",
            "No more failed calls in your sessions",
            1,
        );
    }
    a
}

/// The measured side of failover health: the worse problem of the probes and the sessions;
/// without either, what the probes say (unknown when there are none).
fn measured_health(probe: Option<Status>, sessions: Option<Status>) -> Status {
    match (probe, sessions.filter(|s| s.is_problem())) {
        (Some(p), Some(s)) if p.is_problem() => p.worse(s),
        (_, Some(s)) => s,
        (Some(p), None) => p,
        (None, None) => Status::Unknown,
    }
}

/// Follow the session files: store each batch of facts attributed to the provider the
/// assistant is on, tell the central loop which providers to judge again, re-judge while
/// facts are in the window, and keep the files' offsets across restarts.
async fn sessions_loop(
    setup: SessionsSetup,
    store: Arc<Mutex<Store>>,
    config: Arc<Config>,
    switching: Option<Context>,
    clock: Clock,
    tx: mpsc::Sender<Msg>,
    mut shutdown: watch::Receiver<bool>,
) {
    let blocking = |f: Box<dyn FnOnce(&mut Store) + Send>| {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            if let Ok(mut s) = store.lock() {
                f(&mut s);
            }
        })
    };
    let state = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            store
                .lock()
                .ok()
                .and_then(|s| s.load_follow_state().ok())
                .unwrap_or_default()
        })
        .await
        .unwrap_or_default()
    };
    let (ftx, mut frx) = mpsc::unbounded_channel::<Vec<ErrorFact>>();
    let watcher = match SessionWatch::start(setup.roots, state, setup.options, ftx) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("the assistants' sessions are not followed: {e}");
            return;
        }
    };
    // The watch thread holds the offsets while it reads a large tree at start: they are
    // read, and saved, on the blocking pool, never on an async worker.
    let read_state = Arc::new(watcher.follow_state_reader());
    let save = || {
        let read_state = read_state.clone();
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            let state = read_state();
            if let Ok(mut s) = store.lock()
                && let Err(e) = s.save_follow_state(&state)
            {
                tracing::warn!("cannot save where the session files were read up to: {e}");
            }
        })
    };
    // Providers with facts in the window, and the newest fact's time.
    let mut active: HashMap<String, DateTime<Utc>> = HashMap::new();
    let start = tokio::time::Instant::now();
    let mut rejudge = tokio::time::interval_at(start + SESSIONS_REJUDGE, SESSIONS_REJUDGE);
    rejudge.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut save_tick = tokio::time::interval_at(start + SESSIONS_SAVE, SESSIONS_SAVE);
    save_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            batch = frx.recv() => {
                let Some(mut facts) = batch else { break };
                // Which provider each assistant is on now (its active profile).
                let views = match switching.clone() {
                    Some(ctx) => {
                        let config = config.clone();
                        let store = store.clone();
                        tokio::task::spawn_blocking(move || {
                            store
                                .lock()
                                .ok()
                                .and_then(|s| crate::switch::assistants::list(&ctx, &config, &s).ok())
                                .unwrap_or_default()
                        })
                        .await
                        .unwrap_or_default()
                    }
                    None => Vec::new(),
                };
                for f in &mut facts {
                    sessions::attribute(f, &views);
                }
                let mut touched: Vec<String> = facts.iter().filter_map(|f| f.provider.clone()).collect();
                touched.sort();
                touched.dedup();
                let unattributed = facts.iter().filter(|f| f.provider.is_none()).count();
                if unattributed > 0 {
                    tracing::debug!(unattributed, "failed calls of assistants on no known provider");
                }
                let stored = facts.clone();
                let _ = blocking(Box::new(move |s: &mut Store| {
                    if let Err(e) = s.record_session_errors(&stored) {
                        tracing::error!("cannot save the sessions' failed calls: {e}");
                    }
                }))
                .await;
                for f in &facts {
                    if let Some(p) = &f.provider {
                        let t = active.entry(p.clone()).or_insert(f.at);
                        *t = (*t).max(f.at);
                    }
                }
                for id in touched {
                    if tx.send(Msg::Sessions(id)).await.is_err() {
                        return;
                    }
                }
            }
            _ = rejudge.tick() => {
                let now = clock();
                // One last look after the window has passed gives the recovery.
                let horizon = sessions::verdict::WINDOW + chrono::Duration::seconds(SESSIONS_REJUDGE.as_secs() as i64);
                let ids: Vec<String> = active.keys().cloned().collect();
                for id in ids {
                    if tx.send(Msg::Sessions(id.clone())).await.is_err() {
                        return;
                    }
                    if active.get(&id).is_some_and(|t| now - *t > horizon) {
                        active.remove(&id);
                    }
                }
            }
            _ = save_tick.tick() => {
                let _ = save().await;
            }
        }
    }
    let _ = save().await;
    drop(watcher);
}

/// Read a probe's key from the keyring, off the async threads. A named key that
/// cannot be read is logged; the probe then goes out without one.
async fn probe_key(
    keyring: Option<Arc<dyn Keyring>>,
    provider_id: &str,
    spec: &ProbeSpec,
) -> Option<String> {
    let name = spec.key.clone()?;
    let keyring = keyring?;
    let id = provider_id.to_string();
    tokio::task::spawn_blocking(move || match keyring.get(&name) {
        Ok(k) => Some(k),
        Err(e) => {
            tracing::warn!(provider = %id, "probe key {name:?} not usable, probing without it: {e}");
            None
        }
    })
    .await
    .ok()
    .flatten()
}

#[allow(clippy::too_many_arguments)]
async fn probe_loop(
    id: String,
    spec: ProbeSpec,
    key: Option<String>,
    fetcher: Fetcher,
    clock: Clock,
    out: mpsc::Sender<Msg>,
    mut refresh: broadcast::Receiver<()>,
    mut shutdown: watch::Receiver<bool>,
) {
    let first = rand::rng().random_range(0.0..spec.interval.as_secs_f64().min(3.0));
    let mut wait = Duration::from_secs_f64(first);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            r = refresh.recv() => {
                if let Err(broadcast::error::RecvError::Closed) = r { return; }
            }
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        let sample = probe::probe(&fetcher, &id, &spec, key.as_deref(), clock()).await;
        wait = probe::next_probe_delay(&spec, sample.class);
        if out.send(Msg::Probe(sample)).await.is_err() {
            return;
        }
    }
}

async fn provider_loop(
    p: ProviderConfig,
    fetcher: Fetcher,
    clock: Clock,
    out: mpsc::Sender<Msg>,
    mut refresh: broadcast::Receiver<()>,
    mut crosscheck: broadcast::Receiver<()>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Spread the first polls over a few seconds so 15 providers do not fire at once.
    let first = rand::rng().random_range(0.0..p.interval.as_secs_f64().min(3.0));
    let mut wait = Duration::from_secs_f64(first);
    let mut cache: Option<CacheEntry> = None;
    let mut failures: u32 = 0;
    // Start from "operational" so a provider already down at launch is confirmed quickly too.
    let mut last_status = Status::Operational;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            r = refresh.recv() => {
                if let Err(broadcast::error::RecvError::Closed) = r { return; }
            }
            r = crosscheck.recv() => {
                if let Err(broadcast::error::RecvError::Closed) = r { return; }
            }
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        let (obs, entry) = poll_provider(&fetcher, &p, cache.as_ref(), clock()).await;
        if obs.source_ok {
            failures = 0;
            cache = entry;
        } else {
            failures = failures.saturating_add(1);
        }
        let changed = obs.source_ok && obs.status != last_status;
        if obs.source_ok {
            last_status = obs.status;
        }
        let jitter = rand::rng().random_range(-0.1..=0.0);
        wait = next_delay(p.interval, &obs, changed, failures, jitter);
        if out.send(Msg::Official(obs)).await.is_err() {
            return;
        }
    }
}

/// Watches for the wall clock (the poller's [`Clock`]) running ahead of the monotonic
/// clock (tokio's, which stops while the machine sleeps): suspend/resume.
async fn clock_jump_watch(
    refresh: broadcast::Sender<()>,
    mut shutdown: watch::Receiver<bool>,
    clock: Clock,
) {
    let mut mono = tokio::time::Instant::now();
    let mut wall = clock();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(10)) => {}
            _ = shutdown.changed() => return,
        }
        let (m, w) = (tokio::time::Instant::now(), clock());
        let mono_d = m.duration_since(mono);
        let wall_d = (w - wall).to_std().unwrap_or_default();
        if jumped(mono_d, wall_d) {
            tracing::info!(
                "clock jumped by {:?} (sleep/resume?): polling everything now",
                wall_d - mono_d
            );
            let _ = refresh.send(());
        }
        mono = m;
        wall = w;
    }
}

/// Did the wall clock advance much further than the monotonic clock?
pub fn jumped(mono: Duration, wall: Duration) -> bool {
    wall > mono + CLOCK_JUMP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_route_is_read_from_proc() {
        const HEAD4: &str =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
        let with_default = format!(
            "{HEAD4}wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\nwlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n"
        );
        let local_only =
            format!("{HEAD4}wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n");
        let lo_default =
            format!("{HEAD4}lo\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n");
        let v6_default = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 wlan0\n";
        let v6_lo = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo\n";
        let v6_link = "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 wlan0\n";
        // A default route (v4 or v6) means there is a network to try.
        assert!(!no_default_route(Some(&with_default), Some(v6_link)));
        assert!(!no_default_route(Some(&local_only), Some(v6_default)));
        // None but on the loopback: no network.
        assert!(no_default_route(Some(&local_only), Some(v6_link)));
        assert!(no_default_route(Some(&lo_default), Some(v6_lo)));
        assert!(no_default_route(Some(&local_only), None));
        // Unreadable IPv4 routes: no opinion.
        assert!(!no_default_route(None, None));
        assert!(!no_default_route(None, Some(v6_link)));
    }

    #[test]
    fn feed_entries_are_counted_without_parsing() {
        let body = b"<rss><channel><item>a</item><ITEM x='1'>b</ITEM><items>c</items>\n<entry>d</entry><entry/><entryx></entryx></channel></rss>";
        assert_eq!(count_feed_entries(body), 4);
        assert_eq!(count_feed_entries(b""), 0);
    }

    fn obs(ok: bool, status: Status, error: Option<ErrorClass>) -> Observation {
        Observation {
            provider_id: "p".into(),
            at: Utc::now(),
            status,
            source_ok: ok,
            http_status: None,
            latency_ms: None,
            error,
            reason: None,
            missing_watched: vec![],
            components: vec![],
            incidents: vec![],
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let i = Duration::from_secs(60);
        let f = obs(false, Status::Unknown, Some(ErrorClass::HttpStatus));
        assert_eq!(next_delay(i, &f, false, 1, 0.0), Duration::from_secs(60));
        assert_eq!(next_delay(i, &f, false, 2, 0.0), Duration::from_secs(120));
        assert_eq!(next_delay(i, &f, false, 3, 0.0), Duration::from_secs(240));
        assert_eq!(next_delay(i, &f, false, 30, 0.0), MAX_BACKOFF);
    }

    #[test]
    fn incidents_poll_fast_and_healthy_at_interval() {
        let i = Duration::from_secs(60);
        let major = obs(true, Status::MajorOutage, None);
        let fine = obs(true, Status::Operational, None);
        assert_eq!(next_delay(i, &major, false, 0, 0.0), INCIDENT_INTERVAL);
        assert_eq!(next_delay(i, &fine, false, 0, 0.0), i);
        let j = next_delay(i, &fine, false, 0, -0.5);
        assert_eq!(j, Duration::from_secs(54), "jitter is clamped to -10 %");
        let j = next_delay(i, &fine, false, 0, 0.5);
        assert_eq!(j, i, "jitter never lengthens the wait");
    }

    #[test]
    fn a_change_is_confirmed_within_seconds() {
        let i = Duration::from_secs(60);
        let major = obs(true, Status::MajorOutage, None);
        let fine = obs(true, Status::Operational, None);
        assert_eq!(next_delay(i, &major, true, 0, -0.1), CONFIRM_DELAY);
        assert_eq!(
            next_delay(i, &fine, true, 0, -0.1),
            CONFIRM_DELAY,
            "recoveries too"
        );
        let failed = obs(false, Status::Unknown, Some(ErrorClass::Timeout));
        assert_eq!(
            next_delay(i, &failed, true, 1, 0.0),
            i,
            "a failure is not a change"
        );
    }

    #[test]
    fn offline_only_when_every_source_fails_on_the_network() {
        let net = obs(false, Status::Unknown, Some(ErrorClass::Dns));
        let conn = obs(false, Status::Unknown, Some(ErrorClass::Connect));
        let http = obs(false, Status::Unknown, Some(ErrorClass::HttpStatus));
        let ok = obs(true, Status::Operational, None);
        assert!(is_offline(&[net.clone(), conn.clone()]));
        assert!(!is_offline(&[net.clone(), ok]));
        assert!(!is_offline(&[net.clone(), http]));
        assert!(
            !is_offline(std::slice::from_ref(&net)),
            "one provider cannot tell"
        );
    }

    #[test]
    fn the_users_sessions_failing_on_their_network_are_one_more_source() {
        let net = obs(false, Status::Unknown, Some(ErrorClass::Dns));
        let ok = obs(true, Status::Operational, None);
        let one = |o: &Observation| HashMap::from([("a".to_string(), o.clone())]);
        let no_probes = HashMap::new();
        let never = || false;
        // One page failing on the network cannot tell alone...
        assert!(!judge_offline(&one(&net), &no_probes, 1, false, &never));
        // ...with the sessions failing on the network too, it is the user's network.
        assert!(judge_offline(&one(&net), &no_probes, 1, true, &never));
        // A page that answers is never offline, whatever the sessions say.
        assert!(!judge_offline(&one(&ok), &no_probes, 1, true, &never));
        // Recent means the last two minutes.
        let now = Utc::now();
        assert!(sessions_network_recent(
            Some(now - chrono::Duration::seconds(90)),
            now
        ));
        assert!(!sessions_network_recent(
            Some(now - chrono::Duration::minutes(5)),
            now
        ));
        assert!(!sessions_network_recent(None, now));
    }

    #[test]
    fn clock_jump_detection() {
        assert!(jumped(Duration::from_secs(10), Duration::from_secs(3600)));
        assert!(!jumped(Duration::from_secs(10), Duration::from_secs(11)));
    }
}
