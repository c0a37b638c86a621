//! What the desktop residents share without any toolkit: the dashboard process and how the
//! resident talks to it (`child`), and what a notification says and offers (`notice`). The shells (`weathervane-desktop`, `weathervane-tray`)
//! only draw and click.

pub mod child;
pub mod notice;
