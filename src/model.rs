//! The normalised model every status source maps into and every consumer reads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Health of a component or provider.
///
/// The declaration order is the severity order (worst last) for the five known
/// states; `Unknown` means "no fresh data" and is never treated as an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Operational,
    Maintenance,
    Degraded,
    PartialOutage,
    MajorOutage,
    Unknown,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Operational,
        Status::Maintenance,
        Status::Degraded,
        Status::PartialOutage,
        Status::MajorOutage,
        Status::Unknown,
    ];

    /// Severity rank of a known status (0 = operational .. 4 = major outage).
    /// `None` for `Unknown`, which is not comparable with the others.
    pub fn severity(self) -> Option<u8> {
        match self {
            Status::Operational => Some(0),
            Status::Maintenance => Some(1),
            Status::Degraded => Some(2),
            Status::PartialOutage => Some(3),
            Status::MajorOutage => Some(4),
            Status::Unknown => None,
        }
    }

    /// Degraded, partial or major outage: the states a user is warned about.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Status::Degraded | Status::PartialOutage | Status::MajorOutage
        )
    }

    /// Worse of two statuses. A known status wins over `Unknown`, so one
    /// unreadable component does not hide a real outage elsewhere.
    pub fn worse(self, other: Status) -> Status {
        match (self.severity(), other.severity()) {
            (Some(a), Some(b)) => {
                if b > a {
                    other
                } else {
                    self
                }
            }
            (Some(_), None) => self,
            (None, _) => other,
        }
    }

    /// Worst of many; `Unknown` when there is nothing known at all.
    pub fn worst<I: IntoIterator<Item = Status>>(it: I) -> Status {
        it.into_iter().fold(Status::Unknown, Status::worse)
    }

    /// Stable integer code used by the store (never renumber: it is on disk).
    pub fn code(self) -> i64 {
        match self {
            Status::Operational => 0,
            Status::Maintenance => 1,
            Status::Degraded => 2,
            Status::PartialOutage => 3,
            Status::MajorOutage => 4,
            Status::Unknown => 5,
        }
    }

    pub fn from_code(code: i64) -> Status {
        match code {
            0 => Status::Operational,
            1 => Status::Maintenance,
            2 => Status::Degraded,
            3 => Status::PartialOutage,
            4 => Status::MajorOutage,
            _ => Status::Unknown,
        }
    }

    /// The spelling used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Operational => "operational",
            Status::Maintenance => "maintenance",
            Status::Degraded => "degraded",
            Status::PartialOutage => "partial_outage",
            Status::MajorOutage => "major_outage",
            Status::Unknown => "unknown",
        }
    }

    /// Words for people: the tray, notifications, the CLI and the dashboard say the same.
    pub fn label(self) -> &'static str {
        match self {
            Status::Operational => "Operational",
            Status::Maintenance => "Maintenance",
            Status::Degraded => "Degraded performance",
            Status::PartialOutage => "Partial outage",
            Status::MajorOutage => "Major outage",
            Status::Unknown => "Unknown",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Impact an incident declares, normalised across platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    None,
    Maintenance,
    Minor,
    Major,
    Critical,
}

impl Impact {
    /// The status an incident of this impact implies for what it affects.
    pub fn status(self) -> Status {
        match self {
            Impact::None => Status::Operational,
            Impact::Maintenance => Status::Maintenance,
            Impact::Minor => Status::Degraded,
            Impact::Major => Status::PartialOutage,
            Impact::Critical => Status::MajorOutage,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Maintenance => "maintenance",
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
        }
    }
}

/// Where an incident or maintenance is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Postmortem,
    Scheduled,
    InProgress,
    Verifying,
    Completed,
}

impl IncidentStatus {
    /// Over: resolved, postmortem or a completed maintenance.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            IncidentStatus::Resolved | IncidentStatus::Postmortem | IncidentStatus::Completed
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Identified => "identified",
            IncidentStatus::Monitoring => "monitoring",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Postmortem => "postmortem",
            IncidentStatus::Scheduled => "scheduled",
            IncidentStatus::InProgress => "in_progress",
            IncidentStatus::Verifying => "verifying",
            IncidentStatus::Completed => "completed",
        }
    }

    /// Parse any platform's spelling ("in_progress", "In Progress", "INVESTIGATING",
    /// "postmortem"); `None` for a word we do not know.
    pub fn parse_loose(s: &str) -> Option<IncidentStatus> {
        let norm: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Some(match norm.as_str() {
            "investigating" => IncidentStatus::Investigating,
            "identified" => IncidentStatus::Identified,
            "monitoring" => IncidentStatus::Monitoring,
            "resolved" | "mitigated" => IncidentStatus::Resolved,
            "postmortem" => IncidentStatus::Postmortem,
            "scheduled" | "notstartedyet" => IncidentStatus::Scheduled,
            "inprogress" => IncidentStatus::InProgress,
            "verifying" => IncidentStatus::Verifying,
            "completed" => IncidentStatus::Completed,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    Incident,
    Maintenance,
}

/// One update posted on an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentUpdate {
    pub at: DateTime<Utc>,
    pub status: IncidentStatus,
    pub body: String,
}

/// An incident or maintenance as a source reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// The platform's id (ULID for incident.io, short code for Statuspage, ...).
    pub id: String,
    pub kind: IncidentKind,
    pub title: String,
    pub impact: Impact,
    pub status: IncidentStatus,
    /// When it started; some sources (incident.io) do not say, then `None`.
    pub started_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub url: Option<String>,
    /// Ids of the components it affects (may be empty: the source does not say).
    pub components: Vec<String>,
    /// Newest first.
    pub updates: Vec<IncidentUpdate>,
}

impl Incident {
    pub fn is_open(&self) -> bool {
        !self.status.is_closed() && self.resolved_at.is_none()
    }
}

/// A component as the source reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub id: String,
    pub name: String,
    pub status: Status,
    /// Name of the group it sits in on the page, if any.
    pub group: Option<String>,
}

/// Everything one fetch of one source told us, already normalised.
/// Adapters produce this; they know nothing about what the user watches
/// (see [`crate::monitor::state`] for that), except sources that have no components of
/// their own and synthesise them from incidents.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// The page's own overall indicator, when it has one.
    pub page_status: Option<Status>,
    pub components: Vec<Component>,
    /// Incidents and maintenances, open ones first is not guaranteed.
    pub incidents: Vec<Incident>,
}

/// Component as shown to the user: with whether they watch it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ComponentState {
    pub id: String,
    pub name: String,
    pub status: Status,
    pub watched: bool,
}

/// Incident as listed in the state (the `--json` contract's fields plus kind).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentSummary {
    pub id: String,
    pub title: String,
    pub impact: Impact,
    pub status: IncidentStatus,
    pub kind: IncidentKind,
    pub started_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub url: Option<String>,
    /// The newest update's text, if any.
    pub latest_update: Option<String>,
}

impl From<&Incident> for IncidentSummary {
    fn from(i: &Incident) -> Self {
        IncidentSummary {
            id: i.id.clone(),
            title: i.title.clone(),
            impact: i.impact,
            status: i.status,
            kind: i.kind,
            started_at: i.started_at,
            resolved_at: i.resolved_at,
            url: i.url.clone(),
            latest_update: i.updates.first().map(|u| u.body.clone()),
        }
    }
}

/// Why a fetch produced no usable data. Stored as its `as_str()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    Timeout,
    Dns,
    Connect,
    Tls,
    HttpStatus,
    TooLarge,
    Redirect,
    InsecureUrl,
    Parse,
    Other,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Timeout => "timeout",
            ErrorClass::Dns => "dns",
            ErrorClass::Connect => "connect",
            ErrorClass::Tls => "tls",
            ErrorClass::HttpStatus => "http_status",
            ErrorClass::TooLarge => "too_large",
            ErrorClass::Redirect => "redirect",
            ErrorClass::InsecureUrl => "insecure_url",
            ErrorClass::Parse => "parse",
            ErrorClass::Other => "other",
        }
    }

    pub fn parse(s: &str) -> ErrorClass {
        match s {
            "timeout" => ErrorClass::Timeout,
            "dns" => ErrorClass::Dns,
            "connect" => ErrorClass::Connect,
            "tls" => ErrorClass::Tls,
            "http_status" => ErrorClass::HttpStatus,
            "too_large" => ErrorClass::TooLarge,
            "redirect" => ErrorClass::Redirect,
            "insecure_url" => ErrorClass::InsecureUrl,
            "parse" => ErrorClass::Parse,
            _ => ErrorClass::Other,
        }
    }
}

/// The result of one poll of one provider, as stored and as fed to the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub provider_id: String,
    pub at: DateTime<Utc>,
    /// Provider status derived from the watched components (Unknown on failure).
    pub status: Status,
    pub source_ok: bool,
    pub http_status: Option<u16>,
    pub latency_ms: Option<u32>,
    pub error: Option<ErrorClass>,
    /// Human-readable reason when `source_ok` is false.
    pub reason: Option<String>,
    /// Watched names/ids the source no longer lists (renamed or removed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_watched: Vec<String>,
    /// Every component's status (watched or not), empty on failure.
    pub components: Vec<ComponentState>,
    /// Incidents the source reported in this fetch.
    pub incidents: Vec<Incident>,
}

/// A provider's current state, what `status --json` prints per provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderState {
    pub id: String,
    pub name: String,
    pub status: Status,
    pub source_ok: bool,
    pub checked_at: Option<DateTime<Utc>>,
    /// Why the source failed or why the data is stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Watched names/ids the source no longer lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_watched: Vec<String>,
    pub components: Vec<ComponentState>,
    pub incidents: Vec<IncidentSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What Weathervane's own probes measure, for providers the user probes
    /// (beside `status`, never merged into it or into the exit code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<Measured>,
    /// What the user's own assistants recorded about this provider in the last minutes
    /// (beside `status`, never merged into it or into the exit code); absent when nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<SessionsSignal>,
}

/// The user's own sessions in `status --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionsSignal {
    pub status: Status,
    /// "7 failed calls (529) in 3 min, 2 sessions"; empty when only the user's own account
    /// or network failed.
    pub summary: String,
    /// Calls that failed on the provider, in the window.
    pub errors: u32,
    /// The newest record.
    pub at: DateTime<Utc>,
    /// The user's own limit or sign-in: "Claude Code: your session limit, resets 21:50".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_notice: Option<String>,
}

/// The measured verdict in `status --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    pub status: Status,
    /// "failing (8 of 10 requests 529)".
    pub summary: String,
}

/// What `status --json` and `poll --once --json` print.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateReport {
    /// Every enabled provider's source failed: the user's network is down, not
    /// every provider at once.
    pub offline: bool,
    pub providers: Vec<ProviderState>,
}

impl StateReport {
    /// Exit code for `status`: 0 all watched operational, 1 degraded or
    /// maintenance, 2 partial or major outage, 3 unknown/offline.
    pub fn exit_code(&self) -> i32 {
        // A known outage is the stronger claim, so it wins over "unknown".
        if self.offline || self.providers.is_empty() {
            return 3;
        }
        let has = |f: fn(Status) -> bool| self.providers.iter().any(|p| f(p.status));
        if has(|s| matches!(s, Status::PartialOutage | Status::MajorOutage)) {
            2
        } else if has(|s| s == Status::Unknown) {
            3
        } else if has(|s| matches!(s, Status::Degraded | Status::Maintenance)) {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_ignores_unknown_unless_nothing_known() {
        assert_eq!(
            Status::worst([Status::Unknown, Status::Degraded, Status::Operational]),
            Status::Degraded
        );
        assert_eq!(Status::worst([Status::Unknown]), Status::Unknown);
        assert_eq!(Status::worst([]), Status::Unknown);
        assert_eq!(
            Status::worst([Status::MajorOutage, Status::Maintenance]),
            Status::MajorOutage
        );
    }

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), s);
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }

    #[test]
    fn incident_status_loose_parsing() {
        assert_eq!(
            IncidentStatus::parse_loose("In Progress"),
            Some(IncidentStatus::InProgress)
        );
        assert_eq!(
            IncidentStatus::parse_loose("INVESTIGATING"),
            Some(IncidentStatus::Investigating)
        );
        assert_eq!(IncidentStatus::parse_loose("weird"), None);
    }

    #[test]
    fn exit_codes() {
        let mk = |s| ProviderState {
            id: "a".into(),
            name: "A".into(),
            status: s,
            source_ok: true,
            checked_at: None,
            reason: None,
            missing_watched: vec![],
            components: vec![],
            incidents: vec![],
            url: None,
            measured: None,
            sessions: None,
        };
        let r = |ss: &[Status], offline| StateReport {
            offline,
            providers: ss.iter().map(|s| mk(*s)).collect(),
        };
        assert_eq!(r(&[Status::Operational], false).exit_code(), 0);
        assert_eq!(
            r(&[Status::Operational, Status::Maintenance], false).exit_code(),
            1
        );
        assert_eq!(
            r(&[Status::Degraded, Status::MajorOutage], false).exit_code(),
            2
        );
        assert_eq!(
            r(&[Status::MajorOutage, Status::Unknown], false).exit_code(),
            2
        );
        assert_eq!(
            r(&[Status::Degraded, Status::Unknown], false).exit_code(),
            3
        );
        assert_eq!(r(&[Status::Operational], true).exit_code(), 3);
    }
}
