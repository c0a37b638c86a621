//! Start at login on Linux: an XDG autostart entry
//! (`$XDG_CONFIG_HOME/autostart/weathervane-tray.desktop`) that runs the resident,
//! `weathervane-tray`. One implementation for both ways to change it: `weathervane-tray
//! --autostart on|off` and the dashboard's "Start at login".
//!
//! Before the resident existed, the dashboard's switch (tauri-plugin-autostart) wrote
//! `Weathervane.desktop` running `weathervane-desktop` as the tray. That entry is read as
//! "on" and removed on any change, so a login never starts two trays.

use std::path::{Path, PathBuf};

/// Our entry's file name.
pub const ENTRY: &str = "weathervane-tray.desktop";
/// What tauri-plugin-autostart wrote (the product name), running `weathervane-desktop`.
const LEGACY: &str = "Weathervane.desktop";

#[derive(Debug, thiserror::Error)]
pub enum AutostartError {
    #[error("cannot find your config folder (is HOME set?)")]
    NoConfigDir,
    #[error("cannot change {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `$XDG_CONFIG_HOME/autostart` (`~/.config/autostart`).
pub fn dir() -> Result<PathBuf, AutostartError> {
    directories::BaseDirs::new()
        .map(|b| b.config_dir().join("autostart"))
        .ok_or(AutostartError::NoConfigDir)
}

/// The entry that runs `exe`.
pub fn entry(exe: &Path) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=Weathervane\n\
         Comment=Watches AI providers' health from the tray\n\
         Exec={}\nIcon=weathervane\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
        exec_arg(&exe.to_string_lossy())
    )
}

/// One Exec argument as the Desktop Entry spec wants it: in double quotes with `"`, `` ` ``,
/// `$` and `\` backslash-escaped, then the string escapes (a backslash doubled again, so a
/// literal backslash is four), and `%` doubled (it starts a field code).
fn exec_arg(arg: &str) -> String {
    let mut out = String::from("\"");
    for c in arg.chars() {
        match c {
            '"' | '`' | '$' => {
                out.push_str("\\\\");
                out.push(c);
            }
            '\\' => out.push_str("\\\\\\\\"),
            '%' => out.push_str("%%"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Write the entry running `exe` in `dir`, and remove the old Tauri tray's entry.
pub fn enable(dir: &Path, exe: &Path) -> Result<(), AutostartError> {
    let path = dir.join(ENTRY);
    let io = |source| AutostartError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    // Through a temp file: a session starting meanwhile reads the old entry or the new one.
    let tmp = dir.join(format!(".{ENTRY}.tmp"));
    std::fs::write(&tmp, entry(exe)).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    remove_legacy(dir)
}

/// Remove the entry (and the old Tauri tray's); already off is not an error.
pub fn disable(dir: &Path) -> Result<(), AutostartError> {
    remove(&dir.join(ENTRY))?;
    remove_legacy(dir)
}

/// Whether a login starts Weathervane: our entry, or the old one still there.
pub fn is_on(dir: &Path) -> bool {
    dir.join(ENTRY).is_file() || is_legacy(&dir.join(LEGACY))
}

fn remove(path: &Path) -> Result<(), AutostartError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(AutostartError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Only an entry that runs our desktop binary: a `Weathervane.desktop` of someone else's
/// is left alone.
fn is_legacy(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines().any(|l| {
            l.strip_prefix("Exec=")
                .is_some_and(|cmd| cmd.contains("weathervane-desktop"))
        })
    })
}

fn remove_legacy(dir: &Path) -> Result<(), AutostartError> {
    let path = dir.join(LEGACY);
    if is_legacy(&path) {
        remove(&path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_writes_an_entry_that_runs_the_resident_and_off_removes_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("config").join("autostart");
        let exe = Path::new("/opt/my apps/weathervane-tray");
        assert!(!is_on(&dir));
        enable(&dir, exe).unwrap();
        assert!(is_on(&dir));
        let text = std::fs::read_to_string(dir.join(ENTRY)).unwrap();
        assert!(text.starts_with("[Desktop Entry]\n"), "{text}");
        assert!(
            text.contains("\nExec=\"/opt/my apps/weathervane-tray\"\n"),
            "{text}"
        );
        assert!(text.contains("\nType=Application\n"), "{text}");
        // No temp file left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(ENTRY)]);
        // On twice rewrites the same entry.
        enable(&dir, exe).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join(ENTRY)).unwrap(), text);
        disable(&dir).unwrap();
        assert!(!is_on(&dir));
        assert!(!dir.join(ENTRY).exists());
        // Off twice, or with no folder at all, is not an error.
        disable(&dir).unwrap();
        disable(&tmp.path().join("nowhere")).unwrap();
    }

    #[test]
    fn exec_quoting_keeps_an_odd_path_one_argument() {
        // Quoted and escaped for Exec, then for the key file: a backslash is four.
        let text = entry(Path::new("/home/a\"b/$x/`y`\\z/50%/weathervane-tray"));
        assert!(
            text.contains(
                r#"
Exec="/home/a\\"b/\\$x/\\`y\\`\\\\z/50%%/weathervane-tray"
"#
            ),
            "{text}"
        );
    }

    #[test]
    fn the_old_tauri_tray_entry_counts_as_on_and_goes_on_any_change() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("autostart");
        std::fs::create_dir_all(&dir).unwrap();
        let legacy = "[Desktop Entry]\nType=Application\nVersion=1.0\nName=Weathervane\n\
                      Comment=Weathervane startup script\n\
                      Exec=/usr/bin/weathervane-desktop \nStartupNotify=false\nTerminal=false";
        std::fs::write(dir.join(LEGACY), legacy).unwrap();
        assert!(is_on(&dir));
        enable(&dir, Path::new("/usr/bin/weathervane-tray")).unwrap();
        assert!(!dir.join(LEGACY).exists());
        assert!(dir.join(ENTRY).is_file());

        std::fs::write(dir.join(LEGACY), legacy).unwrap();
        disable(&dir).unwrap();
        assert!(!is_on(&dir));
        assert!(!dir.join(LEGACY).exists());

        // Someone else's Weathervane.desktop is neither ours nor removed.
        let other = "[Desktop Entry]\nType=Application\nName=Weathervane\nExec=/opt/wv/run.sh\n";
        std::fs::write(dir.join(LEGACY), other).unwrap();
        assert!(!is_on(&dir));
        enable(&dir, Path::new("/usr/bin/weathervane-tray")).unwrap();
        disable(&dir).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join(LEGACY)).unwrap(), other);
    }
}
