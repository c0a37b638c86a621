//! RSS 2.0 / Atom feeds: recent items that are not resolutions mark open incidents.
use super::{ParseContext, ParseError};
use crate::model::Snapshot;
pub fn parse(_body: &[u8], _ctx: &ParseContext<'_>) -> Result<Snapshot, ParseError> {
    Err(ParseError::Feed("not implemented yet".into()))
}
