//! Instatus (`/summary.json`).
//!
//! Shape: `{page: {name, url, status: UP|HASISSUES|UNDERMAINTENANCE},
//! activeIncidents: [{id, name, started, status, impact, url}],
//! activeMaintenances: [{id, name, start, status, duration, url}]}`, as typed by
//! public consumers of the endpoint (incident `status` INVESTIGATING /
//! IDENTIFIED / MONITORING / RESOLVED, `impact` OPERATIONAL / MINOROUTAGE /
//! PARTIALOUTAGE / MAJOROUTAGE, maintenance `status` NOTSTARTEDYET /
//! INPROGRESS / COMPLETED). Components live in a separate `components.json`;
//! a `components` array is read when a page inlines it.

use serde_json::Value;

use super::json::{arr_at, impact_word, squash, status_word, str_at, time_at};
use super::{ParseError, json_object, some_keys};
use crate::model::{Component, Impact, Incident, IncidentKind, IncidentStatus, Snapshot, Status};

const EXPECTED: &str = "an Instatus summary";

pub fn parse(body: &[u8]) -> Result<Snapshot, ParseError> {
    let v = json_object(body, EXPECTED)?;
    let page_word = v.get("page").and_then(|p| str_at(p, "status"));
    let has_array = |k: &str| v.get(k).is_some_and(Value::is_array);
    if page_word.is_none() && !has_array("activeIncidents") && !has_array("activeMaintenances") {
        let keys = some_keys(&v);
        return Err(ParseError::Shape {
            expected: EXPECTED,
            detail: format!(
                "no page.status, activeIncidents or activeMaintenances (keys: {keys:?})"
            ),
        });
    }

    let mut incidents: Vec<Incident> = arr_at(&v, "activeIncidents")
        .iter()
        .filter_map(|raw| {
            let impact = str_at(raw, "impact").map_or(Impact::Minor, impact_word);
            event(raw, IncidentKind::Incident, impact, "started")
        })
        .collect();
    incidents.extend(
        arr_at(&v, "activeMaintenances")
            .iter()
            .filter_map(|raw| event(raw, IncidentKind::Maintenance, Impact::Maintenance, "start")),
    );

    // The page word is coarse (HASISSUES covers a slow page and a dead API
    // alike), so the open incidents sharpen it; a maintenance that has not
    // started yet does not count.
    let from_incidents = Status::worst(
        incidents
            .iter()
            .filter(|i| i.is_open() && i.status != IncidentStatus::Scheduled)
            .map(|i| i.impact.status()),
    );
    let page_status = page_word.map(|w| {
        let base = match squash(w).as_str() {
            "up" => Status::Operational,
            "hasissues" => Status::Degraded,
            "undermaintenance" => Status::Maintenance,
            _ => Status::Unknown,
        };
        base.worse(from_incidents)
    });

    let components = arr_at(&v, "components")
        .iter()
        .filter_map(|c| {
            let name = str_at(c, "name");
            let id = str_at(c, "id").or(name)?;
            let group = c
                .get("group")
                .and_then(|g| g.as_str().or_else(|| str_at(g, "name")))
                .map(str::trim)
                .filter(|g| !g.is_empty());
            Some(Component {
                id: id.to_owned(),
                name: name.unwrap_or(id).to_owned(),
                status: str_at(c, "status").map_or(Status::Unknown, status_word),
                group: group.map(str::to_owned),
            })
        })
        .collect();

    Ok(Snapshot {
        page_status,
        components,
        incidents,
    })
}

fn event(raw: &Value, kind: IncidentKind, impact: Impact, start_key: &str) -> Option<Incident> {
    let title = str_at(raw, "name");
    let id = str_at(raw, "id").or(title)?.to_owned();
    let status = str_at(raw, "status")
        .and_then(IncidentStatus::parse_loose)
        .unwrap_or(match kind {
            IncidentKind::Incident => IncidentStatus::Investigating,
            IncidentKind::Maintenance => IncidentStatus::Scheduled,
        });
    Some(Incident {
        title: title.unwrap_or(&id).to_owned(),
        kind,
        impact,
        status,
        started_at: time_at(raw, start_key),
        resolved_at: None,
        updated_at: time_at(raw, "updatedAt"),
        url: str_at(raw, "url").map(str::to_owned),
        components: Vec::new(),
        updates: Vec::new(),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    const UP: &[u8] =
        include_bytes!("../../../tests/fixtures/status/derived_instatus_summary_operational.json");
    const ISSUES: &[u8] =
        include_bytes!("../../../tests/fixtures/status/derived_instatus_summary_incident.json");

    fn with(f: impl FnOnce(&mut Value)) -> Snapshot {
        let mut v: Value = serde_json::from_slice(ISSUES).unwrap();
        f(&mut v);
        parse(v.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn operational_page() {
        let s = parse(UP).unwrap();
        assert_eq!(s.page_status, Some(Status::Operational));
        assert!(s.components.is_empty());
        assert!(s.incidents.is_empty());
    }

    #[test]
    fn has_issues_is_as_bad_as_the_worst_incident() {
        let s = parse(ISSUES).unwrap();
        assert_eq!(s.page_status, Some(Status::MajorOutage));
        assert_eq!(s.incidents.len(), 3);
        let chat = &s.incidents[0];
        assert_eq!(chat.title, "Chat completions failing");
        assert_eq!(chat.impact, Impact::Critical);
        assert_eq!(chat.status, IncidentStatus::Identified);
        assert!(chat.is_open());
        assert!(chat.started_at.is_some() && chat.updated_at.is_some());
        assert_eq!(s.incidents[1].impact, Impact::Minor);
        let m = &s.incidents[2];
        assert_eq!(m.kind, IncidentKind::Maintenance);
        assert_eq!(m.status, IncidentStatus::InProgress);

        // With only the minor incident left, HASISSUES reads as degraded.
        let s = with(|v| {
            v["activeIncidents"].as_array_mut().unwrap().remove(0);
        });
        assert_eq!(s.page_status, Some(Status::Degraded));
        let s = with(|v| v["activeIncidents"] = json!([]));
        assert_eq!(s.page_status, Some(Status::Degraded));
    }

    #[test]
    fn maintenance_page() {
        let s = with(|v| {
            v["page"]["status"] = json!("UNDERMAINTENANCE");
            v["activeIncidents"] = json!([]);
            v["activeMaintenances"][0]["status"] = json!("NOTSTARTEDYET");
        });
        assert_eq!(s.page_status, Some(Status::Maintenance));
        assert_eq!(s.incidents[0].status, IncidentStatus::Scheduled);
    }

    #[test]
    fn inline_components_with_groups() {
        let s = parse(ISSUES).unwrap();
        let got: Vec<(&str, Status, Option<&str>)> = s
            .components
            .iter()
            .map(|c| (c.name.as_str(), c.status, c.group.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("Chat API", Status::MajorOutage, Some("API")),
                ("Embeddings API", Status::Operational, Some("API")),
                ("Dashboard", Status::Degraded, None),
                ("Fine-tuning", Status::Maintenance, None),
                ("Playground", Status::PartialOutage, Some("Web")),
            ]
        );
    }

    #[test]
    fn unknown_words_and_nulls() {
        let s = with(|v| {
            v["page"]["status"] = json!("SIDEWAYS");
            v["activeIncidents"] = json!([
                {"id": "x", "name": null, "status": "PONDERING", "impact": null, "started": "yesterday"},
                {"id": null, "name": null},
                null
            ]);
            v["activeMaintenances"] = Value::Null;
            v["components"] =
                json!([{"id": "c", "name": "API", "status": "WOBBLY", "group": null}, {}]);
        });
        assert_eq!(s.incidents.len(), 1);
        let i = &s.incidents[0];
        assert_eq!(i.title, "x");
        assert_eq!(i.status, IncidentStatus::Investigating);
        assert_eq!(i.impact, Impact::Minor);
        assert_eq!(i.started_at, None);
        assert_eq!(
            s.page_status,
            Some(Status::Degraded),
            "unknown word, known incident"
        );
        assert_eq!(s.components.len(), 1);
        assert_eq!(s.components[0].status, Status::Unknown);
    }

    #[test]
    fn other_shapes_are_rejected() {
        let statuspage = include_bytes!(
            "../../../tests/fixtures/status/statuspage_openai_summary_operational_2026-07-09.json"
        );
        for body in [
            &statuspage[..],
            b"[]",
            b"{}",
            b"{\"foo\":1}",
            b"{\"page\":{\"name\":\"x\"}}",
        ] {
            assert!(matches!(parse(body), Err(ParseError::Shape { .. })));
        }
        assert!(matches!(parse(&ISSUES[..200]), Err(ParseError::Json(_))));
        assert!(matches!(parse(b""), Err(ParseError::Json(_))));
        assert!(matches!(
            parse(b"{\"page\":\"\x80\"}"),
            Err(ParseError::NotUtf8(9))
        ));
        let deep = "{\"a\":".repeat(100_000);
        assert!(matches!(parse(deep.as_bytes()), Err(ParseError::Json(_))));
    }
}
