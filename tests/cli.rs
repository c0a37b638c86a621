//! The CLI contract as a user meets it: poll, status, history, providers, exit codes, config errors.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

async fn serve(server: &MockServer, at: &str, body: Vec<u8>) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(server)
        .await;
}

/// A fake Statuspage at `/o` serving `body`, and a config with one provider
/// "openai" watching `watch` there.
async fn one_provider(body: Vec<u8>, watch: &[&str]) -> (MockServer, Env) {
    let server = MockServer::start().await;
    serve(&server, "/o/api/v2/summary.json", body).await;
    let env = Env::new(&format!(
        "catalog = false\n{}",
        provider(
            "openai",
            "statuspage",
            &format!("{}/o", server.uri()),
            watch
        )
    ));
    (server, env)
}

#[tokio::test(flavor = "multi_thread")]
async fn poll_once_shows_watched_components_and_exit_0_when_operational() {
    let (_server, env) = one_provider(fixture(OPENAI_SUMMARY), &["Codex API", "Sora"]).await;
    let (code, v) = env.json(&["poll", "--once", "--json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["offline"], false);
    let p = provider_json(&v, "openai");
    assert_eq!(p["status"], "operational");
    assert_eq!(p["source_ok"], true);
    assert!(p["checked_at"].is_string());
    let comps = p["components"].as_array().unwrap();
    assert_eq!(comps.len(), 25, "every component listed");
    let watched: Vec<&str> = comps
        .iter()
        .filter(|c| c["watched"] == true)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(watched, vec!["Sora", "Codex API"]);
    for c in comps {
        for key in ["id", "name", "status", "watched"] {
            assert!(c.get(key).is_some(), "component lacks {key}: {c}");
        }
    }
    assert_eq!(p["incidents"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn outage_on_a_watched_component_exits_2_and_lists_the_incident() {
    let (server, env) =
        one_provider(openai_with("Codex API", "major_outage"), &["Codex API"]).await;
    let (code, v) = env.json(&["poll", "--once", "--json"]);
    assert_eq!(code, 2);
    let p = provider_json(&v, "openai");
    assert_eq!(p["status"], "major_outage");
    let inc = &p["incidents"][0];
    assert_eq!(inc["title"], "Elevated errors on Codex API");
    assert_eq!(inc["impact"], "major");
    assert_eq!(inc["status"], "investigating");
    assert_eq!(inc["started_at"], "2026-07-09T19:00:00Z");
    assert_eq!(inc["resolved_at"], serde_json::Value::Null);
    assert_eq!(inc["url"], "https://status.example.test/incidents/1");

    // The same state from the store, with no network at all.
    drop(server);
    let out = env.run(&["status"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains("Major outage"), "{text}");
    assert!(text.contains("Elevated errors on Codex API"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn outage_on_an_unwatched_component_does_not_count() {
    let (_server, env) = one_provider(openai_with("Sora", "major_outage"), &["Codex API"]).await;
    let (code, v) = env.json(&["poll", "--once", "--json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(provider_json(&v, "openai")["status"], "operational");
}

#[tokio::test(flavor = "multi_thread")]
async fn degraded_exits_1() {
    let (_server, env) = one_provider(
        openai_with("Codex API", "degraded_performance"),
        &["Codex API"],
    )
    .await;
    let (code, v) = env.json(&["poll", "--once", "--json"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(provider_json(&v, "openai")["status"], "degraded");
}

#[tokio::test(flavor = "multi_thread")]
async fn renamed_watched_component_is_reported_not_dropped() {
    let (_server, env) =
        one_provider(fixture(OPENAI_SUMMARY), &["Codex API", "Chat Completions"]).await;
    let (_, v) = env.json(&["poll", "--once", "--json"]);
    let p = provider_json(&v, "openai");
    assert_eq!(
        p["missing_watched"],
        serde_json::json!(["Chat Completions"])
    );
    let out = env.run(&["status"]);
    assert!(
        stdout(&out).contains("watched but not on the page"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_before_any_poll_is_unknown_exit_3() {
    let env = Env::new(&provider("x", "statuspage", "http://127.0.0.1:9", &[]));
    let out = env.run(&["status", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The catalog's enabled providers are there too, all unknown.
    let anthropic = provider_json(&v, "anthropic");
    assert_eq!(anthropic["status"], "unknown");
    assert_eq!(anthropic["source_ok"], false);
    assert!(anthropic["checked_at"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn history_after_polls_shows_uptime_and_incident_with_duration() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/o/api/v2/summary.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(openai_with("Codex API", "major_outage"), "application/json"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    serve(&server, "/o/api/v2/summary.json", fixture(OPENAI_SUMMARY)).await;
    let env = Env::new(&format!(
        "catalog = false\n{}",
        provider(
            "openai",
            "statuspage",
            &format!("{}/o", server.uri()),
            &["Codex API"]
        )
    ));
    assert_eq!(env.run(&["poll", "--once"]).status.code(), Some(2));
    assert_eq!(env.run(&["poll", "--once"]).status.code(), Some(0));
    let (code, v) = env.json(&["history", "openai", "--days", "7", "--json"]);
    assert_eq!(code, 0, "{v}");
    let p = &v["providers"][0];
    assert_eq!(p["id"], "openai");
    assert_eq!(p["days"].as_array().unwrap().len(), 7);
    let inc = &p["incidents"][0];
    assert_eq!(inc["title"], "Elevated errors on Codex API");
    assert!(inc["first_seen_at"].is_string());
    let text = stdout(&env.run(&["history", "--days", "30"]));
    assert!(text.contains("openai name"), "{text}");
    assert!(text.contains("Elevated errors on Codex API"), "{text}");

    let out = env.run(&["history", "nosuch"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        stderr(&out).contains("unknown provider \"nosuch\""),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn incidentio_falls_back_to_the_statuspage_compatible_summary() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/summary"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    serve(&server, "/api/v2/summary.json", fixture(OPENAI_SUMMARY)).await;
    let env = Env::new(&format!(
        "catalog = false\n{}",
        provider("openai", "incidentio", &server.uri(), &["Codex API"])
    ));
    let (code, v) = env.json(&["poll", "--once", "--json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(provider_json(&v, "openai")["source_ok"], true);
}

#[test]
fn config_typo_names_line_and_field_and_exits_78() {
    let env = Env::new(
        "catalog = false\n\n[[providers]]\nid = \"x\"\nkind = \"statuspage\"\nulr = \"https://a.example\"\n",
    );
    let out = env.run(&["status"]);
    assert_eq!(out.status.code(), Some(78));
    let err = stderr(&out);
    assert!(err.contains("weathervane.toml:6:"), "{err}");
    assert!(err.contains("ulr"), "{err}");
}

#[test]
fn config_rejects_plain_http_off_loopback() {
    let env = Env::new(&provider(
        "x",
        "statuspage",
        "http://status.example.com",
        &[],
    ));
    let out = env.run(&["providers"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("only https"), "{}", stderr(&out));
}

#[test]
fn missing_explicit_config_is_an_error() {
    let env = Env::new("");
    let out = env
        .command()
        .args(["--config", "/nonexistent/weathervane.toml", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(
        stderr(&out).contains("/nonexistent/weathervane.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn providers_lists_the_catalog_with_reasons_for_the_unpollable() {
    let env = Env::new("");
    let (code, v) = env.json(&["providers", "--json"]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = v["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    for id in [
        "anthropic",
        "openai",
        "google-gemini",
        "github-copilot",
        "cursor",
        "groq",
        "aws-bedrock",
        "azure-openai",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let deepseek = provider_json(&v, "deepseek");
    assert_eq!(deepseek["pollable"], false);
    // Moved to Flashduty in 2026-05 (status-platforms-2026.md): says why, and what to do instead.
    let note = deepseek["note"].as_str().unwrap();
    assert!(
        note.contains("Flashduty") && note.contains("browsers only"),
        "{note}"
    );
    assert!(
        note.contains("probe") && note.contains("sessions"),
        "{note}"
    );
    let text = stdout(&env.run(&["providers"]));
    assert!(text.contains("cannot poll"), "{text}");
    assert!(text.contains("refuses non-browser clients"), "{text}");
    assert!(text.contains("watching: Claude API, Claude Code"), "{text}");
}

#[test]
fn data_dir_flag_wins_over_env() {
    let env = Env::new(&provider("x", "statuspage", "http://127.0.0.1:9", &[]));
    let other = env.home.path().join("elsewhere");
    let out = env
        .command()
        .args(["--data-dir", other.to_str().unwrap(), "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(other.join("weathervane.db").exists());
    assert!(!env.data.join("weathervane.db").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_prints_the_state_and_stops_cleanly_on_ctrl_c() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let (_server, env) =
        one_provider(openai_with("Codex API", "partial_outage"), &["Codex API"]).await;
    let mut child = env
        .command()
        .arg("watch")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = vec![];
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let done = line.contains("Partial outage");
            seen.push(line);
            if done {
                break;
            }
        }
    }
    let pid = child.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status();
    // It must stop by itself; a hang is a failure, not a stuck test run.
    let stop_deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() && Instant::now() < stop_deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let stopped = child.try_wait().unwrap().is_some();
    if !stopped {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    assert!(stopped, "watch did not stop within 15 s of Ctrl-C");
    assert!(
        seen.iter()
            .any(|l| l.contains("Partial outage") && l.contains("openai name")),
        "watch printed: {seen:?}"
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("stopped"), "{}", stderr(&out));
    let db = weathervane::store::Store::open(&env.data.join("weathervane.db")).unwrap();
    assert!(
        db.latest_all()
            .unwrap()
            .iter()
            .any(|o| o.provider_id == "openai")
    );
}

/// Four processes poll into one database at once. Each polls a provider of its own (its own
/// config, one shared data dir), so what each one wrote can be found: every process's
/// sample must be there, not just one of them.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_processes_share_one_database() {
    let (server, env) = one_provider(fixture(OPENAI_SUMMARY), &["Codex API"]).await;
    let ids: Vec<String> = (0..4).map(|i| format!("proc{i}")).collect();
    let children: Vec<_> = ids
        .iter()
        .map(|id| {
            let config = env.home.path().join(format!("{id}.toml"));
            std::fs::write(
                &config,
                format!(
                    "catalog = false\n{}",
                    provider(
                        id,
                        "statuspage",
                        &format!("{}/o", server.uri()),
                        &["Codex API"]
                    )
                ),
            )
            .unwrap();
            env.command()
                .env("WEATHERVANE_CONFIG", &config)
                .args(["poll", "--once", "--json"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let store = weathervane::store::Store::open(&env.data.join("weathervane.db")).unwrap();
    store.integrity_check().unwrap();
    let latest: Vec<String> = store
        .latest_all()
        .unwrap()
        .into_iter()
        .map(|o| o.provider_id)
        .collect();
    assert_eq!(latest, ids, "every process's observation is there");
    let day = chrono::Duration::days(1);
    for id in &ids {
        let up = store
            .uptime(id, None, chrono::Utc::now() - day, chrono::Utc::now() + day)
            .unwrap();
        assert!(
            up.known_seconds > 0,
            "no samples from the process polling {id}"
        );
    }
}

/// A status page is someone else's text: its escape sequences (OSC 52 clipboard, window
/// title, screen clear) and a `\r` meant to make the line read "Operational" never reach
/// the terminal, in text or JSON, fresh from the page or from the store.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_page_text_never_reaches_the_terminal() {
    let mut v: serde_json::Value =
        serde_json::from_slice(&openai_with("Codex API", "major_outage")).unwrap();
    let hostile_title = "Elevated errors\u{1b}]52;c;cm0gLXJmIH4K\u{7}\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}H\rOperational\u{7f}";
    v["incidents"][0]["name"] = hostile_title.into();
    v["incidents"][0]["shortlink"] = "https://status.example.test/\u{1b}[8m1".into();
    for c in v["components"].as_array_mut().unwrap() {
        if c["name"] == "Sora" {
            c["name"] = "Sora\u{1b}]8;;https://evil.example\u{1b}\\".into();
        }
    }
    let (_server, env) = one_provider(serde_json::to_vec(&v).unwrap(), &[]).await;
    let bad = |s: &str| {
        s.chars()
            .find(|&c| c.is_control() && c != '\n')
            .map(|c| format!("{c:?}"))
    };
    for args in [
        &["poll", "--once"][..],
        &["poll", "--once", "--json"],
        &["status"],
        &["status", "--json"],
        &["history"],
        &["history", "--json"],
    ] {
        let out = env.run(args);
        let text = stdout(&out);
        assert_eq!(
            bad(&text),
            None,
            "{args:?} printed a control character:\n{text:?}"
        );
        assert!(!text.contains("]52;"), "{args:?}: {text}");
        assert!(text.contains("Elevated errors"), "{args:?}: {text}");
    }
    let text = stdout(&env.run(&["status"]));
    assert!(
        text.contains("Elevated errors Operational"),
        "the \\r is a space, so nothing is overwritten: {text}"
    );
}

/// A mistyped flag is a usage error (64), never 2, which `status` and `poll` use for an
/// outage; help and version still exit 0 on stdout.
#[test]
fn usage_errors_exit_64_and_help_exits_0() {
    let env = Env::new("catalog = false\n");
    for args in [
        &["status", "--jsn"][..],
        &["poll", "--once", "--bogus"],
        &["no-such-command"],
        &["history", "--days", "many"],
        &[],
    ] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty(), "{args:?} says why");
    }
    for args in [&["--help"][..], &["status", "--help"], &["--version"]] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stdout(&out).is_empty(), "{args:?}");
    }
}

/// Values that change from run to run (times, measured fractions) become a marker of their
/// type, so the snapshot pins every key, its order and every stable value.
fn pin_shape(v: &mut serde_json::Value) {
    const VOLATILE: &[&str] = &[
        "since",
        "until",
        "date",
        "first_seen_at",
        "started_at",
        "resolved_at",
        "uptime_pct",
        "duration_secs",
        "mttr_secs",
        "checked_at",
    ];
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                // A measured fraction can be null or a number depending on how the two
                // polls fell in time (a busy machine): its key is pinned, not its value.
                if k == "uptime_pct" || (VOLATILE.contains(&k.as_str()) && !x.is_null()) {
                    *x = serde_json::Value::String(format!("[{k}]"));
                } else {
                    pin_shape(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(pin_shape),
        _ => {}
    }
}

/// `history --json` is a contract: the shape and every stable value are pinned, so moving
/// the CLI onto the dashboard's view model cannot change a byte of it unnoticed.
#[tokio::test(flavor = "multi_thread")]
async fn history_json_is_pinned() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/o/api/v2/summary.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(openai_with("Codex API", "major_outage"), "application/json"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    serve(&server, "/o/api/v2/summary.json", fixture(OPENAI_SUMMARY)).await;
    let env = Env::new(&format!(
        "catalog = false\n{}",
        provider(
            "openai",
            "statuspage",
            &format!("{}/o", server.uri()),
            &["Codex API"]
        )
    ));
    assert_eq!(env.run(&["poll", "--once"]).status.code(), Some(2));
    // The store keeps one sample per provider and second: two polls within one second keep
    // only the second (and its vanished incident stays open until a later second). Real polls
    // are 15 s or more apart, and so must these be, or the pinned day depends on how fast the
    // machine ran the first poll (it did: "worst" flipped on a busy machine). Wait for the
    // clock's next second, a condition rather than a fixed sleep.
    let first = chrono::Utc::now().timestamp();
    while chrono::Utc::now().timestamp() == first {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(env.run(&["poll", "--once"]).status.code(), Some(0));
    for (name, args) in [
        (
            "history_one_provider_7d",
            &["history", "openai", "--days", "7", "--json"][..],
        ),
        ("history_all_2d", &["history", "--days", "2", "--json"][..]),
    ] {
        let (code, mut v) = env.json(args);
        assert_eq!(code, 0, "{v}");
        pin_shape(&mut v);
        insta::assert_json_snapshot!(name, v);
    }
}

/// The user's own sessions beside the official status: `status --json` carries them under
/// `sessions` (never in `status` or the exit code), and the text names them.
#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_users_own_failing_sessions_beside_a_green_page() {
    use weathervane::monitor::sessions::{ErrorFact, SessionErrorKind};
    let (_server, env) = one_provider(fixture(OPENAI_SUMMARY), &["Codex API"]).await;
    assert_eq!(env.run(&["poll", "--once"]).status.code(), Some(0));
    {
        let mut store = weathervane::store::Store::open(&env.data.join("weathervane.db")).unwrap();
        let now = chrono::Utc::now();
        let facts: Vec<ErrorFact> = (0..5)
            .map(|i| ErrorFact {
                at: now - chrono::Duration::seconds(10 * i),
                assistant: weathervane::switch::profiles::AssistantId::Codex,
                kind: SessionErrorKind::Provider,
                status: Some(503),
                code: None,
                final_: false,
                session: format!("s{}", i % 2),
                resets_at: None,
                provider: Some("openai".into()),
            })
            .collect();
        assert_eq!(store.record_session_errors(&facts).unwrap(), 5);
    }
    let (code, v) = env.json(&["status", "--json"]);
    assert_eq!(
        code, 0,
        "the page is green: the sessions never change the exit code"
    );
    let p = provider_json(&v, "openai");
    assert_eq!(p["status"], "operational");
    assert_eq!(p["sessions"]["status"], "degraded", "{p}");
    assert_eq!(p["sessions"]["errors"], 5);
    assert!(
        p["sessions"]["summary"].as_str().unwrap().contains("503"),
        "{p}"
    );
    assert!(p["sessions"]["at"].is_string());
    let text = stdout(&env.run(&["status"]));
    assert!(text.contains("your sessions:"), "{text}");
}

// ---- statusline ------------------------------------------------------------------------

/// What Claude Code writes on the status line command's standard input.
const CLAUDE_STDIN: &str = r#"{"hook_event_name":"Status","session_id":"abc123","transcript_path":"/tmp/t.jsonl","cwd":"/home/me/app","model":{"id":"claude-opus-4-1","display_name":"Opus"},"workspace":{"current_dir":"/home/me/app","project_dir":"/home/me/app"},"version":"2.0.0","output_style":{"name":"default"},"cost":{"total_cost_usd":0.01}}"#;

/// Run `statusline` with `stdin` written on a thread of its own (the command may stop
/// reading early), and check the contract: exit 0, exactly one line.
fn statusline_with(
    mut cmd: std::process::Command,
    args: &[&str],
    stdin: Option<Vec<u8>>,
) -> String {
    use std::io::Write;
    use std::process::Stdio;
    cmd.arg("statusline").args(args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("run weathervane statusline");
    let writer = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let out = child.wait_with_output().expect("wait");
    if let Some(w) = writer {
        let _ = w.join();
    }
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: stdout {text:?}, stderr {}",
        stderr(&out)
    );
    assert!(
        text.ends_with('\n') && text.matches('\n').count() == 1,
        "{args:?}: not exactly one line: {text:?}"
    );
    assert!(
        text.chars().count() <= weathervane::views::statusline::MAX_CHARS + 1,
        "{text:?}"
    );
    text.trim_end_matches('\n').to_string()
}

fn statusline(env: &Env, args: &[&str], stdin: Option<&[u8]>) -> String {
    statusline_with(env.command(), args, stdin.map(<[u8]>::to_vec))
}

fn claude_settings(env: &Env, text: &str) {
    let p = env.home.path().join(".claude/settings.json");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A settings.json as `weathervane switch claude-code openrouter` leaves it: the user's
/// own keys, the status line, and the profile's keys.
const CLAUDE_ON_OPENROUTER: &str = r#"{
  "model": "opus",
  "env": {
    "DISABLE_TELEMETRY": "1",
    "ANTHROPIC_BASE_URL": "https://openrouter.ai/api",
    "ANTHROPIC_API_KEY": ""
  },
  "apiKeyHelper": "weathervane key openrouter",
  "permissions": { "allow": ["Bash(npm run test:*)"] },
  "statusLine": { "type": "command", "command": "weathervane statusline" }
}
"#;

#[test]
fn statusline_is_one_line_and_exit_0_whatever_is_broken() {
    type Setup = fn(&Env, &mut std::process::Command);
    /// What, config, setup, arguments, stdin, how the line starts.
    type Case<'a> = (
        &'a str,
        &'a str,
        Setup,
        &'a [&'a str],
        Option<Vec<u8>>,
        &'a str,
    );
    let none: Setup = |_, _| {};
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("no store", "", none, &[], None, "? Anthropic: no data yet"),
        ("corrupt database", "", |env, _| {
            std::fs::create_dir_all(&env.data).unwrap();
            std::fs::write(env.data.join("weathervane.db"), b"SQLite format 3\0garbage").unwrap();
        }, &[], None, "weathervane: history unreadable"),
        ("not a database", "", |env, _| {
            std::fs::create_dir_all(&env.data).unwrap();
            std::fs::write(env.data.join("weathervane.db"), vec![b'x'; 5000]).unwrap();
        }, &[], None, "weathervane: history unreadable"),
        ("config that does not parse", "catalog = = nope\n[[providers", none, &[], None,
            "weathervane: config does not parse"),
        ("named config that is missing", "", |env, c| {
            c.env("WEATHERVANE_CONFIG", env.home.path().join("nope.toml"));
        }, &[], None, "weathervane: config does not parse"),
        ("settings.json that does not parse", "", |env, _| claude_settings(env, "{ \"env\": "),
            &[], None, "? Claude Code: settings unreadable"),
        ("garbage stdin", "", none, &[], Some(b"\x00\xff\x1b[2J not json\n\n".to_vec()),
            "? Anthropic: no data yet"),
        ("empty stdin", "", none, &[], Some(vec![]), "? Anthropic: no data yet"),
        ("huge stdin", "", none, &[], Some(vec![b'{'; 8 << 20]), "? Anthropic: no data yet"),
        ("Claude Code's stdin", "", none, &[], Some(CLAUDE_STDIN.as_bytes().to_vec()),
            "? Anthropic: no data yet"),
        ("missing HOME", "", |_, c| {
            c.env_remove("HOME").env_remove("XDG_CONFIG_HOME").env_remove("XDG_DATA_HOME");
        }, &[], None, ""),
        ("unknown assistant", "", none, &["--assistant", "vim\u{1b}[2J"], None,
            "weathervane: unknown assistant vim"),
        ("unknown flag", "", none, &["--colour"], None,
            "weathervane: statusline arguments not understood"),
    ];
    for (what, config, setup, args, stdin, expect) in cases {
        let env = Env::new(config);
        let mut cmd = env.command();
        setup(&env, &mut cmd);
        let existed = env.data.exists();
        let line = statusline_with(cmd, args, stdin);
        assert!(line.starts_with(expect), "{what}: {line:?}");
        assert!(!line.chars().any(|c| c.is_control()), "{what}: {line:?}");
        if !existed {
            assert!(!env.data.exists(), "{what}: the data folder was created");
        }
        assert!(
            !env.home.path().join(".local/share/weathervane").exists(),
            "{what}: a default data folder was created"
        );
    }
}

#[test]
fn statusline_does_not_wait_for_stdin_that_never_ends() {
    use std::process::Stdio;
    let env = Env::new("");
    let mut child = env
        .command()
        .arg("statusline")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Keep our end of the pipe open and silent the whole time.
    let _stdin = child.stdin.take();
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "? Anthropic: no data yet\n");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Where stdin shows (the model), it is waited for briefly, not forever.
    let mut child = env
        .command()
        .args(["statusline", "--format", "{model}|{provider}"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let _stdin = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "|Anthropic\n");
}

/// A fake page for "anthropic" (the provider of Claude Code's default profile) and one
/// for "openrouter", polled once.
async fn anthropic_and_openrouter(anthropic: Vec<u8>) -> (MockServer, Env) {
    let server = MockServer::start().await;
    serve(&server, "/a/api/v2/summary.json", anthropic).await;
    serve(&server, "/r/api/v2/summary.json", fixture(OPENAI_SUMMARY)).await;
    let env = Env::new(&format!(
        "catalog = false\n[switch]\nfallback = {{ claude-code = \"openrouter\" }}\n{}{}",
        provider(
            "anthropic",
            "statuspage",
            &format!("{}/a", server.uri()),
            &["Codex API"]
        ),
        provider(
            "openrouter",
            "statuspage",
            &format!("{}/r", server.uri()),
            &["Codex API"]
        ),
    ));
    let out = env.run(&["poll", "--once"]);
    assert!(out.status.code().is_some(), "{}", stderr(&out));
    (server, env)
}

#[tokio::test(flavor = "multi_thread")]
async fn statusline_is_calm_when_all_is_well_and_specific_when_not() {
    let (server, env) = anthropic_and_openrouter(fixture(OPENAI_SUMMARY)).await;
    drop(server);
    // From the store alone, with Claude Code's JSON on stdin.
    assert_eq!(
        statusline(&env, &[], Some(CLAUDE_STDIN.as_bytes())),
        "● anthropic name ok"
    );

    let (_server, env) = anthropic_and_openrouter(openai_with("Codex API", "major_outage")).await;
    assert_eq!(
        statusline(&env, &[], None),
        "✖ anthropic name: major outage · switch: weathervane switch claude-code openrouter"
    );
    // Another assistant, on its own provider's profile (Codex: openai, not configured here).
    assert_eq!(
        statusline(&env, &["--assistant", "codex"], None),
        "? openai: not watched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn statusline_names_the_provider_claude_code_was_switched_to() {
    let (_server, env) = anthropic_and_openrouter(openai_with("Codex API", "major_outage")).await;
    claude_settings(&env, CLAUDE_ON_OPENROUTER);
    assert_eq!(statusline(&env, &[], None), "● openrouter name ok");
    assert_eq!(
        statusline(&env, &["--format", "{icon} {provider} {status}"], None),
        "● openrouter name ok"
    );
}

#[test]
fn statusline_says_switched_while_a_switch_is_in_place() {
    let env = Env::new("[switch]\nfallback = { claude-code = \"openrouter\" }\n");
    claude_settings(
        &env,
        include_str!("fixtures/assistants/claude-settings.json"),
    );
    let script = "printf 'sk-or-TEST' | $W key set openrouter >/dev/null\n\
                  $W switch claude-code openrouter >/dev/null; echo switch=$?\n\
                  echo \"on=[$($W statusline </dev/null 2>/dev/null)]\"\n\
                  $W switch claude-code --back >/dev/null 2>&1\n\
                  echo \"back=[$($W statusline </dev/null 2>/dev/null)]\"\n";
    let Some(out) = env.run_with_real_keyring(script) else {
        return;
    };
    let text = stdout(&out);
    assert!(text.contains("switch=0"), "{text}\n{}", stderr(&out));
    assert!(
        text.contains("on=[? OpenRouter: not watched · switched to OpenRouter]"),
        "{text}"
    );
    assert!(text.contains("back=[? Anthropic: no data yet]"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn statusline_format_fills_its_placeholders() {
    let (_server, env) =
        anthropic_and_openrouter(openai_with("Codex API", "degraded_performance")).await;
    let line = statusline(
        &env,
        &[
            "--format",
            "[{icon}] {model}@{provider}: {status} {sessions}{switched} {unknown}",
        ],
        Some(CLAUDE_STDIN.as_bytes()),
    );
    assert_eq!(line, "[▲] Opus@anthropic name: degraded {unknown}");
    assert_eq!(statusline(&env, &["--format", ""], None), "");
}

#[test]
fn statusline_help_lists_every_placeholder() {
    let env = Env::new("");
    let out = env.run(&["statusline", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for (p, _) in weathervane::views::statusline::PLACEHOLDERS {
        assert!(text.contains(p), "{p} missing from --help:\n{text}");
    }
}
