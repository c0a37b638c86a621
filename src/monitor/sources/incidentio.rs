//! incident.io native widget summary (`/api/v1/summary`).
//!
//! Shape, as no capture of a live page is recorded here, comes from public
//! consumers of the widget API: Materialize's console types (`StatusSummary`:
//! `page_title`, `page_url`, `ongoing_incidents`, `in_progress_maintenances`,
//! `scheduled_maintenances`; events with `id`, `name`, `url`, `status`,
//! `last_update_at`, `last_update_message`, `affected_components[{id, name,
//! group_name?}]`; incidents add `current_worst_impact`, in-progress maintenances
//! `started_at`/`scheduled_end_at`, scheduled ones `starts_at`/`ends_at`),
//! zod schemas in other projects that add `current_status` (operational /
//! degraded_performance / partial_outage / full_outage) to affected components,
//! and Supabase's widget tests. The derived fixtures
//! `tests/fixtures/status/derived_incidentio_widget_summary_*.json` follow it.
//!
//! The widget lists only what is affected, so components appear while an
//! incident or maintenance names them; the poller falls back to the
//! Statuspage-compatible path when the full component list is wanted.

use serde_json::Value;

use super::json::{arr_at, impact_word, status_word, str_at, time_at};
use super::{ParseError, json_object, some_keys};
use crate::model::{
    Component, Impact, Incident, IncidentKind, IncidentStatus, IncidentUpdate, Snapshot, Status,
};

const EXPECTED: &str = "an incident.io widget summary";

pub fn parse_native(body: &[u8]) -> Result<Snapshot, ParseError> {
    let v = json_object(body, EXPECTED)?;
    // `scheduled_maintenances` alone is not enough: a Statuspage summary has it too.
    if !["ongoing_incidents", "in_progress_maintenances"]
        .iter()
        .any(|k| v.get(*k).is_some_and(Value::is_array))
    {
        let keys = some_keys(&v);
        return Err(ParseError::Shape {
            expected: EXPECTED,
            detail: format!("no ongoing_incidents or in_progress_maintenances (keys: {keys:?})"),
        });
    }

    let mut components: Vec<Component> = Vec::new();
    let mut incidents = Vec::new();
    let mut page = Status::Operational;

    // A few widgets also list every component; those not affected are operational.
    for c in arr_at(&v, "components") {
        note(&mut components, c, Status::Operational);
    }

    for raw in arr_at(&v, "ongoing_incidents") {
        let impact = str_at(raw, "current_worst_impact").map_or(Impact::Minor, impact_word);
        for c in arr_at(raw, "affected_components") {
            // Without a per-component status, the incident's worst impact is
            // the best we know about each component it names.
            let status = str_at(c, "current_status").map_or(impact.status(), status_word);
            note(&mut components, c, status);
        }
        page = page.worse(impact.status());
        incidents.extend(event(raw, IncidentKind::Incident, impact, None));
    }

    for raw in arr_at(&v, "in_progress_maintenances") {
        for c in arr_at(raw, "affected_components") {
            note(&mut components, c, Status::Maintenance);
        }
        page = page.worse(Status::Maintenance);
        incidents.extend(event(
            raw,
            IncidentKind::Maintenance,
            Impact::Maintenance,
            Some(IncidentStatus::InProgress),
        ));
    }

    for raw in arr_at(&v, "scheduled_maintenances") {
        // Upcoming work changes nothing yet; it only makes the components known.
        for c in arr_at(raw, "affected_components") {
            note(&mut components, c, Status::Operational);
        }
        incidents.extend(event(
            raw,
            IncidentKind::Maintenance,
            Impact::Maintenance,
            Some(IncidentStatus::Scheduled),
        ));
    }

    Ok(Snapshot {
        page_status: Some(page),
        components,
        incidents,
    })
}

/// Record a component, or worsen one already seen: the same component can be
/// named by several incidents at once.
fn note(components: &mut Vec<Component>, raw: &Value, status: Status) {
    let name = str_at(raw, "name");
    let Some(id) = str_at(raw, "id").or(name) else {
        return;
    };
    if let Some(c) = components.iter_mut().find(|c| c.id == id) {
        c.status = c.status.worse(status);
        if c.group.is_none() {
            c.group = str_at(raw, "group_name").map(str::to_owned);
        }
        return;
    }
    components.push(Component {
        id: id.to_owned(),
        name: name.unwrap_or(id).to_owned(),
        status,
        group: str_at(raw, "group_name").map(str::to_owned),
    });
}

fn event(
    raw: &Value,
    kind: IncidentKind,
    impact: Impact,
    fixed_status: Option<IncidentStatus>,
) -> Option<Incident> {
    let title = str_at(raw, "name");
    let id = str_at(raw, "id").or(title)?.to_owned();
    let status = fixed_status.unwrap_or_else(|| {
        str_at(raw, "status")
            .and_then(IncidentStatus::parse_loose)
            .unwrap_or(IncidentStatus::Investigating)
    });
    let updated_at = time_at(raw, "last_update_at");
    let updates = match (updated_at, str_at(raw, "last_update_message")) {
        (Some(at), Some(body)) => vec![IncidentUpdate {
            at,
            status,
            body: body.to_owned(),
        }],
        _ => Vec::new(),
    };
    Some(Incident {
        title: title.unwrap_or(&id).to_owned(),
        kind,
        impact,
        status,
        // Incidents carry no start time in the widget; maintenances do.
        started_at: time_at(raw, "started_at").or_else(|| time_at(raw, "starts_at")),
        resolved_at: None,
        updated_at,
        url: str_at(raw, "url").map(str::to_owned),
        components: arr_at(raw, "affected_components")
            .iter()
            .filter_map(|c| str_at(c, "id").map(str::to_owned))
            .collect(),
        updates,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    const OUTAGE: &[u8] = include_bytes!(
        "../../../tests/fixtures/status/derived_incidentio_widget_summary_outage.json"
    );
    const OPERATIONAL: &[u8] = include_bytes!(
        "../../../tests/fixtures/status/derived_incidentio_widget_summary_operational.json"
    );

    #[test]
    fn operational_widget_is_operational_with_nothing_listed() {
        let s = parse_native(OPERATIONAL).unwrap();
        assert_eq!(s.page_status, Some(Status::Operational));
        assert!(s.components.is_empty());
        assert!(s.incidents.is_empty());
    }

    #[test]
    fn outage_widget_gives_worst_status_per_component() {
        let s = parse_native(OUTAGE).unwrap();
        assert_eq!(s.page_status, Some(Status::MajorOutage));
        let got: Vec<(&str, Status, Option<&str>)> = s
            .components
            .iter()
            .map(|c| (c.name.as_str(), c.status, c.group.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("Codex API", Status::MajorOutage, Some("Codex")),
                // Degraded in one incident, partial outage in another.
                ("Login", Status::PartialOutage, None),
                ("File uploads", Status::PartialOutage, None),
                ("Fine-tuning", Status::Maintenance, None),
                ("Batch", Status::Operational, None),
            ]
        );
    }

    #[test]
    fn outage_widget_incidents_and_maintenances() {
        let s = parse_native(OUTAGE).unwrap();
        assert_eq!(s.incidents.len(), 4);
        let codex = &s.incidents[0];
        assert_eq!(codex.id, "01K0B7X2M4N6P8Q0R2S4T6V8W0");
        assert_eq!(codex.impact, Impact::Critical);
        assert_eq!(codex.status, IncidentStatus::Identified);
        assert!(codex.is_open());
        assert_eq!(
            codex.started_at, None,
            "the widget does not say when it began"
        );
        assert_eq!(codex.components.len(), 2);
        assert!(codex.updates[0].body.starts_with("We have identified"));
        assert_eq!(s.incidents[1].impact, Impact::Major);

        let m = &s.incidents[2];
        assert_eq!(m.kind, IncidentKind::Maintenance);
        assert_eq!(m.status, IncidentStatus::InProgress);
        assert!(m.started_at.is_some());
        let sched = &s.incidents[3];
        assert_eq!(sched.status, IncidentStatus::Scheduled);
        assert_eq!(sched.title, "Batch API maintenance");
    }

    #[test]
    fn maintenance_alone_makes_the_page_maintenance() {
        let mut v: Value = serde_json::from_slice(OUTAGE).unwrap();
        v["ongoing_incidents"] = json!([]);
        let s = parse_native(v.to_string().as_bytes()).unwrap();
        assert_eq!(s.page_status, Some(Status::Maintenance));
    }

    #[test]
    fn unknown_words_missing_keys_and_nulls() {
        let body = json!({
            "ongoing_incidents": [
                {"id": "a", "name": "Odd", "status": "triaging", "current_worst_impact": "cosmic",
                 "affected_components": [
                    {"id": "c1", "name": "API", "current_status": "wobbly"},
                    {"id": "c2", "name": "Web"},
                    {"id": null, "name": null}
                 ]},
                {"id": null, "name": null},
                null
            ],
            "in_progress_maintenances": null,
            "components": [{"id": "c3", "name": "Sora"}]
        });
        let s = parse_native(body.to_string().as_bytes()).unwrap();
        assert_eq!(s.incidents.len(), 1);
        assert_eq!(s.incidents[0].status, IncidentStatus::Investigating);
        assert_eq!(s.incidents[0].impact, Impact::Minor);
        assert!(s.incidents[0].updates.is_empty());
        let st: Vec<(&str, Status)> = s
            .components
            .iter()
            .map(|c| (c.id.as_str(), c.status))
            .collect();
        assert_eq!(
            st,
            [
                ("c3", Status::Operational),
                ("c1", Status::Unknown),
                ("c2", Status::Degraded)
            ]
        );
        assert_eq!(s.page_status, Some(Status::Degraded));
    }

    #[test]
    fn other_shapes_are_rejected() {
        let openai_statuspage = include_bytes!(
            "../../../tests/fixtures/status/statuspage_openai_summary_operational_2026-07-09.json"
        );
        for body in [
            &openai_statuspage[..],
            b"[]",
            b"{}",
            b"{\"foo\":1}",
            b"{\"scheduled_maintenances\":[]}",
            b"{\"ongoing_incidents\":{}}",
        ] {
            assert!(
                matches!(parse_native(body), Err(ParseError::Shape { .. })),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(matches!(
            parse_native(&OUTAGE[..100]),
            Err(ParseError::Json(_))
        ));
        assert!(matches!(parse_native(b""), Err(ParseError::Json(_))));
        assert!(matches!(
            parse_native(b"\xc3\x28"),
            Err(ParseError::NotUtf8(0))
        ));
        let deep = "[".repeat(50_000) + &"]".repeat(50_000);
        assert!(matches!(
            parse_native(deep.as_bytes()),
            Err(ParseError::Json(_))
        ));
    }

    #[test]
    fn outage_widget_snapshot() {
        insta::assert_json_snapshot!(parse_native(OUTAGE).unwrap());
    }
}
