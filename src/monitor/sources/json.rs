//! Lenient accessors over `serde_json::Value`, so one odd field never sinks a whole payload.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::model::{Impact, Status};

/// A non-empty string field. Status pages send `null`, `""` and missing keys
/// interchangeably, so all three read as "absent".
pub(crate) fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An array field, empty when absent, null or of another type.
pub(crate) fn arr_at<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A timestamp field. RFC 3339 is what every platform documents; a bad value
/// reads as absent rather than failing the page.
pub(crate) fn time_at(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    str_at(v, key).and_then(parse_time)
}

pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Lower-case with only ASCII letters and digits kept, so "Under Maintenance",
/// "under_maintenance" and "UNDERMAINTENANCE" compare equal.
pub(crate) fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A component status word in any platform's spelling (Statuspage's
/// `degraded_performance`, incident.io's `full_outage`, Instatus's
/// `MAJOROUTAGE`...). An unknown word is `Unknown` for that one item.
pub(crate) fn status_word(s: &str) -> Status {
    match squash(s).as_str() {
        "operational" => Status::Operational,
        "degradedperformance" | "minoroutage" => Status::Degraded,
        "partialoutage" => Status::PartialOutage,
        "majoroutage" | "fulloutage" => Status::MajorOutage,
        "undermaintenance" | "maintenance" => Status::Maintenance,
        _ => Status::Unknown,
    }
}

/// An incident impact given as a status word. Declared but unreadable reads as
/// the mildest impact that is still a problem, so an incident is never hidden.
pub(crate) fn impact_word(s: &str) -> Impact {
    if squash(s) == "none" {
        return Impact::None;
    }
    match status_word(s) {
        Status::Operational => Impact::None,
        Status::Maintenance => Impact::Maintenance,
        Status::Degraded | Status::Unknown => Impact::Minor,
        Status::PartialOutage => Impact::Major,
        Status::MajorOutage => Impact::Critical,
    }
}

/// The kind of JSON value, for shape errors.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
