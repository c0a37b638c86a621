//! Early warning end to end in the core, on tokio's paused clock: a fake provider API and a fake status page on 127.0.0.1 go through healthy, slow, 429 storms, 529 bursts, 5xx, timeouts and refused connections; the poller's verdicts, notifications and automatic switches (and switch-backs) are asserted in virtual minutes, without sleeping.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

use weathervane::config::Config;
use weathervane::events::CoreEvent;
use weathervane::model::Status;
use weathervane::monitor::fetch::Fetcher;
use weathervane::monitor::policy::Alert;
use weathervane::monitor::poller::{Poller, PollerHandle, tokio_clock};
use weathervane::monitor::verdict::Verdict;
use weathervane::store::Store;
use weathervane::switch::engine::Context;
use weathervane::switch::keys::MemoryKeyring;

use crate::common::*;

/// What the fake API does with the next request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Api {
    /// Answer with this HTTP status after this (virtual) delay.
    Answer(u16, Duration),
    /// Accept, then never answer.
    Hang,
    /// Refuse connections (the listener is closed).
    Refuse,
}

/// A tiny HTTP/1.1 server on the test's own runtime, so its delays run on the
/// paused clock. `/api/v2/summary.json` serves the status page body; every
/// other path answers as `mode` says.
struct Fake {
    addr: SocketAddr,
    mode: watch::Sender<Api>,
    page: Arc<Mutex<Vec<u8>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    async fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (mode, rx) = watch::channel(Api::Answer(200, Duration::from_millis(200)));
        let page = Arc::new(Mutex::new(fixture(OPENAI_SUMMARY)));
        let requests = Arc::new(Mutex::new(Vec::new()));
        tokio::spawn(serve(
            Some(listener),
            addr,
            rx,
            page.clone(),
            requests.clone(),
        ));
        Fake {
            addr,
            mode,
            page,
            requests,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set(&self, m: Api) {
        self.mode.send_replace(m);
    }

    fn page(&self, body: Vec<u8>) {
        *self.page.lock().unwrap() = body;
    }

    fn headers_seen(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(
    mut listener: Option<TcpListener>,
    addr: SocketAddr,
    mut mode: watch::Receiver<Api>,
    page: Arc<Mutex<Vec<u8>>>,
    requests: Arc<Mutex<Vec<String>>>,
) {
    loop {
        let refuse = *mode.borrow() == Api::Refuse;
        if refuse {
            listener = None;
        } else if listener.is_none() {
            listener = Some(TcpListener::bind(addr).await.unwrap());
        }
        let Some(l) = listener.as_ref() else {
            if mode.changed().await.is_err() {
                return;
            }
            continue;
        };
        tokio::select! {
            r = l.accept() => {
                let Ok((mut sock, _)) = r else { continue };
                let api = *mode.borrow();
                let page = page.lock().unwrap().clone();
                let requests = requests.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let mut got = Vec::new();
                    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&got).to_string();
                    let status_page = head.starts_with("GET /api/v2/summary.json");
                    if !status_page {
                        requests.lock().unwrap().push(head.to_lowercase());
                    }
                    let (code, delay, body) = match (status_page, api) {
                        (true, _) => (200, Duration::ZERO, page),
                        (false, Api::Answer(code, d)) => (code, d, b"{\"data\":[]}".to_vec()),
                        (false, _) => {
                            std::future::pending::<()>().await;
                            unreachable!()
                        }
                    };
                    tokio::time::sleep(delay).await;
                    let resp = format!(
                        "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.write_all(&body).await;
                    let _ = sock.shutdown().await;
                });
            }
            r = mode.changed() => if r.is_err() { return },
        }
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap()
}

/// A poller for one provider with a status page on `status` and a probe on `api`,
/// a failover rule for Claude Code, in a temp HOME with a real-looking settings.json.
struct Rig {
    handle: PollerHandle,
    rx: broadcast::Receiver<CoreEvent>,
    store: Arc<Mutex<Store>>,
    settings: PathBuf,
    original: Vec<u8>,
    _dir: tempfile::TempDir,
}

const RULE: &str = "[failover.claude-code]\nprovider = \"anthropic\"\nto = \"ollama\"\nafter = \"5m\"\nback_after = \"10m\"\nmin_dwell = \"10m\"\n";

fn rig(status: &Fake, api: &Fake, extra: &str, manual_first: bool) -> Rig {
    let text = format!(
        "catalog = false\n[notifications]\nconfirmations = 2\ncooldown = \"1m\"\n\n[[providers]]\nid = \"anthropic\"\nname = \"Anthropic\"\nkind = \"statuspage\"\nurl = \"{}\"\ninterval = \"60s\"\nwatch = [\"Codex API\"]\nprobe = {{ enabled = true, url = \"{}/v1/models\", auth = \"x-api-key\", key = \"anthropic-probe\", headers = {{ anthropic-version = \"2023-06-01\" }} }}\n\n{RULE}{extra}",
        status.url(),
        api.url()
    );
    let cfg = Config::parse(&text, std::path::Path::new("test.toml")).expect("config");
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let data = dir.path().join("data");
    std::fs::create_dir_all(home.join(".claude")).unwrap();
    let settings = home.join(".claude/settings.json");
    let original = include_bytes!("fixtures/assistants/claude-settings.json").to_vec();
    std::fs::write(&settings, &original).unwrap();
    let keyring = Arc::new(MemoryKeyring(Mutex::new(HashMap::from([(
        "anthropic-probe".to_string(),
        "sk-ant-test-probe-key".to_string(),
    )]))));
    let ctx = Context {
        home: home.clone(),
        env: HashMap::new(),
        data_dir: data.clone(),
        claude_managed_settings: dir.path().join("no-managed-settings.json"),
        keyring: keyring.clone(),
        program: "weathervane".into(),
        project_dirs: vec![],
    };
    let store = Arc::new(Mutex::new(Store::open(&data.join("history.db")).unwrap()));
    if manual_first {
        let mut s = store.lock().unwrap();
        weathervane::switch::engine::switch(
            &ctx,
            &mut s,
            &cfg.profiles,
            weathervane::switch::profiles::AssistantId::ClaudeCode,
            "ollama",
        )
        .unwrap();
    }
    let (tx, rx) = broadcast::channel(1024);
    let poller = Poller::new(
        Arc::new(cfg),
        Fetcher::new(Duration::from_secs(10), 4 << 20).unwrap(),
        store.clone(),
        tx,
    )
    .with_clock(tokio_clock(t0()))
    .with_keyring(keyring)
    .with_switching(ctx)
    .with_network_check(Arc::new(|| false));
    let (handle, _join) = poller.spawn();
    Rig {
        handle,
        rx,
        store,
        settings,
        original,
        _dir: dir,
    }
}

/// Everything the poller said over some virtual time.
#[derive(Default, Debug)]
struct Seen {
    verdicts: Vec<Verdict>,
    alerts: Vec<Alert>,
    switches: Vec<weathervane::events::AutoSwitch>,
    offline: Vec<bool>,
}

impl Rig {
    /// Collect events for `mins` virtual minutes.
    async fn run(&mut self, mins: u64) -> Seen {
        let mut seen = Seen::default();
        let until = tokio::time::Instant::now() + Duration::from_secs(mins * 60);
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Ok(CoreEvent::Measured { verdict, .. })) => seen.verdicts.push(*verdict),
                Ok(Ok(CoreEvent::Alert(a))) => seen.alerts.push(*a),
                Ok(Ok(CoreEvent::AutoSwitched(s))) => seen.switches.push(*s),
                Ok(Ok(CoreEvent::Offline(o))) => seen.offline.push(o),
                Ok(Ok(_)) => {}
                Ok(Err(broadcast::error::RecvError::Lagged(n))) => panic!("lagged {n}"),
                Ok(Err(_)) | Err(_) => break,
            }
        }
        seen
    }

    fn settings(&self) -> Vec<u8> {
        std::fs::read(&self.settings).unwrap()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

fn last(seen: &Seen) -> &Verdict {
    seen.verdicts.last().expect("at least one verdict")
}

#[tokio::test(start_paused = true)]
async fn healthy_api_is_measured_healthy_and_nothing_happens() {
    let (status, api) = (Fake::start().await, Fake::start().await);
    let mut r = rig(&status, &api, "", false);
    let seen = r.run(30).await;
    let v = last(&seen);
    assert_eq!(v.status, Status::Operational, "{v:?}");
    assert!(v.summary.starts_with("healthy (median 2"), "{}", v.summary);
    assert!(seen.alerts.is_empty(), "{:?}", seen.alerts);
    assert!(seen.switches.is_empty());
    assert_eq!(r.settings(), r.original);
    // About one probe a minute, with the key from the keyring in Anthropic's header.
    let reqs = api.headers_seen();
    assert!(
        (25..=40).contains(&reqs.len()),
        "{} probes in 30 min",
        reqs.len()
    );
    assert!(
        reqs[0].contains("x-api-key: sk-ant-test-probe-key"),
        "{}",
        reqs[0]
    );
    assert!(
        reqs[0].contains("anthropic-version: 2023-06-01"),
        "{}",
        reqs[0]
    );
}

#[tokio::test(start_paused = true)]
async fn a_529_burst_alerts_switches_after_five_minutes_and_switches_back_when_healthy() {
    let (status, api) = (Fake::start().await, Fake::start().await);
    let mut r = rig(&status, &api, "", false);
    let calm = r.run(10).await;
    assert_eq!(last(&calm).status, Status::Operational);

    api.set(Api::Answer(529, Duration::from_millis(100)));
    let burst = r.run(4).await;
    let v = last(&burst);
    assert_eq!(v.status, Status::MajorOutage, "{v:?}");
    assert!(v.summary.contains("requests 529"), "{}", v.summary);
    let alert = burst.alerts.first().expect("a measured alert");
    // The window fills up with failures: partial outage first (then major, as an escalation).
    assert!(
        alert.title.starts_with("Anthropic: ") && alert.title.ends_with("outage (measured)"),
        "{}",
        alert.title
    );
    assert!(alert.body.contains("Measured: failing ("), "{}", alert.body);
    assert!(
        alert.body.contains("status page: operational"),
        "{}",
        alert.body
    );
    assert!(
        burst.switches.is_empty(),
        "not before five minutes of measured outage"
    );
    assert_eq!(r.settings(), r.original);

    let later = r.run(3).await;
    let sw = later.switches.first().expect("an automatic switch");
    assert!(!sw.back);
    assert!(
        sw.reason
            .contains("probes have measured a major outage of Anthropic"),
        "{}",
        sw.reason
    );
    assert_eq!(sw.undo.as_deref(), Some("back:claude-code"));
    let out = sw.result.as_ref().expect("switched");
    assert!(out.summary.contains("Ollama"), "{}", out.summary);
    let now: serde_json::Value = serde_json::from_slice(&r.settings()).unwrap();
    assert_eq!(now["env"]["ANTHROPIC_BASE_URL"], "http://localhost:11434");
    let hist = r
        .store
        .lock()
        .unwrap()
        .switches(Some("claude-code"), 10)
        .unwrap();
    assert!(hist[0].automatic, "recorded as automatic");

    // Healthy again: a measured recovery, and the switch back once ten healthy minutes pass.
    api.set(Api::Answer(200, Duration::from_millis(150)));
    let healing = r.run(8).await;
    assert!(
        healing
            .alerts
            .iter()
            .any(|a| a.title == "Anthropic: requests succeed again (measured)"),
        "{:?}",
        healing.alerts
    );
    assert!(
        healing.switches.is_empty(),
        "not before ten healthy minutes"
    );
    let back = r.run(8).await;
    let sw = back.switches.first().expect("an automatic switch back");
    assert!(sw.back);
    assert_eq!(sw.undo.as_deref(), Some("switch:claude-code:ollama"));
    assert_eq!(
        r.settings(),
        r.original,
        "switching back restores the file byte for byte"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_storm_is_not_an_outage_and_never_fails_over() {
    let (status, api) = (Fake::start().await, Fake::start().await);
    let mut r = rig(&status, &api, "", false);
    api.set(Api::Answer(429, Duration::from_millis(50)));
    let seen = r.run(45).await;
    let v = last(&seen);
    assert_eq!(v.status, Status::Operational, "{v:?}");
    assert!(
        v.summary.contains("rate-limited") && v.summary.contains("not an outage"),
        "{}",
        v.summary
    );
    assert!(seen.alerts.is_empty(), "{:?}", seen.alerts);
    assert!(seen.switches.is_empty());
    assert_eq!(r.settings(), r.original);
    // A storm does not make us probe faster.
    assert!(
        api.headers_seen().len() <= 50,
        "{} probes",
        api.headers_seen().len()
    );
}

#[tokio::test(start_paused = true)]
async fn slow_answers_are_degraded_which_never_fails_over() {
    let (status, api) = (Fake::start().await, Fake::start().await);
    let mut r = rig(&status, &api, "", false);
    r.run(10).await;
    api.set(Api::Answer(200, Duration::from_secs(5)));
    let seen = r.run(20).await;
    let v = last(&seen);
    assert_eq!(v.status, Status::Degraded, "{v:?}");
    assert!(
        v.summary.starts_with("slow (median 5.0 s, usually"),
        "{}",
        v.summary
    );
    assert!(seen.switches.is_empty());
}

#[tokio::test(start_paused = true)]
async fn server_errors_timeouts_and_refusals_are_each_an_outage() {
    for (mode, words) in [
        (Api::Answer(503, Duration::from_millis(80)), "requests 5xx"),
        (Api::Hang, "requests timed out"),
        (Api::Refuse, "requests refused"),
    ] {
        let (status, api) = (Fake::start().await, Fake::start().await);
        let mut r = rig(&status, &api, "", false);
        r.run(5).await;
        api.set(mode);
        let seen = r.run(8).await;
        let v = last(&seen);
        assert_eq!(v.status, Status::MajorOutage, "{mode:?}: {v:?}");
        assert!(v.summary.contains(words), "{mode:?}: {}", v.summary);
        assert!(
            seen.offline.iter().all(|o| !o),
            "{mode:?}: the status page still answers, so this is not offline"
        );
        assert!(
            !seen.switches.is_empty(),
            "{mode:?}: failover after five minutes"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_official_outage_switches_at_once_even_with_healthy_probes() {
    let (status, api) = (Fake::start().await, Fake::start().await);
    let mut r = rig(&status, &api, "", false);
    r.run(5).await;
    status.page(openai_with("Codex API", "major_outage"));
    let seen = r.run(3).await;
    let sw = seen.switches.first().expect("switched");
    assert!(
        sw.reason.contains("status page reports a major outage"),
        "{}",
        sw.reason
    );
    assert!(
        seen.alerts
            .iter()
            .any(|a| a.body.starts_with("Status page: ")),
        "the official alert says which signal fired: {:?}",
        seen.alerts
    );
}

#[tokio::test(start_paused = true)]
async fn a_manual_switch_is_never_overridden() {
    let (status, api) = (Fake::start().await, Fake::start().await);
    let mut r = rig(&status, &api, "", true);
    let switched = r.settings();
    api.set(Api::Answer(529, Duration::from_millis(100)));
    status.page(openai_with("Codex API", "major_outage"));
    let seen = r.run(30).await;
    assert!(seen.switches.is_empty(), "{:?}", seen.switches);
    assert_eq!(r.settings(), switched);
}

#[tokio::test(start_paused = true)]
async fn undoing_an_automatic_switch_keeps_the_rule_hands_off_until_recovery() {
    let (status, api) = (Fake::start().await, Fake::start().await);
    let mut r = rig(&status, &api, "", false);
    status.page(openai_with("Codex API", "major_outage"));
    let seen = r.run(3).await;
    assert_eq!(seen.switches.len(), 1);
    // The user clicks "Undo" (a manual switch back) while the outage goes on.
    {
        let mut s = r.store.lock().unwrap();
        let ctx_home = r.settings.parent().unwrap().parent().unwrap().to_path_buf();
        let ctx = Context {
            home: ctx_home,
            env: HashMap::new(),
            data_dir: r._dir.path().join("data"),
            claude_managed_settings: r._dir.path().join("no-managed-settings.json"),
            keyring: Arc::new(MemoryKeyring(Mutex::new(HashMap::new()))),
            program: "weathervane".into(),
            project_dirs: vec![],
        };
        weathervane::switch::engine::back(
            &ctx,
            &mut s,
            weathervane::switch::profiles::AssistantId::ClaudeCode,
        )
        .unwrap();
    }
    assert_eq!(r.settings(), r.original);
    let seen = r.run(40).await;
    assert!(seen.switches.is_empty(), "{:?}", seen.switches);
    assert_eq!(r.settings(), r.original);
}

#[tokio::test(start_paused = true)]
async fn when_everything_fails_on_the_network_it_is_offline_and_nobody_is_blamed() {
    let (status, api) = (Fake::start().await, Fake::start().await);
    let mut r = rig(&status, &api, "", false);
    r.run(5).await;
    status.set(Api::Refuse);
    api.set(Api::Refuse);
    let seen = r.run(20).await;
    assert!(seen.offline.contains(&true), "{:?}", seen.offline);
    assert_eq!(last(&seen).status, Status::Unknown);
    assert_eq!(last(&seen).summary, "offline: not measuring");
    assert!(seen.alerts.is_empty(), "{:?}", seen.alerts);
    assert!(seen.switches.is_empty());
}

#[test]
fn status_shows_the_measured_verdict_beside_the_official_one() {
    let env = Env::new(
        "catalog = false\n[[providers]]\nid = \"anthropic\"\nname = \"Anthropic\"\nkind = \"statuspage\"\nurl = \"http://127.0.0.1:9\"\nprobe = { enabled = true, url = \"http://127.0.0.1:9/v1/models\" }\n\n[[providers]]\nid = \"openai\"\nname = \"OpenAI\"\nkind = \"statuspage\"\nurl = \"http://127.0.0.1:9\"\n",
    );
    {
        let mut s = Store::open(&env.data.join("weathervane.db")).unwrap();
        let now = Utc::now();
        s.record(&weathervane::model::Observation {
            provider_id: "anthropic".into(),
            at: now,
            status: Status::Operational,
            source_ok: true,
            http_status: Some(200),
            latency_ms: Some(80),
            error: None,
            reason: None,
            missing_watched: vec![],
            components: vec![weathervane::model::ComponentState {
                id: "api".into(),
                name: "API".into(),
                status: Status::Operational,
                watched: true,
            }],
            incidents: vec![],
        })
        .unwrap();
        for i in 0..10 {
            s.record_probe(&weathervane::monitor::sources::probe::ProbeSample {
                provider_id: "anthropic".into(),
                at: now - chrono::Duration::seconds(15 * i),
                class: weathervane::monitor::sources::probe::ProbeClass::Overloaded,
                latency_ms: 90,
                http_status: Some(529),
                detail: Some("HTTP 529".into()),
            })
            .unwrap();
        }
    }
    let (code, v) = env.json(&["status", "--json"]);
    let a = provider_json(&v, "anthropic");
    assert_eq!(
        a["status"], "operational",
        "the official status is left alone"
    );
    assert_eq!(a["measured"]["status"], "major_outage");
    assert_eq!(a["measured"]["summary"], "failing (10 of 10 requests 529)");
    assert!(
        provider_json(&v, "openai").get("measured").is_none(),
        "not probed: no field"
    );
    assert_eq!(
        code, 3,
        "the exit code follows the official statuses (openai unknown)"
    );
    let text = stdout(&env.run(&["status"]));
    assert!(
        text.contains("measured: failing (10 of 10 requests 529)"),
        "{text}"
    );
}

#[tokio::test]
async fn a_probe_never_follows_a_redirect_so_its_key_stays_with_the_named_host() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/steal", elsewhere.uri()).as_str()),
        )
        .mount(&api)
        .await;
    let cfg = Config::parse(
        &format!(
            "catalog = false\n[[providers]]\nid = \"x\"\nkind = \"statuspage\"\nurl = \"{0}\"\nprobe = {{ enabled = true, url = \"{0}/v1/models\", auth = \"x-api-key\", key = \"k\" }}\n",
            api.uri()
        ),
        std::path::Path::new("t.toml"),
    )
    .unwrap();
    let (_, spec) = cfg.probed().next().unwrap();
    let f = Fetcher::new(Duration::from_secs(5), 4 << 20).unwrap();
    let s = weathervane::monitor::sources::probe::probe(&f, "x", spec, Some("secret"), Utc::now())
        .await;
    assert_eq!(s.http_status, Some(302));
    assert_eq!(
        s.class,
        weathervane::monitor::sources::probe::ProbeClass::Ok,
        "a redirect is an answer"
    );
    // `expect(0)` on `elsewhere` is checked when it drops.
}
