//! RSS 2.0 / Atom feeds: recent items that are not resolutions mark open incidents.
//!
//! Feeds carry no structure, only posts. Posts about one incident are grouped
//! (same guid, or the same title once a "[RESOLVED]" style marker is removed);
//! the newest post of a group decides whether it is over. Status feeds that
//! double as history (AWS per-service RSS) keep old posts forever, so an
//! unresolved group that has been quiet for a day is taken as over.

use chrono::{DateTime, Duration, Utc};

use super::{ParseContext, ParseError};
use crate::model::{
    Impact, Incident, IncidentKind, IncidentStatus, IncidentUpdate, Snapshot, Status,
};

/// An unresolved incident quiet for longer than this is stale history.
const STALE: Duration = Duration::hours(24);
/// Closed incidents older than this are not reported at all.
const RECENT: Duration = Duration::days(7);

pub fn parse(body: &[u8], ctx: &ParseContext<'_>) -> Result<Snapshot, ParseError> {
    let feed = feed_rs::parser::parse(body).map_err(|e| ParseError::Feed(e.to_string()))?;

    let posts: Vec<Post> = feed.entries.iter().map(Post::from_entry).collect();
    let mut groups: Vec<Vec<Post>> = Vec::new();
    for post in posts {
        match groups.iter_mut().find(|g| {
            g.iter()
                .any(|p| p.id == post.id || (!p.key.is_empty() && p.key == post.key))
        }) {
            Some(g) => g.push(post),
            None => groups.push(vec![post]),
        }
    }

    let incidents = groups
        .into_iter()
        .filter_map(|g| incident(g, ctx.now))
        .collect();

    Ok(Snapshot {
        // A feed has no indicator of its own; its incidents say the rest.
        page_status: Some(Status::Operational),
        components: Vec::new(),
        incidents,
    })
}

struct Post {
    id: String,
    /// Title without resolution markers, lower-cased: the grouping key.
    key: String,
    title: String,
    text: String,
    at: Option<DateTime<Utc>>,
    link: Option<String>,
}

impl Post {
    fn from_entry(e: &feed_rs::model::Entry) -> Post {
        let raw_title = e
            .title
            .as_ref()
            .map(|t| t.content.trim())
            .unwrap_or_default();
        let title = strip_marker(raw_title).to_owned();
        let summary = e
            .summary
            .as_ref()
            .map(|t| t.content.clone())
            .or_else(|| e.content.as_ref().and_then(|c| c.body.clone()))
            .unwrap_or_default();
        Post {
            id: e.id.clone(),
            key: title.to_lowercase(),
            // The marker is kept in the text so resolution is still seen.
            text: format!("{raw_title}\n{}", strip_html(&summary)),
            title,
            at: e.updated.or(e.published),
            link: e.links.first().map(|l| l.href.clone()),
        }
    }
}

/// Remove a leading resolution marker: "[RESOLVED] ...", "Resolved: ...".
fn strip_marker(title: &str) -> &str {
    let mut t = title.trim();
    loop {
        let lower = t.to_ascii_lowercase();
        let cut = [
            "[resolved]",
            "resolved:",
            "resolved -",
            "[mitigated]",
            "mitigated:",
            "[update]",
            "update:",
        ]
        .iter()
        .find(|m| lower.starts_with(*m))
        .map(|m| m.len());
        match cut {
            Some(n) if t.is_char_boundary(n) => t = t[n..].trim_start(),
            _ => return t,
        }
    }
}

fn strip_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

fn says_resolved(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("operating normally")
        || words(text).any(|w| matches!(w.as_str(), "resolved" | "mitigated" | "completed"))
}

fn says_outage(text: &str) -> bool {
    words(text).any(|w| matches!(w.as_str(), "outage" | "outages" | "unavailable" | "down"))
}

fn incident(mut posts: Vec<Post>, now: DateTime<Utc>) -> Option<Incident> {
    // Newest first; undated posts sort last, as the least we know about.
    posts.sort_by_key(|p| std::cmp::Reverse(p.at));
    let newest = posts.first()?;
    let oldest = posts.last()?;
    let last_at = newest.at;

    let resolved = says_resolved(&newest.text);
    let older_than = |d: Duration| {
        last_at.is_some_and(|t| now.checked_sub_signed(d).is_some_and(|cutoff| t < cutoff))
    };
    let stale = older_than(STALE);
    if (resolved || stale) && older_than(RECENT) {
        return None;
    }
    let status = if resolved || stale {
        IncidentStatus::Resolved
    } else {
        IncidentStatus::Investigating
    };
    let impact = if posts.iter().any(|p| says_outage(&p.text)) {
        Impact::Major
    } else {
        Impact::Minor
    };
    // The first post names the incident; later ones may just say "resolved".
    let title = posts
        .iter()
        .rev()
        .map(|p| p.title.as_str())
        .find(|t| !t.is_empty())
        .unwrap_or("Untitled status post")
        .to_owned();

    let updates = posts
        .iter()
        .filter_map(|p| {
            Some(IncidentUpdate {
                at: p.at?,
                status: if says_resolved(&p.text) {
                    IncidentStatus::Resolved
                } else {
                    IncidentStatus::Investigating
                },
                body: p.text.split_once('\n').map_or("", |(_, b)| b).to_owned(),
            })
        })
        .collect();

    Some(Incident {
        // The first post's id stays put while follow-ups arrive.
        id: oldest.id.clone(),
        kind: IncidentKind::Incident,
        title,
        impact,
        status,
        started_at: posts.iter().filter_map(|p| p.at).min(),
        // A stale group never said it was over: we do not know when it ended.
        resolved_at: if resolved { last_at } else { None },
        updated_at: last_at,
        url: posts.iter().find_map(|p| p.link.clone()),
        components: Vec::new(),
        updates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const AZURE: &[u8] =
        include_bytes!("../../../tests/fixtures/status/azure_status_rss_incident_2026-07-23.xml");

    fn at(s: &str) -> DateTime<Utc> {
        super::super::json::parse_time(s).unwrap()
    }

    fn run(body: &[u8], now: &str) -> Snapshot {
        parse(
            body,
            &ParseContext {
                watch: &[],
                now: at(now),
            },
        )
        .unwrap()
    }

    fn rss(items: &[(&str, &str, &str, &str)]) -> Vec<u8> {
        let items: String = items
            .iter()
            .map(|(guid, title, desc, date)| {
                format!(
                    "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>\
                     <link>https://status.example.com/{guid}</link>\
                     <description>{desc}</description><pubDate>{date}</pubDate></item>"
                )
            })
            .collect();
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>S</title>\
             <link>https://status.example.com</link><description>d</description>{items}</channel></rss>"
        )
        .into_bytes()
    }

    #[test]
    fn azure_item_is_an_open_incident() {
        let s = run(AZURE, "2026-07-23T17:00:00Z");
        assert_eq!(s.page_status, Some(Status::Operational));
        assert!(s.components.is_empty());
        assert_eq!(s.incidents.len(), 1);
        let i = &s.incidents[0];
        assert_eq!(i.id, "issues-connecting-to-resources-in-west-us");
        assert_eq!(i.title, "Issues connecting to resources in West US");
        assert!(i.is_open());
        assert_eq!(i.status, IncidentStatus::Investigating);
        assert_eq!(i.started_at, Some(at("2026-07-23T16:29:09Z")));
        assert_eq!(
            i.url.as_deref(),
            Some("https://azurestatusprodncus.azurewebsites.net/en-us/status/")
        );
        // "downstream impact" is not "down".
        assert_eq!(i.impact, Impact::Minor);
        assert!(
            i.updates[0]
                .body
                .starts_with("We are investigating a networking issue")
        );
        assert!(!i.updates[0].body.contains("<p>"));
    }

    #[test]
    fn azure_item_goes_stale_after_a_day_and_away_after_a_week() {
        let s = run(AZURE, "2026-07-25T00:00:00Z");
        assert!(!s.incidents[0].is_open());
        assert_eq!(s.incidents[0].resolved_at, None);
        assert!(run(AZURE, "2026-08-05T00:00:00Z").incidents.is_empty());
    }

    #[test]
    fn a_resolution_post_closes_its_incident() {
        let body = rss(&[
            (
                "r1",
                "[RESOLVED] Elevated API errors",
                "The issue has been mitigated.",
                "Thu, 23 Jul 2026 17:30:00 GMT",
            ),
            (
                "a1",
                "Elevated API errors",
                "Requests are failing; the API is unavailable.",
                "Thu, 23 Jul 2026 16:00:00 GMT",
            ),
            (
                "b1",
                "Slow console",
                "We are investigating.",
                "Thu, 23 Jul 2026 17:00:00 GMT",
            ),
        ]);
        let s = run(&body, "2026-07-23T18:00:00Z");
        assert_eq!(s.incidents.len(), 2);
        let api = &s.incidents[0];
        assert_eq!(api.id, "a1");
        assert_eq!(api.title, "Elevated API errors");
        assert_eq!(api.status, IncidentStatus::Resolved);
        assert_eq!(api.resolved_at, Some(at("2026-07-23T17:30:00Z")));
        assert_eq!(api.impact, Impact::Major, "unavailable");
        assert_eq!(api.updates.len(), 2);
        assert_eq!(api.updates[0].status, IncidentStatus::Resolved);
        let console = &s.incidents[1];
        assert!(console.is_open());
        assert_eq!(console.impact, Impact::Minor);
    }

    #[test]
    fn same_guid_groups_updates_and_operating_normally_closes() {
        let body = rss(&[
            (
                "aws-1",
                "Informational message: Increased latencies",
                "We are investigating.",
                "Thu, 23 Jul 2026 16:00:00 GMT",
            ),
            (
                "aws-1",
                "Service is operating normally",
                "The issue is fixed.",
                "Thu, 23 Jul 2026 17:00:00 GMT",
            ),
        ]);
        let s = run(&body, "2026-07-23T18:00:00Z");
        assert_eq!(s.incidents.len(), 1);
        assert_eq!(s.incidents[0].status, IncidentStatus::Resolved);
        assert_eq!(
            s.incidents[0].title,
            "Informational message: Increased latencies"
        );
    }

    #[test]
    fn atom_feed_and_undated_entries() {
        let atom = br#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><id>urn:f</id><updated>2026-07-23T16:00:00Z</updated>
<entry><id>urn:e1</id><title>Major outage of chat</title><updated>2026-07-23T16:00:00Z</updated>
<link href="https://status.x.ai/e1"/><summary>Chat is down.</summary></entry>
<entry><id>urn:e2</id><title>No date here</title></entry>
</feed>"#;
        let s = run(atom, "2026-07-23T17:00:00Z");
        assert_eq!(s.incidents.len(), 2);
        assert_eq!(s.incidents[0].impact, Impact::Major);
        assert_eq!(
            s.incidents[0].url.as_deref(),
            Some("https://status.x.ai/e1")
        );
        assert!(s.incidents[1].is_open(), "undated posts cannot go stale");
        assert!(s.incidents[1].updates.is_empty());
    }

    #[test]
    fn empty_feed_is_operational() {
        let s = run(&rss(&[]), "2026-07-23T17:00:00Z");
        assert_eq!(s.page_status, Some(Status::Operational));
        assert!(s.incidents.is_empty());
    }

    #[test]
    fn bad_input_is_a_feed_error_never_a_panic() {
        let ctx = ParseContext {
            watch: &[],
            now: Utc::now(),
        };
        for body in [
            &b""[..],
            b"not xml",
            b"<html><body>hi</body></html>",
            b"<rss version=\"2.0\"><channel><item><title>x",
            &AZURE[..AZURE.len() / 2],
        ] {
            let r = parse(body, &ctx);
            assert!(matches!(r, Err(ParseError::Feed(_))), "{r:?}");
        }
        // Non-UTF-8: whatever feed-rs makes of it, but no panic and no incident.
        for body in [
            &b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>\xff\xfe</title></channel></rss>"[..],
            b"\xff\xfe\x00<\x00r",
        ] {
            let r = parse(body, &ctx);
            assert!(!matches!(r, Ok(ref s) if !s.incidents.is_empty()), "{r:?}");
        }
        let deep = "<rss version=\"2.0\"><channel>".to_owned() + &"<a>".repeat(50_000);
        assert!(parse(deep.as_bytes(), &ctx).is_err());
    }

    #[test]
    fn markers_are_stripped() {
        assert_eq!(strip_marker("[RESOLVED] API errors"), "API errors");
        assert_eq!(strip_marker("Resolved: [Update] API errors"), "API errors");
        assert_eq!(strip_marker("Resolvedness"), "Resolvedness");
    }
}
