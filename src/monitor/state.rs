//! Joins a source's snapshot with what the user watches: component `watched` flags, the provider's status, missing components.

use std::collections::HashSet;

use crate::model::{ComponentState, Incident, Snapshot, Status};

/// A snapshot seen through the user's watch list.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    pub status: Status,
    pub components: Vec<ComponentState>,
    /// Watch entries that match no component the source lists (renamed or removed).
    pub missing_watched: Vec<String>,
    pub incidents: Vec<Incident>,
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Does a watch entry name this component? By id exactly, or by name ignoring
/// case and runs of whitespace, so "claude api" and "Claude  API" both match.
pub fn matches(entry: &str, id: &str, name: &str) -> bool {
    let entry = entry.trim();
    entry == id || norm(entry) == norm(name)
}

/// Evaluate a snapshot against a watch list (empty = watch everything).
///
/// The provider's status is the worst status of its watched components. When
/// the source has no components, or none of the watched ones is there any
/// more, it falls back to the open incidents' impact and the page indicator,
/// so a renamed component never silently turns an outage into "operational".
pub fn evaluate(snapshot: &Snapshot, watch: &[String]) -> Evaluated {
    let watch_all = watch.is_empty();
    // Sets on both sides, so matching is linear in watch entries plus components (a
    // 10k-entry list against 65k components took minutes pairwise). Same rule as
    // [`matches`]: an entry names a component by its id, or by its normalised name.
    let watch_ids: HashSet<&str> = watch.iter().map(|w| w.trim()).collect();
    let watch_names: HashSet<String> = watch.iter().map(|w| norm(w)).collect();
    let page_ids: HashSet<&str> = snapshot.components.iter().map(|c| c.id.as_str()).collect();
    let page_names: HashSet<String> = snapshot.components.iter().map(|c| norm(&c.name)).collect();
    let components: Vec<ComponentState> = snapshot
        .components
        .iter()
        .map(|c| ComponentState {
            id: c.id.clone(),
            name: c.name.clone(),
            status: c.status,
            watched: watch_all
                || watch_ids.contains(c.id.as_str())
                || watch_names.contains(&norm(&c.name)),
        })
        .collect();
    let missing_watched: Vec<String> = watch
        .iter()
        .filter(|w| !page_ids.contains(w.trim()) && !page_names.contains(&norm(w)))
        .cloned()
        .collect();

    let watched_ids: HashSet<&str> = components
        .iter()
        .filter(|c| c.watched)
        .map(|c| c.id.as_str())
        .collect();

    let status = if !watched_ids.is_empty() {
        Status::worst(components.iter().filter(|c| c.watched).map(|c| c.status))
    } else {
        // No components to read: derive from open incidents (all of them, since
        // we cannot tell which products they touch), then the page indicator.
        let from_incidents = Status::worst(
            snapshot
                .incidents
                .iter()
                .filter(|i| i.is_open())
                .map(|i| i.impact.status()),
        );
        let base = snapshot
            .page_status
            .unwrap_or(if snapshot.components.is_empty() {
                Status::Operational
            } else {
                Status::Unknown
            });
        base.worse(from_incidents)
    };

    // Incidents relevant to the user: those that touch a watched component, or
    // that name no components at all (incident.io does not say).
    let incidents = snapshot
        .incidents
        .iter()
        .filter(|i| {
            watch_all
                || i.components.is_empty()
                || i.components
                    .iter()
                    .any(|c| watched_ids.contains(c.as_str()))
        })
        .cloned()
        .collect();

    Evaluated {
        status,
        components,
        missing_watched,
        incidents,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Component, Impact, IncidentKind, IncidentStatus};

    /// A 10k-entry watch list against 65k components took minutes when every entry was
    /// compared with every component. No timing assert: it finishes within the test's
    /// normal run only if matching is linear, and the answer is checked.
    #[test]
    fn a_huge_watch_list_against_a_huge_page_is_matched_linearly() {
        let components: Vec<Component> = (0..65_000)
            .map(|i| {
                comp(
                    &format!("id{i}"),
                    &format!("Component  {i}"),
                    Status::Operational,
                )
            })
            .collect();
        let mut snapshot = Snapshot {
            page_status: None,
            components,
            incidents: vec![],
        };
        snapshot.components[64_999].status = Status::MajorOutage;
        let mut watch: Vec<String> = (0..9_998).map(|i| format!("component {}", i * 6)).collect();
        watch.push("id64999".into());
        watch.push("gone".into());
        let e = evaluate(&snapshot, &watch);
        assert_eq!(e.components.iter().filter(|c| c.watched).count(), 9_999);
        assert_eq!(e.missing_watched, ["gone"]);
        assert_eq!(e.status, Status::MajorOutage);
    }

    fn comp(id: &str, name: &str, status: Status) -> Component {
        Component {
            id: id.into(),
            name: name.into(),
            status,
            group: None,
        }
    }

    fn snap() -> Snapshot {
        Snapshot {
            page_status: Some(Status::Degraded),
            components: vec![
                comp("a1", "Claude API", Status::Operational),
                comp("a2", "Claude Code", Status::Operational),
                comp("a3", "claude.ai", Status::MajorOutage),
            ],
            incidents: vec![],
        }
    }

    #[test]
    fn status_is_worst_of_watched_only() {
        let e = evaluate(&snap(), &["Claude API".into(), "a2".into()]);
        assert_eq!(e.status, Status::Operational);
        assert_eq!(
            e.components.iter().filter(|c| c.watched).count(),
            2,
            "matched by name and by id"
        );
        assert!(e.missing_watched.is_empty());
    }

    #[test]
    fn empty_watch_means_everything() {
        let e = evaluate(&snap(), &[]);
        assert_eq!(e.status, Status::MajorOutage);
        assert!(e.components.iter().all(|c| c.watched));
    }

    #[test]
    fn name_match_ignores_case_and_spacing() {
        let e = evaluate(&snap(), &["  claude   api ".into()]);
        assert!(e.components[0].watched);
    }

    #[test]
    fn renamed_component_is_reported_and_falls_back_to_page() {
        let e = evaluate(&snap(), &["Claude API (old name)".into()]);
        assert_eq!(e.missing_watched, vec!["Claude API (old name)".to_string()]);
        // Nothing watched is left: the page indicator speaks, not "operational".
        assert_eq!(e.status, Status::Degraded);
    }

    #[test]
    fn componentless_source_uses_open_incidents() {
        let s = Snapshot {
            page_status: None,
            components: vec![],
            incidents: vec![Incident {
                id: "x".into(),
                kind: IncidentKind::Incident,
                title: "Errors".into(),
                impact: Impact::Major,
                status: IncidentStatus::Investigating,
                started_at: None,
                resolved_at: None,
                updated_at: None,
                url: None,
                components: vec![],
                updates: vec![],
            }],
        };
        assert_eq!(evaluate(&s, &[]).status, Status::PartialOutage);
    }
}
