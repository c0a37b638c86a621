//! The desktop around us: web pages in the user's browser, start at login. (The icon file
//! notification daemons want is core `desktop::notice::write_icon`.)

use tauri::{AppHandle, Runtime};
#[cfg(target_os = "linux")]
use weathervane::desktop::{autostart, programs};
use weathervane::runtime::AppError;

/// Only web pages leave the app, in the user's browser.
pub fn open_url(url: &str) -> Result<(), AppError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(AppError::input(format!("not a web address: {url}")));
    }
    tauri_plugin_opener::open_url(url, None::<&str>)
        .map_err(|e| AppError::system(format!("cannot open {url}: {e}")))
}

/// Start at login. On Linux the resident that starts is `weathervane-tray`: the same XDG
/// entry as `weathervane-tray --autostart on|off` (`weathervane::desktop::autostart`).
#[cfg(target_os = "linux")]
pub fn autostart_enabled<R: Runtime>(_app: &AppHandle<R>) -> bool {
    autostart::dir().is_ok_and(|d| autostart::is_on(&d))
}

#[cfg(target_os = "linux")]
pub fn set_autostart<R: Runtime>(_app: &AppHandle<R>, on: bool) -> Result<bool, AppError> {
    let dir = autostart::dir().map_err(|e| AppError::system(e.to_string()))?;
    let done = if on {
        let exe = programs::find(programs::RESIDENT).ok_or_else(|| {
            AppError::system(format!(
                "cannot start at login: {} is neither beside this program nor on PATH",
                programs::RESIDENT
            ))
        })?;
        autostart::enable(&dir, &exe)
    } else {
        autostart::disable(&dir)
    };
    done.map_err(|e| AppError::system(format!("cannot change autostart: {e}")))?;
    Ok(autostart::is_on(&dir))
}

/// Elsewhere `weathervane-desktop` is the resident: tauri-plugin-autostart starts it.
#[cfg(not(target_os = "linux"))]
pub fn autostart_enabled<R: Runtime>(app: &AppHandle<R>) -> bool {
    use tauri::Manager;
    use tauri_plugin_autostart::ManagerExt;
    app.try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .is_some()
        && app.autolaunch().is_enabled().unwrap_or(false)
}

#[cfg(not(target_os = "linux"))]
pub fn set_autostart<R: Runtime>(app: &AppHandle<R>, on: bool) -> Result<bool, AppError> {
    use tauri::Manager;
    use tauri_plugin_autostart::ManagerExt;
    if app
        .try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .is_none()
    {
        return Err(AppError::system("autostart is not available here"));
    }
    let a = app.autolaunch();
    let r = if on { a.enable() } else { a.disable() };
    r.map_err(|e| AppError::system(format!("cannot change autostart: {e}")))?;
    a.is_enabled()
        .map_err(|e| AppError::system(format!("cannot read autostart: {e}")))
}
