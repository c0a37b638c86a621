//! Parse throughput: every recorded fixture through each parser that applies to it.

use std::hint::black_box;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use weathervane::monitor::sources::{ParseContext, Parser};

const CASES: &[(&str, Parser)] = &[
    (
        "statuspage_openai_summary_operational_2026-07-09.json",
        Parser::Statuspage,
    ),
    (
        "statuspage_anthropic_scheduled_maintenances.json",
        Parser::Statuspage,
    ),
    (
        "statuspage_github_incident_copilot_major_2023-04-25.json",
        Parser::Statuspage,
    ),
    ("gcloud_incidents_capture_2026-07.json", Parser::GoogleCloud),
    ("azure_status_rss_incident_2026-07-23.xml", Parser::Feed),
    (
        "derived_incidentio_widget_summary_outage.json",
        Parser::IncidentioNative,
    ),
    ("derived_instatus_summary_incident.json", Parser::Instatus),
];

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests/fixtures/status", name]
        .iter()
        .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(c: &mut Criterion) {
    let watch = vec!["Vertex Gemini API".to_owned(), "Cloud Run".to_owned()];
    let now: DateTime<Utc> = "2026-07-20T00:00:00Z".parse().unwrap_or_default();
    let ctx = ParseContext {
        watch: &watch,
        now,
        feed_lists: Default::default(),
    };
    let mut group = c.benchmark_group("parse");
    for (name, parser) in CASES {
        let body = fixture(name);
        // A bench of an error path would measure nothing useful.
        if let Err(e) = parser.parse(&body, &ctx) {
            panic!("{name} does not parse with {parser:?}: {e}");
        }
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(format!("{parser:?}/{name}"), |b| {
            b.iter(|| parser.parse(black_box(&body), black_box(&ctx)))
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
