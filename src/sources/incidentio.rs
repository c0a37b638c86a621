//! incident.io native widget summary (`/api/v1/summary`).
use super::ParseError;
use crate::model::Snapshot;
pub fn parse_native(_body: &[u8]) -> Result<Snapshot, ParseError> {
    Err(ParseError::Shape {
        expected: "an incident.io widget summary",
        detail: "not implemented yet".into(),
    })
}
