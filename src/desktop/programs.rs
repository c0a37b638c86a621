//! Where our other programs are: the resident starts the dashboard program, and the
//! dashboard names the resident in the autostart entry. Beside the running binary first
//! (`target/release/`, `/usr/bin/`, an unpacked folder), then on PATH.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The dashboard (and, off Linux, the tray): Tauri.
pub const DESKTOP: &str = "weathervane-desktop";
/// The Linux resident: no toolkit.
pub const RESIDENT: &str = "weathervane-tray";

/// `name` beside this process's executable, else on PATH.
pub fn find(name: &str) -> Option<PathBuf> {
    let own = std::env::current_exe().ok();
    find_in(name, own.as_deref(), std::env::var_os("PATH").as_deref())
}

/// `name` beside `own_exe`, else in the first folder of `path` (a PATH value) that has it.
pub fn find_in(name: &str, own_exe: Option<&Path>, path: Option<&OsStr>) -> Option<PathBuf> {
    let beside = own_exe
        .and_then(Path::parent)
        .map(|dir| dir.join(name))
        .filter(|p| is_program(p));
    beside.or_else(|| {
        std::env::split_paths(path?)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join(name))
            .find(|p| is_program(p))
    })
}

#[cfg(unix)]
fn is_program(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_program(p: &Path) -> bool {
    p.is_file()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn program(path: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
        std::fs::write(path, "#!/bin/sh\n")?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
    }

    #[test]
    fn beside_this_binary_first_then_path_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let own = tmp.path().join("release").join("weathervane-tray");
        let bin1 = tmp.path().join("bin1");
        let bin2 = tmp.path().join("bin2");
        let path = std::env::join_paths([&bin1, &bin2]).unwrap();
        assert_eq!(find_in(DESKTOP, Some(&own), Some(&path)), None);

        program(&bin2.join(DESKTOP)).unwrap();
        assert_eq!(
            find_in(DESKTOP, Some(&own), Some(&path)),
            Some(bin2.join(DESKTOP))
        );
        program(&bin1.join(DESKTOP)).unwrap();
        assert_eq!(
            find_in(DESKTOP, Some(&own), Some(&path)),
            Some(bin1.join(DESKTOP))
        );
        program(&own.with_file_name(DESKTOP)).unwrap();
        assert_eq!(
            find_in(DESKTOP, Some(&own), Some(&path)),
            Some(own.with_file_name(DESKTOP))
        );
        // Without a known executable, PATH alone.
        assert_eq!(
            find_in(DESKTOP, None, Some(&path)),
            Some(bin1.join(DESKTOP))
        );
    }

    #[test]
    fn not_a_program_and_relative_path_entries_are_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let own = tmp.path().join("release").join("weathervane-desktop");
        // Beside, but not executable (a leftover, a download without its mode).
        std::fs::create_dir_all(own.parent().unwrap()).unwrap();
        std::fs::write(own.with_file_name(RESIDENT), "").unwrap();
        // A folder of that name on PATH is not a program either.
        let bin = tmp.path().join("bin");
        std::fs::create_dir_all(bin.join(RESIDENT)).unwrap();
        let path = std::env::join_paths([Path::new("relative"), &bin]).unwrap();
        assert_eq!(find_in(RESIDENT, Some(&own), Some(&path)), None);
        assert_eq!(find_in(RESIDENT, Some(&own), None), None);
    }
}
