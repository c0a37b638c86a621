//! The tray over StatusNotifierItem + dbusmenu (ksni, pure zbus): draws the core's menu
//! model and sends clicks back as typed actions. No host on the bus is survivable: ksni
//! waits for a StatusNotifierWatcher and registers when one appears.

use tokio::sync::mpsc::UnboundedSender;
use weathervane::views::actions::Action;
use weathervane::views::menu::{self, Entry, Tray};

use crate::icons;

/// What the tray tells the resident.
#[derive(Debug)]
pub enum FromTray {
    Click(Action),
    /// No StatusNotifierWatcher (no panel shows trays): said once to the user.
    NoHost,
    /// A watcher took the item.
    HostOnline,
}

pub struct SniTray {
    model: Tray,
    pixmaps: Vec<ksni::Icon>,
    to_app: UnboundedSender<FromTray>,
}

impl SniTray {
    pub fn new(to_app: UnboundedSender<FromTray>) -> SniTray {
        let mut t = SniTray {
            model: menu::starting(),
            pixmaps: Vec::new(),
            to_app,
        };
        t.pixmaps = load(&t.model);
        t
    }

    /// Show a new model; returns false when it equals the one shown (nothing to send).
    pub fn set(&mut self, model: Tray) -> bool {
        if model == self.model {
            return false;
        }
        let icon_changed = model.icon != self.model.icon;
        self.model = model;
        if icon_changed {
            self.pixmaps = load(&self.model);
        }
        true
    }

    fn send(&self, msg: FromTray) {
        // The receiver only goes away while the resident quits.
        let _ = self.to_app.send(msg);
    }
}

fn load(model: &Tray) -> Vec<ksni::Icon> {
    icons::pixmaps(model.icon).unwrap_or_else(|e| {
        tracing::error!("{e}");
        Vec::new()
    })
}

impl ksni::Tray for SniTray {
    // A left click opens the menu, as the Tauri tray does.
    const MENU_ON_ACTIVATE: bool = true;

    fn id(&self) -> String {
        "weathervane".into()
    }

    fn title(&self) -> String {
        "Weathervane".into()
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        self.pixmaps.clone()
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        let (title, description) = self
            .model
            .tooltip
            .split_once('\n')
            .unwrap_or((self.model.tooltip.as_str(), ""));
        ksni::ToolTip {
            title: title.into(),
            description: description.into(),
            icon_name: String::new(),
            icon_pixmap: Vec::new(),
        }
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        items(&self.model.menu)
    }

    fn watcher_online(&self) {
        self.send(FromTray::HostOnline);
    }

    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        tracing::info!(?reason, "no StatusNotifierWatcher: the tray waits for one");
        self.send(FromTray::NoHost);
        // Keep the service: it registers as soon as a watcher appears.
        true
    }
}

/// Labels go through dbusmenu, where `_` marks a mnemonic: double it to show it.
fn label(s: &str) -> String {
    s.replace('_', "__")
}

fn items(entries: &[Entry]) -> Vec<ksni::MenuItem<SniTray>> {
    use ksni::menu::{CheckmarkItem, StandardItem, SubMenu};
    entries
        .iter()
        .map(|e| match e {
            Entry::Separator => ksni::MenuItem::Separator,
            Entry::Submenu { label: l, entries } => SubMenu {
                label: label(l),
                submenu: items(entries),
                ..Default::default()
            }
            .into(),
            Entry::Item(i) => {
                let action = i.action.clone();
                let activate = Box::new(move |t: &mut SniTray| {
                    if let Some(a) = &action {
                        t.send(FromTray::Click(a.clone()));
                    }
                });
                match i.checked {
                    Some(checked) => CheckmarkItem {
                        label: label(&i.label),
                        enabled: i.enabled,
                        checked,
                        activate,
                        ..Default::default()
                    }
                    .into(),
                    None => StandardItem {
                        label: label(&i.label),
                        enabled: i.enabled,
                        activate,
                        ..Default::default()
                    }
                    .into(),
                }
            }
        })
        .collect()
}
