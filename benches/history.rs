//! History store benchmarks: a year of 1-minute samples for 15 providers, then the reads
//! the dashboard and CLI make and the writes the poller makes.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use weathervane::model::{ComponentState, Observation, Status};
use weathervane::store::{GENERATED_PROVIDER_IDS, Store, generate_history};

const PROVIDERS: usize = 15;
const IDS: [&str; PROVIDERS] = GENERATED_PROVIDER_IDS;

/// Mid-afternoon, so "today" is a partly rolled day as it would be in real use.
fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 13, 37, 0)
        .single()
        .unwrap_or_default()
}

fn file_mb(p: &Path) -> f64 {
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let wal = p.with_extension("db-wal");
    (size(p) + size(&wal)) as f64 / (1024.0 * 1024.0)
}

fn observation(provider: &str, at: DateTime<Utc>, i: i64) -> Observation {
    let status = if i % 97 == 0 {
        Status::Degraded
    } else {
        Status::Operational
    };
    Observation {
        provider_id: provider.into(),
        at,
        status,
        source_ok: true,
        http_status: Some(200),
        latency_ms: Some(140),
        error: None,
        reason: None,
        missing_watched: vec![],
        components: ["api", "chat", "console"]
            .iter()
            .map(|c| ComponentState {
                id: (*c).into(),
                name: c.to_uppercase(),
                status,
                watched: true,
            })
            .collect(),
        incidents: vec![],
    }
}

/// The 15 generated providers as a config, so the dashboard views have names and pages.
fn dashboard_config() -> weathervane::config::Config {
    let mut text = String::from("catalog = false\n");
    for id in IDS {
        text.push_str(&format!(
            "[[providers]]\nid = \"{id}\"\nname = \"{id}\"\nkind = \"statuspage\"\nurl = \"https://{id}.example\"\n\n"
        ));
    }
    weathervane::config::Config::parse(&text, Path::new("bench.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn history(c: &mut Criterion) {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("no temp dir: {e}"),
    };
    let path = dir.path().join("history.db");
    let started = Instant::now();
    {
        let mut store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
        generate_history(&mut store, PROVIDERS, 365, 60, end(), 42)
            .unwrap_or_else(|e| panic!("{e}"));
    } // closing the last connection checkpoints the WAL into the file
    eprintln!(
        "generated 365 days x {PROVIDERS} providers at 1-minute steps in {:.1} s; database {:.1} MB",
        started.elapsed().as_secs_f64(),
        file_mb(&path)
    );
    // A pristine copy for the destructive prune benchmark.
    let base = dir.path().join("base.db");
    if let Err(e) = std::fs::copy(&path, &base) {
        panic!("copy: {e}");
    }

    let mut store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let today = end().date_naive();

    let mut g = c.benchmark_group("read");
    g.bench_function("daily_bars_90d_all_15_providers", |b| {
        b.iter(|| {
            for id in IDS {
                black_box(store.daily_bars(id, None, 90, today).unwrap_or_default());
            }
        })
    });
    for (name, days) in [("24h", 1), ("7d", 7), ("30d", 30), ("90d", 90)] {
        g.bench_function(format!("uptime_{name}_one_provider"), |b| {
            b.iter(|| {
                black_box(
                    store
                        .uptime("anthropic", None, end() - Duration::days(days), end())
                        .ok(),
                )
            })
        });
    }
    g.bench_function("uptime_90d_one_component", |b| {
        b.iter(|| {
            black_box(
                store
                    .uptime("anthropic", Some("api"), end() - Duration::days(90), end())
                    .ok(),
            )
        })
    });
    g.bench_function("incidents_90d_all", |b| {
        b.iter(|| black_box(store.incidents(None, end() - Duration::days(90)).ok()))
    });
    g.bench_function("latest_all", |b| {
        b.iter(|| black_box(store.latest_all().ok()))
    });
    g.finish();

    // What the dashboard's commands compute, on the same year of history: the overview
    // (also the tray's source) and the 90-day History page.
    let config = dashboard_config();
    let mut g = c.benchmark_group("dashboard");
    g.bench_function("overview_15_providers", |b| {
        b.iter(|| {
            black_box(weathervane::views::dashboard::overview(&store, &config, None, end()).ok())
        })
    });
    g.bench_function("history_page_90d_15_providers", |b| {
        b.iter(|| {
            black_box(weathervane::views::dashboard::history(&store, &config, 90, end()).ok())
        })
    });
    g.finish();

    let mut g = c.benchmark_group("write");
    g.throughput(Throughput::Elements(PROVIDERS as u64));
    let mut minute = 0i64;
    g.bench_function("record_one_poll_of_15_providers", |b| {
        b.iter(|| {
            minute += 1;
            let at = end() + Duration::minutes(minute);
            for id in IDS {
                store
                    .record(&observation(id, at, minute))
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("maintenance");
    g.sample_size(10)
        .measurement_time(StdDuration::from_secs(10));
    // Rewind the watermarks by a day with a second connection, so each rollup redoes a
    // full day (24 hours x 60 subjects) from raw samples.
    let raw = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let rolled_to = end().timestamp() / 3600 * 3600;
    g.bench_function("rollup_one_day", |b| {
        b.iter_batched(
            || {
                let hour = rolled_to - 86_400;
                let day = hour / 86_400 * 86_400;
                for (key, v) in [("hourly_until", hour), ("daily_until", day)] {
                    raw.execute(
                        "UPDATE meta SET value = ?2 WHERE key = ?1",
                        rusqlite::params![key, v],
                    )
                    .unwrap_or_else(|e| panic!("{e}"));
                }
            },
            |()| store.rollup(end()).unwrap_or_else(|e| panic!("{e}")),
            BatchSize::PerIteration,
        )
    });
    // Prune on a fresh copy each time: one day of raw samples has expired.
    let copy = dir.path().join("prune.db");
    g.bench_function("prune_one_expired_day", |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_file(copy.with_extension("db-wal"));
                let _ = std::fs::remove_file(copy.with_extension("db-shm"));
                std::fs::copy(&base, &copy).unwrap_or_else(|e| panic!("{e}"));
                Store::open(&copy).unwrap_or_else(|e| panic!("{e}"))
            },
            |mut s| {
                let stats = s
                    .prune(end() + Duration::days(1))
                    .unwrap_or_else(|e| panic!("{e}"));
                // Closing (and its checkpoint) happens outside the timing.
                (s, black_box(stats))
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    eprintln!("database after the benchmarks: {:.1} MB", file_mb(&path));
}

criterion_group!(benches, history);
criterion_main!(benches);
