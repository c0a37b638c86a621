//! The tray icon and its menu, rebuilt from the core's overview whenever a poll lands.

use chrono::Utc;
use tauri::image::Image;
use tauri::menu::{CheckMenuItemBuilder, Menu, MenuBuilder, MenuItemBuilder, SubmenuBuilder};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Runtime};
use weathervane::model::Status;
use weathervane::switch::assistants::{AssistantView, Offer};
use weathervane::switch::profiles::AssistantId;
use weathervane::views::actions::Action;
use weathervane::views::dashboard::{self, Overview};

pub const TRAY_ID: &str = "main";

/// Component lines per provider submenu before the rest is summed up.
const MAX_COMPONENT_LINES: usize = 8;

macro_rules! tray_png {
    ($name:literal) => {
        include_bytes!(concat!("../../icons/tray/tray-", $name, "-32.png"))
    };
}

/// The PNG for a status, with the "switched to a fallback" badge or without.
fn icon_bytes(status: Status, switched: bool) -> &'static [u8] {
    match (status, switched) {
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

fn icon(status: Status, switched: bool) -> tauri::Result<Image<'static>> {
    Image::from_bytes(icon_bytes(status, switched))
}

/// Create the tray with a "starting" menu; [`update`] fills it in.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let menu = build_menu(app, None)?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(Status::Unknown, false)?)
        .tooltip("Weathervane: checking…")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| match Action::parse(event.id().as_ref()) {
            Some(action) => crate::pump::run(app, action),
            None => tracing::debug!(id = event.id().as_ref(), "a menu item with no action"),
        })
        .build(app)?;
    Ok(())
}

/// What the tray shows for one overview, worked out once: the tooltip text feeds the
/// signature, the tooltip and the menu's first lines.
pub struct View<'a> {
    pub overview: &'a Overview,
    pub assistants: &'a [AssistantView],
    /// Assistants switched to a fallback (the icon's badge).
    pub switched: Vec<AssistantId>,
    /// [`dashboard::tooltip`] as of now.
    pub tip: String,
}

impl<'a> View<'a> {
    pub fn new(overview: &'a Overview, assistants: &'a [AssistantView]) -> View<'a> {
        View {
            overview,
            assistants,
            switched: assistants
                .iter()
                .filter(|a| a.open_switch.is_some())
                .map(|a| a.id)
                .collect(),
            tip: dashboard::tooltip(overview, Utc::now()),
        }
    }

    /// The assistants the tray offers to switch: installed or configured, and switchable.
    fn switchable(&self) -> impl Iterator<Item = &AssistantView> {
        self.assistants
            .iter()
            .filter(|a| a.switchable && a.detected())
    }
}

/// Everything the tray shows, as text: when it has not changed, the tray is left alone.
/// Rebuilding a menu costs GTK and D-Bus work, and most polls change nothing visible.
pub fn signature(v: &View<'_>) -> String {
    let (o, switched) = (v.overview, &v.switched);
    let mut sig = format!(
        "{:?}|{:?}|{}|{}",
        dashboard::tray_status(o),
        switched,
        o.paused_until.is_some(),
        v.tip
    );
    for p in &o.providers {
        sig.push_str(&format!(
            "|{}:{:?}:{:?}:{:?}:{:?}",
            p.id,
            p.status,
            p.reason,
            p.measured.as_ref().map(|m| m.status),
            p.sessions.as_ref().map(|s| (&s.summary, &s.account_notice))
        ));
        for c in p.components.iter().filter(|c| c.watched) {
            sig.push_str(&format!(",{}={:?}", c.name, c.status));
        }
        for i in &p.incidents {
            sig.push_str(&format!(",!{}", i.title));
        }
    }
    for a in v.switchable() {
        sig.push_str(&format!(
            "|{}:{}:{:?}:{:?}",
            a.id,
            a.title(),
            a.open_switch.as_ref().map(|o| &o.from_profile),
            a.profiles.iter().map(|p| &p.id).collect::<Vec<_>>()
        ));
    }
    sig
}

/// Bring icon, tooltip and menu up to date.
pub fn update<R: Runtime>(app: &AppHandle<R>, v: &View<'_>) -> tauri::Result<()> {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return Ok(());
    };
    let (o, switched) = (v.overview, &v.switched);
    let status = dashboard::tray_status(o);
    tray.set_icon(Some(icon(status, !switched.is_empty())?))?;
    let mut tip = v.tip.clone();
    if !switched.is_empty() {
        let names: Vec<_> = switched.iter().map(|a| a.label()).collect();
        tip.push_str(&format!("\nSwitched to a fallback: {}", names.join(", ")));
    }
    // Linux panels show no tooltips for StatusNotifierItems; the menu's first line says it there.
    tray.set_tooltip(Some(&tip))?;
    let menu = build_menu(app, Some(v))?;
    tray.set_menu(Some(menu))?;
    Ok(())
}

/// "Claude Code: Anthropic (direct) ▸" with its profiles (the active one ticked) and
/// "Switch back" while a switch is open.
fn assistant_menu<R: Runtime>(
    app: &AppHandle<R>,
    a: &AssistantView,
) -> tauri::Result<tauri::menu::Submenu<R>> {
    let mut sub = SubmenuBuilder::new(app, a.title());
    if let Some(problem) = &a.problem {
        sub = sub.item(&MenuItemBuilder::new(problem).enabled(false).build(app)?);
    }
    for p in &a.profiles {
        let active = a.active_profile.as_deref() == Some(p.id.as_str());
        let offer = Offer {
            assistant: a.id,
            profile: Some(p.id.clone()),
            label: String::new(),
        };
        sub = sub.item(
            &CheckMenuItemBuilder::with_id(offer.action_id(), &p.name)
                .checked(active)
                .enabled(!active && a.problem.is_none())
                .build(app)?,
        );
    }
    if let Some(open) = &a.open_switch {
        let back = Offer {
            assistant: a.id,
            profile: None,
            label: String::new(),
        };
        let to = open
            .from_profile
            .as_deref()
            .and_then(|id| a.profile(id))
            .map_or_else(|| "the previous setup".to_string(), |p| p.name.clone());
        sub = sub.separator().item(
            &MenuItemBuilder::with_id(back.action_id(), format!("Switch back to {to}"))
                .build(app)?,
        );
    }
    sub.build()
}

fn build_menu<R: Runtime>(app: &AppHandle<R>, v: Option<&View<'_>>) -> tauri::Result<Menu<R>> {
    let mut menu = MenuBuilder::new(app);
    let paused = v.is_some_and(|v| v.overview.paused_until.is_some());
    match v {
        None => {
            menu = menu.item(
                &MenuItemBuilder::with_id("summary", "Checking status pages…")
                    .enabled(false)
                    .build(app)?,
            );
        }
        Some(v) => {
            let o = v.overview;
            for line in v.tip.lines().skip(1) {
                menu = menu.item(&MenuItemBuilder::new(line).enabled(false).build(app)?);
            }
            for a in v.assistants.iter().filter(|a| a.open_switch.is_some()) {
                let to = a
                    .active_profile
                    .as_deref()
                    .and_then(|id| a.profile(id))
                    .map_or("a fallback", |p| p.name.as_str());
                menu = menu.item(
                    &MenuItemBuilder::new(format!("{} is switched to {to}", a.name))
                        .enabled(false)
                        .build(app)?,
                );
            }
            menu = menu.separator();
            for p in &o.providers {
                let measured = p
                    .measured
                    .as_ref()
                    .filter(|m| m.status.is_problem())
                    .map(|m| format!(" · measured {}", m.status.label().to_lowercase()))
                    .unwrap_or_default();
                let measured = match p.sessions.as_ref().filter(|s| s.status.is_problem()) {
                    Some(s) => format!(
                        "{measured} · your sessions {}",
                        s.status.label().to_lowercase()
                    ),
                    None => measured,
                };
                let mut sub =
                    SubmenuBuilder::new(app, format!("{}: {}{measured}", p.name, p.status.label()));
                if let Some(s) = &p.sessions {
                    // "Your sessions: 7 failed calls (529) in 3 min, 2 sessions", or the
                    // user's own limit, for what it is.
                    if s.errors > 0 {
                        sub = sub.item(
                            &MenuItemBuilder::new(format!("Your sessions: {}", s.summary))
                                .enabled(false)
                                .build(app)?,
                        );
                    }
                    if let Some(n) = &s.account_notice {
                        sub = sub.item(&MenuItemBuilder::new(n).enabled(false).build(app)?);
                    }
                }
                let watched: Vec<_> = p.components.iter().filter(|c| c.watched).collect();
                if watched.is_empty() {
                    let why = p
                        .reason
                        .clone()
                        .unwrap_or_else(|| "No components reported".into());
                    sub = sub.item(&MenuItemBuilder::new(why).enabled(false).build(app)?);
                }
                // Problems first; a long list of healthy components is summed up in one line.
                let (bad, good): (Vec<_>, Vec<_>) = watched
                    .into_iter()
                    .partition(|c| c.status != Status::Operational);
                let room = MAX_COMPONENT_LINES.saturating_sub(bad.len());
                for c in bad.iter().chain(good.iter().take(room)) {
                    sub = sub.item(
                        &MenuItemBuilder::new(format!("{}: {}", c.name, c.status.label()))
                            .enabled(false)
                            .build(app)?,
                    );
                }
                if good.len() > room {
                    sub = sub.item(
                        &MenuItemBuilder::new(format!("{} more operational", good.len() - room))
                            .enabled(false)
                            .build(app)?,
                    );
                }
                for i in &p.incidents {
                    sub = sub.item(
                        &MenuItemBuilder::new(format!("Incident: {}", i.title))
                            .enabled(false)
                            .build(app)?,
                    );
                }
                sub = sub.separator().item(
                    &MenuItemBuilder::with_id(
                        Action::OpenStatusPage(p.id.clone()).id(),
                        "Open status page",
                    )
                    .enabled(p.url.is_some())
                    .build(app)?,
                );
                menu = menu.item(&sub.build()?);
            }
            let mut first = true;
            for a in v.switchable() {
                if std::mem::take(&mut first) {
                    menu = menu.separator();
                }
                menu = menu.item(&assistant_menu(app, a)?);
            }
        }
    }
    let pause_label = if paused {
        "Resume notifications"
    } else {
        "Pause notifications for 1 hour"
    };
    menu.separator()
        .item(&MenuItemBuilder::with_id(Action::Refresh.id(), "Refresh now").build(app)?)
        .item(&MenuItemBuilder::with_id(Action::TogglePause.id(), pause_label).build(app)?)
        .item(&MenuItemBuilder::with_id(Action::OpenDashboard.id(), "Open dashboard").build(app)?)
        .separator()
        .item(&MenuItemBuilder::with_id(Action::Quit.id(), "Quit").build(app)?)
        .build()
}
