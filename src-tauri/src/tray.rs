//! The tray drawn with Tauri's tray API from the core's model (`views::menu`): the tray of
//! `weathervane-desktop` on macOS and Windows (compile-checked only; the Linux resident
//! draws the same model over StatusNotifierItem).

use tauri::image::Image;
use tauri::menu::{
    CheckMenuItemBuilder, IsMenuItem, Menu, MenuItemBuilder, MenuItemKind, PredefinedMenuItem,
    Submenu,
};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Runtime};
use weathervane::model::Status;
use weathervane::views::actions::Action;
use weathervane::views::menu::{self, Entry, Tray, TrayIcon};

pub const TRAY_ID: &str = "main";

macro_rules! tray_png {
    ($name:literal) => {
        include_bytes!(concat!("../../icons/tray/tray-", $name, "-32.png"))
    };
}

/// The PNG for a status, with the "switched to a fallback" badge or without.
fn icon_bytes(icon: TrayIcon) -> &'static [u8] {
    match (icon.status, icon.switched) {
        (Status::Operational, false) => tray_png!("operational"),
        (Status::Maintenance, false) => tray_png!("maintenance"),
        (Status::Degraded, false) => tray_png!("degraded"),
        (Status::PartialOutage, false) => tray_png!("partial_outage"),
        (Status::MajorOutage, false) => tray_png!("major_outage"),
        (Status::Unknown, false) => tray_png!("unknown"),
        (Status::Operational, true) => tray_png!("operational-switched"),
        (Status::Maintenance, true) => tray_png!("maintenance-switched"),
        (Status::Degraded, true) => tray_png!("degraded-switched"),
        (Status::PartialOutage, true) => tray_png!("partial_outage-switched"),
        (Status::MajorOutage, true) => tray_png!("major_outage-switched"),
        (Status::Unknown, true) => tray_png!("unknown-switched"),
    }
}

fn icon(icon: TrayIcon) -> tauri::Result<Image<'static>> {
    Image::from_bytes(icon_bytes(icon))
}

/// Create the tray with the "checking" model; [`update`] fills it in.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let start = menu::starting();
    let built = build_menu(app, &start.menu)?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(start.icon)?)
        .tooltip(&start.tooltip)
        .menu(&built)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| match Action::parse(event.id().as_ref()) {
            Some(action) => crate::pump::run(app, action),
            None => tracing::debug!(id = event.id().as_ref(), "a menu item with no action"),
        })
        .build(app)?;
    Ok(())
}

/// Bring icon, tooltip and menu up to date with the model.
pub fn update<R: Runtime>(app: &AppHandle<R>, model: &Tray) -> tauri::Result<()> {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return Ok(());
    };
    tray.set_icon(Some(icon(model.icon)?))?;
    tray.set_tooltip(Some(&model.tooltip))?;
    tray.set_menu(Some(build_menu(app, &model.menu)?))?;
    Ok(())
}

fn build_menu<R: Runtime>(app: &AppHandle<R>, entries: &[Entry]) -> tauri::Result<Menu<R>> {
    let items = items(app, entries)?;
    Menu::with_items(app, &refs(&items))
}

fn refs<R: Runtime>(items: &[MenuItemKind<R>]) -> Vec<&dyn IsMenuItem<R>> {
    items.iter().map(|i| i as &dyn IsMenuItem<R>).collect()
}

/// Tauri menu items for model entries; an item's id is its action's id, so a click comes
/// back as the same typed [`Action`].
fn items<R: Runtime>(app: &AppHandle<R>, entries: &[Entry]) -> tauri::Result<Vec<MenuItemKind<R>>> {
    entries
        .iter()
        .map(|e| {
            Ok(match e {
                Entry::Separator => MenuItemKind::Predefined(PredefinedMenuItem::separator(app)?),
                Entry::Submenu { label, entries } => {
                    let kids = items(app, entries)?;
                    MenuItemKind::Submenu(Submenu::with_items(app, label, true, &refs(&kids))?)
                }
                Entry::Item(i) => match (i.checked, &i.action) {
                    (Some(checked), Some(a)) => MenuItemKind::Check(
                        CheckMenuItemBuilder::with_id(a.id(), &i.label)
                            .checked(checked)
                            .enabled(i.enabled)
                            .build(app)?,
                    ),
                    (Some(checked), None) => MenuItemKind::Check(
                        CheckMenuItemBuilder::new(&i.label)
                            .checked(checked)
                            .enabled(i.enabled)
                            .build(app)?,
                    ),
                    (None, Some(a)) => MenuItemKind::MenuItem(
                        MenuItemBuilder::with_id(a.id(), &i.label)
                            .enabled(i.enabled)
                            .build(app)?,
                    ),
                    (None, None) => MenuItemKind::MenuItem(
                        MenuItemBuilder::new(&i.label)
                            .enabled(i.enabled)
                            .build(app)?,
                    ),
                },
            })
        })
        .collect()
}
