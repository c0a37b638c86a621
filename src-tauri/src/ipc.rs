//! The commands the dashboard may call, listed once: the same table registers the handlers
//! with Tauri and writes their names, argument types and results to
//! `ui/src/bindings/Commands.ts` (a test does, like ts-rs does for the types), so the UI
//! cannot call a command that is not registered, or pass it an argument of another type.

#[cfg(test)]
use std::collections::BTreeMap;

#[cfg(test)]
use ts_rs::{Dependency, TS};

/// One command as the UI sees it.
#[cfg(test)]
pub struct Spec {
    pub name: &'static str,
    /// (name as the UI passes it, TypeScript type)
    pub args: Vec<(String, String)>,
    pub returns: String,
}

/// Tauri passes arguments by their camelCase names.
#[cfg(test)]
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The exported types a TypeScript type may need imported: itself, its generic arguments
/// (`Vec<AssistantView>`) and what they depend on.
#[cfg(test)]
fn deps<T: TS + 'static + ?Sized>(cfg: &ts_rs::Config, into: &mut BTreeMap<String, String>) {
    struct Collect<'a> {
        cfg: &'a ts_rs::Config,
        into: &'a mut BTreeMap<String, String>,
    }
    impl ts_rs::TypeVisitor for Collect<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            if let Some(d) = Dependency::from_ty::<U>(self.cfg) {
                let file = d.output_path.with_extension("");
                self.into
                    .insert(d.ts_name, file.to_string_lossy().into_owned());
            }
        }
    }
    let mut c = Collect { cfg, into };
    ts_rs::TypeVisitor::visit::<T>(&mut c);
    T::visit_generics(&mut c);
}

macro_rules! commands {
    ($( $module:ident :: $name:ident ( $( $arg:ident : $ty:ty ),* ) -> $ret:ty ; )*) => {
        /// The handler Tauri calls for every command in the table.
        pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![ $( crate::$module::$name ),* ]
        }

        /// The table, with TypeScript types, and the imports those types need.
        #[cfg(test)]
        pub fn specs(cfg: &ts_rs::Config) -> (Vec<Spec>, BTreeMap<String, String>) {
            let mut imports = BTreeMap::new();
            let mut out = Vec::new();
            $(
                $( deps::<$ty>(cfg, &mut imports); )*
                deps::<$ret>(cfg, &mut imports);
                out.push(Spec {
                    name: stringify!($name),
                    args: vec![ $( (camel(stringify!($arg)), <$ty as TS>::name(cfg)) ),* ],
                    returns: <$ret as TS>::name(cfg),
                });
            )*
            (out, imports)
        }
    };
}

#[cfg(test)]
use weathervane::config::edit::SettingsChange;
#[cfg(test)]
use weathervane::monitor::sources::detect::Detected;
#[cfg(test)]
use weathervane::switch::assistants::{
    AssistantView, BackupView, PlanView, SwitchEvent, SwitchOutcome,
};
#[cfg(test)]
use weathervane::views::dashboard::{History, Overview, ProbesView, SettingsView};

commands! {
    commands::overview() -> Overview;
    commands::history(days: u32) -> History;
    commands::probes(hours: u32) -> ProbesView;
    settings_cmds::settings() -> SettingsView;
    settings_cmds::update_settings(change: SettingsChange) -> SettingsView;
    settings_cmds::detect_source(url: String) -> Detected;
    commands::set_autostart(enabled: bool) -> bool;
    commands::refresh_now() -> ();
    commands::open_status_page(id: String) -> ();
    switch_cmds::assistants() -> Vec<AssistantView>;
    switch_cmds::plan_switch(assistant_id: String, profile: String) -> PlanView;
    switch_cmds::switch_assistant(assistant_id: String, profile: String) -> SwitchOutcome;
    switch_cmds::switch_back(assistant_id: String) -> SwitchOutcome;
    switch_cmds::switch_history(assistant_id: Option<String>) -> Vec<SwitchEvent>;
    switch_cmds::backups(assistant_id: String) -> Vec<BackupView>;
    switch_cmds::restore_backup(assistant_id: String, name: String) -> String;
}

/// `Commands.ts`: every command's arguments and result, for the UI's typed `call`.
#[cfg(test)]
pub fn typescript() -> String {
    let cfg = ts_rs::Config::new();
    let (specs, imports) = specs(&cfg);
    let mut body = String::from(
        "\n/** Every command the dashboard may call: its arguments and what it returns. */\n",
    );
    body.push_str("export type Commands = {\n");
    for s in &specs {
        let args: Vec<String> = s.args.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        let args = if args.is_empty() {
            "{}".to_string()
        } else {
            format!("{{ {} }}", args.join(", "))
        };
        body.push_str(&format!(
            "  {}: {{ args: {args}; returns: {} }};\n",
            s.name, s.returns
        ));
    }
    let mut out = String::from(
        "// Generated from src-tauri/src/ipc.rs by its tests. Do not edit this file manually.\n",
    );
    // Only what the table names itself (the dependencies are transitive).
    let words: std::collections::BTreeSet<&str> = body
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .collect();
    for (name, file) in imports.iter().filter(|(n, _)| words.contains(n.as_str())) {
        out.push_str(&format!("import type {{ {name} }} from \"./{file}\";\n"));
    }
    out.push_str(&body);
    out.push_str("};\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_camel_case_as_tauri_passes_them() {
        assert_eq!(camel("assistant_id"), "assistantId");
        assert_eq!(camel("days"), "days");
    }

    /// Writes `ui/src/bindings/Commands.ts` (`make bindings-check` fails when it differs
    /// from the committed one).
    #[test]
    fn export_commands_for_the_ui() {
        let ts = typescript();
        assert!(ts.contains("  plan_switch: { args: { assistantId: string, profile: string }; returns: PlanView };"), "{ts}");
        assert!(
            ts.contains("import type { Overview } from \"./Overview\";"),
            "{ts}"
        );
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("Commands.ts");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(ts.as_str()) {
            std::fs::write(&path, ts).unwrap();
        }
    }
}
