//! Switching Gemini CLI, whose switch spans two files (settings.json and .env), in a temp HOME.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use weathervane::store::Store;
use weathervane::switch::engine::{self, Context, SwitchError};
use weathervane::switch::keys::{Keyring, MemoryKeyring};
use weathervane::switch::profiles::{AssistantId, merge};

use crate::common::*;

/// A real-looking ~/.gemini/settings.json: comments, MCP servers, theme, unknown keys.
const SETTINGS: &str = r#"{
  // Gemini CLI user settings
  "general": { "vimMode": true, "preferredEditor": "code" },
  "ui": { "theme": "GitHub" },
  "security": {
    "auth": { "selectedType": "oauth-personal" }, // chosen in /auth
    "folderTrust": { "enabled": true },
  },
  /* MCP servers */
  "mcpServers": {
    "github": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"] },
  },
  "someFutureKey": { "nested": [1, 2, 3] },
}
"#;

/// A ~/.gemini/.env with comments and variables that are not ours.
const DOTENV: &str = "# Gemini CLI environment\n\
export DEBUG=false\n\
\n\
# proxy for work\n\
HTTPS_PROXY=\"http://proxy.example:3128\"\n";

const VERTEX_CONFIG: &str = "[[profiles]]\nassistant = \"gemini\"\nid = \"vertex\"\nset = { GOOGLE_CLOUD_PROJECT = \"my-gcp-project\" }\n";

fn dir(env: &Env) -> PathBuf {
    env.home.path().join(".gemini")
}

fn write_files(env: &Env) -> (PathBuf, PathBuf) {
    let d = dir(env);
    std::fs::create_dir_all(&d).unwrap();
    let (s, e) = (d.join("settings.json"), d.join(".env"));
    std::fs::write(&s, SETTINGS).unwrap();
    std::fs::write(&e, DOTENV).unwrap();
    std::fs::set_permissions(&e, std::fs::Permissions::from_mode(0o644)).unwrap();
    (s, e)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn gemini_vertex_switch_and_back_is_byte_identical_in_both_files() {
    let env = Env::new(VERTEX_CONFIG);
    let (s, e) = write_files(&env);

    let out = env.run(&["switch", "gemini", "vertex", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "~ settings.json:security.auth.selectedType: \"oauth-personal\" -> \"vertex-ai\""
        ),
        "{text}"
    );
    assert!(
        text.contains("+ .env:GOOGLE_GENAI_USE_VERTEXAI = \"true\""),
        "{text}"
    );
    assert!(
        text.contains("+ .env:GOOGLE_CLOUD_PROJECT = \"my-gcp-project\""),
        "{text}"
    );
    assert!(text.contains("restarted"), "{text}");
    assert_eq!(read(&s), SETTINGS);
    assert_eq!(read(&e), DOTENV);

    let out = env.run(&["switch", "gemini", "vertex"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let settings = read(&s);
    for keep in [
        "// Gemini CLI user settings",
        "/* MCP servers */",
        "// chosen in /auth",
        "\"ui\": { \"theme\": \"GitHub\" }",
        "\"someFutureKey\": { \"nested\": [1, 2, 3] }",
        "\"github\": { \"command\": \"npx\"",
        "\"folderTrust\": { \"enabled\": true },",
    ] {
        assert!(settings.contains(keep), "lost {keep:?}:\n{settings}");
    }
    assert!(
        settings.contains("\"selectedType\": \"vertex-ai\""),
        "{settings}"
    );
    assert_eq!(
        read(&e),
        format!(
            "{DOTENV}GOOGLE_GENAI_USE_VERTEXAI=true\nGOOGLE_CLOUD_PROJECT=my-gcp-project\nGOOGLE_CLOUD_LOCATION=us-central1\n"
        ),
        "the other lines stay as they were"
    );

    let (_, a) = env.json(&["assistants", "--json"]);
    let g = a["assistants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "gemini")
        .unwrap()
        .clone();
    assert_eq!(g["switchable"], true);
    assert_eq!(g["active_profile"], "vertex");
    assert_eq!(g["switched_from"], "google");

    // Both files were backed up, each under its own label.
    let (_, b) = env.json(&["backups", "gemini", "--json"]);
    let list = b["backups"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{b}");
    let contents: Vec<String> = list
        .iter()
        .map(|x| read(Path::new(x["path"].as_str().unwrap())))
        .collect();
    assert!(contents.contains(&SETTINGS.to_string()));
    assert!(contents.contains(&DOTENV.to_string()));

    let out = env.run(&["switch", "gemini", "--back"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(read(&s), SETTINGS);
    assert_eq!(read(&e), DOTENV);
    let out = env.run(&["switch", "gemini", "--back"]);
    assert_eq!(out.status.code(), Some(65), "nothing left to undo");
}

#[test]
fn gemini_back_after_gemini_cli_edited_settings_keeps_its_edit() {
    let env = Env::new(VERTEX_CONFIG);
    let (s, e) = write_files(&env);
    assert_eq!(
        env.run(&["switch", "gemini", "vertex"]).status.code(),
        Some(0)
    );
    // Gemini CLI rewrites settings.json meanwhile (the user changed the theme).
    let edited = read(&s).replace("\"GitHub\"", "\"Dracula\"");
    std::fs::write(&s, &edited).unwrap();
    let out = env.run(&["switch", "gemini", "--back"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(read(&s), SETTINGS.replace("\"GitHub\"", "\"Dracula\""));
    assert_eq!(read(&e), DOTENV, "the untouched file is byte-identical");
}

#[test]
fn gemini_unparseable_env_is_refused_and_nothing_is_written() {
    let env = Env::new(VERTEX_CONFIG);
    let (s, e) = write_files(&env);
    let broken = format!("{DOTENV}this is not a variable\n");
    std::fs::write(&e, &broken).unwrap();
    let out = env.run(&["switch", "gemini", "vertex"]);
    assert_eq!(out.status.code(), Some(65));
    let err = stderr(&out);
    assert!(
        err.contains(".env") && err.contains("nothing was written") && err.contains("line 6"),
        "{err}"
    );
    assert_eq!(read(&s), SETTINGS, "settings.json untouched too");
    assert_eq!(read(&e), broken);
    let (_, b) = env.json(&["backups", "gemini", "--json"]);
    assert_eq!(b["backups"].as_array().unwrap().len(), 0);

    // A broken settings.json likewise.
    std::fs::write(&e, DOTENV).unwrap();
    std::fs::write(&s, "{ \"security\": ").unwrap();
    let out = env.run(&["switch", "gemini", "vertex"]);
    assert_eq!(out.status.code(), Some(65));
    assert!(stderr(&out).contains("settings.json"), "{}", stderr(&out));
    assert_eq!(read(&e), DOTENV);
}

#[test]
fn gemini_symlinked_settings_stay_links_and_gemini_cli_home_is_followed() {
    let env = Env::new(VERTEX_CONFIG);
    let home = env.home.path().join("gemini-home");
    let d = home.join(".gemini");
    std::fs::create_dir_all(&d).unwrap();
    let dotfiles = env.home.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let real = dotfiles.join("gemini-settings.json");
    std::fs::write(&real, SETTINGS).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = d.join("settings.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let run = |args: &[&str]| {
        env.command()
            .env("GEMINI_CLI_HOME", &home)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["switch", "gemini", "vertex"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(read(&real).contains("\"vertex-ai\""));
    assert_eq!(mode(&real), 0o640);
    let created = d.join(".env");
    assert!(read(&created).contains("GOOGLE_GENAI_USE_VERTEXAI=true"));
    assert!(!dir(&env).exists(), "~/.gemini is not touched");
    let out = run(&["switch", "gemini", "--back"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(read(&real), SETTINGS);
    assert!(!created.exists(), ".env did not exist before the switch");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn gemini_restore_puts_one_file_back() {
    let env = Env::new(VERTEX_CONFIG);
    let (s, e) = write_files(&env);
    assert_eq!(
        env.run(&["switch", "gemini", "vertex"]).status.code(),
        Some(0)
    );
    let (_, b) = env.json(&["backups", "gemini", "--json"]);
    let env_backup = b["backups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"].as_str().unwrap().starts_with("gemini-env-"))
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    let out = env.run(&["restore", "gemini", &env_backup]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(read(&e), DOTENV);
    assert!(
        read(&s).contains("\"vertex-ai\""),
        "the other file is left alone"
    );
}

#[test]
fn gemini_warnings_name_what_outranks_the_switch() {
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(project.path().join(".gemini")).unwrap();
    std::fs::write(
        project.path().join(".gemini/settings.json"),
        "{ // team\n \"model\": { \"name\": \"gemini-2.5-flash\" } }",
    )
    .unwrap();
    std::fs::write(project.path().join(".env"), "DATABASE_URL=x\n").unwrap();
    let env = Env::new(&format!(
        "[switch]\nproject_dirs = [{:?}]\n",
        project.path().display().to_string()
    ));
    write_files(&env);
    let out = env
        .command()
        .env("GOOGLE_CLOUD_LOCATION", "europe-west4")
        .args(["switch", "gemini", "vertex", "--dry-run"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.contains("GOOGLE_CLOUD_LOCATION is exported"), "{text}");
    assert!(text.contains("needs GOOGLE_CLOUD_PROJECT"), "{text}");
    assert!(
        text.contains(".gemini/settings.json sets model.name for that project"),
        "{text}"
    );
    assert!(
        text.contains(".env exists: Gemini CLI started in that project loads it instead"),
        "{text}"
    );
}

#[test]
fn gemini_a_project_already_in_env_is_kept_by_vertex_and_its_removal_is_warned_about() {
    let env = Env::new("");
    let (s, e) = write_files(&env);
    let with_project = format!("{DOTENV}GOOGLE_CLOUD_PROJECT=work-proj\n");
    std::fs::write(&e, &with_project).unwrap();
    let out = env.run(&["switch", "gemini", "vertex"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stdout(&out).contains("needs GOOGLE_CLOUD_PROJECT"),
        "{}",
        stdout(&out)
    );
    assert!(read(&e).starts_with(&with_project), "{}", read(&e));
    let out = env.run(&["switch", "gemini", "google", "--dry-run"]);
    let text = stdout(&out);
    assert!(
        text.contains("- .env:GOOGLE_CLOUD_PROJECT")
            && text.contains("removes GOOGLE_CLOUD_PROJECT=work-proj"),
        "{text}"
    );
    assert!(read(&s).contains("\"vertex-ai\""));
}

#[test]
fn codex_keyring_login_is_explained_when_switching_away() {
    let env = Env::new("");
    let p = env.home.path().join(".codex/config.toml");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, "cli_auth_credentials_store = \"keyring\"\n").unwrap();
    let out = env.run(&["switch", "codex", "openrouter", "--dry-run"]);
    let text = stdout(&out);
    assert!(
        text.contains("Codex keeps its ChatGPT login") && text.contains("$OPENROUTER_API_KEY"),
        "{text}"
    );
    let out = env.run(&["switch", "codex", "openai", "--dry-run"]);
    assert!(!stdout(&out).contains("ChatGPT login"), "{}", stdout(&out));
}

// ------------------------------------------------ the API key profile, through the library

fn ctx(env: &Env, keyring: Arc<MemoryKeyring>) -> Context {
    Context {
        home: env.home.path().to_path_buf(),
        env: Default::default(),
        data_dir: env.data.clone(),
        claude_managed_settings: env.home.path().join("managed.json"),
        keyring,
        program: "weathervane".into(),
        project_dirs: vec![],
    }
}

#[test]
fn gemini_api_key_comes_from_the_keyring_into_a_0600_env_and_nowhere_else() {
    let env = Env::new("");
    let (s, e) = write_files(&env);
    let keyring = Arc::new(MemoryKeyring::default());
    let c = ctx(&env, keyring.clone());
    let profiles = merge(&[]).unwrap();
    let mut store = Store::open(&env.data.join("weathervane.db")).unwrap();

    // No key yet: refused, naming the fix, nothing written.
    let err = engine::switch(
        &c,
        &mut store,
        &profiles,
        AssistantId::Gemini,
        "gemini-api-key",
    )
    .unwrap_err();
    assert!(matches!(err, SwitchError::Key { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("weathervane key set gemini-api-key"),
        "{err}"
    );
    assert_eq!(read(&s), SETTINGS);
    assert_eq!(read(&e), DOTENV);

    keyring.set("gemini-api-key", "AIza-SECRET-4242").unwrap();
    let plan = engine::plan(&c, &profiles, AssistantId::Gemini, "gemini-api-key").unwrap();
    let diff = plan.diff();
    assert!(
        diff.contains("+ .env:GEMINI_API_KEY = •••••• (hidden)"),
        "{diff}"
    );
    assert!(!diff.contains("SECRET-4242"));
    let json = serde_json::to_string(&plan).unwrap();
    assert!(!json.contains("SECRET-4242"), "{json}");
    assert!(!format!("{plan:?}").contains("SECRET-4242"));

    let done = engine::switch(
        &c,
        &mut store,
        &profiles,
        AssistantId::Gemini,
        "gemini-api-key",
    )
    .unwrap();
    assert_eq!(done.backups.len(), 2);
    assert!(
        read(&e).ends_with("GEMINI_API_KEY=AIza-SECRET-4242\n"),
        "{}",
        read(&e)
    );
    assert_eq!(mode(&e), 0o600, "the file now holds a secret");
    assert!(read(&s).contains("\"selectedType\": \"gemini-api-key\""));
    assert_eq!(
        engine::active_in(AssistantId::Gemini, &[read(&s), read(&e)], &profiles)
            .unwrap()
            .map(|p| p.id.as_str()),
        Some("gemini-api-key")
    );
    let rec = done.record.unwrap();
    assert_eq!(rec.files.len(), 2);
    assert_eq!(rec.files[1].keys, vec!["GEMINI_API_KEY".to_string()]);

    // Back: both files byte-identical.
    engine::back(&c, &mut store, AssistantId::Gemini).unwrap();
    assert_eq!(read(&s), SETTINGS);
    assert_eq!(read(&e), DOTENV);
    drop(store);

    // The key is nowhere in our data dir (history, backups) or config.
    for f in walk(&env.data).into_iter().chain([env.config.clone()]) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(11).any(|w| w == b"SECRET-4242"),
            "the key leaked into {}",
            f.display()
        );
    }
}

/// Issue 18, item 3: `--back` left 0600 a file that was 0640 before the switch.
#[test]
fn back_puts_back_the_mode_a_secret_changed() {
    let env = Env::new("");
    let (_, e) = write_files(&env);
    let keyring = Arc::new(MemoryKeyring::default());
    keyring.set("gemini-api-key", "AIza-SECRET-4242").unwrap();
    let c = ctx(&env, keyring);
    let profiles = merge(&[]).unwrap();
    let mut store = Store::open(&env.data.join("weathervane.db")).unwrap();
    let switch = |store: &mut Store| {
        engine::switch(&c, store, &profiles, AssistantId::Gemini, "gemini-api-key").unwrap();
        assert_eq!(mode(&e), 0o600, "the key makes it private");
    };

    std::fs::set_permissions(&e, std::fs::Permissions::from_mode(0o640)).unwrap();
    switch(&mut store);
    engine::back(&c, &mut store, AssistantId::Gemini).unwrap();
    assert_eq!(read(&e), DOTENV);
    assert_eq!(
        mode(&e),
        0o640,
        "untouched since the switch: exact bytes and mode"
    );

    // Edited since the switch: only our keys go back, and the mode too.
    switch(&mut store);
    std::fs::write(&e, format!("{}DEBUG=1\n", read(&e))).unwrap();
    engine::back(&c, &mut store, AssistantId::Gemini).unwrap();
    assert_eq!(read(&e), format!("{DOTENV}DEBUG=1\n"));
    assert_eq!(mode(&e), 0o640);
}

#[test]
fn gemini_api_key_switch_with_a_real_secret_service() {
    let env = Env::new("");
    let (s, e) = write_files(&env);
    let script = r#""$W" switch gemini gemini-api-key; echo "before-key-exit=$?"
printf 'AIza-REAL-9876\n' | "$W" key set gemini-api-key || exit 10
"$W" switch gemini gemini-api-key || exit 11
"$W" switch gemini --back || exit 12
"#;
    let Some(out) = env.run_with_real_keyring(script) else {
        return;
    };
    let (text, err) = (stdout(&out), stderr(&out));
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{text}\nstderr:\n{err}"
    );
    assert!(text.contains("before-key-exit=65"), "{text}");
    assert!(err.contains("weathervane key set gemini-api-key"), "{err}");
    assert!(text.contains("GEMINI_API_KEY = •••••• (hidden)"), "{text}");
    assert!(!text.contains("REAL-9876"), "{text}");
    assert_eq!(read(&s), SETTINGS);
    assert_eq!(read(&e), DOTENV);
}

#[test]
fn sigkill_between_the_two_gemini_writes_leaves_a_state_back_undoes() {
    use rand::{Rng, SeedableRng};
    let env = Env::new(VERTEX_CONFIG);
    let (s, e) = write_files(&env);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x9e31);
    // Kill anywhere within one run, however fast this machine is right now.
    let started = std::time::Instant::now();
    assert_eq!(
        env.run(&["switch", "gemini", "vertex"]).status.code(),
        Some(0)
    );
    let run_micros = started.elapsed().as_micros() as u64;
    assert_eq!(
        env.run(&["switch", "gemini", "--back"]).status.code(),
        Some(0)
    );
    let mut killed = 0;
    let mut half_done = 0;
    for i in 0..40 {
        let mut child = env
            .command()
            .args(["switch", "gemini", "vertex"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(
            rng.random_range(0..run_micros),
        ));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let (st, et) = (read(&s), read(&e));
        assert!(
            weathervane::switch::edit::get(&st, weathervane::switch::edit::Format::Jsonc, &[])
                .is_ok()
                && weathervane::switch::edit::get(
                    &et,
                    weathervane::switch::edit::Format::Dotenv,
                    &[]
                )
                .is_ok(),
            "iteration {i}: a file does not parse"
        );
        if st.contains("\"oauth-personal\"") && et.contains("VERTEXAI") {
            half_done += 1;
        }
        // Whatever moment it died at, back (as often as it says there is
        // something to undo) brings both files back to their exact bytes.
        for _ in 0..3 {
            let out = env.run(&["switch", "gemini", "--back"]);
            match out.status.code() {
                Some(0) => continue,
                Some(65) if stderr(&out).contains("no switch to undo") => break,
                other => panic!("iteration {i}: back failed ({other:?}): {}", stderr(&out)),
            }
        }
        assert_eq!(read(&s), SETTINGS, "iteration {i}: settings.json");
        assert_eq!(read(&e), DOTENV, "iteration {i}: .env");
    }
    assert!(
        killed > 5,
        "only {killed} of 40 runs were killed mid-way: the test did not test much"
    );
    eprintln!("{killed} killed, {half_done} between the two writes");
}

/// The exact state a kill between the two writes leaves (the intent recorded,
/// .env written, settings.json not yet), made by hand so it is certain.
#[test]
fn a_switch_killed_between_its_two_writes_is_undone_by_back() {
    use weathervane::store::{SwitchFile, SwitchRecord};
    use weathervane::switch::fs;
    let env = Env::new(VERTEX_CONFIG);
    let (s, e) = write_files(&env);
    let keyring = Arc::new(MemoryKeyring::default());
    let c = ctx(&env, keyring);
    let config = weathervane::config::Config::load(&env.config, true).unwrap();
    let plan = engine::plan(&c, &config.profiles, AssistantId::Gemini, "vertex").unwrap();
    let mut files = Vec::new();
    for f in &plan.files {
        let backup = fs::backup(&f.basis, &c.backups_dir(), f.label, 10).unwrap();
        files.push(SwitchFile {
            file: f.basis.target.display().to_string(),
            label: f.label.to_string(),
            keys: f.changes.iter().map(|c| c.key.clone()).collect(),
            backup: Some(backup.display().to_string()),
            hash_before: f.basis.hash.clone(),
            hash_after: fs::hash_bytes(f.new_text.as_bytes()),
            mode_before: f.basis.mode,
        });
    }
    let rec = SwitchRecord {
        automatic: false,
        key: 0,
        at: chrono::Utc::now(),
        assistant: "gemini".into(),
        action: "switch".into(),
        from_profile: Some("google".into()),
        to_profile: Some("vertex".into()),
        file: files[0].file.clone(),
        keys: files[0].keys.clone(),
        backup: files[0].backup.clone(),
        hash_before: files[0].hash_before.clone(),
        hash_after: files[0].hash_after.clone(),
        reverted_by: None,
        files,
    };
    {
        let mut store = Store::open(&env.data.join("weathervane.db")).unwrap();
        store.record_switch(&rec, None).unwrap();
    }
    let env_plan = &plan.files[1];
    fs::write_atomic(&env_plan.basis, env_plan.new_text.as_bytes(), false).unwrap();
    // -- killed here --
    assert_eq!(read(&s), SETTINGS);
    assert_ne!(read(&e), DOTENV);

    let (_, a) = env.json(&["assistants", "--json"]);
    let g = a["assistants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "gemini")
        .unwrap()
        .clone();
    assert_eq!(
        g["active_profile"], "google",
        "settings.json still selects Google login: the half-done switch is harmless"
    );
    let out = env.run(&["switch", "gemini", "--back"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(read(&s), SETTINGS);
    assert_eq!(read(&e), DOTENV);
    let out = env.run(&["switch", "gemini", "--back"]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
}
