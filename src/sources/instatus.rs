//! Instatus (`/summary.json`).
use super::ParseError;
use crate::model::Snapshot;
pub fn parse(_body: &[u8]) -> Result<Snapshot, ParseError> {
    Err(ParseError::Shape {
        expected: "an Instatus summary",
        detail: "not implemented yet".into(),
    })
}
