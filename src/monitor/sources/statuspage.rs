//! Atlassian Statuspage v2 (`/api/v2/summary.json`), also served by incident.io pages.
//!
//! Accepts every v2 document a Statuspage serves: `summary.json`, `status.json`,
//! `components.json`, `incidents.json` (and `incidents/unresolved.json`),
//! `scheduled-maintenances.json` and the single-incident `{page, incident}`.

use std::collections::HashMap;

use serde_json::Value;

use super::json::{arr_at, squash, status_word, str_at, time_at};
use super::{ParseError, json_object, some_keys};
use crate::model::{
    Component, Impact, Incident, IncidentKind, IncidentStatus, IncidentUpdate, Snapshot, Status,
};

const EXPECTED: &str = "a Statuspage v2 summary";

pub fn parse(body: &[u8]) -> Result<Snapshot, ParseError> {
    let v = json_object(body, EXPECTED)?;

    // incident.io widgets and Instatus summaries share some key names with a
    // Statuspage summary; claiming them would read their statuses wrongly.
    if let Some(k) = [
        "ongoing_incidents",
        "in_progress_maintenances",
        "activeIncidents",
        "activeMaintenances",
        "domainPrefix",
        "visualizationType",
    ]
    .into_iter()
    .find(|k| v.get(*k).is_some())
    {
        return Err(ParseError::Shape {
            expected: EXPECTED,
            detail: format!("`{k}` belongs to another platform's summary"),
        });
    }
    let has_array = |k: &str| v.get(k).is_some_and(Value::is_array);
    let indicator = v.get("status").and_then(|s| s.get("indicator"));
    let single = v.get("incident").filter(|i| i.is_object());
    if !(has_array("components")
        || has_array("incidents")
        || has_array("scheduled_maintenances")
        || single.is_some()
        || indicator.is_some())
    {
        let keys = some_keys(&v);
        return Err(ParseError::Shape {
            expected: EXPECTED,
            detail: format!(
                "no components, incidents, scheduled_maintenances, incident or status.indicator (keys: {keys:?})"
            ),
        });
    }

    let page_url = v.get("page").and_then(|p| str_at(p, "url"));
    // A null indicator says nothing, which is not the same as a word we cannot read.
    let page_status = indicator
        .filter(|i| !i.is_null())
        .map(|i| i.as_str().map_or(Status::Unknown, indicator_status));

    let mut incidents = Vec::new();
    for raw in arr_at(&v, "incidents").iter().chain(single) {
        incidents.extend(incident(raw, IncidentKind::Incident, page_url));
    }
    for raw in arr_at(&v, "scheduled_maintenances") {
        incidents.extend(incident(raw, IncidentKind::Maintenance, page_url));
    }

    Ok(Snapshot {
        page_status,
        components: components(arr_at(&v, "components")),
        incidents,
    })
}

fn indicator_status(s: &str) -> Status {
    match squash(s).as_str() {
        "none" => Status::Operational,
        "minor" => Status::Degraded,
        "major" => Status::PartialOutage,
        "critical" => Status::MajorOutage,
        "maintenance" => Status::Maintenance,
        _ => Status::Unknown,
    }
}

fn components(raw: &[Value]) -> Vec<Component> {
    // Groups are headings on the page, not things that can fail on their own;
    // their status is only a roll-up of their children.
    let is_group = |c: &Value| c.get("group").and_then(Value::as_bool).unwrap_or(false);
    let groups: HashMap<&str, &str> = raw
        .iter()
        .filter(|c| is_group(c))
        .filter_map(|c| Some((str_at(c, "id")?, str_at(c, "name")?)))
        .collect();

    raw.iter()
        .filter(|c| !is_group(c))
        .filter_map(|c| {
            let name = str_at(c, "name");
            let id = str_at(c, "id").or(name)?;
            Some(Component {
                id: id.to_owned(),
                name: name.unwrap_or(id).to_owned(),
                status: str_at(c, "status").map_or(Status::Unknown, status_word),
                group: str_at(c, "group_id")
                    .and_then(|g| groups.get(g))
                    .map(|g| (*g).to_owned()),
            })
        })
        .collect()
}

fn impact(s: Option<&str>, kind: IncidentKind) -> Impact {
    if kind == IncidentKind::Maintenance {
        return Impact::Maintenance;
    }
    match s.map(squash).as_deref() {
        Some("none") => Impact::None,
        Some("minor") => Impact::Minor,
        Some("major") => Impact::Major,
        Some("critical") => Impact::Critical,
        Some("maintenance") => Impact::Maintenance,
        // An incident was declared but its weight is unreadable: the mildest
        // impact that still counts as a problem, rather than hiding it.
        _ => Impact::Minor,
    }
}

fn lifecycle(s: Option<&str>, kind: IncidentKind) -> IncidentStatus {
    s.and_then(IncidentStatus::parse_loose)
        .unwrap_or(match kind {
            IncidentKind::Incident => IncidentStatus::Investigating,
            IncidentKind::Maintenance => IncidentStatus::Scheduled,
        })
}

fn incident(raw: &Value, kind: IncidentKind, page_url: Option<&str>) -> Option<Incident> {
    let title = str_at(raw, "name");
    let id = str_at(raw, "id").or(title)?.to_owned();
    let status = lifecycle(str_at(raw, "status"), kind);
    let updated_at = time_at(raw, "updated_at");
    let resolved_at = time_at(raw, "resolved_at").or(if status.is_closed() {
        // Closed but no resolution time (seen on completed maintenances):
        // the last touch is the best estimate of when it ended.
        updated_at
    } else {
        None
    });

    let mut updates: Vec<IncidentUpdate> = arr_at(raw, "incident_updates")
        .iter()
        .filter_map(|u| {
            Some(IncidentUpdate {
                at: time_at(u, "display_at").or_else(|| time_at(u, "created_at"))?,
                status: lifecycle(str_at(u, "status"), kind),
                body: str_at(u, "body").unwrap_or_default().to_owned(),
            })
        })
        .collect();
    updates.sort_by_key(|u| std::cmp::Reverse(u.at));

    let url = str_at(raw, "shortlink").map(str::to_owned).or_else(|| {
        // Statuspage serves maintenances under /incidents/ as well.
        page_url.map(|p| format!("{}/incidents/{id}", p.trim_end_matches('/')))
    });

    Some(Incident {
        title: title.unwrap_or(&id).to_owned(),
        kind,
        impact: impact(str_at(raw, "impact"), kind),
        status,
        started_at: time_at(raw, "started_at").or_else(|| time_at(raw, "created_at")),
        resolved_at,
        updated_at,
        url,
        components: arr_at(raw, "components")
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

    const OPENAI: &[u8] = include_bytes!(
        "../../../tests/fixtures/status/statuspage_openai_summary_operational_2026-07-09.json"
    );
    const GITHUB: &[u8] = include_bytes!(
        "../../../tests/fixtures/status/statuspage_github_incident_copilot_major_2023-04-25.json"
    );
    const ANTHROPIC: &[u8] = include_bytes!(
        "../../../tests/fixtures/status/statuspage_anthropic_scheduled_maintenances.json"
    );

    fn parse_value(v: &Value) -> Snapshot {
        parse(v.to_string().as_bytes()).unwrap()
    }

    fn fixture(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn openai_summary_lists_every_component_operational() {
        let s = parse(OPENAI).unwrap();
        assert_eq!(s.page_status, Some(Status::Operational));
        assert_eq!(s.components.len(), 25);
        let names: Vec<&str> = s.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(&names[..3], ["Images", "Login", "Audio"]);
        assert!(names.contains(&"Codex API"));
        assert!(s.components.iter().all(|c| c.status == Status::Operational));
        assert!(s.components.iter().all(|c| c.group.is_none()));
        let codex = s.components.iter().find(|c| c.name == "Codex API").unwrap();
        assert_eq!(codex.id.len(), 26, "incident.io ids are ULIDs");
        // The fixture has no `incidents` key at all.
        assert!(s.incidents.is_empty());
    }

    #[test]
    fn openai_summary_during_an_outage() {
        let mut v = fixture(OPENAI);
        v["status"] = json!({"indicator": "major", "description": "Partial System Outage"});
        let comps = v["components"].as_array_mut().unwrap();
        let codex = comps.iter_mut().find(|c| c["name"] == "Codex API").unwrap();
        codex["status"] = json!("major_outage");
        let codex_id = codex["id"].clone();
        comps.iter_mut().find(|c| c["name"] == "Login").unwrap()["status"] =
            json!("degraded_performance");
        // incident.io's compatible feed: no components, no started_at, ULID ids.
        v["incidents"] = json!([{
            "id": "01K0AAAAAAAAAAAAAAAAAAAAAA",
            "name": "Elevated error rates for Codex",
            "status": "identified",
            "impact": "major",
            "created_at": "2026-07-10T08:01:00Z",
            "updated_at": "2026-07-10T08:20:00Z",
            "shortlink": "https://status.openai.com/incidents/01K0AAAAAAAAAAAAAAAAAAAAAA",
            "incident_updates": [
                {"status": "investigating", "body": "We are looking into it.", "created_at": "2026-07-10T08:01:00Z"},
                {"status": "identified", "body": "Cause found.", "created_at": "2026-07-10T08:20:00Z"}
            ]
        }]);
        let s = parse_value(&v);
        assert_eq!(s.page_status, Some(Status::PartialOutage));
        let status_of = |name: &str| s.components.iter().find(|c| c.name == name).unwrap().status;
        assert_eq!(status_of("Codex API"), Status::MajorOutage);
        assert_eq!(status_of("Login"), Status::Degraded);
        assert_eq!(status_of("Images"), Status::Operational);
        assert_eq!(
            s.components.iter().find(|c| c.id == codex_id).unwrap().name,
            "Codex API"
        );

        assert_eq!(s.incidents.len(), 1);
        let i = &s.incidents[0];
        assert!(i.is_open());
        assert_eq!(i.impact, Impact::Major);
        assert_eq!(i.status, IncidentStatus::Identified);
        assert_eq!(
            i.started_at,
            time("2026-07-10T08:01:00Z"),
            "falls back to created_at"
        );
        assert!(i.components.is_empty());
        assert_eq!(i.updates[0].body, "Cause found.", "newest first");
        assert_eq!(i.updates[1].status, IncidentStatus::Investigating);
    }

    fn time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        super::super::json::parse_time(s)
    }

    #[test]
    fn github_incident_is_the_resolved_copilot_major_outage() {
        let s = parse(GITHUB).unwrap();
        assert!(
            s.components.is_empty(),
            "a single incident lists no page components"
        );
        assert_eq!(s.page_status, None);
        assert_eq!(s.incidents.len(), 1);
        let i = &s.incidents[0];
        assert_eq!(i.id, "y9cw6kf9pn72");
        assert_eq!(i.title, "Incident with Copilot");
        assert_eq!(i.kind, IncidentKind::Incident);
        assert_eq!(i.impact, Impact::Major);
        assert_eq!(i.status, IncidentStatus::Resolved);
        assert!(!i.is_open());
        assert_eq!(i.components, ["pjmpxvq2cmr2"]);
        assert_eq!(i.started_at, time("2023-04-25T23:26:27.642Z"));
        assert_eq!(i.resolved_at, time("2023-04-26T00:29:59.104Z"));
        assert_eq!(i.url.as_deref(), Some("https://stspg.io/6cl0w7zbqsh3"));
        assert_eq!(i.updates.len(), 5);
        assert_eq!(i.updates[0].status, IncidentStatus::Resolved);
        assert_eq!(i.updates[0].body, "This incident has been resolved.");
        assert!(
            i.updates[4]
                .body
                .starts_with("We are investigating reports")
        );
    }

    #[test]
    fn github_incident_snapshot() {
        insta::assert_json_snapshot!(parse(GITHUB).unwrap());
    }

    #[test]
    fn anthropic_maintenances_walk_their_lifecycle() {
        let s = parse(ANTHROPIC).unwrap();
        assert!(s.components.is_empty());
        assert_eq!(s.incidents.len(), 2);
        for m in &s.incidents {
            assert_eq!(m.kind, IncidentKind::Maintenance);
            assert_eq!(m.impact, Impact::Maintenance);
            assert_eq!(m.status, IncidentStatus::Completed);
            assert!(!m.is_open());
        }
        let m = &s.incidents[0];
        assert_eq!(m.title, "Upgrades to Connector Auth Storage");
        assert_eq!(m.components, ["rwppv331jlwc"]);
        let lifecycle: Vec<IncidentStatus> = m.updates.iter().map(|u| u.status).collect();
        assert_eq!(
            lifecycle,
            [
                IncidentStatus::Completed,
                IncidentStatus::Verifying,
                IncidentStatus::InProgress,
                IncidentStatus::Scheduled
            ]
        );
        assert_eq!(s.incidents[1].components, ["rwppv331jlwc", "0qbwn08sd68x"]);
    }

    #[test]
    fn maintenance_in_progress_and_completed_without_resolved_at() {
        let mut v = fixture(ANTHROPIC);
        let ms = v["scheduled_maintenances"].as_array_mut().unwrap();
        ms[0]["status"] = json!("in_progress");
        ms[0]["resolved_at"] = Value::Null;
        ms[1]["resolved_at"] = Value::Null;
        ms[1]["status"] = json!("something new");
        let s = parse_value(&v);
        assert_eq!(s.incidents[0].status, IncidentStatus::InProgress);
        assert!(s.incidents[0].is_open());
        assert_eq!(
            s.incidents[1].status,
            IncidentStatus::Scheduled,
            "unknown word"
        );

        let mut v = fixture(ANTHROPIC);
        v["scheduled_maintenances"][0]["resolved_at"] = Value::Null;
        let s = parse_value(&v);
        assert_eq!(s.incidents[0].resolved_at, time("2025-08-29T02:40:21.294Z"));
    }

    #[test]
    fn unknown_component_status_is_unknown_not_an_error() {
        let mut v = fixture(OPENAI);
        v["components"][0]["status"] = json!("on_fire");
        v["components"][1]["status"] = Value::Null;
        v["components"][2]["status"] = json!(42);
        v["components"][3]["status"] = json!("under_maintenance");
        v["status"]["indicator"] = json!("apocalyptic");
        let s = parse_value(&v);
        assert_eq!(s.components.len(), 25);
        let st: Vec<Status> = s.components.iter().take(5).map(|c| c.status).collect();
        assert_eq!(
            st,
            [
                Status::Unknown,
                Status::Unknown,
                Status::Unknown,
                Status::Maintenance,
                Status::Operational
            ]
        );
        assert_eq!(s.page_status, Some(Status::Unknown));
    }

    #[test]
    fn groups_are_not_components_but_name_their_children() {
        let v = json!({
            "page": {"id": "p", "name": "Claude", "url": "https://status.claude.com"},
            "status": {"indicator": "minor"},
            "components": [
                {"id": "g1", "name": "APIs", "status": "degraded_performance", "group": true, "components": ["c1", "c2"]},
                {"id": "c1", "name": "Claude API", "status": "degraded_performance", "group": false, "group_id": "g1"},
                {"id": "c2", "name": "Claude Code", "status": "partial_outage", "group_id": "g1"},
                {"id": "c3", "name": "claude.ai", "status": "operational", "group": null, "group_id": "missing"},
                {"name": "No id"},
                {"id": null, "name": null}
            ]
        });
        let s = parse_value(&v);
        assert_eq!(s.page_status, Some(Status::Degraded));
        let got: Vec<(&str, Option<&str>, Status)> = s
            .components
            .iter()
            .map(|c| (c.name.as_str(), c.group.as_deref(), c.status))
            .collect();
        assert_eq!(
            got,
            [
                ("Claude API", Some("APIs"), Status::Degraded),
                ("Claude Code", Some("APIs"), Status::PartialOutage),
                ("claude.ai", None, Status::Operational),
                ("No id", None, Status::Unknown),
            ]
        );
    }

    #[test]
    fn nulls_everywhere_in_an_incident() {
        let v = json!({
            "page": {"url": "https://status.example.com/"},
            "incidents": [{
                "id": "abc", "name": null, "status": null, "impact": null,
                "created_at": null, "started_at": null, "resolved_at": null,
                "updated_at": null, "shortlink": null,
                "incident_updates": null, "components": null
            }, {"name": null}, null, 7]
        });
        let s = parse_value(&v);
        assert_eq!(s.incidents.len(), 1);
        let i = &s.incidents[0];
        assert_eq!(i.title, "abc");
        assert_eq!(i.status, IncidentStatus::Investigating);
        assert_eq!(i.impact, Impact::Minor);
        assert!(i.is_open());
        assert_eq!(i.started_at, None);
        assert_eq!(
            i.url.as_deref(),
            Some("https://status.example.com/incidents/abc")
        );
    }

    #[test]
    fn incidents_json_shape_and_status_json_shape() {
        let v = json!({"page": {}, "incidents": [{"id": "i1", "name": "Down", "status": "postmortem", "impact": "critical"}]});
        let s = parse_value(&v);
        assert_eq!(s.incidents[0].impact, Impact::Critical);
        assert!(!s.incidents[0].is_open());
        assert_eq!(s.page_status, None);

        let s = parse(br#"{"page":{},"status":{"indicator":"maintenance"}}"#).unwrap();
        assert_eq!(s.page_status, Some(Status::Maintenance));
    }

    #[test]
    fn bad_input_is_an_error_never_a_panic() {
        let truncated = &OPENAI[..OPENAI.len() / 2];
        assert!(matches!(parse(truncated), Err(ParseError::Json(_))));
        assert!(matches!(parse(b""), Err(ParseError::Json(_))));
        assert!(matches!(
            parse(b"{\"page\":\xff}"),
            Err(ParseError::NotUtf8(8))
        ));
        for body in [
            &b"[]"[..],
            b"{}",
            b"{\"foo\":1}",
            b"null",
            b"\"summary\"",
            b"{\"page\":{}}",
            include_bytes!(
                "../../../tests/fixtures/status/derived_incidentio_widget_summary_outage.json"
            ),
            include_bytes!("../../../tests/fixtures/status/derived_instatus_summary_incident.json"),
        ] {
            assert!(
                matches!(parse(body), Err(ParseError::Shape { .. })),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let deep = "[".repeat(100_000);
        assert!(matches!(parse(deep.as_bytes()), Err(ParseError::Json(_))));
        let deep_obj = format!("{{\"components\":{}", "[".repeat(100_000));
        assert!(parse(deep_obj.as_bytes()).is_err());
    }

    #[test]
    fn a_byte_order_mark_is_tolerated() {
        let mut body = "\u{feff}".as_bytes().to_vec();
        body.extend_from_slice(OPENAI);
        assert_eq!(parse(&body).unwrap().components.len(), 25);
    }
}
