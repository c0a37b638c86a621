//! RSS 2.0 / Atom feeds: posts grouped into incidents, each open until a post says it is over.
//!
//! Feeds carry no structure, only posts. Posts about one incident are grouped:
//! by guid where a feed updates one item in place (Azure), and by scope plus
//! title once the status marker is out where every post has its own guid
//! (AWS: "Service impact: X" then "Service is operating normally: [RESOLVED] X").
//! The newest post of a group decides whether it is over, and only from what a
//! feed states as a status: a marker in the title, the leading status word of
//! the latest update ("Resolved - ..."), or an explicit category. Never from a
//! word in prose: "we do not have an ETA for when the rollback will be
//! completed" is a live outage.
//!
//! Feeds come in two kinds (catalog `feed_lists`): those that list only live
//! items (Azure), where an item is open for as long as it is listed however
//! quiet it has been, and those that keep history (AWS per-service RSS,
//! Statuspage-style history feeds), where an unresolved group quiet for a day
//! is taken as over because such feeds often never post the resolution.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{ParseContext, ParseError};
use crate::model::{
    Component, Impact, Incident, IncidentKind, IncidentStatus, IncidentUpdate, Snapshot, Status,
};
use crate::monitor::state::matches;

/// An unresolved incident of a history-keeping feed quiet for longer than this is stale.
const STALE: Duration = Duration::hours(24);
/// Closed incidents older than this are not reported at all.
const RECENT: Duration = Duration::days(7);
/// How far into an update its status word may stand ("In progress - ...").
const STATUS_WORD_MAX: usize = 24;

/// What a feed lists (config `feed_lists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedLists {
    /// Only live items: a listed item is live, however old (Azure).
    Live,
    /// Items stay after they are over; quiet unresolved ones age out.
    #[default]
    History,
}

impl FeedLists {
    pub fn parse(s: &str) -> Option<FeedLists> {
        match s.trim() {
            "live" => Some(FeedLists::Live),
            "history" => Some(FeedLists::History),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FeedLists::Live => "live",
            FeedLists::History => "history",
        }
    }
}

pub fn parse(body: &[u8], ctx: &ParseContext<'_>) -> Result<Snapshot, ParseError> {
    let feed = feed_rs::parser::parse(body).map_err(|e| ParseError::Feed(e.to_string()))?;

    let posts: Vec<Post> = feed.entries.iter().map(Post::from_entry).collect();
    let mut groups: Vec<Vec<Post>> = Vec::new();
    for post in posts {
        match groups.iter_mut().find(|g| {
            g.iter()
                .any(|p| p.id == post.id || (!p.title.is_empty() && p.key == post.key))
        }) {
            Some(g) => g.push(post),
            None => groups.push(vec![post]),
        }
    }

    let incidents: Vec<Incident> = groups
        .into_iter()
        .filter_map(|g| incident(g, ctx.now, ctx.feed_lists))
        .collect();

    Ok(Snapshot {
        // A feed has no indicator of its own; its incidents say the rest.
        page_status: Some(Status::Operational),
        components: components(&incidents, ctx.watch),
        incidents,
    })
}

/// Components named by the feed's title tags (xAI: `[API (us-east-1.api.x.ai)]`,
/// `[Grok (iOS)]`), so they can be watched. A feed without tags has none, and
/// its status comes from its incidents alone.
fn components(incidents: &[Incident], watch: &[String]) -> Vec<Component> {
    let mut names: Vec<String> = Vec::new();
    for c in incidents.iter().flat_map(|i| &i.components) {
        if !names.contains(c) {
            names.push(c.clone());
        }
    }
    if names.is_empty() {
        return Vec::new();
    }
    // A watched component no post names today is operational, not missing:
    // the feed only ever names what has trouble.
    for w in watch {
        if !names.iter().any(|n| matches(w, n, n)) {
            names.push(w.trim().to_owned());
        }
    }
    names
        .into_iter()
        .map(|name| {
            // An open post that names no component may touch any of them.
            let status = Status::worst(
                incidents
                    .iter()
                    .filter(|i| i.is_open())
                    .filter(|i| i.components.is_empty() || i.components.contains(&name))
                    .map(|i| i.impact.status())
                    .chain([Status::Operational]),
            );
            Component {
                id: name.clone(),
                name,
                status,
                group: None,
            }
        })
        .collect()
}

struct Post {
    id: String,
    /// Scope, component tags and title without status markers, lower-cased: the grouping key.
    key: String,
    /// Title without status markers or component tags.
    title: String,
    /// Component tags from the title.
    components: Vec<String>,
    /// The status the post states, if it states one.
    status: Option<IncidentStatus>,
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
        let marked = read_title(raw_title);
        let summary = e
            .summary
            .as_ref()
            .map(|t| t.content.clone())
            .or_else(|| e.content.as_ref().and_then(|c| c.body.clone()))
            .unwrap_or_default();
        // The explicit field: a category that is a lifecycle word.
        let category = e
            .categories
            .iter()
            .find_map(|c| IncidentStatus::parse_loose(&c.term));
        let status = marked
            .status
            .or(category)
            .or_else(|| leading_status(&summary));
        let scope = scope(&e.id, &e.categories);
        let mut tags = marked.tags.clone();
        tags.sort();
        Post {
            id: e.id.clone(),
            key: format!(
                "{scope}\u{1f}{}\u{1f}{}",
                tags.join("\u{1e}").to_lowercase(),
                marked.title.to_lowercase()
            ),
            text: strip_html(&summary),
            title: marked.title,
            components: marked.tags,
            status,
            at: e.updated.or(e.published),
            link: e.links.first().map(|l| l.href.clone()),
        }
    }

    fn closes(&self) -> bool {
        self.status.is_some_and(IncidentStatus::is_closed)
    }
}

/// Which service and region a post is about, so that equal titles in
/// different scopes stay apart. AWS guids end in `#<service>-<region>_<epoch>`;
/// other feeds may say it in categories (Azure: services and regions).
fn scope(guid: &str, categories: &[feed_rs::model::Category]) -> String {
    if let Some((_, frag)) = guid.rsplit_once('#')
        && let Some((svc, n)) = frag.rsplit_once('_')
        && !svc.is_empty()
        && !n.is_empty()
        && n.chars().all(|c| c.is_ascii_digit())
    {
        return svc.to_lowercase();
    }
    let mut cats: Vec<String> = categories
        .iter()
        .filter(|c| IncidentStatus::parse_loose(&c.term).is_none())
        .map(|c| c.term.trim().to_lowercase())
        .collect();
    cats.sort();
    cats.join(",")
}

/// A title read for what it states.
#[derive(Debug, PartialEq)]
struct MarkedTitle {
    title: String,
    tags: Vec<String>,
    /// Closed if any marker closes, else live if a marker says so.
    status: Option<IncidentStatus>,
}

/// Prefix markers, as "<marker>:" or "<marker> -", and what each states.
const PREFIXES: &[(&str, IncidentStatus)] = &[
    ("service is operating normally", IncidentStatus::Resolved),
    ("resolved", IncidentStatus::Resolved),
    ("mitigated", IncidentStatus::Resolved),
    ("completed", IncidentStatus::Completed),
    ("service impact", IncidentStatus::Investigating),
    ("service disruption", IncidentStatus::Investigating),
    ("informational message", IncidentStatus::Investigating),
    ("investigating", IncidentStatus::Investigating),
    ("identified", IncidentStatus::Identified),
    ("monitoring", IncidentStatus::Monitoring),
    ("update", IncidentStatus::Investigating),
    ("updated", IncidentStatus::Investigating),
];

/// Bracketed markers, wherever they stand ("Informational message: [RESOLVED] X").
fn bracket_marker(inner: &str) -> Option<IncidentStatus> {
    match inner.trim().to_ascii_lowercase().as_str() {
        "update" | "updated" | "informational" => Some(IncidentStatus::Investigating),
        other => IncidentStatus::parse_loose(other),
    }
}

/// Take status markers and leading component tags out of a title.
fn read_title(raw: &str) -> MarkedTitle {
    let mut found: Vec<IncidentStatus> = Vec::new();
    let mut tags = Vec::new();
    // Bracketed markers anywhere; other brackets at the start are component tags.
    let mut rest = String::new();
    let mut t = raw.trim();
    let mut at_start = true;
    while let Some(open) = t.find('[') {
        let Some(close) = t[open..].find(']').map(|c| open + c) else {
            break;
        };
        let inner = &t[open + 1..close];
        let before = &t[..open];
        if let Some(st) = bracket_marker(inner) {
            found.push(st);
            rest.push_str(before);
        } else if at_start && before.trim().is_empty() && !inner.trim().is_empty() {
            tags.push(inner.trim().to_owned());
        } else {
            rest.push_str(&t[..=close]);
            at_start = false;
        }
        if !before.trim().is_empty() {
            at_start = false;
        }
        t = &t[close + 1..];
    }
    rest.push_str(t);

    // Prefix markers, possibly several ("Resolved: Update: X").
    let mut title = rest.trim().to_owned();
    loop {
        let lower = title.to_ascii_lowercase();
        let hit = PREFIXES.iter().find_map(|(m, st)| {
            let after = lower.strip_prefix(m)?;
            if after.is_empty() {
                return Some((m.len(), *st));
            }
            let trimmed = after.trim_start();
            let sep = trimmed.chars().next()?;
            matches!(sep, ':' | '-' | '\u{2013}' | '\u{2014}')
                .then(|| (title.len() - trimmed.len() + sep.len_utf8(), *st))
        });
        match hit {
            Some((n, st)) if title.is_char_boundary(n) => {
                found.push(st);
                title = title[n..].trim_start().to_owned();
            }
            _ => break,
        }
    }
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let status = found
        .iter()
        .copied()
        .find(|s| s.is_closed())
        .or_else(|| found.first().copied());
    MarkedTitle {
        title,
        tags,
        status,
    }
}

/// The status word an update leads with: "Resolved - ...", "Monitoring: ...",
/// or Statuspage's "<small>date</small><br><strong>Resolved</strong> - ...".
/// Only a known lifecycle word followed by a separator (or nothing) counts.
fn leading_status(html: &str) -> Option<IncidentStatus> {
    let mut rest = html.trim_start();
    // Skip leading tags, and a leading <small> date as a whole.
    while rest.starts_with('<') {
        let lower = rest.get(..7).map(str::to_ascii_lowercase);
        if lower.as_deref() == Some("<small>") {
            let end = rest.to_ascii_lowercase().find("</small>")?;
            rest = rest[end + "</small>".len()..].trim_start();
        } else {
            let end = rest.find('>')?;
            rest = rest[end + 1..].trim_start();
        }
    }
    let text = strip_html(rest);
    let cut = text
        .char_indices()
        .take_while(|(i, _)| *i <= STATUS_WORD_MAX)
        .find(|(_, c)| matches!(c, ':' | '-' | '\u{2013}' | '\u{2014}'))
        .map_or(text.len(), |(i, _)| i);
    if cut == text.len() && text.len() > STATUS_WORD_MAX {
        return None;
    }
    IncidentStatus::parse_loose(text[..cut].trim())
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

fn says_outage(text: &str) -> bool {
    words(text).any(|w| matches!(w.as_str(), "outage" | "outages" | "unavailable" | "down"))
}

fn incident(mut posts: Vec<Post>, now: DateTime<Utc>, lists: FeedLists) -> Option<Incident> {
    // Newest first; undated posts sort last, as the least we know about.
    posts.sort_by_key(|p| std::cmp::Reverse(p.at));
    let newest = posts.first()?;
    let oldest = posts.last()?;
    let last_at = newest.at;

    let resolved = newest.closes();
    let older_than = |d: Duration| {
        last_at.is_some_and(|t| now.checked_sub_signed(d).is_some_and(|cutoff| t < cutoff))
    };
    // A live-only feed still lists it, so it is still live.
    let stale = lists == FeedLists::History && older_than(STALE);
    if (resolved || stale) && older_than(RECENT) {
        return None;
    }
    let status = match newest.status {
        Some(s) if resolved => s,
        _ if resolved || stale => IncidentStatus::Resolved,
        Some(s) => s,
        None => IncidentStatus::Investigating,
    };
    let impact = if posts
        .iter()
        .any(|p| says_outage(&p.text) || says_outage(&p.title))
    {
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
    let mut components: Vec<String> = Vec::new();
    for c in posts.iter().rev().flat_map(|p| &p.components) {
        if !components.contains(c) {
            components.push(c.clone());
        }
    }

    let updates = posts
        .iter()
        .filter_map(|p| {
            Some(IncidentUpdate {
                at: p.at?,
                status: p.status.unwrap_or(IncidentStatus::Investigating),
                body: p.text.clone(),
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
        components,
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
        run_as(body, now, FeedLists::History, &[])
    }

    fn run_as(body: &[u8], now: &str, feed_lists: FeedLists, watch: &[String]) -> Snapshot {
        parse(
            body,
            &ParseContext {
                watch,
                now: at(now),
                feed_lists,
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

    /// A feed that keeps history: a quiet unresolved item ages out.
    #[test]
    fn history_item_goes_stale_after_a_day_and_away_after_a_week() {
        let s = run(AZURE, "2026-07-25T00:00:00Z");
        assert!(!s.incidents[0].is_open());
        assert_eq!(s.incidents[0].resolved_at, None);
        assert!(run(AZURE, "2026-08-05T00:00:00Z").incidents.is_empty());
    }

    /// Azure lists only live items: one still listed is live, however quiet.
    #[test]
    fn live_only_feed_keeps_a_listed_item_open() {
        for now in [
            "2026-07-23T17:00:00Z",
            "2026-07-25T00:00:00Z",
            "2026-08-05T00:00:00Z",
        ] {
            let s = run_as(AZURE, now, FeedLists::Live, &[]);
            assert_eq!(s.incidents.len(), 1, "{now}");
            assert!(s.incidents[0].is_open(), "{now}");
            assert_eq!(s.incidents[0].resolved_at, None);
        }
        // Once it is no longer listed it is over, and a listed resolution still closes.
        let gone = String::from_utf8(AZURE.to_vec()).unwrap();
        let (head, rest) = gone.split_once("<item>").unwrap();
        let (_, tail) = rest.split_once("</item>").unwrap();
        let gone = format!("{head}{tail}");
        assert!(
            run_as(
                gone.as_bytes(),
                "2026-07-25T00:00:00Z",
                FeedLists::Live,
                &[]
            )
            .incidents
            .is_empty()
        );
        let body = rss(&[(
            "z1",
            "[RESOLVED] Issues connecting",
            "Mitigated.",
            "Thu, 23 Jul 2026 17:00:00 GMT",
        )]);
        let s = run_as(&body, "2026-07-25T00:00:00Z", FeedLists::Live, &[]);
        assert!(!s.incidents[0].is_open());
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
        assert_eq!(s.incidents[0].title, "Increased latencies");
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
            feed_lists: FeedLists::History,
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

    /// A post in the live, future or negated sense is no resolution, however
    /// many of the words it holds (the defect seen on a real global outage).
    #[test]
    fn prose_words_never_resolve() {
        for desc in [
            "We do not have an ETA for when the rollback will be completed.",
            "The issue is not yet resolved; engineers are working on it.",
            "Service will be restored once the deployment has completed.",
            "We have mitigated part of the impact but errors continue.",
            "Restoring capacity; we expect it to be resolved within the hour.",
            "Mitigation is in progress. Customers are operating normally in other regions.",
        ] {
            let body = rss(&[(
                "g1",
                "Elevated errors on the API",
                desc,
                "Thu, 23 Jul 2026 16:00:00 GMT",
            )]);
            let s = run(&body, "2026-07-23T17:00:00Z");
            assert_eq!(s.incidents.len(), 1, "{desc}");
            assert!(s.incidents[0].is_open(), "{desc} closed the incident");
        }
        // A title with a status word in its prose is no marker either.
        let body = rss(&[(
            "g1",
            "Degraded performance until the fix is completed",
            "Investigating - We are looking into it.",
            "Thu, 23 Jul 2026 16:00:00 GMT",
        )]);
        assert!(run(&body, "2026-07-23T17:00:00Z").incidents[0].is_open());
    }

    /// Resolution is read where feeds state it: a title marker, the leading
    /// status word of the latest update, or an explicit category.
    #[test]
    fn resolution_markers_close() {
        for (title, desc) in [
            ("[RESOLVED] Elevated errors", "All good."),
            ("Resolved: Elevated errors", "All good."),
            (
                "Service is operating normally: Elevated errors",
                "Fine now.",
            ),
            (
                "Elevated errors",
                "Resolved - This incident has been resolved.",
            ),
            (
                "Elevated errors",
                // Statuspage's history.rss: escaped HTML, newest update first.
                "&lt;p&gt;&lt;small&gt;Jul &lt;var&gt;23&lt;/var&gt;, &lt;var&gt;17:30&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - Fixed.&lt;/p&gt;&lt;p&gt;&lt;small&gt;Jul &lt;var&gt;23&lt;/var&gt;, &lt;var&gt;16:00&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - Looking.&lt;/p&gt;",
            ),
            ("Elevated errors", "Completed: the maintenance is over."),
        ] {
            let body = rss(&[("g1", title, desc, "Thu, 23 Jul 2026 17:30:00 GMT")]);
            let s = run(&body, "2026-07-23T18:00:00Z");
            assert_eq!(s.incidents.len(), 1, "{title} / {desc}");
            assert!(!s.incidents[0].is_open(), "{title} / {desc} stayed open");
        }
        let with_category = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>S</title><link>https://s.example</link><description>d</description>
<item><guid>c1</guid><title>Elevated errors</title><category>Resolved</category><description>It is over.</description><pubDate>Thu, 23 Jul 2026 17:30:00 GMT</pubDate></item>
</channel></rss>"#;
        assert!(!run(with_category, "2026-07-23T18:00:00Z").incidents[0].is_open());
    }

    /// AWS: every post has its own guid; a chain is told by service, region
    /// and title once the status marker is out, wherever it stands.
    #[test]
    fn aws_posts_with_unique_guids_form_one_chain() {
        let g = |n: &str| format!("http://status.aws.amazon.com/#bedrock-us-east-1_{n}");
        let (a, b, c, d) = (
            g("1784822400"),
            g("1784824200"),
            g("1784826000"),
            g("1784826100"),
        );
        let body = rss(&[
            (
                &d,
                "Service is operating normally: [RESOLVED] Increased packet loss",
                "Between 4:00 PM and 5:00 PM PDT we experienced increased packet loss. The issue has been resolved and the service is operating normally.",
                "Thu, 23 Jul 2026 17:01:40 GMT",
            ),
            (
                &c,
                "Informational message: Elevated latency for model invocations",
                "We are investigating elevated latency.",
                "Thu, 23 Jul 2026 17:00:00 GMT",
            ),
            (
                &b,
                "Service impact: Increased packet loss",
                "We continue to work toward recovery; we do not have an ETA for when it will be completed.",
                "Thu, 23 Jul 2026 16:30:00 GMT",
            ),
            (
                &a,
                "Service impact: Increased packet loss",
                "We are investigating increased packet loss in a single Availability Zone.",
                "Thu, 23 Jul 2026 16:00:00 GMT",
            ),
        ]);
        let s = run(&body, "2026-07-23T17:30:00Z");
        assert_eq!(s.incidents.len(), 2, "{:#?}", s.incidents);
        let loss = s
            .incidents
            .iter()
            .find(|i| i.title == "Increased packet loss")
            .expect("the packet loss chain");
        assert_eq!(loss.id, a, "the chain keeps its first post's id");
        assert!(!loss.is_open());
        assert_eq!(loss.resolved_at, Some(at("2026-07-23T17:01:40Z")));
        assert_eq!(loss.started_at, Some(at("2026-07-23T16:00:00Z")));
        assert_eq!(loss.updates.len(), 3);
        let latency = s
            .incidents
            .iter()
            .find(|i| i.title == "Elevated latency for model invocations")
            .expect("the latency chain");
        assert!(latency.is_open());

        // The same title in another service's feed is another event.
        let other = rss(&[
            (
                "http://status.aws.amazon.com/#ec2-us-east-1_1784826100",
                "Service is operating normally: [RESOLVED] Increased packet loss",
                "Fixed.",
                "Thu, 23 Jul 2026 17:01:40 GMT",
            ),
            (
                "http://status.aws.amazon.com/#bedrock-us-east-1_1784822400",
                "Service impact: Increased packet loss",
                "Investigating.",
                "Thu, 23 Jul 2026 16:00:00 GMT",
            ),
        ]);
        let s = run(&other, "2026-07-23T17:30:00Z");
        assert_eq!(s.incidents.len(), 2);
        assert!(s.incidents.iter().any(|i| i.is_open()));
    }

    #[test]
    fn markers_are_stripped() {
        let t = |s: &str| read_title(s).title;
        assert_eq!(t("[RESOLVED] API errors"), "API errors");
        assert_eq!(t("Resolved: [Update] API errors"), "API errors");
        assert_eq!(t("Resolvedness"), "Resolvedness");
        assert_eq!(read_title("Resolvedness").status, None);
        assert_eq!(
            t("Service is operating normally: [RESOLVED] Increased packet loss"),
            "Increased packet loss"
        );
        assert_eq!(
            read_title("Informational message: [RESOLVED] X").status,
            Some(IncidentStatus::Resolved)
        );
        assert_eq!(
            read_title("Service impact: X").status,
            Some(IncidentStatus::Investigating)
        );
        let x = read_title("[API (us-east-1.api.x.ai)] [Resolved] Elevated error rates");
        assert_eq!(x.title, "Elevated error rates");
        assert_eq!(x.tags, vec!["API (us-east-1.api.x.ai)"]);
        assert_eq!(x.status, Some(IncidentStatus::Resolved));
        // A bracket later in the title is part of it.
        assert_eq!(t("Errors on [beta] models"), "Errors on [beta] models");
    }

    /// xAI tags components in its titles; those become watchable components.
    #[test]
    fn xai_title_tags_are_watchable_components() {
        let body = rss(&[
            (
                "x3",
                "[Grok (iOS)] Login failures",
                "Investigating - Users cannot log in.",
                "Thu, 23 Jul 2026 17:00:00 GMT",
            ),
            (
                "x2",
                "[API (us-east-1.api.x.ai)] Elevated error rates",
                "Resolved - This incident has been resolved.",
                "Thu, 23 Jul 2026 16:30:00 GMT",
            ),
            (
                "x1",
                "[API (us-east-1.api.x.ai)] Elevated error rates",
                "Investigating - Requests to the API are failing; the API is down.",
                "Thu, 23 Jul 2026 16:00:00 GMT",
            ),
        ]);
        let watch = vec!["API (us-east-1.api.x.ai)".to_owned(), "Console".to_owned()];
        let s = run_as(&body, "2026-07-23T17:30:00Z", FeedLists::History, &watch);
        assert_eq!(s.incidents.len(), 2);
        let names: Vec<(&str, Status)> = s
            .components
            .iter()
            .map(|c| (c.name.as_str(), c.status))
            .collect();
        assert_eq!(
            names,
            vec![
                ("Grok (iOS)", Status::Degraded),
                ("API (us-east-1.api.x.ai)", Status::Operational),
                ("Console", Status::Operational),
            ]
        );
        let e = crate::monitor::state::evaluate(&s, &watch);
        assert_eq!(e.status, Status::Operational, "the iOS app is not watched");
        assert!(e.missing_watched.is_empty());
    }
}
