//! Which of the two desktop processes this is: the resident tray (polls, notifies, owns the
//! tray) or the dashboard started on demand (shows the window, polls nothing, and tells the
//! resident what it changed through `child`).

use weathervane::desktop::child::{FromChild, ParentLink};

pub enum Role {
    Tray,
    Dashboard(ParentLink),
}

impl Role {
    pub fn is_dashboard(&self) -> bool {
        matches!(self, Role::Dashboard(_))
    }

    /// In the dashboard process: tell the tray process. In the tray: nothing to tell.
    pub fn tell_parent(&self, msg: FromChild) {
        if let Role::Dashboard(p) = self {
            p.send(msg);
        }
    }
}
