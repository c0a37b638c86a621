//! Bad input gets a clear answer and loses nothing: each fault makes only its own provider unknown, with a reason.

use std::time::{Duration, Instant};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

async fn mount(server: &MockServer, at: &str, resp: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(resp)
        .mount(server)
        .await;
}

fn json_body(b: Vec<u8>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(b, "application/json")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_is_contained_to_its_provider() {
    let server = MockServer::start().await;
    let uri = server.uri();
    let summary = "/api/v2/summary.json";
    let good = fixture(OPENAI_SUMMARY);

    mount(&server, &format!("/good{summary}"), json_body(good.clone())).await;
    mount(
        &server,
        &format!("/e500{summary}"),
        ResponseTemplate::new(500).set_body_string("oops"),
    )
    .await;
    mount(
        &server,
        &format!("/hang{summary}"),
        json_body(good.clone()).set_delay(Duration::from_secs(8)),
    )
    .await;
    mount(
        &server,
        &format!("/trunc{summary}"),
        json_body(good[..good.len() / 2].to_vec()),
    )
    .await;
    let mut not_utf8 = good.clone();
    not_utf8[40] = 0xff;
    not_utf8[41] = 0xfe;
    mount(&server, &format!("/utf8{summary}"), json_body(not_utf8)).await;
    mount(
        &server,
        &format!("/huge{summary}"),
        json_body(vec![b' '; 50 * 1024 * 1024]),
    )
    .await;
    mount(
        &server,
        &format!("/loop{summary}"),
        ResponseTemplate::new(302).insert_header("Location", format!("{uri}/loop{summary}")),
    )
    .await;
    mount(
        &server,
        &format!("/downgrade{summary}"),
        ResponseTemplate::new(301)
            .insert_header("Location", "http://status.example.com/api/v2/summary.json"),
    )
    .await;
    mount(
        &server,
        &format!("/html{summary}"),
        ResponseTemplate::new(200).set_body_string("<html>captive portal</html>"),
    )
    .await;

    // A gzip bomb: 60 KiB on the wire, 64 MiB once inflated. The cap applies to what we inflate.
    let bomb = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..64 {
            e.write_all(&zeros).unwrap();
        }
        e.finish().unwrap()
    };
    assert!(bomb.len() < 256 * 1024, "bomb is {} bytes", bomb.len());
    mount(
        &server,
        &format!("/gzip{summary}"),
        json_body(bomb).insert_header("Content-Encoding", "gzip"),
    )
    .await;

    let names = [
        "good",
        "e500",
        "hang",
        "trunc",
        "utf8",
        "huge",
        "loop",
        "downgrade",
        "html",
        "gzip",
    ];
    let mut cfg = String::from("catalog = false\ntimeout = \"2s\"\n");
    for n in names {
        cfg.push_str(&provider(
            n,
            "statuspage",
            &format!("{uri}/{n}"),
            &["Codex API"],
        ));
    }
    let env = Env::new(&cfg);

    // A first good poll puts history in the store; the faults must not lose it.
    let started = Instant::now();
    let (code, v) = env.json(&["poll", "--once", "--json"]);
    let took = started.elapsed();
    // Generous bound: a hung source must not hang the poll (timeout is 2 s, the hang 8 s).
    assert!(took < Duration::from_secs(7), "poll took {took:?}");
    assert_eq!(code, 3, "unknown providers make the exit 3: {v}");
    assert_eq!(v["offline"], false, "one source answered: not offline");

    let good_p = provider_json(&v, "good");
    assert_eq!(good_p["status"], "operational");
    assert_eq!(good_p["source_ok"], true);

    let expect = [
        ("e500", "HTTP 500"),
        ("hang", "within 2 s"),
        ("trunc", "not valid JSON"),
        ("utf8", "UTF-8"),
        ("huge", "larger than the 4 MiB cap"),
        ("loop", "redirect"),
        ("downgrade", "not https"),
        ("html", "not valid JSON"),
        ("gzip", "larger than the 4 MiB cap"),
    ];
    for (id, words) in expect {
        let p = provider_json(&v, id);
        assert_eq!(p["status"], "unknown", "{id}: {p}");
        assert_eq!(p["source_ok"], false, "{id}: {p}");
        let reason = p["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains(words),
            "{id}: reason {reason:?} should mention {words:?}"
        );
    }

    // Human output names the reason too.
    let out = env.run(&["status"]);
    let text = stdout(&out);
    assert!(text.contains("HTTP 500"), "{text}");
    assert!(text.contains("larger than the 4 MiB cap"), "{text}");

    // Nothing lost: the good provider's state and history are intact after a second faulty round.
    let (_, v2) = env.json(&["poll", "--once", "--json"]);
    assert_eq!(provider_json(&v2, "good")["status"], "operational");
    let store = weathervane::store::Store::open(&env.data.join("weathervane.db")).unwrap();
    store.integrity_check().unwrap();
    let latest = store.latest_all().unwrap();
    assert_eq!(latest.len(), names.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn all_sources_unreachable_means_offline_not_outages() {
    // Ports nothing listens on: connection refused, the same as a dead network.
    let dead1 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead2 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (a, b) = (dead1.local_addr().unwrap(), dead2.local_addr().unwrap());
    drop((dead1, dead2));
    let env = Env::new(&format!(
        "catalog = false\ntimeout = \"2s\"\n{}{}",
        provider("a", "statuspage", &format!("http://{a}"), &[]),
        provider("b", "statuspage", &format!("http://{b}"), &[])
    ));
    let (code, v) = env.json(&["poll", "--once", "--json"]);
    assert_eq!(code, 3);
    assert_eq!(v["offline"], true, "{v}");
    for id in ["a", "b"] {
        assert_eq!(provider_json(&v, id)["status"], "unknown");
    }
    let text = stdout(&env.run(&["status"]));
    assert!(text.contains("Offline"), "{text}");
    assert!(!text.contains("outage"), "no provider is blamed: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_data_dir_gives_a_clear_error() {
    let env = Env::new(&provider("a", "statuspage", "http://127.0.0.1:9", &[]));
    // A file where the data dir should be.
    std::fs::write(&env.data, b"not a directory").unwrap();
    let out = env.run(&["status"]);
    assert_eq!(out.status.code(), Some(74), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(env.data.to_str().unwrap()),
        "{}",
        stderr(&out)
    );
}

/// The run ended with an exit code (no signal) that is not a panic's; its stderr.
fn ended_without_crash(out: &std::process::Output) -> String {
    let err = stderr(out);
    assert!(
        out.status.code().is_some_and(|c| c != 101),
        "no crash, no panic: {:?}\n{err}",
        out.status
    );
    err
}

/// A small tmpfs, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// None (with a visible message) where mounting is not allowed.
    fn mount(at: std::path::PathBuf, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(&at).ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIPPED full-disk test: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(SmallDisk(at))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .args(["-l"])
            .arg(&self.0)
            .status();
    }
}

/// One healthy provider, the data dir on a small tmpfs of `size`, one poll done.
/// None where a tmpfs cannot be mounted (the test then skips, saying so).
async fn polled_once_on_small_disk(size: &str) -> Option<(MockServer, Env, SmallDisk)> {
    let server = MockServer::start().await;
    mount(
        &server,
        "/good/api/v2/summary.json",
        json_body(fixture(OPENAI_SUMMARY)),
    )
    .await;
    let env = Env::new(&format!(
        "catalog = false\n{}",
        provider("acme", "statuspage", &format!("{}/good", server.uri()), &[])
    ));
    let disk = SmallDisk::mount(env.home.path().join("small"), size)?;
    let env = Env {
        data: disk.0.join("data"),
        ..env
    };
    let first = env.run(&["poll", "--once"]);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&first),
        stderr(&first)
    );
    Some((server, env, disk))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_gives_a_clear_message_and_keeps_the_history() {
    let Some((_server, env, disk)) = polled_once_on_small_disk("1m").await else {
        return;
    };
    // Fill what is left of the disk.
    {
        use std::io::Write;
        let mut f = std::fs::File::create(disk.0.join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    for _ in 0..3 {
        let err = ended_without_crash(&env.run(&["poll", "--once"]));
        assert!(
            err.contains("full") || err.contains("No space left"),
            "the message says the disk is full: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    // Space again: the first poll's history is intact and the database is sound.
    std::fs::remove_file(disk.0.join("filler")).unwrap();
    let (code, v) = env.json(&["status", "--json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(provider_json(&v, "acme")["status"], "operational");
    let db = rusqlite::Connection::open(env.data.join("weathervane.db")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_data_dir_gives_a_clear_message() {
    let Some((_server, env, disk)) = polled_once_on_small_disk("4m").await else {
        return;
    };
    let ro = std::process::Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&disk.0)
        .status()
        .unwrap();
    assert!(ro.success());
    let err = ended_without_crash(&env.run(&["poll", "--once"]));
    assert!(err.contains("read-only"), "the message says why: {err}");
    assert!(err.contains(disk.0.to_str().unwrap()), "and where: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_writes_never_damages_or_loses_history() {
    let server = MockServer::start().await;
    let summary = "/api/v2/summary.json";
    const N: usize = 30;
    let mut config = String::from("catalog = false\n");
    for i in 0..N {
        mount(
            &server,
            &format!("/p{i}{summary}"),
            json_body(fixture(OPENAI_SUMMARY)),
        )
        .await;
        config.push_str(&provider(
            &format!("p{i}"),
            "statuspage",
            &format!("{}/p{i}", server.uri()),
            &[],
        ));
    }
    let env = Env::new(&config);
    let db = env.data.join("weathervane.db");
    let count = |table: &str| -> i64 {
        let c = rusqlite::Connection::open(&db).unwrap();
        let check: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    let started = std::time::Instant::now();
    let first = env.run(&["poll", "--once"]);
    // Kill moments are spread over the length of a whole run on this machine.
    let run_us = started.elapsed().as_micros().max(1_000) as u64;
    assert!(first.status.code().is_some(), "{}", stderr(&first));
    let mut samples = count("samples");
    assert_eq!(samples, N as i64);
    // Kill `poll --once` (30 providers: 30 fetches, 30 transactions) at moments spread over
    // its whole run, many times; a small LCG keeps the spread the same on every run.
    let mut seed: u64 = 0x5eed;
    let mut killed = 0;
    for _ in 0..40 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_micros((seed >> 33) % run_us);
        let mut child = env
            .command()
            .args(["poll", "--once"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = count("samples");
        assert!(
            now >= samples,
            "history lost: {samples} samples before, {now} after"
        );
        samples = now;
    }
    assert!(killed >= 10, "runs were killed mid-way ({killed} of 40)");
    // And it carries on normally.
    ended_without_crash(&env.run(&["poll", "--once"]));
    assert!(count("samples") >= samples);
    let (_, v) = env.json(&["status", "--json"]);
    assert_eq!(v["providers"].as_array().unwrap().len(), N, "{v}");
    assert_eq!(provider_json(&v, "p7")["status"], "operational");
}

/// A page that moved or keeps non-browsers out is `unknown` with words a user
/// can act on and the command that finds out more; never an outage, never silent.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_that_moved_or_refuses_us_is_unknown_with_a_hint() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    let uri = server.uri();
    let summary = "/api/v2/summary.json";
    // Another host: `localhost` where the config says 127.0.0.1, and another port.
    let other = elsewhere.uri().replace("127.0.0.1", "localhost");
    mount(
        &server,
        &format!("/moved{summary}"),
        ResponseTemplate::new(301).insert_header("Location", format!("{other}/gone{summary}")),
    )
    .await;
    mount(
        &elsewhere,
        &format!("/gone{summary}"),
        ResponseTemplate::new(404).set_body_string("not here"),
    )
    .await;
    mount(
        &server,
        &format!("/html{summary}"),
        ResponseTemplate::new(200).set_body_raw(
            "<!DOCTYPE html><html><head><title>Status</title></head><body>new page</body></html>",
            "text/html",
        ),
    )
    .await;
    mount(
        &server,
        &format!("/challenge{summary}"),
        ResponseTemplate::new(503).set_body_raw(
            "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1\"></script></body></html>",
            "text/html",
        ),
    )
    .await;
    mount(
        &server,
        &format!("/challenge200{summary}"),
        ResponseTemplate::new(200).set_body_raw(
            "<html><body>Enable JavaScript and cookies to continue</body></html>",
            "text/html",
        ),
    )
    .await;
    mount(
        &server,
        &format!("/wall{summary}"),
        ResponseTemplate::new(403).set_body_string("Forbidden"),
    )
    .await;
    mount(
        &server,
        &format!("/good{summary}"),
        json_body(fixture(OPENAI_SUMMARY)),
    )
    .await;

    let cases = [
        ("moved", "the page seems to have moved"),
        ("html", "the page seems to have moved"),
        ("challenge", "the page refuses non-browser clients"),
        ("challenge200", "the page refuses non-browser clients"),
        ("wall", "the page refuses non-browser clients"),
    ];
    let mut cfg = String::from("catalog = false\ntimeout = \"3s\"\n");
    for (n, _) in cases.iter().chain([("good", "")].iter()) {
        cfg.push_str(&provider(n, "statuspage", &format!("{uri}/{n}"), &[]));
    }
    let env = Env::new(&cfg);
    let (code, v) = env.json(&["poll", "--once", "--json"]);
    assert_eq!(code, 3, "unknown, not an outage: {v}");
    assert_eq!(provider_json(&v, "good")["status"], "operational");
    for (id, words) in cases {
        let p = provider_json(&v, id);
        assert_eq!(p["status"], "unknown", "{id}: {p}");
        assert_eq!(p["source_ok"], false, "{id}: {p}");
        let reason = p["reason"].as_str().unwrap_or_default();
        assert!(reason.starts_with(words), "{id}: {reason:?}");
        assert!(
            reason.contains(&format!("weathervane providers --detect {uri}/{id}")),
            "{id}: {reason:?}"
        );
    }
    let moved = provider_json(&v, "moved")["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        moved.contains("HTTP 404") && moved.contains("localhost"),
        "{moved}"
    );
    let text = stdout(&env.run(&["status"]));
    assert!(!text.to_lowercase().contains("outage"), "{text}");
    assert!(text.contains("seems to have moved"), "{text}");
}

/// `providers --detect URL` says what a page runs on and how to watch it.
#[tokio::test(flavor = "multi_thread")]
async fn providers_detect_names_the_platform() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/api/v2/summary.json",
        json_body(fixture(OPENAI_SUMMARY)),
    )
    .await;
    let env = Env::new("catalog = false\n");
    let out = env.run(&["providers", "--detect", &server.uri()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("kind = \"statuspage\""), "{text}");
    assert!(
        text.contains(&format!("url = \"{}\"", server.uri())),
        "{text}"
    );
    let (code, v) = env.json(&["providers", "--detect", &server.uri(), "--json"]);
    assert_eq!(code, 0);
    assert_eq!(v["kind"], "statuspage");

    let nothing = MockServer::start().await;
    let out = env.run(&["providers", "--detect", &nothing.uri()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no status page Weathervane can read"),
        "{}",
        stderr(&out)
    );
}
