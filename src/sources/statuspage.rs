//! Atlassian Statuspage v2 (`/api/v2/summary.json`), also served by incident.io pages.
use super::ParseError;
use crate::model::Snapshot;
pub fn parse(_body: &[u8]) -> Result<Snapshot, ParseError> {
    Err(ParseError::Shape {
        expected: "a Statuspage v2 summary",
        detail: "not implemented yet".into(),
    })
}
