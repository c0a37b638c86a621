//! Keeps the display's OpenGL driver out of the tray process.
//!
//! GTK 3 opens the OpenGL driver while it opens an X display, to choose visuals for GL
//! (`gdk_x11_screen_update_visuals_for_gl`). Under Mesa that maps libLLVM and the DRI
//! driver: about 30 MiB of PSS, measured (README, "Where the tray's memory goes"). The
//! tray process draws nothing with GL (its icon and menu go to the panel over D-Bus), so
//! it asks GDK not to (`GDK_GL=disable`, read once when GTK starts). The dashboard's
//! process, which runs WebKit, is started without it, unless the user had set it.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

const VAR: &str = "GDK_GL";
static SET_HERE: AtomicBool = AtomicBool::new(false);

/// Call first thing in `main`, before any thread starts and before GTK does. Leaves a
/// `GDK_GL` the user set alone, and does nothing under WebDriver automation (the
/// dashboard then opens in this process).
pub fn keep_out_of_this_process() {
    let user_set = std::env::var_os(VAR).is_some_and(|v| !v.is_empty());
    if user_set || std::env::var_os("TAURI_WEBVIEW_AUTOMATION").is_some() {
        return;
    }
    // SAFETY: called from `main_entry` right after the arguments are parsed: no other
    // thread exists yet that could read the environment while it changes.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(VAR, "disable");
    }
    SET_HERE.store(true, Ordering::Relaxed);
}

/// A child that may draw with GL (the dashboard) gets the environment the user gave us.
pub fn restore_for_child(cmd: &mut Command) {
    if SET_HERE.load(Ordering::Relaxed) {
        cmd.env_remove(VAR);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_does_not_inherit_what_this_process_set() {
        let mut cmd = Command::new("true");
        SET_HERE.store(true, Ordering::Relaxed);
        restore_for_child(&mut cmd);
        assert!(cmd.get_envs().any(|(k, v)| k == VAR && v.is_none()));
        SET_HERE.store(false, Ordering::Relaxed);
        let mut cmd = Command::new("true");
        restore_for_child(&mut cmd);
        assert!(cmd.get_envs().next().is_none());
    }
}
