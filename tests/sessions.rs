//! Early warning from the user's own assistants: the parsers and the follower on the fixtures
//! of every record shape (tests/fixtures/sessions), the verdict they make, and attribution
//! through a switched profile.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use weathervane::model::Status;
use weathervane::monitor::sessions::{
    ErrorFact, FollowOptions, Follower, Parsed, SessionErrorKind, StartAt, attribute, judge,
    provider_of,
};
use weathervane::switch::assistants::AssistantView;
use weathervane::switch::profiles::AssistantId;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sessions")
        .join(name)
}

/// Copy a fixture into a temp dir and read it whole, as a file created while we watch.
fn read_fixture(name: &str, a: AssistantId) -> (tempfile::TempDir, PathBuf, Follower, Vec<Parsed>) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::copy(fixture(name), &p).unwrap();
    let mut f = Follower::default();
    let parsed = f.read_new(&p, a, StartAt::Beginning).unwrap();
    (dir, p, f, parsed)
}

fn errors(parsed: &[Parsed]) -> Vec<ErrorFact> {
    parsed
        .iter()
        .filter_map(|p| match p {
            Parsed::Error(e) => Some(e.clone()),
            Parsed::Provider { .. } => None,
        })
        .collect()
}

type Row<'a> = (SessionErrorKind, Option<u16>, Option<&'a str>, bool);

fn rows(facts: &[ErrorFact]) -> Vec<Row<'_>> {
    facts
        .iter()
        .map(|f| (f.kind, f.status, f.code.as_deref(), f.final_))
        .collect()
}

fn utc(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap()
}

use SessionErrorKind::{Account, Network, Provider};

#[test]
fn claude_retries_and_final_errors() {
    let (_d, _p, _f, parsed) = read_fixture("claude-retries.jsonl", AssistantId::ClaudeCode);
    let facts = errors(&parsed);
    assert_eq!(
        rows(&facts),
        [
            (Provider, Some(529), Some("overloaded"), false),
            (Provider, Some(529), Some("overloaded_error"), false),
            (Provider, Some(500), None, false),
            (Provider, Some(529), Some("server_error"), true),
            (Provider, Some(429), None, false),
            (Provider, None, Some("unknown"), true),
            (Provider, Some(529), Some("overloaded"), false),
        ]
    );
    // One user session: the records' sessionId, hashed; no path, no text.
    let json = serde_json::to_string(&facts).unwrap();
    assert!(
        !json.contains("home") && !json.contains("7f3c2a10"),
        "{json}"
    );
    assert!(!json.contains("Overloaded. Try again"), "{json}");
}

#[test]
fn claude_account_and_network_errors() {
    let (_d, _p, _f, parsed) = read_fixture("claude-account.jsonl", AssistantId::ClaudeCode);
    let facts = errors(&parsed);
    assert_eq!(
        rows(&facts),
        [
            (Account, Some(429), Some("session_limit"), true),
            (Account, Some(401), Some("authentication_failed"), true),
            (Account, Some(400), Some("billing_error"), true),
        ]
    );
    assert_eq!(facts[0].resets_at, Some(utc(21, 50)));
    let (_d, _p, _f, parsed) = read_fixture("claude-network.jsonl", AssistantId::ClaudeCode);
    let facts = errors(&parsed);
    assert_eq!(
        rows(&facts),
        [
            (Network, None, Some("FailedToOpenSocket"), false),
            (Network, None, Some("ENOTFOUND"), false),
            (Network, None, None, false),
        ]
    );
}

#[test]
fn codex_rollout_names_its_provider() {
    let (_d, p, f, parsed) = read_fixture("codex-rollout.jsonl", AssistantId::Codex);
    let facts = errors(&parsed);
    assert_eq!(
        rows(&facts),
        [
            (Provider, Some(503), None, true),
            (
                Provider,
                Some(502),
                Some("response_too_many_failed_attempts"),
                true
            ),
            (Account, None, Some("usage_limit_exceeded"), true),
            (Provider, None, Some("response_stream_disconnected"), false),
        ]
    );
    assert!(
        facts
            .iter()
            .all(|f| f.provider.as_deref() == Some("openrouter"))
    );
    assert_eq!(facts[2].resets_at, Some(utc(15, 5)));
    // Remembered with the offset, for errors appended after a restart.
    assert_eq!(f.state().files[&p].provider.as_deref(), Some("openrouter"));
}

#[test]
fn gemini_chat_errors() {
    let (_d, _p, _f, parsed) = read_fixture("gemini-chat.jsonl", AssistantId::Gemini);
    let facts = errors(&parsed);
    assert_eq!(
        rows(&facts),
        [
            (Provider, Some(503), Some("UNAVAILABLE"), true),
            (Provider, None, Some("INTERNAL"), true),
            (Account, None, Some("RESOURCE_EXHAUSTED"), true),
        ]
    );
    assert_eq!(
        facts[2].resets_at,
        Some(Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap())
    );
}

#[test]
fn torn_line_waits_for_its_end() {
    let (_d, p, mut f, parsed) = read_fixture("torn.jsonl", AssistantId::ClaudeCode);
    assert_eq!(errors(&parsed).len(), 1);
    let mut file = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    file.write_all(b"tus\":503}}\n").unwrap();
    let more = errors(
        &f.read_new(&p, AssistantId::ClaudeCode, StartAt::End)
            .unwrap(),
    );
    assert_eq!(rows(&more), [(Provider, Some(503), None, false)]);
}

#[test]
fn non_utf8_lines_are_skipped() {
    let (_d, _p, _f, parsed) = read_fixture("non-utf8.jsonl", AssistantId::ClaudeCode);
    assert_eq!(
        rows(&errors(&parsed)),
        [(Provider, Some(503), Some("unavailable"), false)]
    );
}

#[test]
fn a_very_long_line_is_skipped_and_the_next_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.jsonl");
    let mut file = std::fs::File::create(&p).unwrap();
    // A 2 MiB record (a pasted file) that even mentions an error, then a real error.
    let big = format!(
        "{{\"type\":\"user\",\"timestamp\":\"2026-12-01T10:00:00Z\",\"message\":\"error {}\"}}\n",
        "x".repeat(2 << 20)
    );
    file.write_all(big.as_bytes()).unwrap();
    file.write_all(&std::fs::read(fixture("claude-network.jsonl")).unwrap())
        .unwrap();
    let mut f = Follower::default();
    let facts = errors(
        &f.read_new(&p, AssistantId::ClaudeCode, StartAt::Beginning)
            .unwrap(),
    );
    assert_eq!(facts.len(), 3);
}

#[test]
fn a_100_mb_file_is_not_read_from_its_start_and_streams_when_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.jsonl");
    let line = std::fs::read(fixture("claude-retries.jsonl")).unwrap();
    let lines_in = line.iter().filter(|b| **b == b'\n').count();
    // 100 MB of history full of errors, written 1 MB at a time.
    let chunk: Vec<u8> = line.repeat((1 << 20) / line.len());
    let mut file = std::fs::File::create(&p).unwrap();
    let copies = (100 << 20) / chunk.len();
    for _ in 0..copies {
        file.write_all(&chunk).unwrap();
    }
    drop(file);
    let len = std::fs::metadata(&p).unwrap().len();
    assert!(len >= (100 << 20) - (1 << 20), "{len}");
    // At start-up: history is not news; nothing parsed, the cursor at the end.
    let mut f = Follower::default();
    assert!(
        f.read_new(&p, AssistantId::ClaudeCode, StartAt::End)
            .unwrap()
            .is_empty()
    );
    assert_eq!(f.state().files[&p].offset, len);
    // Changed since start-up: only the tail window.
    let mut g = Follower::default();
    let tail = errors(
        &g.read_new(&p, AssistantId::ClaudeCode, StartAt::Tail(4096))
            .unwrap(),
    );
    assert!(!tail.is_empty() && tail.len() < 20, "{}", tail.len());
    assert_eq!(g.state().files[&p].offset, len);
    // Even a file met from its start is read only in its last `max_catch_up` bytes when it is
    // this large (a first start after a week off must not read a week of transcripts)...
    let mut h = Follower::default();
    let mut seen = 0usize;
    h.read_lines(&p, StartAt::Beginning, |_| seen += 1).unwrap();
    let window = FollowOptions::default().max_catch_up as usize;
    assert!(seen > 0 && seen <= window / 100, "{seen} lines read");
    assert_eq!(h.state().files[&p].offset, len);
    // ...and with no such bound every line is streamed, in bounded memory.
    let unbounded = FollowOptions {
        max_catch_up: 0,
        ..FollowOptions::default()
    };
    let mut all = Follower::new(Default::default(), unbounded);
    let mut seen = 0usize;
    let mut longest = 0usize;
    all.read_lines(&p, StartAt::Beginning, |l| {
        seen += 1;
        longest = longest.max(l.len());
    })
    .unwrap();
    assert_eq!(seen, lines_in * (chunk.len() / line.len()) * copies);
    assert!(longest < line.len());
    assert_eq!(all.state().files[&p].offset, len);
    // And then only what is appended.
    let mut file = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    file.write_all(&line).unwrap();
    let more = errors(
        &h.read_new(&p, AssistantId::ClaudeCode, StartAt::End)
            .unwrap(),
    );
    assert_eq!(more.len(), errors_in(&line));
}

fn errors_in(bytes: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("one.jsonl");
    std::fs::write(&p, bytes).unwrap();
    errors(
        &Follower::default()
            .read_new(&p, AssistantId::ClaudeCode, StartAt::Beginning)
            .unwrap(),
    )
    .len()
}

fn view(id: AssistantId, provider: Option<&str>) -> AssistantView {
    AssistantView {
        id,
        name: id.label().into(),
        installed: Some("/usr/bin/x".into()),
        switchable: true,
        config: None,
        config_exists: true,
        active_profile: Some("p".into()),
        problem: None,
        open_switch: None,
        provider: provider.map(str::to_string),
        provider_name: None,
        fallback: None,
        profiles: vec![],
    }
}

#[test]
fn errors_are_attributed_to_the_active_profile_or_the_session_file() {
    // Claude Code switched to OpenRouter fails on OpenRouter, not on Anthropic.
    let views = [
        view(AssistantId::ClaudeCode, Some("openrouter")),
        view(AssistantId::Codex, Some("openai")),
    ];
    assert_eq!(
        provider_of(AssistantId::ClaudeCode, &views).as_deref(),
        Some("openrouter")
    );
    assert_eq!(provider_of(AssistantId::Gemini, &views), None);
    let (_d, _p, _f, parsed) = read_fixture("claude-retries.jsonl", AssistantId::ClaudeCode);
    let mut facts = errors(&parsed);
    facts.iter_mut().for_each(|f| attribute(f, &views));
    assert!(
        facts
            .iter()
            .all(|f| f.provider.as_deref() == Some("openrouter"))
    );
    // Codex's session_meta names the provider: that wins over the profile.
    let (_d, _p, _f, parsed) = read_fixture("codex-rollout.jsonl", AssistantId::Codex);
    let mut facts = errors(&parsed);
    facts.iter_mut().for_each(|f| attribute(f, &views));
    assert!(
        facts
            .iter()
            .all(|f| f.provider.as_deref() == Some("openrouter"))
    );
}

#[test]
fn fixtures_make_the_verdict() {
    let (_d, _p, _f, parsed) = read_fixture("claude-retries.jsonl", AssistantId::ClaudeCode);
    let facts = errors(&parsed);
    let tz = FixedOffset::east_opt(0).unwrap();
    let v = judge(&facts, utc(10, 4), tz).unwrap();
    // 7 errors, one session, one final failure: a burst, not yet an outage.
    assert_eq!((v.status, v.errors), (Status::Degraded, 7));
    assert!(
        v.summary.starts_with("7 failed calls (529"),
        "{}",
        v.summary
    );
    // Two days later the same records are history.
    assert!(judge(&facts, utc(10, 4) + chrono::Duration::days(2), tz).is_none());
}

/// The fuzz target's property (fuzz/fuzz_targets/session_record.rs), on cut and mangled
/// fixture lines: no panic, and any kept code is a short machine word.
#[test]
fn cut_and_mangled_lines_never_panic_and_codes_stay_words() {
    use weathervane::monitor::sessions::{LineContext, parse_line, records::MAX_CODE_LEN};
    let word = |s: &str| {
        !s.is_empty()
            && s.len() <= MAX_CODE_LEN
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for f in std::fs::read_dir(fixture("")).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "jsonl") {
            lines.extend(
                std::fs::read(&p)
                    .unwrap()
                    .split(|&b| b == b'\n')
                    .map(<[u8]>::to_vec),
            );
        }
    }
    // A code made of everything but a word.
    lines.push(
        br#"{"type":"system","subtype":"api_error","timestamp":"2026-12-01T10:00:00Z","error":{"cause":{"code":"/home/me/\u00e9 secret token 0123456789012345678901234567890123456789"}}}"#.to_vec(),
    );
    for line in &lines {
        let mut variants: Vec<Vec<u8>> = (0..line.len())
            .step_by(7)
            .map(|i| line[..i].to_vec())
            .collect();
        let mut swapped = line.clone();
        swapped.iter_mut().step_by(11).for_each(|b| *b = b'"');
        variants.push(swapped);
        variants.push(line.clone());
        for v in &variants {
            for a in AssistantId::ALL {
                let ctx = LineContext {
                    assistant: a,
                    session: "s".into(),
                    utc_offset: FixedOffset::east_opt(0).unwrap(),
                };
                match parse_line(v, &ctx) {
                    Some(Parsed::Error(f)) => {
                        if let Some(c) = &f.code {
                            assert!(word(c), "{c:?}");
                        }
                    }
                    Some(Parsed::Provider { provider, .. }) => assert!(word(&provider)),
                    None => {}
                }
            }
        }
    }
}
