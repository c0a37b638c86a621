//! A switch from "click" to file on disk: plan, backup, atomic write with fsyncs, history record.

use std::collections::HashMap;

use criterion::{Criterion, criterion_group, criterion_main};
use weathervane::store::Store;
use weathervane::switch::engine::{self, Context};
use weathervane::switch::profiles::{self, AssistantId};

const SETTINGS: &str = r#"{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "opus",
  "env": { "DISABLE_TELEMETRY": "1" },
  "permissions": { "allow": ["Bash(npm run test:*)"], "deny": ["Read(./.env)"] },
  "hooks": { "PostToolUse": [{ "matcher": "Edit", "hooks": [{ "type": "command", "command": "fmt" }] }] },
  "enabledPlugins": { "formatter@acme": true },
  "statusLine": { "type": "command", "command": "~/.claude/statusline.sh" }
}
"#;

fn switch(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".claude")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(home.join(".claude/settings.json"), SETTINGS).unwrap_or_else(|e| panic!("{e}"));
    let ctx = Context {
        home,
        env: HashMap::new(),
        data_dir: dir.path().join("data"),
        claude_managed_settings: dir.path().join("none.json"),
        keyring: std::sync::Arc::new(weathervane::switch::keys::MemoryKeyring::default()),
        program: "weathervane".into(),
        project_dirs: vec![],
    };
    let mut store =
        Store::open(&ctx.data_dir.join("weathervane.db")).unwrap_or_else(|e| panic!("{e}"));
    let all = profiles::merge(&[]).unwrap_or_else(|e| panic!("{e}"));
    let mut flip = false;
    c.bench_function("switch/claude_code_one_switch", |b| {
        b.iter(|| {
            flip = !flip;
            let to = if flip { "bedrock" } else { "anthropic" };
            engine::switch(&ctx, &mut store, &all, AssistantId::ClaudeCode, to)
                .unwrap_or_else(|e| panic!("switch to {to}: {e}"))
        })
    });
    c.bench_function("switch/claude_code_plan_only", |b| {
        b.iter(|| {
            engine::plan(&ctx, &all, AssistantId::ClaudeCode, "vertex")
                .unwrap_or_else(|e| panic!("{e}"))
        })
    });
}

criterion_group!(benches, switch);
criterion_main!(benches);
