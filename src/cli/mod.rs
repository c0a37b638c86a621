//! The `weathervane` command line: a thin layer over the config, poller, store and report.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use serde::Serialize;

use weathervane::config::paths::Locations;
use weathervane::config::{Config, ConfigError};
use weathervane::events::CoreEvent;
use weathervane::model::{Observation, ProviderState, StateReport, Status};
use weathervane::monitor::backfill::backfill_once;
use weathervane::monitor::fetch::Fetcher;
use weathervane::monitor::policy::format_duration;
use weathervane::monitor::poller::poll_all;
use weathervane::runtime::{AppError, ErrorKind, Host, Runtime};
use weathervane::store::{Store, StoreError};
use weathervane::switch::engine::{self, Context, SwitchError};
use weathervane::switch::keys::{self, KeyError, Keyring, OsKeyring};
use weathervane::switch::profiles::AssistantId;
use weathervane::views::status;
use weathervane::views::text::{self, clean};

#[derive(Debug, Parser)]
#[command(
    name = "weathervane",
    version,
    about = "Watches the health of the AI services you depend on and keeps the history.",
    after_help = "Exit codes of `status` and `poll`: 0 all watched operational, 1 degraded or maintenance, \
                  2 partial or major outage, 3 unknown or offline. Errors: 64 usage, 65 switch refused, 74 data dir/database, 78 config."
)]
pub struct Cli {
    /// Config file (TOML). Default: the platform config dir's weathervane/config.toml.
    #[arg(long, global = true, env = "WEATHERVANE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the history database lives. Default: the platform data dir's weathervane/.
    #[arg(long, global = true, env = "WEATHERVANE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll every enabled provider, store the result, print the current state.
    Poll {
        /// Poll once and exit (the only mode; `watch` keeps polling).
        #[arg(long, required = true)]
        once: bool,
        #[arg(long)]
        json: bool,
    },
    /// Current state from the stored history (no network).
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Uptime per provider and component, and incidents.
    History {
        /// Only this provider (id, see `providers`).
        provider: Option<String>,
        /// How many days back.
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=400))]
        days: u32,
        #[arg(long)]
        json: bool,
    },
    /// Run the poller in the foreground (headless), printing changes and alerts.
    Watch,
    /// The providers Weathervane knows (catalog + config), or with --detect, what a status page runs on.
    Providers {
        #[arg(long)]
        json: bool,
        /// Find which platform the status page at URL runs on, and print a `[[providers]]` entry for it.
        #[arg(long, value_name = "URL")]
        detect: Option<String>,
    },
    /// Detected coding assistants, the profile each is on, and the profiles it can switch to.
    Assistants {
        #[arg(long)]
        json: bool,
    },
    /// Switch a coding assistant to a profile (claude-code, codex, gemini, opencode), or back with --back.
    #[command(group(clap::ArgGroup::new("what").required(true).args(["profile", "back"])))]
    Switch {
        /// claude-code, codex, gemini or opencode.
        assistant: String,
        /// The profile to switch to (see `assistants`).
        profile: Option<String>,
        /// Undo the last switch: the exact previous file when nobody touched it since.
        #[arg(long, conflicts_with = "profile")]
        back: bool,
        /// Show what would change and write nothing.
        #[arg(long, conflicts_with = "back")]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Backups Weathervane made of an assistant's file, newest first.
    Backups {
        assistant: String,
        #[arg(long)]
        json: bool,
    },
    /// Put one of those backups back in place (what is there now is backed up first).
    Restore { assistant: String, backup: String },
    /// One short line about the provider an assistant is on, for Claude Code's `statusLine`,
    /// tmux or a shell prompt. From the stored history, no network; never fails, never more
    /// than one line.
    #[command(after_help = STATUSLINE_HELP)]
    Statusline {
        /// claude-code (default), codex, gemini or opencode.
        #[arg(long, value_name = "ASSISTANT")]
        assistant: Option<String>,
        /// The line's layout, with placeholders (below), e.g. '{icon} {provider} {status}'.
        #[arg(long, value_name = "F")]
        format: Option<String>,
    },
    /// Print a profile's API key from the OS keyring (what Claude Code's apiKeyHelper runs),
    /// or store one with `key set PROFILE` (read from standard input).
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Key {
        #[command(subcommand)]
        action: Option<KeyAction>,
        /// The profile whose key to print.
        #[arg(required = true)]
        profile: Option<String>,
    },
}

/// `statusline --help`: the placeholders (as `views::statusline::PLACEHOLDERS`; a test
/// keeps the two together) and how it behaves.
const STATUSLINE_HELP: &str = "\
Placeholders for --format:
  {icon}      ● ◆ ▲ ✖ or ?: the worst of the status page, the probes and your sessions
  {provider}  the provider the assistant's active profile uses, e.g. Anthropic
  {status}    what its status page says: ok, maintenance, degraded, partial outage,
              major outage, no data yet, no fresh data, not watched, offline
  {measured}  what Weathervane's probes measured, when not fine
  {sessions}  failed calls in your own sessions, when there are
  {switched}  \"switched to OpenRouter\" while a switch is in place
  {model}     the model Claude Code names on standard input

Reads Claude Code's JSON on standard input when there is some (anything else is ignored).
Colour only when standard output is a terminal (NO_COLOR turns it off, CLICOLOR_FORCE=1 on).
Always exits 0 and prints one line: when something is missing or broken, a calm note.
Claude Code: \"statusLine\": {\"type\": \"command\", \"command\": \"weathervane statusline\"}
in ~/.claude/settings.json (Weathervane never writes it for you).";

#[derive(Debug, Subcommand)]
pub enum KeyAction {
    /// Store a key in the OS keyring under PROFILE (a profile's id, or the name a
    /// probe's `key` gives), read from standard input (never from an argument).
    Set { profile: String },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Switch(#[from] SwitchError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) => 78,
            CliError::Store(_) => 74,
            CliError::Switch(SwitchError::Store(_)) => 74,
            CliError::Switch(_) => 65,
            CliError::Key(KeyError::NotSet(_)) => 1,
            // Only reachable through bad input, which is the caller's to fix.
            CliError::Key(KeyError::Empty) => 64,
            CliError::Key(_) => 69,
            CliError::App(e) => match e.kind {
                ErrorKind::Config => 78,
                ErrorKind::Store => 74,
                ErrorKind::Switch => 65,
                ErrorKind::Input => 64,
                ErrorKind::Network | ErrorKind::System => 70,
            },
            CliError::Usage(_) => 64,
            CliError::Other(_) => 70,
        }
    }
}

/// Where the config and data live, from the flags (or env vars) and the platform defaults.
pub fn locations(cli: &Cli) -> Locations {
    Locations::resolve(cli.config.as_deref(), cli.data_dir.as_deref())
}

pub fn config_path(cli: &Cli) -> (PathBuf, bool) {
    let l = locations(cli);
    (l.config, l.config_must_exist)
}

pub fn data_dir(cli: &Cli) -> PathBuf {
    locations(cli).data_dir
}

pub fn db_path(cli: &Cli) -> PathBuf {
    locations(cli).db_path()
}

/// Run a parsed command; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32, CliError> {
    // `key` needs only the keyring. It runs as Claude Code's apiKeyHelper on every
    // start, so a typo in config.toml must not cost Claude Code its key.
    if let Command::Key { action, profile } = &cli.command {
        return key(action.as_ref(), profile.as_deref());
    }
    // The status line runs on every prompt: no runtime, no writable store, no errors.
    if let Command::Statusline { assistant, format } = &cli.command {
        statusline(&cli, assistant.as_deref(), format.as_deref());
        return Ok(0);
    }
    let (path, must_exist) = config_path(&cli);
    let config = Config::load(&path, must_exist)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the async runtime: {e}")))?;
    match &cli.command {
        Command::Providers {
            json,
            detect: Some(url),
        } => rt.block_on(detect_page(&config, url, *json)),
        Command::Providers { json, .. } => providers(&config, &path, *json),
        Command::Status { json } => {
            let store = Store::open(&db_path(&cli))?;
            let report = status::current(&store, &config, Utc::now())?;
            print_report(&report, *json, Utc::now());
            Ok(report.exit_code())
        }
        Command::Poll { json, .. } => rt.block_on(poll_once(&cli, &config, *json)),
        Command::History {
            provider,
            days,
            json,
        } => history(&cli, &config, provider.as_deref(), *days, *json),
        Command::Watch => rt.block_on(watch(&cli, config)),
        Command::Assistants { json } => assistants(&cli, &config, *json),
        Command::Switch {
            assistant,
            profile,
            back,
            dry_run,
            json,
        } => switch(
            &cli,
            &config,
            assistant,
            profile.as_deref(),
            *back,
            *dry_run,
            *json,
        ),
        Command::Backups { assistant, json } => backups(&cli, &config, assistant, *json),
        Command::Restore { assistant, backup } => restore(&cli, &config, assistant, backup),
        Command::Key { action, profile } => key(action.as_ref(), profile.as_deref()),
        Command::Statusline { assistant, format } => {
            statusline(&cli, assistant.as_deref(), format.as_deref());
            Ok(0)
        }
    }
}

/// How long the status line waits for standard input that has not ended, counted from its
/// start, when the format shows `{model}`: Claude Code writes its JSON at once; a prompt's
/// stdin may stay open forever.
const STATUSLINE_STDIN_WAIT: Duration = Duration::from_millis(20);

/// `statusline`: prints exactly one line and never fails (see [`Command::Statusline`]).
fn statusline(cli: &Cli, assistant: Option<&str>, format: Option<&str>) {
    use weathervane::views::statusline::{self as sl, ClaudeInput, Outcome};
    let started = std::time::Instant::now();
    let stdin = spawn_stdin_reader(sl::STDIN_LIMIT);
    let made = std::panic::catch_unwind(|| {
        let a = match assistant.map(str::trim) {
            None | Some("") => AssistantId::ClaudeCode,
            Some(s) => match AssistantId::parse(s) {
                Some(a) => a,
                None => {
                    return Outcome::Calm(format!(
                        "weathervane: unknown assistant {}",
                        clean(s).chars().take(20).collect::<String>()
                    ));
                }
            },
        };
        sl::gather(&locations(cli), a, Utc::now())
    });
    let outcome = made.unwrap_or_else(|_| Outcome::Calm("weathervane: no status available".into()));
    let line = match outcome {
        Outcome::Calm(s) => sl::finish(&[sl::Piece::Text(s)], &|g| g.to_string()),
        Outcome::Line(mut parts) => {
            if let Some(rx) = stdin {
                // Only `{model}` shows what stdin says: nothing else waits for it.
                let left = if format.is_some_and(|f| f.contains("{model}")) {
                    STATUSLINE_STDIN_WAIT.saturating_sub(started.elapsed())
                } else {
                    Duration::ZERO
                };
                if let Ok(raw) = rx.recv_timeout(left) {
                    parts.set_input(&ClaudeInput::parse(&raw));
                }
            }
            let pieces = match format {
                Some(f) => sl::format_pieces(f, &parts),
                None => sl::default_pieces(&parts),
            };
            let style = if parts.icon == sl::glyph(Status::Unknown) {
                status_style(Status::Unknown)
            } else {
                status_style(parts.severity)
            };
            sl::finish(&pieces, &|g| format!("{style}{g}{style:#}"))
        }
    };
    // anstream drops the colour unless stdout is a terminal (and honours NO_COLOR).
    let mut out = anstream::stdout();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Standard input read on a thread of its own, at most `limit` bytes and one more (so too
/// much is noticed): None when it is a terminal, which nobody is about to type JSON into.
fn spawn_stdin_reader(limit: usize) -> Option<std::sync::mpsc::Receiver<Vec<u8>>> {
    use std::io::Read;
    if std::io::stdin().is_terminal() {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let mut raw = Vec::new();
            // A read error leaves what was read, which then does not parse: no input.
            let _ = std::io::stdin()
                .lock()
                .take(limit as u64 + 1)
                .read_to_end(&mut raw);
            let _ = tx.send(raw);
        })
        .ok()?;
    Some(rx)
}

/// `providers --detect URL`: a thin front to the detector. Exit 0 when a
/// readable source was found, 1 when none was.
async fn detect_page(config: &Config, url: &str, json: bool) -> Result<i32, CliError> {
    use weathervane::monitor::sources::detect::{DetectError, detect};
    let f = fetcher(config)?;
    match detect(&f, url).await {
        Ok(d) => {
            if json {
                println_json(&d);
            } else {
                let mut out = anstream::stdout();
                let _ = writeln!(
                    out,
                    "{} is a {} page{}{}; to watch it, add to your config:\n\n[[providers]]\nid = \"{}\"\nkind = \"{}\"\nurl = \"{}\"",
                    url.trim(),
                    d.kind,
                    d.name
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default(),
                    if d.components > 0 {
                        format!(" with {} components", d.components)
                    } else {
                        String::new()
                    },
                    suggested_id(d.name.as_deref(), &d.url),
                    d.kind,
                    d.url
                );
            }
            Ok(0)
        }
        Err(DetectError::BadUrl(m)) => Err(CliError::Usage(m)),
        Err(e) => {
            if json {
                println_json(&serde_json::json!({ "error": e.to_string() }));
            } else {
                let mut err = anstream::stderr();
                let _ = writeln!(
                    err,
                    "{e}\nIf the page answers browsers only, Weathervane cannot read it; the API probe (`probe = {{ enabled = true }}`) and your assistants' own sessions still warn you."
                );
            }
            Ok(1)
        }
    }
}

/// An id for a detected page: its name, or its host, in the config's alphabet.
fn suggested_id(name: Option<&str>, url: &str) -> String {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let raw = name.unwrap_or(&host).to_lowercase();
    let id: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let id = id.trim_matches('-').to_owned();
    if id.is_empty() { "mine".into() } else { id }
}

/// A profile name given to `key`: an empty one would store a key nothing can ask for.
fn profile_name(profile: &str) -> Result<&str, CliError> {
    if profile.trim().is_empty() {
        return Err(CliError::Usage(
            "name a profile: `weathervane key set PROFILE` (PROFILE is a profile's id)".into(),
        ));
    }
    Ok(profile)
}

/// Standard input, at most [`keys::MAX_KEY_INPUT`] bytes and one more (so too much is
/// noticed without reading all of it).
fn read_key_stdin() -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let mut raw = Vec::new();
    std::io::stdin()
        .lock()
        .take(keys::MAX_KEY_INPUT as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(|e| CliError::Other(format!("cannot read the key from standard input: {e}")))?;
    Ok(raw)
}

fn fetcher(config: &Config) -> Result<Fetcher, CliError> {
    Fetcher::new(config.timeout, config.max_body).map_err(|e| CliError::Other(e.to_string()))
}

async fn poll_once(cli: &Cli, config: &Config, json: bool) -> Result<i32, CliError> {
    // Open the store first: a broken data dir should fail before any network work.
    let mut store = Store::open(&db_path(cli))?;
    let providers: Vec<_> = config.enabled().cloned().collect();
    if providers.is_empty() {
        return Err(CliError::Usage(
            "no provider is enabled: enable one in the config (see `weathervane providers`)".into(),
        ));
    }
    let fetcher = fetcher(config)?;
    let bar = progress_bar(providers.len());
    let now = Utc::now();
    let observations = poll_all(&fetcher, &providers, now, |o, done, total| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
            b.set_message(format!(
                "{} {}",
                o.provider_id,
                if o.source_ok { "ok" } else { "failed" }
            ));
            if done == total {
                b.finish_and_clear();
            }
        }
    })
    .await;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    for o in &observations {
        store.record(o)?;
    }
    // History from the first day: once per provider, after its first successful poll.
    for (o, p) in observations.iter().zip(&providers) {
        if o.source_ok
            && let Err(e) = backfill_once(&fetcher, &mut store, p, now).await
        {
            tracing::warn!(provider = %p.id, "the page's history was not read (tried again next poll): {e}");
        }
    }
    // People who run `poll --once` from cron never start the long-running poller,
    // so keep the history's rollups and retention going from here too.
    if let Err(e) = store.maintain(Utc::now()) {
        tracing::warn!("history maintenance failed: {e}");
    }
    let latest = store.latest_all()?;
    let report = status::build(config, &latest, Utc::now());
    print_report(&report, json, Utc::now());
    Ok(report.exit_code())
}

fn progress_bar(total: usize) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(total as u64);
    let style =
        indicatif::ProgressStyle::with_template("{spinner} polling {pos}/{len} providers… {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    b.set_style(style);
    b.enable_steady_tick(Duration::from_millis(100));
    Some(b)
}

fn status_style(s: Status) -> Style {
    let c = match s {
        Status::Operational => AnsiColor::Green,
        Status::Maintenance => AnsiColor::Blue,
        Status::Degraded => AnsiColor::Yellow,
        Status::PartialOutage => AnsiColor::BrightRed,
        Status::MajorOutage => AnsiColor::Red,
        Status::Unknown => AnsiColor::BrightBlack,
    };
    Style::new().fg_color(Some(c.into()))
}

fn status_glyph(s: Status) -> &'static str {
    match s {
        Status::Operational => "●",
        Status::Maintenance => "◆",
        Status::Degraded => "▲",
        Status::PartialOutage => "▲",
        Status::MajorOutage => "✖",
        Status::Unknown => "?",
    }
}

fn ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = now.signed_duration_since(t);
    if d < chrono::Duration::seconds(1) {
        "just now".into()
    } else {
        format!("{} ago", format_duration(d))
    }
}

fn print_report(report: &StateReport, json: bool, now: DateTime<Utc>) {
    // What older versions stored went in uncleaned: clean again on the way out.
    let mut report = report.clone();
    text::clean_report(&mut report);
    let report = &report;
    if json {
        println_json(report);
        return;
    }
    let mut out = anstream::stdout();
    let dim = Style::new().dimmed();
    let bold = Style::new().bold();
    if report.offline {
        let _ = writeln!(
            out,
            "{s}? Offline:{s:#} no status source could be reached; check your network connection.\n",
            s = Style::new()
                .bold()
                .fg_color(Some(AnsiColor::BrightBlack.into()))
        );
    }
    let name_w = report
        .providers
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0);
    for p in &report.providers {
        let st = status_style(p.status);
        let checked = p
            .checked_at
            .map(|t| format!("checked {}", ago(t, now)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{st}{}{st:#} {bold}{:<name_w$}{bold:#}  {st}{:<20}{st:#} {dim}{checked}{dim:#}",
            status_glyph(p.status),
            p.name,
            p.status.label(),
        );
        print_provider_details(&mut out, p);
    }
}

fn print_provider_details(out: &mut impl Write, p: &ProviderState) {
    let dim = Style::new().dimmed();
    let warn = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
    if let Some(m) = &p.measured {
        let st = status_style(m.status);
        let _ = writeln!(out, "    measured: {st}{}{st:#}", m.summary);
    }
    if let Some(s) = &p.sessions {
        if s.errors > 0 {
            let st = status_style(s.status);
            let _ = writeln!(out, "    your sessions: {st}{}{st:#}", s.summary);
        }
        if let Some(n) = &s.account_notice {
            let _ = writeln!(out, "    {warn}{n} (your account, not an outage){warn:#}");
        }
    }
    if let Some(r) = &p.reason {
        let _ = writeln!(out, "    {warn}{r}{warn:#}");
    }
    if !p.missing_watched.is_empty() {
        let _ = writeln!(
            out,
            "    {warn}watched but not on the page (renamed or removed?): {}{warn:#}",
            p.missing_watched.join(", ")
        );
    }
    let watched: Vec<_> = p.components.iter().filter(|c| c.watched).collect();
    let comp_w = watched
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    // With everything watched a big page would flood the terminal: show only trouble.
    let everything = watched.len() == p.components.len() && watched.len() > 6;
    let mut hidden = 0;
    for c in &watched {
        if everything && c.status == Status::Operational {
            hidden += 1;
            continue;
        }
        let st = status_style(c.status);
        let _ = writeln!(
            out,
            "    {:<comp_w$}  {st}{}{st:#}",
            c.name,
            c.status.label()
        );
    }
    if hidden > 0 {
        let _ = writeln!(out, "    {dim}{hidden} more components operational{dim:#}");
    }
    for i in &p.incidents {
        let since = i
            .started_at
            .map(|t| format!(", since {} UTC", t.format("%Y-%m-%d %H:%M")))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {warn}! {}{warn:#} {dim}({}{since}){dim:#}",
            i.title,
            i.status.as_str().replace('_', " ")
        );
        if let Some(u) = &i.url {
            let _ = writeln!(out, "      {dim}{u}{dim:#}");
        }
    }
}

fn println_json<T: Serialize>(v: &T) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot encode JSON: {e}"),
    }
}

fn providers(config: &Config, default_path: &std::path::Path, json: bool) -> Result<i32, CliError> {
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            providers: &'a [weathervane::config::ProviderConfig],
        }
        println_json(&Out {
            providers: &config.providers,
        });
        return Ok(0);
    }
    let mut out = anstream::stdout();
    let dim = Style::new().dimmed();
    let id_w = config
        .providers
        .iter()
        .map(|p| p.id.len())
        .max()
        .unwrap_or(0);
    let name_w = config
        .providers
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0);
    for p in &config.providers {
        let state = if !p.pollable {
            Style::new().fg_color(Some(AnsiColor::BrightBlack.into()))
        } else if p.enabled {
            Style::new().fg_color(Some(AnsiColor::Green.into()))
        } else {
            Style::new().dimmed()
        };
        let label = if !p.pollable {
            "cannot poll"
        } else if p.enabled {
            "enabled"
        } else {
            "disabled"
        };
        let _ = writeln!(
            out,
            "{:<id_w$}  {:<name_w$}  {state}{:<11}{state:#}  {:<13} every {:>4}  {}",
            p.id,
            p.name,
            label,
            p.kind.as_str(),
            format!("{}s", p.interval.as_secs()),
            p.url
        );
        if !p.watch.is_empty() {
            let _ = writeln!(
                out,
                "{:<id_w$}  {dim}watching: {}{dim:#}",
                "",
                p.watch.join(", ")
            );
        }
        if let Some(n) = &p.note {
            let _ = writeln!(out, "{:<id_w$}  {dim}{n}{dim:#}", "");
        }
    }
    if let Some(path) = &config.path {
        let _ = writeln!(out, "\n{dim}config: {}{dim:#}", path.display());
    } else {
        let _ = writeln!(
            out,
            "\n{dim}config: none at {} (built-in catalog only){dim:#}",
            default_path.display()
        );
    }
    Ok(0)
}

#[derive(Debug, Serialize)]
struct HistoryOut {
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    days: u32,
    providers: Vec<ProviderHistory>,
}

#[derive(Debug, Serialize)]
struct ProviderHistory {
    id: String,
    name: String,
    /// Uptime over the whole window, percent; null when nothing is known.
    uptime_pct: Option<f64>,
    /// Uptime over the standard windows that fit in `days`.
    windows: Vec<WindowUptime>,
    components: Vec<ComponentHistory>,
    /// One entry per day, oldest first: the worst status that day.
    days: Vec<DayOut>,
    incidents: Vec<IncidentOut>,
    mttr_secs: Option<i64>,
}

#[derive(Debug, Serialize)]
struct WindowUptime {
    window: String,
    uptime_pct: Option<f64>,
}

#[derive(Debug, Serialize)]
struct ComponentHistory {
    id: String,
    name: String,
    watched: bool,
    uptime_pct: Option<f64>,
}

#[derive(Debug, Serialize)]
struct DayOut {
    date: chrono::NaiveDate,
    worst: Status,
    uptime_pct: Option<f64>,
    /// Only on days from the status page's own history (before our first
    /// observation); absent, not false, elsewhere, so the pinned shape stays as it was.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    backfilled: bool,
}

#[derive(Debug, Serialize)]
struct IncidentOut {
    id: String,
    title: String,
    impact: weathervane::model::Impact,
    status: weathervane::model::IncidentStatus,
    kind: weathervane::model::IncidentKind,
    started_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    first_seen_at: Option<DateTime<Utc>>,
    duration_secs: Option<i64>,
    url: Option<String>,
}

/// The dashboard's history model in the CLI's JSON shape (a contract: pinned by
/// `history_json_is_pinned`).
impl From<weathervane::views::dashboard::History> for HistoryOut {
    fn from(h: weathervane::views::dashboard::History) -> HistoryOut {
        HistoryOut {
            since: h.until - chrono::Duration::days(i64::from(h.days)),
            until: h.until,
            days: h.days,
            providers: h
                .providers
                .into_iter()
                .map(|p| ProviderHistory {
                    id: p.id,
                    name: p.name,
                    uptime_pct: p.uptime_pct,
                    windows: p
                        .windows
                        .into_iter()
                        .map(|w| WindowUptime {
                            window: w.window,
                            uptime_pct: w.uptime_pct,
                        })
                        .collect(),
                    components: p
                        .components
                        .into_iter()
                        .map(|c| ComponentHistory {
                            id: c.id,
                            name: text::clean_owned(&c.name),
                            watched: true,
                            uptime_pct: c.uptime_pct,
                        })
                        .collect(),
                    days: p
                        .bars
                        .into_iter()
                        .map(|b| DayOut {
                            date: b.date,
                            worst: b.worst,
                            uptime_pct: b.uptime_pct,
                            backfilled: b.backfilled,
                        })
                        .collect(),
                    incidents: p
                        .incidents
                        .into_iter()
                        .map(|i| IncidentOut {
                            id: text::clean_owned(&i.id),
                            title: text::clean_owned(&i.title),
                            impact: i.impact,
                            status: i.status,
                            kind: i.kind,
                            started_at: i.started_at,
                            resolved_at: i.resolved_at,
                            first_seen_at: Some(i.first_seen_at),
                            duration_secs: i.duration_secs.map(|s| s as i64),
                            url: i.url.as_deref().map(text::clean_owned),
                        })
                        .collect(),
                    mttr_secs: p.mttr_secs,
                })
                .collect(),
        }
    }
}

fn history(
    cli: &Cli,
    config: &Config,
    only: Option<&str>,
    days: u32,
    json: bool,
) -> Result<i32, CliError> {
    if let Some(id) = only
        && config.provider(id).is_none()
    {
        let known: Vec<_> = config.providers.iter().map(|p| p.id.as_str()).collect();
        return Err(CliError::Usage(format!(
            "unknown provider {id:?}; known: {}",
            known.join(", ")
        )));
    }
    let store = Store::open(&db_path(cli))?;
    let chosen: Vec<_> = match only {
        Some(id) => config.providers.iter().filter(|p| p.id == id).collect(),
        None => config.enabled().collect(),
    };
    let h = weathervane::views::dashboard::histories(&store, config, &chosen, days, Utc::now())?;
    let out = HistoryOut::from(h);
    if json {
        println_json(&out);
    } else {
        print_history(&out);
    }
    Ok(0)
}

fn pct(p: Option<f64>) -> String {
    match p {
        Some(v) if v >= 99.995 => "100%".into(),
        Some(v) => format!("{v:.2}%"),
        None => "no data".into(),
    }
}

fn print_history(h: &HistoryOut) {
    let mut out = anstream::stdout();
    let dim = Style::new().dimmed();
    let bold = Style::new().bold();
    let _ = writeln!(
        out,
        "{dim}Last {} days, {} to {} UTC{dim:#}\n",
        h.days,
        h.since.format("%Y-%m-%d"),
        h.until.format("%Y-%m-%d %H:%M")
    );
    for p in &h.providers {
        let windows: Vec<String> = p
            .windows
            .iter()
            .map(|w| format!("{} {}", w.window, pct(w.uptime_pct)))
            .collect();
        let _ = writeln!(
            out,
            "{bold}{}{bold:#}  uptime {}  {dim}{}{dim:#}",
            p.name,
            pct(p.uptime_pct),
            windows.join(" · ")
        );
        // The status-page bar: one cell per day, oldest left.
        let mut bar = String::new();
        for d in &p.days {
            let st = status_style(d.worst);
            let cell = if d.worst == Status::Unknown {
                "·"
            } else {
                "█"
            };
            bar.push_str(&format!("{st}{cell}{st:#}"));
        }
        let _ = writeln!(out, "  {bar}");
        let cw = p
            .components
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        for c in &p.components {
            let _ = writeln!(out, "  {:<cw$}  {}", c.name, pct(c.uptime_pct));
        }
        if let Some(m) = p.mttr_secs {
            let _ = writeln!(
                out,
                "  {dim}mean time to recovery: {}{dim:#}",
                format_duration(chrono::Duration::seconds(m))
            );
        }
        if p.incidents.is_empty() {
            let _ = writeln!(out, "  {dim}no incidents recorded{dim:#}");
        }
        for i in &p.incidents {
            let when = i
                .started_at
                .or(i.first_seen_at)
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "?".into());
            let dur = match i.duration_secs {
                Some(s) => format_duration(chrono::Duration::seconds(s)),
                None if !i.status.is_closed() => "ongoing".into(),
                None => "?".into(),
            };
            let st = status_style(i.impact.status());
            let _ = writeln!(
                out,
                "  {dim}{when}{dim:#}  {st}{:<8}{st:#} {:>10}  {}",
                i.impact.as_str(),
                dur,
                i.title
            );
        }
        let _ = writeln!(out);
    }
}

async fn watch(cli: &Cli, config: Config) -> Result<i32, CliError> {
    let names: std::collections::HashMap<String, String> = config
        .providers
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let enabled = config.enabled().count();
    let locations = locations(cli);
    let host = Host::from_process(&locations);
    let rt = Runtime::with_config(locations, host, config)?;
    if enabled == 0 {
        return Err(CliError::Usage(
            "no provider is enabled: enable one in the config (see `weathervane providers`)".into(),
        ));
    }
    let mut rx = rt.subscribe();
    rt.start_poller()?;
    eprintln!(
        "watching {enabled} providers (data: {}); Ctrl-C to stop",
        rt.locations.data_dir.display()
    );
    let mut last: std::collections::HashMap<String, (Status, bool)> = Default::default();
    let mut out = anstream::stdout();
    let dim = Style::new().dimmed();
    // One listener for the whole run: a fresh ctrl_c() per loop turn would miss a
    // Ctrl-C that arrives while an event is being printed, and never stop.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            ev = rx.recv() => match ev {
                Ok(CoreEvent::Observed(o)) => {
                    let key = (o.status, o.source_ok);
                    if last.get(&o.provider_id) != Some(&key) {
                        print_observation(&mut out, &o, names.get(&o.provider_id));
                        last.insert(o.provider_id.clone(), key);
                    }
                }
                Ok(CoreEvent::Alert(a)) => {
                    let b = Style::new().bold();
                    let _ = writeln!(out, "{b}ALERT{b:#} {}: {}", a.title, a.plain_body());
                }
                Ok(CoreEvent::Offline(true)) => {
                    let _ = writeln!(out, "{dim}{}{dim:#} offline: no status source can be reached", Utc::now().format("%H:%M:%S"));
                }
                Ok(CoreEvent::Offline(false)) => {
                    let _ = writeln!(out, "{dim}{}{dim:#} back online", Utc::now().format("%H:%M:%S"));
                }
                Ok(CoreEvent::StoreError(e)) => eprintln!("warning: history not saved: {e}"),
                Ok(CoreEvent::Measured { provider_id, verdict }) => {
                    let key = format!("probe:{provider_id}");
                    let k = (verdict.status, true);
                    if last.get(&key) != Some(&k) {
                        let name = names.get(&provider_id).cloned().unwrap_or(provider_id.clone());
                        let st = status_style(verdict.status);
                        let _ = writeln!(out, "{dim}{}{dim:#} {} measured: {st}{}{st:#}", Utc::now().format("%H:%M:%S"), clean(&name), clean(&verdict.summary));
                        last.insert(key, k);
                    }
                }
                Ok(CoreEvent::Sessions { provider_id, verdict }) => {
                    let key = format!("sessions:{provider_id}");
                    let k = (verdict.status, true);
                    if last.get(&key) != Some(&k) {
                        let name = names.get(&provider_id).cloned().unwrap_or(provider_id.clone());
                        let st = status_style(verdict.status);
                        let what = if verdict.summary.is_empty() { "no failed calls" } else { verdict.summary.as_str() };
                        let _ = writeln!(out, "{dim}{}{dim:#} {name} your sessions: {st}{what}{st:#}", Utc::now().format("%H:%M:%S"));
                        last.insert(key, k);
                    }
                }
                Ok(CoreEvent::AutoSwitched(s)) => {
                    let b = Style::new().bold();
                    match &s.result {
                        Ok(o) => { let _ = writeln!(out, "{b}FAILOVER{b:#} {} ({})", o.summary, s.reason); }
                        Err(e) => { let _ = writeln!(out, "{b}FAILOVER FAILED{b:#} {}: {e} ({})", s.assistant.label(), s.reason); }
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!("missed {n} events");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    }
    rt.stop_poller().await;
    eprintln!("stopped");
    Ok(0)
}

fn print_observation(out: &mut impl Write, o: &Observation, name: Option<&String>) {
    let dim = Style::new().dimmed();
    let st = status_style(o.status);
    let name = name.cloned().unwrap_or_else(|| o.provider_id.clone());
    let name = clean(&name);
    let extra = if o.source_ok {
        String::new()
    } else {
        format!(
            " — {}",
            clean(o.reason.as_deref().unwrap_or("source failed"))
        )
    };
    let _ = writeln!(
        out,
        "{dim}{}{dim:#} {st}{} {}{st:#} {}{extra}",
        o.at.with_timezone(&chrono::Local).format("%H:%M:%S"),
        status_glyph(o.status),
        o.status.label(),
        name
    );
}

fn switch_context(cli: &Cli, config: &Config) -> Result<Context, CliError> {
    let mut ctx = Context::from_process(data_dir(cli))
        .ok_or_else(|| CliError::Other("cannot find your home directory (is HOME set?)".into()))?;
    ctx.project_dirs = config.project_dirs.clone();
    Ok(ctx)
}

fn assistant_arg(s: &str) -> Result<AssistantId, CliError> {
    AssistantId::parse(s).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown assistant {s:?}; expected one of claude-code, codex, gemini, opencode"
        ))
    })
}

#[derive(Debug, Serialize)]
struct AssistantOut {
    id: AssistantId,
    name: String,
    /// The program, when found on PATH.
    installed: Option<String>,
    switchable: bool,
    config: Option<String>,
    config_exists: bool,
    /// The profile the config matches now; null when hand-edited to something else.
    active_profile: Option<String>,
    /// Why the active profile could not be read, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    /// Undone by `switch ... --back`.
    switched_from: Option<String>,
    /// The watched provider the active profile depends on.
    provider: Option<String>,
    /// The profile offered when that provider is down.
    fallback: Option<String>,
    profiles: Vec<String>,
}

fn assistants(cli: &Cli, config: &Config, json: bool) -> Result<i32, CliError> {
    let ctx = switch_context(cli, config)?;
    let store = Store::open(&db_path(cli))?;
    let out: Vec<AssistantOut> = weathervane::switch::assistants::list(&ctx, config, &store)?
        .into_iter()
        .map(|v| AssistantOut {
            id: v.id,
            name: v.name,
            installed: v.installed,
            switchable: v.switchable,
            config: v.config,
            config_exists: v.config_exists,
            active_profile: v.active_profile,
            problem: v.problem,
            switched_from: v.open_switch.and_then(|o| o.from_profile),
            provider: v.provider,
            fallback: v.fallback,
            profiles: v.profiles.into_iter().map(|p| p.id).collect(),
        })
        .collect();
    if json {
        #[derive(Serialize)]
        struct Out {
            assistants: Vec<AssistantOut>,
        }
        println_json(&Out { assistants: out });
        return Ok(0);
    }
    let mut w = anstream::stdout();
    let dim = Style::new().dimmed();
    let bold = Style::new().bold();
    for a in &out {
        let installed = if a.installed.is_some() {
            "installed"
        } else {
            "not on PATH"
        };
        let _ = writeln!(
            w,
            "{bold}{}{bold:#} ({}) {dim}{installed}{dim:#}",
            a.name, a.id
        );
        if !a.switchable {
            let _ = writeln!(w, "    {dim}switching is not available for it yet{dim:#}");
            continue;
        }
        if let Some(c) = &a.config {
            let exists = if a.config_exists {
                ""
            } else {
                " (does not exist yet)"
            };
            let _ = writeln!(w, "    config:  {c}{exists}");
        }
        match (&a.active_profile, &a.problem) {
            (_, Some(p)) => {
                let _ = writeln!(w, "    {}", p);
            }
            (Some(p), None) => {
                let _ = writeln!(w, "    profile: {bold}{p}{bold:#}");
            }
            (None, None) => {
                let _ = writeln!(w, "    profile: {dim}custom (matches no profile){dim:#}");
            }
        }
        if let Some(f) = &a.switched_from {
            let _ = writeln!(
                w,
                "    {dim}switched from {f}: `weathervane switch {} --back` undoes it{dim:#}",
                a.id
            );
        }
        let _ = writeln!(w, "    {dim}profiles: {}{dim:#}", a.profiles.join(", "));
    }
    Ok(0)
}

#[allow(clippy::too_many_arguments)]
fn switch(
    cli: &Cli,
    config: &Config,
    assistant: &str,
    profile: Option<&str>,
    back: bool,
    dry_run: bool,
    json: bool,
) -> Result<i32, CliError> {
    let a = assistant_arg(assistant)?;
    let ctx = switch_context(cli, config)?;
    let mut out = anstream::stdout();
    let dim = Style::new().dimmed();
    if back {
        let mut store = Store::open(&db_path(cli))?;
        let done = engine::back(&ctx, &mut store, a)?;
        if json {
            println_json(&done);
        } else {
            let files: Vec<String> = done
                .plan
                .files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect();
            let _ = writeln!(
                out,
                "{} is back on {} ({})",
                a.label(),
                done.plan.profile,
                files.join(", ")
            );
            for w in &done.plan.warnings {
                let _ = writeln!(out, "{dim}{w}{dim:#}");
            }
        }
        return Ok(0);
    }
    let Some(id) = profile else {
        return Err(CliError::Usage("name a profile, or --back".into()));
    };
    if dry_run {
        let plan = engine::plan(&ctx, &config.profiles, a, id)?;
        if json {
            println_json(&plan);
        } else {
            print_plan(&mut out, &plan, true);
        }
        return Ok(0);
    }
    let mut store = Store::open(&db_path(cli))?;
    let done = engine::switch(&ctx, &mut store, &config.profiles, a, id)?;
    if json {
        println_json(&done);
        return Ok(0);
    }
    print_plan(&mut out, &done.plan, false);
    for b in &done.backups {
        let _ = writeln!(
            out,
            "{dim}backup of the previous file: {}{dim:#}",
            b.display()
        );
    }
    if !done.plan.is_noop() {
        let _ = writeln!(
            out,
            "{dim}undo with: weathervane switch {} --back{dim:#}",
            a
        );
    }
    Ok(0)
}

fn print_plan(out: &mut impl Write, plan: &engine::Plan, dry_run: bool) {
    let dim = Style::new().dimmed();
    let warn = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
    let from = plan.from.as_deref().unwrap_or("a custom setup");
    if plan.is_noop() {
        let _ = writeln!(
            out,
            "{} is already on {}; nothing to change.",
            plan.assistant.label(),
            plan.profile
        );
        return;
    }
    let verb = if dry_run { "would switch" } else { "switched" };
    let files: Vec<String> = plan
        .paths()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    // The files may already read as the target profile while holding owned keys
    // it does not set (Codex: a `model` beside the default provider): then there
    // is no "from" to name, only keys to tidy.
    let from = if plan.from.as_deref() == Some(plan.profile.as_str()) {
        String::new()
    } else {
        format!(" from {from}")
    };
    let _ = writeln!(
        out,
        "{} {verb}{from} to {} in {}:",
        plan.assistant.label(),
        plan.profile,
        files.join(" and ")
    );
    for line in plan.diff().lines() {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "{dim}everything else stays exactly as it is{dim:#}");
    for w in &plan.warnings {
        let _ = writeln!(out, "{warn}note:{warn:#} {w}");
    }
    if dry_run {
        let _ = writeln!(out, "{dim}(dry run: nothing was written){dim:#}");
    }
}

fn backups(cli: &Cli, config: &Config, assistant: &str, json: bool) -> Result<i32, CliError> {
    let a = assistant_arg(assistant)?;
    let ctx = switch_context(cli, config)?;
    let list = engine::backups(&ctx, a)?;
    if json {
        #[derive(Serialize)]
        struct B {
            name: String,
            path: PathBuf,
            created: DateTime<Utc>,
            size: u64,
        }
        let items: Vec<B> = list
            .iter()
            .map(|b| B {
                name: b
                    .path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path: b.path.clone(),
                created: b.created,
                size: b.size,
            })
            .collect();
        println_json(&serde_json::json!({ "backups": items }));
        return Ok(0);
    }
    let mut out = anstream::stdout();
    if list.is_empty() {
        let _ = writeln!(
            out,
            "no backups of {} yet (one is made before every switch)",
            a.label()
        );
    }
    for b in &list {
        let name = b
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{name}  {}  {} bytes",
            b.created
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S"),
            b.size
        );
    }
    Ok(0)
}

fn restore(cli: &Cli, config: &Config, assistant: &str, backup: &str) -> Result<i32, CliError> {
    let a = assistant_arg(assistant)?;
    let ctx = switch_context(cli, config)?;
    let mut store = Store::open(&db_path(cli))?;
    let from = engine::restore(&ctx, &mut store, a, backup)?;
    println!("restored {} from {}", a.label(), from.display());
    Ok(0)
}

fn key(action: Option<&KeyAction>, profile: Option<&str>) -> Result<i32, CliError> {
    match (action, profile) {
        (Some(KeyAction::Set { profile }), _) => {
            let profile = profile_name(profile)?;
            let raw = if std::io::stdin().is_terminal() {
                eprint!("Paste the API key for {profile} (it is not shown) and press Enter: ");
                rpassword::read_password()
                    .map_err(|e| CliError::Other(format!("cannot read the key: {e}")))?
                    .into_bytes()
            } else {
                read_key_stdin()?
            };
            let k = keys::clean_input(&raw).map_err(|e| CliError::Usage(e.to_string()))?;
            OsKeyring.set(profile, &k)?;
            eprintln!("stored the key for {profile} in the OS keyring");
            Ok(0)
        }
        (None, Some(profile)) => {
            let k = OsKeyring.get(profile_name(profile)?)?;
            // Exactly the key: Claude Code reads this output as the key.
            print!("{k}");
            Ok(0)
        }
        (None, None) => Err(CliError::Usage(
            "name a profile: `weathervane key PROFILE` or `weathervane key set PROFILE`".into(),
        )),
    }
}
