//! Shared helpers: temp HOME and data dir per test, fixture loading, running the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/status")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

pub fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(name)).expect("fixture is JSON")
}

pub const OPENAI_SUMMARY: &str = "statuspage_openai_summary_operational_2026-07-09.json";

/// The OpenAI summary with one component set to `status` and, when not
/// operational, an open incident on it: an outage as the page would show it.
pub fn openai_with(component: &str, status: &str) -> Vec<u8> {
    let mut v = fixture_json(OPENAI_SUMMARY);
    let mut comp_id = String::new();
    for c in v["components"].as_array_mut().expect("components") {
        if c["name"] == component {
            c["status"] = status.into();
            comp_id = c["id"].as_str().unwrap_or_default().to_string();
        }
    }
    assert!(
        !comp_id.is_empty(),
        "no component {component} in the fixture"
    );
    if status != "operational" {
        v["status"]["indicator"] = "major".into();
        v["incidents"] = serde_json::json!([{
            "id": "01TESTINCIDENT0000000000000",
            "name": format!("Elevated errors on {component}"),
            "status": "investigating",
            "impact": "major",
            "created_at": "2026-07-09T19:00:00Z",
            "started_at": "2026-07-09T19:00:00Z",
            "updated_at": "2026-07-09T19:05:00Z",
            "resolved_at": null,
            "shortlink": "https://status.example.test/incidents/1",
            "components": [{"id": comp_id, "name": component, "status": status}],
            "incident_updates": [{
                "id": "u1",
                "status": "investigating",
                "body": "We are investigating elevated error rates.",
                "created_at": "2026-07-09T19:05:00Z"
            }]
        }]);
    }
    serde_json::to_vec(&v).expect("encode")
}

/// A temp HOME, config file and data dir; nothing outside it is touched.
pub struct Env {
    pub home: TempDir,
    pub config: PathBuf,
    pub data: PathBuf,
}

impl Env {
    pub fn new(config_text: &str) -> Env {
        let home = tempfile::tempdir().expect("tempdir");
        let config = home.path().join("weathervane.toml");
        std::fs::write(&config, config_text).expect("write config");
        let data = home.path().join("data");
        Env { home, config, data }
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_weathervane"));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("XDG_DATA_HOME", self.home.path().join(".local/share"))
            .env("WEATHERVANE_CONFIG", &self.config)
            .env("WEATHERVANE_DATA_DIR", &self.data)
            .env("NO_COLOR", "1");
        c
    }

    /// Run a bash `script` under its own session bus with an unlocked gnome-keyring (a real
    /// Secret Service); `$W` is our binary, logging at `trace`. None, saying so, where the
    /// tools are missing.
    pub fn run_with_real_keyring(&self, script: &str) -> Option<Output> {
        let have = |program: &str| {
            std::env::var_os("PATH")
                .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        };
        if !have("dbus-run-session") || !have("gnome-keyring-daemon") {
            // CI installs the tools: there a missing one is a broken setup, and a
            // silent pass would hide that the keyring was never tested.
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!(
                    "CI is set but dbus-run-session or gnome-keyring-daemon is missing: the real keyring tests cannot run"
                );
            }
            // Straight to stderr, not eprintln!: the test harness captures that and shows it
            // only for failures, so a skip would look like a pass.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED keyring test: dbus-run-session and gnome-keyring-daemon are needed (apt-get install dbus gnome-keyring)"
            );
            return None;
        }
        use std::os::unix::fs::PermissionsExt;
        let runtime = self.home.path().join("run");
        std::fs::create_dir_all(&runtime).expect("runtime dir");
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700))
            .expect("runtime dir mode");
        let script = format!(
            "set -u\neval \"$(printf 'test-password\\n' | gnome-keyring-daemon --unlock --components=secrets)\"\nW={}\n{script}",
            env!("CARGO_BIN_EXE_weathervane")
        );
        let out = Command::new("dbus-run-session")
            .args(["--", "bash", "-c", &script])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("WEATHERVANE_CONFIG", &self.config)
            .env("WEATHERVANE_DATA_DIR", &self.data)
            .env("NO_COLOR", "1")
            // Every log line there is, so a key that reached a log would show.
            .env("WEATHERVANE_LOG", "trace")
            .output()
            .expect("run dbus-run-session");
        Some(out)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run weathervane")
    }

    /// Run and parse stdout as JSON.
    pub fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let out = self.run(args);
        let code = out.status.code().unwrap_or(-1);
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}); exit {code}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, v)
    }
}

/// One provider entry for a config file.
pub fn provider(id: &str, kind: &str, url: &str, watch: &[&str]) -> String {
    let watch: Vec<String> = watch.iter().map(|w| format!("{w:?}")).collect();
    format!(
        "[[providers]]\nid = \"{id}\"\nname = \"{id} name\"\nkind = \"{kind}\"\nurl = \"{url}\"\nwatch = [{}]\n\n",
        watch.join(", ")
    )
}

pub fn provider_json<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["providers"]
        .as_array()
        .expect("providers array")
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no provider {id} in {v}"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir`.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
