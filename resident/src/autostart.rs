//! Start at login: an XDG autostart entry (`~/.config/autostart/weathervane-tray.desktop`)
//! that runs this binary, written or removed on request.

use std::path::{Path, PathBuf};

const FILE: &str = "weathervane-tray.desktop";

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

/// `$XDG_CONFIG_HOME/autostart`.
pub fn dir() -> Result<PathBuf, AutostartError> {
    directories::BaseDirs::new()
        .map(|b| b.config_dir().join("autostart"))
        .ok_or(AutostartError::NoConfigDir)
}

/// The entry for `exe`. Exec quotes the path: the spec's quoting covers spaces.
fn entry(exe: &Path) -> String {
    let exe = exe
        .to_string_lossy()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!(
        "[Desktop Entry]\nType=Application\nName=Weathervane\n\
         Comment=Watches AI providers' health from the tray\n\
         Exec=\"{exe}\"\nIcon=weathervane\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
    )
}

/// Write (`on`) or remove the entry in `dir`; returns whether it is on now.
pub fn set(dir: &Path, exe: &Path, on: bool) -> Result<bool, AutostartError> {
    let path = dir.join(FILE);
    let io = |source| AutostartError::Io {
        path: path.clone(),
        source,
    };
    if on {
        std::fs::create_dir_all(dir).map_err(io)?;
        std::fs::write(&path, entry(exe)).map_err(io)?;
    } else if let Err(e) = std::fs::remove_file(&path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        return Err(io(e));
    }
    Ok(is_on(dir))
}

pub fn is_on(dir: &Path) -> bool {
    dir.join(FILE).is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_writes_an_entry_that_runs_this_binary_and_off_removes_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("autostart");
        let exe = Path::new("/opt/my apps/weathervane-tray");
        assert!(set(&dir, exe, true).unwrap());
        let text = std::fs::read_to_string(dir.join(FILE)).unwrap();
        assert!(
            text.contains("Exec=\"/opt/my apps/weathervane-tray\"\n"),
            "{text}"
        );
        assert!(text.starts_with("[Desktop Entry]\n"), "{text}");
        assert!(!set(&dir, exe, false).unwrap());
        assert!(!dir.join(FILE).exists());
        // Off twice is not an error.
        assert!(!set(&dir, exe, false).unwrap());
    }
}
