//! What the desktop residents share without any toolkit: the dashboard process and how the
//! resident talks to it (`child`), what a notification says and offers (`notice`), start at
//! login on Linux (`autostart`) and where our other programs are (`programs`). The shells
//! (`weathervane-desktop`, `weathervane-tray`) only draw and click.

pub mod autostart;
pub mod child;
pub mod notice;
pub mod programs;
