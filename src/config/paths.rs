//! Where Weathervane's own files live: the config file, the data folder and the logs, from
//! the flags the user gave or the platform's defaults. Both programs (the CLI and the desktop)
//! resolve them here, so they always agree.

use std::path::{Path, PathBuf};

/// The config file, the data folder, and whether the user named the config file (then it
/// must exist; a missing default one means "the catalog alone").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locations {
    pub config: PathBuf,
    pub config_must_exist: bool,
    pub data_dir: PathBuf,
}

impl Locations {
    /// From the `--config` / `--data-dir` flags (or their env vars), else the platform defaults.
    pub fn resolve(config: Option<&Path>, data_dir: Option<&Path>) -> Locations {
        let (config, config_must_exist) = config_path(config);
        Locations {
            config,
            config_must_exist,
            data_dir: data_dir_path(data_dir),
        }
    }

    /// The history database inside the data folder.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(DB_FILE)
    }
}

/// The database's file name inside the data folder.
pub const DB_FILE: &str = "weathervane.db";

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("dev", "weathervane", "weathervane")
}

/// The named config file, or the platform default (`~/.config/weathervane/config.toml`).
pub fn config_path(named: Option<&Path>) -> (PathBuf, bool) {
    match named {
        Some(p) => (p.to_path_buf(), true),
        None => (
            project_dirs()
                .map(|d| d.config_dir().join("config.toml"))
                .unwrap_or_else(|| PathBuf::from("weathervane.toml")),
            false,
        ),
    }
}

/// The named data folder, or the platform default (`~/.local/share/weathervane`).
pub fn data_dir_path(named: Option<&Path>) -> PathBuf {
    named.map(|p| p.to_path_buf()).unwrap_or_else(|| {
        project_dirs()
            .map(|d| d.data_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".weathervane"))
    })
}

/// The platform's place for logs: `~/.local/state/weathervane/logs` on Linux.
pub fn log_dir() -> Option<PathBuf> {
    let d = project_dirs()?;
    Some(
        d.state_dir()
            .unwrap_or_else(|| d.data_local_dir())
            .join("logs"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_paths_win_and_a_named_config_must_exist() {
        let l = Locations::resolve(Some(Path::new("/x/c.toml")), Some(Path::new("/d")));
        assert_eq!(l.config, PathBuf::from("/x/c.toml"));
        assert!(l.config_must_exist);
        assert_eq!(l.db_path(), PathBuf::from("/d/weathervane.db"));
    }

    #[test]
    fn defaults_are_optional_and_under_the_platform_dirs() {
        let l = Locations::resolve(None, None);
        assert!(!l.config_must_exist);
        assert!(l.config.ends_with("config.toml") || l.config.ends_with("weathervane.toml"));
        assert_ne!(l.data_dir, PathBuf::new());
    }
}
