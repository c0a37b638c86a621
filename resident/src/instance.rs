//! One resident per session: it owns a well-known D-Bus name; a second launch finds the name
//! taken, asks the first to open the dashboard, and exits.

use tokio::sync::mpsc::UnboundedSender;
use zbus::fdo::{RequestNameFlags, RequestNameReply};

pub const NAME: &str = "dev.weathervane.Resident";
const PATH: &str = "/dev/weathervane/Resident";
const IFACE: &str = "dev.weathervane.Resident1";

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("cannot reach the session bus: {0}")]
    Bus(#[from] zbus::Error),
    #[error("cannot claim {NAME} on the session bus: {0}")]
    Name(#[from] zbus::fdo::Error),
}

/// Another resident got a second launch: show the dashboard.
pub struct Wake;

struct Resident {
    wake: UnboundedSender<Wake>,
}

#[zbus::interface(name = "dev.weathervane.Resident1")]
impl Resident {
    /// A second launch asks for the dashboard.
    fn open_dashboard(&self) {
        let _ = self.wake.send(Wake);
    }
}

pub enum Claim {
    /// We are the one: keep the connection (it holds the name) for the process's life.
    First(zbus::Connection),
    /// One runs already, and was asked to open its dashboard.
    Second,
}

/// Take the name, or wake the resident that has it.
pub async fn claim(wake: UnboundedSender<Wake>) -> Result<Claim, InstanceError> {
    let conn = zbus::connection::Builder::session()?
        .serve_at(PATH, Resident { wake })?
        .build()
        .await?;
    let reply = zbus::fdo::DBusProxy::new(&conn)
        .await?
        .request_name(
            NAME.try_into().map_err(zbus::Error::from)?,
            RequestNameFlags::DoNotQueue.into(),
        )
        .await?;
    match reply {
        RequestNameReply::PrimaryOwner | RequestNameReply::AlreadyOwner => Ok(Claim::First(conn)),
        RequestNameReply::Exists | RequestNameReply::InQueue => {
            conn.call_method(Some(NAME), PATH, Some(IFACE), "OpenDashboard", &())
                .await?;
            Ok(Claim::Second)
        }
    }
}
