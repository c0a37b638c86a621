//! Datadog status pages (`{base}/config.json`): one document holding components, incidents and maintenances.
//!
//! A Datadog-hosted page (`*.statuspage.datadoghq.com`, or a custom domain such as
//! status.openrouter.ai) answers every path with a small client-rendered shell; the
//! shell hydrates from one unauthenticated static `config.json`. Its shape, as
//! recorded from status.openrouter.ai (tests/fixtures/status/README.md):
//!
//! - `components[]`: `{id, name, type: "Component", status}` or
//!   `{id, name, type: "ComponentGroup", components: [...]}`; a group has no status of
//!   its own. Statuses: operational / degraded / partial_outage / major_outage /
//!   maintenance (the vocabulary of Datadog's status-pages API).
//! - `incidents[]`: `{id, title, publishedDate, resolved, resolvedDate, currentStatus,
//!   lastModifiedAt, componentsAffected[], timeline[]}`; each timeline entry has
//!   `{startedAt, createdAt, status, description, componentsAffected[]}`. The
//!   incident-level `componentsAffected` holds each component's CURRENT status
//!   (operational once resolved), so an incident's weight comes from its timeline.
//! - `maintenances`: `null` on the recorded page. Its entries' shape is NOT recorded;
//!   it is read from the field names of Datadog's status-pages API (`title`, `status`,
//!   `start_date`, `completed_date`, `components_affected`, `updates`), accepted in
//!   both that spelling and the camelCase the rest of this document uses.

use serde_json::Value;

use super::json::{arr_at, squash, str_at, time_at};
use super::{ParseError, json_object, some_keys};
use crate::model::{
    Component, Impact, Incident, IncidentKind, IncidentStatus, IncidentUpdate, Snapshot, Status,
};

const EXPECTED: &str = "a Datadog status page config.json";

pub fn parse(body: &[u8]) -> Result<Snapshot, ParseError> {
    let v = json_object(body, EXPECTED)?;

    // A Statuspage document has `page`; Datadog's has none and carries its page
    // fields at the top level. Requiring one of Datadog's own keys keeps this parser
    // from claiming any other platform's summary.
    let own_key = ["domainPrefix", "pageUrl", "visualizationType", "pageType"]
        .into_iter()
        .any(|k| v.get(k).is_some());
    let components_ok = v.get("components").is_some_and(Value::is_array);
    let incidents_ok = v
        .get("incidents")
        .is_some_and(|i| i.is_array() || i.is_null());
    if v.get("page").is_some() || !own_key || !components_ok || !incidents_ok {
        let keys = some_keys(&v);
        return Err(ParseError::Shape {
            expected: EXPECTED,
            detail: format!(
                "no components/incidents beside domainPrefix, pageUrl or visualizationType (keys: {keys:?})"
            ),
        });
    }

    let page_url = page_url(&v);
    let mut components = Vec::new();
    flatten(arr_at(&v, "components"), None, 0, &mut components);

    let mut incidents: Vec<Incident> = arr_at(&v, "incidents")
        .iter()
        .filter_map(|raw| incident(raw, page_url.as_deref()))
        .collect();
    incidents.extend(
        arr_at(&v, "maintenances")
            .iter()
            .filter_map(|raw| maintenance(raw, page_url.as_deref())),
    );

    Ok(Snapshot {
        // The document states no page-wide indicator; the provider's status is the
        // worst of its watched components, as for every component source.
        page_status: None,
        components,
        incidents,
    })
}

/// Where a person reads the page: the custom domain when it is switched on.
fn page_url(v: &Value) -> Option<String> {
    let custom = v
        .get("customDomainEnabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    match str_at(v, "customDomain") {
        Some(d) if custom => Some(if d.contains("://") {
            d.to_owned()
        } else {
            format!("https://{d}")
        }),
        _ => str_at(v, "pageUrl").map(str::to_owned),
    }
}

/// Groups nest; a bounded depth keeps a hostile document from recursing without end.
const MAX_DEPTH: usize = 8;

fn flatten(raw: &[Value], group: Option<&str>, depth: usize, out: &mut Vec<Component>) {
    if depth > MAX_DEPTH {
        return;
    }
    for c in raw {
        let name = str_at(c, "name");
        let is_group = str_at(c, "type").is_some_and(|t| squash(t) == "componentgroup")
            || (c.get("components").is_some_and(Value::is_array) && c.get("status").is_none());
        if is_group {
            // The outermost group names the leaves: that is the heading a person sees.
            flatten(arr_at(c, "components"), group.or(name), depth + 1, out);
            continue;
        }
        let Some(id) = str_at(c, "id").or(name) else {
            continue;
        };
        out.push(Component {
            id: id.to_owned(),
            name: name.unwrap_or(id).to_owned(),
            status: str_at(c, "status").map_or(Status::Unknown, status_word),
            group: group.map(str::to_owned),
        });
    }
}

/// Datadog's component vocabulary; an unknown word is `Unknown` for that one component.
fn status_word(s: &str) -> Status {
    match squash(s).as_str() {
        "operational" => Status::Operational,
        "degraded" | "degradedperformance" => Status::Degraded,
        "partialoutage" => Status::PartialOutage,
        "majoroutage" | "fulloutage" => Status::MajorOutage,
        "maintenance" | "undermaintenance" => Status::Maintenance,
        _ => Status::Unknown,
    }
}

fn impact_of(s: Status) -> Option<Impact> {
    match s {
        Status::Operational => Some(Impact::None),
        Status::Maintenance => Some(Impact::Maintenance),
        Status::Degraded => Some(Impact::Minor),
        Status::PartialOutage => Some(Impact::Major),
        Status::MajorOutage => Some(Impact::Critical),
        Status::Unknown => None,
    }
}

/// `camelCase` first (what `config.json` uses), then the API's `snake_case`.
fn field<'a>(v: &'a Value, camel: &str, snake: &str) -> &'a [Value] {
    let a = arr_at(v, camel);
    if a.is_empty() { arr_at(v, snake) } else { a }
}

fn component_ids(affected: &[Value], into: &mut Vec<String>) {
    for c in affected {
        if let Some(id) = str_at(c, "id")
            && !into.iter().any(|x| x == id)
        {
            into.push(id.to_owned());
        }
    }
}

/// The worst status any timeline entry gave any component: what the incident did.
fn worst_in(entries: &[Value]) -> Option<Status> {
    let statuses: Vec<Status> = entries
        .iter()
        .flat_map(|e| field(e, "componentsAffected", "components_affected"))
        .filter_map(|c| str_at(c, "status").map(status_word))
        .filter(|s| *s != Status::Unknown)
        .collect();
    (!statuses.is_empty()).then(|| Status::worst(statuses))
}

fn updates(entries: &[Value], kind: IncidentKind) -> Vec<IncidentUpdate> {
    let fallback = match kind {
        IncidentKind::Incident => IncidentStatus::Investigating,
        IncidentKind::Maintenance => IncidentStatus::Scheduled,
    };
    let mut out: Vec<IncidentUpdate> = entries
        .iter()
        .filter_map(|u| {
            // `startedAt` is when the update's event happened; `createdAt` is when it was
            // filed, which on a back-dated incident is the same instant for every entry.
            let at = time_at(u, "startedAt")
                .or_else(|| time_at(u, "started_at"))
                .or_else(|| time_at(u, "createdAt"))
                .or_else(|| time_at(u, "created_at"))?;
            Some(IncidentUpdate {
                at,
                status: str_at(u, "status")
                    .and_then(IncidentStatus::parse_loose)
                    .unwrap_or(fallback),
                body: str_at(u, "description")
                    .or_else(|| str_at(u, "message"))
                    .unwrap_or_default()
                    .to_owned(),
            })
        })
        .collect();
    out.sort_by_key(|u| std::cmp::Reverse(u.at));
    out
}

fn incident(raw: &Value, page_url: Option<&str>) -> Option<Incident> {
    let title = str_at(raw, "title");
    let id = str_at(raw, "id").or(title)?.to_owned();
    let timeline = field(raw, "timeline", "updates");
    let resolved = raw.get("resolved").and_then(Value::as_bool);
    let status = match resolved {
        Some(true) => IncidentStatus::Resolved,
        _ => str_at(raw, "currentStatus")
            .or_else(|| str_at(raw, "status"))
            .and_then(IncidentStatus::parse_loose)
            // `resolved: false` says open, whatever the status word.
            .filter(|s| resolved.is_none() || !s.is_closed())
            .unwrap_or(IncidentStatus::Investigating),
    };
    let resolved_at = if status.is_closed() {
        time_at(raw, "resolvedDate").or_else(|| time_at(raw, "lastModifiedAt"))
    } else {
        None
    };
    let mut components = Vec::new();
    component_ids(
        field(raw, "componentsAffected", "components_affected"),
        &mut components,
    );
    for e in timeline {
        component_ids(
            field(e, "componentsAffected", "components_affected"),
            &mut components,
        );
    }
    Some(Incident {
        title: title.unwrap_or(&id).to_owned(),
        kind: IncidentKind::Incident,
        // Declared but weightless on the page: the mildest impact that still counts,
        // rather than hiding it.
        impact: worst_in(timeline)
            .and_then(impact_of)
            .filter(|i| *i != Impact::None && *i != Impact::Maintenance)
            .unwrap_or(Impact::Minor),
        status,
        started_at: time_at(raw, "publishedDate")
            .or_else(|| time_at(raw, "published_date"))
            .or_else(|| {
                updates(timeline, IncidentKind::Incident)
                    .last()
                    .map(|u| u.at)
            }),
        resolved_at,
        updated_at: time_at(raw, "lastModifiedAt"),
        url: page_url.map(str::to_owned),
        components,
        updates: updates(timeline, IncidentKind::Incident),
        id,
    })
}

fn maintenance(raw: &Value, page_url: Option<&str>) -> Option<Incident> {
    let title = str_at(raw, "title");
    let id = str_at(raw, "id").or(title)?.to_owned();
    let timeline = field(raw, "updates", "timeline");
    let status = str_at(raw, "status")
        .or_else(|| str_at(raw, "currentStatus"))
        .and_then(IncidentStatus::parse_loose)
        .unwrap_or(IncidentStatus::Scheduled);
    let end = time_at(raw, "completedDate").or_else(|| time_at(raw, "completed_date"));
    let mut components = Vec::new();
    component_ids(
        field(raw, "componentsAffected", "components_affected"),
        &mut components,
    );
    Some(Incident {
        title: title.unwrap_or(&id).to_owned(),
        kind: IncidentKind::Maintenance,
        impact: Impact::Maintenance,
        status,
        started_at: time_at(raw, "startDate").or_else(|| time_at(raw, "start_date")),
        // A scheduled window's planned end is not a resolution.
        resolved_at: if status.is_closed() { end } else { None },
        updated_at: time_at(raw, "lastModifiedAt").or_else(|| time_at(raw, "modified_at")),
        url: page_url.map(str::to_owned),
        components,
        updates: updates(timeline, IncidentKind::Maintenance),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    const OPENROUTER: &[u8] =
        include_bytes!("../../../tests/fixtures/status/datadog_openrouter_config_2026-09-15.json");

    fn fixture() -> Value {
        serde_json::from_slice(OPENROUTER).unwrap()
    }

    fn time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        super::super::json::parse_time(s)
    }

    #[test]
    fn openrouter_components_are_the_leaves_named_by_their_group() {
        let s = parse(OPENROUTER).unwrap();
        assert_eq!(s.page_status, None);
        let got: Vec<(&str, Option<&str>, Status)> = s
            .components
            .iter()
            .map(|c| (c.name.as_str(), c.group.as_deref(), c.status))
            .collect();
        let api = Some("API - Gateway");
        assert_eq!(
            got,
            [
                ("Chat (/api/v1/chat/completions)", api, Status::Operational),
                ("Video (/api/v1/videos)", api, Status::Operational),
                ("Image (/api/v1/image)", api, Status::Operational),
                ("TTS (/api/v1/audio/speech)", api, Status::Operational),
                (
                    "STT (/api/v1/audio/transcriptions)",
                    api,
                    Status::Operational
                ),
                ("Embeddings (/api/v1/embeddings)", api, Status::Operational),
                ("Web & Application Services", None, Status::Operational),
            ]
        );
        assert_eq!(s.components[0].id, "9fb5ccff-e128-455a-be20-59572f8d363a");
    }

    #[test]
    fn openrouter_incidents_are_resolved_with_their_timeline() {
        let s = parse(OPENROUTER).unwrap();
        assert_eq!(s.incidents.len(), 4, "maintenances is null on the page");
        let i = &s.incidents[2];
        assert_eq!(i.title, "Elevated 429s on Anthropic and OpenAI");
        assert_eq!(i.kind, IncidentKind::Incident);
        assert_eq!(i.status, IncidentStatus::Resolved);
        assert!(!i.is_open());
        // Weighted by what the timeline said (degraded), not the current "operational".
        assert_eq!(i.impact, Impact::Minor);
        assert_eq!(i.started_at, time("2026-08-28T02:15:00Z"));
        assert_eq!(i.resolved_at, time("2026-08-28T02:19:00Z"));
        assert_eq!(i.components, ["9fb5ccff-e128-455a-be20-59572f8d363a"]);
        assert_eq!(i.url.as_deref(), Some("https://status.openrouter.ai"));
        let lifecycle: Vec<IncidentStatus> = i.updates.iter().map(|u| u.status).collect();
        assert_eq!(
            lifecycle,
            [IncidentStatus::Resolved, IncidentStatus::Investigating],
            "newest first"
        );
        assert_eq!(i.updates[1].at, time("2026-08-28T02:15:00Z").unwrap());
        assert!(i.updates[1].body.starts_with("Anthropic and OpenAI models"));
        // The oldest record is back-dated before the page existed (history import).
        assert_eq!(s.incidents[3].started_at, time("2026-05-31T13:00:00Z"));
    }

    #[test]
    fn openrouter_snapshot() {
        insta::assert_json_snapshot!(parse(OPENROUTER).unwrap());
    }

    #[test]
    fn an_outage_in_progress_and_a_maintenance() {
        let mut v = fixture();
        let group = &mut v["components"][0]["components"];
        group[0]["status"] = json!("major_outage");
        group[1]["status"] = json!("partial_outage");
        group[2]["status"] = json!("maintenance");
        group[3]["status"] = json!("on_fire");
        let inc = &mut v["incidents"][0];
        inc["resolved"] = json!(false);
        inc["resolvedDate"] = Value::Null;
        inc["currentStatus"] = json!("identified");
        inc["timeline"][0]["componentsAffected"][0]["status"] = json!("major_outage");
        inc["timeline"][0]["status"] = json!("identified");
        v["maintenances"] = json!([{
            "id": "m1", "title": "Database upgrade", "status": "in_progress",
            "startDate": "2026-09-20T02:00:00Z", "completedDate": "2026-09-20T04:00:00Z",
            "componentsAffected": [{"id": "2347916e-1f82-448c-b07d-8cfbbad57322", "status": "maintenance"}],
            "updates": [{"status": "in_progress", "description": "Started.", "startedAt": "2026-09-20T02:00:00Z"}]
        }, {
            "id": "m2", "title": "Done", "status": "completed",
            "start_date": "2026-09-01T02:00:00Z", "completed_date": "2026-09-01T03:00:00Z",
            "components_affected": [{"id": "x"}]
        }]);
        let s = parse(v.to_string().as_bytes()).unwrap();
        let st: Vec<Status> = s.components.iter().take(5).map(|c| c.status).collect();
        assert_eq!(
            st,
            [
                Status::MajorOutage,
                Status::PartialOutage,
                Status::Maintenance,
                Status::Unknown,
                Status::Operational
            ]
        );
        let i = &s.incidents[0];
        assert!(i.is_open());
        assert_eq!(i.status, IncidentStatus::Identified);
        assert_eq!(i.impact, Impact::Critical);
        assert_eq!(i.resolved_at, None);

        let m = &s.incidents[4];
        assert_eq!(
            (m.kind, m.impact),
            (IncidentKind::Maintenance, Impact::Maintenance)
        );
        assert_eq!(m.status, IncidentStatus::InProgress);
        assert!(m.is_open(), "a planned end is not a resolution");
        assert_eq!(m.started_at, time("2026-09-20T02:00:00Z"));
        assert_eq!(m.components, ["2347916e-1f82-448c-b07d-8cfbbad57322"]);
        assert_eq!(m.updates[0].body, "Started.");
        let done = &s.incidents[5];
        assert!(!done.is_open());
        assert_eq!(done.resolved_at, time("2026-09-01T03:00:00Z"));
        assert_eq!(done.components, ["x"]);
    }

    #[test]
    fn nulls_everywhere_are_read_leniently() {
        let v = json!({
            "domainPrefix": "x", "components": [
                {"id": null, "name": null, "type": "Component"},
                {"name": "Only a name", "type": "Component", "status": null},
                {"id": "g", "name": "G", "type": "ComponentGroup", "components": null},
                7, null
            ],
            "incidents": [
                {"id": "a", "title": null, "resolved": null, "timeline": null, "componentsAffected": null},
                {"title": null}, null, "x"
            ],
            "maintenances": [{"id": null}, {"id": "m", "status": "who knows"}]
        });
        let s = parse(v.to_string().as_bytes()).unwrap();
        assert_eq!(s.components.len(), 1);
        assert_eq!(s.components[0].status, Status::Unknown);
        assert_eq!(s.incidents.len(), 2);
        assert_eq!(s.incidents[0].title, "a");
        assert_eq!(s.incidents[0].impact, Impact::Minor);
        assert!(s.incidents[0].is_open());
        assert_eq!(s.incidents[1].status, IncidentStatus::Scheduled);
    }

    #[test]
    fn bad_input_is_an_error_never_a_panic() {
        assert!(matches!(
            parse(&OPENROUTER[..OPENROUTER.len() / 2]),
            Err(ParseError::Json(_))
        ));
        assert!(matches!(parse(b"\xff"), Err(ParseError::NotUtf8(0))));
        for body in [
            &b"[]"[..],
            b"{}",
            b"null",
            b"{\"components\":[],\"incidents\":[]}",
            b"{\"domainPrefix\":\"x\",\"components\":{},\"incidents\":[]}",
            b"{\"domainPrefix\":\"x\",\"components\":[],\"incidents\":7}",
            b"{\"page\":{},\"domainPrefix\":\"x\",\"components\":[],\"incidents\":[]}",
            include_bytes!(
                "../../../tests/fixtures/status/statuspage_openai_summary_operational_2026-07-09.json"
            ),
            include_bytes!("../../../tests/fixtures/status/derived_instatus_summary_incident.json"),
            include_bytes!(
                "../../../tests/fixtures/status/derived_incidentio_widget_summary_outage.json"
            ),
        ] {
            assert!(
                matches!(parse(body), Err(ParseError::Shape { .. })),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // Nesting deeper than any page has is read up to the bound, not recursed without end.
        let mut deep =
            json!({"id": "leaf", "name": "Leaf", "type": "Component", "status": "operational"});
        for i in 0..50 {
            deep = json!({"id": format!("g{i}"), "name": "G", "type": "ComponentGroup", "components": [deep]});
        }
        let doc = json!({"domainPrefix": "x", "components": [deep], "incidents": []});
        let s = parse(doc.to_string().as_bytes());
        assert!(s.is_ok_and(|s| s.components.is_empty()));
        // Random bytes and every prefix of the fixture.
        for cut in (0..OPENROUTER.len()).step_by(97) {
            let _ = parse(&OPENROUTER[..cut]);
        }
    }
}
