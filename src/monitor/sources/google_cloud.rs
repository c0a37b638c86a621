//! Google Cloud `incidents.json` (a bare array), filtered by product.
//!
//! The feed is every incident of the last year across all of Google Cloud and
//! has no components, so this adapter synthesises one component per watched
//! product (or one for all of Google Cloud) from the incidents still open.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::json::{arr_at, kind, squash, str_at, time_at};
use super::{ParseContext, ParseError, json_body};
use crate::model::{
    Component, Impact, Incident, IncidentKind, IncidentStatus, IncidentUpdate, Snapshot, Status,
};
use crate::monitor::state::matches;

const EXPECTED: &str = "a Google Cloud incidents list";
const BASE: &str = "https://status.cloud.google.com/";
/// Ended incidents older than this are history the store already has.
const RECENT: Duration = Duration::days(7);
const ALL_ID: &str = "google-cloud";
const ALL_NAME: &str = "Google Cloud";

pub fn parse(body: &[u8], ctx: &ParseContext<'_>) -> Result<Snapshot, ParseError> {
    let v: Value = json_body(body)?;
    let Some(raw) = v.as_array() else {
        return Err(ParseError::Shape {
            expected: EXPECTED,
            detail: format!("top level is {}, not an array", kind(&v)),
        });
    };
    // Anything in the array that is not an incident object is skipped, but an
    // array of nothing but non-incidents is some other document.
    if !raw.is_empty() && !raw.iter().any(|i| i.is_object()) {
        return Err(ParseError::Shape {
            expected: EXPECTED,
            detail: "array holds no incident objects".into(),
        });
    }
    let incidents: Vec<&Value> = raw.iter().filter(|i| i.is_object()).collect();

    // One synthetic component per watch entry, as (id, name).
    let targets: Vec<(String, String)> = if ctx.watch.is_empty() {
        vec![(ALL_ID.to_owned(), ALL_NAME.to_owned())]
    } else {
        ctx.watch
            .iter()
            .map(|w| {
                let product = incidents
                    .iter()
                    .flat_map(|i| arr_at(i, "affected_products"))
                    .find(|p| product_matches(w, p));
                let id = product.and_then(|p| str_at(p, "id")).unwrap_or(w.trim());
                let name = product.and_then(|p| str_at(p, "title")).unwrap_or(w.trim());
                (id.to_owned(), name.to_owned())
            })
            .collect()
    };

    let touched = |raw: &Value| -> Vec<String> {
        if ctx.watch.is_empty() {
            return vec![ALL_ID.to_owned()];
        }
        let mut ids: Vec<String> = Vec::new();
        for (w, (id, _)) in ctx.watch.iter().zip(&targets) {
            if arr_at(raw, "affected_products")
                .iter()
                .any(|p| product_matches(w, p))
                && !ids.contains(id)
            {
                ids.push(id.clone());
            }
        }
        ids
    };

    let mut components: Vec<Component> = targets
        .iter()
        .map(|(id, name)| Component {
            id: id.clone(),
            name: name.clone(),
            status: Status::Operational,
            group: None,
        })
        .collect();
    // Two watch entries can name the same product (by id and by title).
    let mut seen = std::collections::HashSet::new();
    components.retain(|c| seen.insert(c.id.clone()));

    let mut out = Vec::new();
    for raw in incidents {
        let ids = touched(raw);
        if ids.is_empty() {
            continue;
        }
        let Some(incident) = incident(raw, ids, ctx.now) else {
            continue;
        };
        if incident.is_open() {
            for c in components
                .iter_mut()
                .filter(|c| incident.components.contains(&c.id))
            {
                c.status = c.status.worse(incident.impact.status());
            }
        }
        out.push(incident);
    }

    Ok(Snapshot {
        page_status: None,
        components,
        incidents: out,
    })
}

fn product_matches(watch: &str, product: &Value) -> bool {
    let id = str_at(product, "id").unwrap_or_default();
    let title = str_at(product, "title").unwrap_or_default();
    (!id.is_empty() || !title.is_empty()) && matches(watch, id, title)
}

fn impact(raw: &Value) -> Impact {
    let by_status = match str_at(raw, "status_impact").map(squash).as_deref() {
        Some("serviceinformation") => Some(Impact::Minor),
        Some("servicedisruption") => Some(Impact::Major),
        Some("serviceoutage") => Some(Impact::Critical),
        _ => None,
    };
    by_status.unwrap_or(match str_at(raw, "severity").map(squash).as_deref() {
        Some("high") => Impact::Critical,
        Some("medium") => Impact::Major,
        _ => Impact::Minor,
    })
}

/// Google's updates say only whether the product is available again; the
/// rest of the lifecycle is read from the words engineers use.
fn lifecycle(status: Option<&str>, text: &str, ended: bool) -> IncidentStatus {
    if ended || status.map(squash).as_deref() == Some("available") {
        return IncidentStatus::Resolved;
    }
    let text = text.to_lowercase();
    if [
        "root cause",
        "identified",
        "mitigation",
        "mitigating",
        "rolled back",
        "rollback",
    ]
    .iter()
    .any(|w| text.contains(w))
    {
        IncidentStatus::Identified
    } else {
        IncidentStatus::Investigating
    }
}

fn incident(raw: &Value, components: Vec<String>, now: DateTime<Utc>) -> Option<Incident> {
    let end = time_at(raw, "end");
    // An `end` that is present but unreadable still means it ended.
    let ended = end.is_some() || str_at(raw, "end").is_some();
    if let Some(end) = end
        && now
            .checked_sub_signed(RECENT)
            .is_some_and(|cutoff| end < cutoff)
    {
        return None;
    }
    let id = str_at(raw, "id")
        .or_else(|| str_at(raw, "number"))?
        .to_owned();
    let latest = raw.get("most_recent_update").unwrap_or(&Value::Null);
    let status = lifecycle(
        str_at(latest, "status"),
        str_at(latest, "text").unwrap_or_default(),
        ended,
    );

    let mut updates: Vec<IncidentUpdate> = arr_at(raw, "updates")
        .iter()
        .filter_map(|u| {
            let body = str_at(u, "text").unwrap_or_default();
            Some(IncidentUpdate {
                at: time_at(u, "when").or_else(|| time_at(u, "created"))?,
                status: lifecycle(str_at(u, "status"), body, false),
                body: body.to_owned(),
            })
        })
        .collect();
    updates.sort_by_key(|u| std::cmp::Reverse(u.at));

    let title = str_at(raw, "external_desc")
        .or_else(|| str_at(raw, "service_name"))
        .unwrap_or(&id);
    let url = str_at(raw, "uri").map(|u| {
        if u.starts_with("https://") || u.starts_with("http://") {
            u.to_owned()
        } else {
            format!("{BASE}{}", u.trim_start_matches('/'))
        }
    });

    Some(Incident {
        title: title.to_owned(),
        kind: IncidentKind::Incident,
        impact: impact(raw),
        status,
        started_at: time_at(raw, "begin").or_else(|| time_at(raw, "created")),
        resolved_at: end.or_else(|| ended.then(|| time_at(raw, "modified")).flatten()),
        updated_at: time_at(raw, "modified"),
        url,
        components,
        updates,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    const GCLOUD: &[u8] =
        include_bytes!("../../../tests/fixtures/status/gcloud_incidents_capture_2026-07.json");

    fn at(s: &str) -> DateTime<Utc> {
        super::super::json::parse_time(s).unwrap()
    }

    fn run(body: &[u8], watch: &[&str], now: &str) -> Snapshot {
        let watch: Vec<String> = watch.iter().map(|s| s.to_string()).collect();
        parse(
            body,
            &ParseContext {
                watch: &watch,
                now: at(now),
                feed_lists: Default::default(),
            },
        )
        .unwrap()
    }

    /// The capture with the Vertex Gemini incident still open (its `end` removed).
    fn vertex_open() -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(GCLOUD).unwrap();
        let i = v
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|i| i["id"] == "41E5S3mkTGDfkZuJZH5k")
            .unwrap();
        i.as_object_mut().unwrap().remove("end");
        i["most_recent_update"]["status"] = json!("SERVICE_INFORMATION");
        i["most_recent_update"]["text"] = json!("We are investigating elevated errors.");
        v.to_string().into_bytes()
    }

    #[test]
    fn vertex_gemini_incident_found_by_product_filter() {
        // A day after it ended, it is still listed, resolved.
        let s = run(GCLOUD, &["Vertex Gemini API"], "2026-02-28T12:00:00Z");
        assert_eq!(
            s.components,
            [Component {
                id: "Z0FZJAMvEB4j3NbCJs6B".into(),
                name: "Vertex Gemini API".into(),
                status: Status::Operational,
                group: None,
            }]
        );
        assert_eq!(s.incidents.len(), 1);
        let i = &s.incidents[0];
        assert_eq!(i.id, "41E5S3mkTGDfkZuJZH5k");
        assert!(
            i.title
                .starts_with("Vertex AI Gemini API customers experienced")
        );
        assert_eq!(i.impact, Impact::Minor, "SERVICE_INFORMATION");
        assert_eq!(i.status, IncidentStatus::Resolved);
        assert!(!i.is_open());
        assert_eq!(i.started_at, Some(at("2026-02-27T12:37:00Z")));
        assert_eq!(i.resolved_at, Some(at("2026-02-27T14:35:00Z")));
        assert_eq!(
            i.url.as_deref(),
            Some("https://status.cloud.google.com/incidents/41E5S3mkTGDfkZuJZH5k")
        );
        assert_eq!(i.components, ["Z0FZJAMvEB4j3NbCJs6B"]);
        assert_eq!(i.updates.len(), 3);
        assert!(i.updates[0].body.starts_with("# Incident Report"));
    }

    #[test]
    fn watch_by_id_or_title_ignores_case_and_spacing() {
        let s = run(GCLOUD, &["vertex  gemini api"], "2026-02-28T00:00:00Z");
        assert_eq!(s.components[0].id, "Z0FZJAMvEB4j3NbCJs6B");
        let s = run(GCLOUD, &["Z0FZJAMvEB4j3NbCJs6B"], "2026-02-28T00:00:00Z");
        assert_eq!(s.components[0].name, "Vertex Gemini API");
        assert_eq!(s.incidents.len(), 1);
    }

    #[test]
    fn old_ended_incidents_are_dropped() {
        let s = run(GCLOUD, &["Vertex Gemini API"], "2026-07-20T00:00:00Z");
        assert!(s.incidents.is_empty());
        assert_eq!(s.components[0].status, Status::Operational);
        // Everything, as of the capture: only the two VMware ones ended within a week.
        let s = run(GCLOUD, &[], "2026-07-20T00:00:00Z");
        assert_eq!(s.components.len(), 1);
        assert_eq!(s.components[0].id, "google-cloud");
        assert_eq!(s.components[0].status, Status::Operational);
        let ids: Vec<&str> = s.incidents.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["3BvH3LVGcupoYqV6F4Nw", "T8gmtofFSTGT5tbhyciF"]);
        assert!(s.incidents.iter().all(|i| i.impact == Impact::Major));
        assert!(s.incidents.iter().all(|i| i.components == ["google-cloud"]));
    }

    #[test]
    fn an_open_incident_degrades_only_what_it_touches() {
        let body = vertex_open();
        let s = run(
            &body,
            &["Vertex Gemini API", "Cloud Run"],
            "2026-07-20T00:00:00Z",
        );
        let st: Vec<(&str, &str, Status)> = s
            .components
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str(), c.status))
            .collect();
        assert_eq!(
            st,
            [
                (
                    "Z0FZJAMvEB4j3NbCJs6B",
                    "Vertex Gemini API",
                    Status::Degraded
                ),
                ("Cloud Run", "Cloud Run", Status::Operational),
            ]
        );
        assert_eq!(s.incidents.len(), 1);
        assert!(s.incidents[0].is_open());
        assert_eq!(s.incidents[0].status, IncidentStatus::Investigating);

        let s = run(&body, &[], "2026-07-20T00:00:00Z");
        assert_eq!(s.components[0].status, Status::Degraded);
        assert_eq!(s.incidents.len(), 3);
    }

    #[test]
    fn impact_falls_back_to_severity_and_nulls_are_tolerated() {
        let body = json!([
            {"id": "a", "end": null, "severity": "high", "status_impact": null,
             "affected_products": [{"title": "Vertex Gemini API", "id": "vg"}],
             "most_recent_update": {"status": "SERVICE_OUTAGE", "text": "Mitigation is underway."},
             "updates": null, "uri": null, "external_desc": null, "service_name": "Vertex AI"},
            {"id": "b", "severity": "surprising", "affected_products": [{"title": "Vertex Gemini API"}],
             "most_recent_update": null, "updates": [{"text": "no time"}], "uri": "https://example.com/b"},
            {"id": null},
            "not an incident",
            42
        ]);
        let s = run(
            body.to_string().as_bytes(),
            &["Vertex Gemini API"],
            "2026-07-20T00:00:00Z",
        );
        assert_eq!(s.components[0].id, "vg");
        assert_eq!(s.components[0].status, Status::MajorOutage);
        assert_eq!(s.incidents.len(), 2);
        let a = &s.incidents[0];
        assert_eq!(
            (a.impact, a.status),
            (Impact::Critical, IncidentStatus::Identified)
        );
        assert_eq!(a.title, "Vertex AI");
        let b = &s.incidents[1];
        assert_eq!(b.impact, Impact::Minor);
        assert!(b.updates.is_empty());
        assert_eq!(b.url.as_deref(), Some("https://example.com/b"));
    }

    #[test]
    fn empty_list_is_all_clear() {
        let s = run(b"[]", &[], "2026-07-20T00:00:00Z");
        assert_eq!(s.components[0].status, Status::Operational);
        assert!(s.incidents.is_empty());
    }

    #[test]
    fn bad_input() {
        let ctx = ParseContext {
            watch: &[],
            now: Utc::now(),
            feed_lists: Default::default(),
        };
        for body in [&b"{}"[..], b"{\"incidents\":[]}", b"[1,2,3]", b"null"] {
            assert!(matches!(parse(body, &ctx), Err(ParseError::Shape { .. })));
        }
        assert!(matches!(
            parse(&GCLOUD[..5000], &ctx),
            Err(ParseError::Json(_))
        ));
        assert!(matches!(parse(b"", &ctx), Err(ParseError::Json(_))));
        assert!(matches!(
            parse(b"[\"\xff\"]", &ctx),
            Err(ParseError::NotUtf8(2))
        ));
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse(deep.as_bytes(), &ctx),
            Err(ParseError::Json(_))
        ));
    }
}
