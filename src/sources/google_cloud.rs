//! Google Cloud `incidents.json` (a bare array), filtered by product.
use super::{ParseContext, ParseError};
use crate::model::Snapshot;
pub fn parse(_body: &[u8], _ctx: &ParseContext<'_>) -> Result<Snapshot, ParseError> {
    Err(ParseError::Shape {
        expected: "a Google Cloud incidents list",
        detail: "not implemented yet".into(),
    })
}
