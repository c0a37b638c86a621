//! The user's config file (TOML) merged over the built-in catalog, validated with errors that name the line and the field.

pub mod edit;
pub mod paths;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{FixedOffset, NaiveTime};
use serde::{Deserialize, Serialize};
use toml::Spanned;
use url::Url;

use crate::monitor::fetch::parse_source_url;
use crate::monitor::policy::{Prefs, QuietHours};
use crate::monitor::sources::SourceKind;
use crate::monitor::sources::feed::FeedLists;
use crate::monitor::sources::probe::{self, ProbeAuth, ProbeSpec};
use crate::switch::failover::{self, Rule};
use crate::switch::profiles::{self, AssistantId, Profile, RawProfile};

/// The catalog compiled into the binary.
pub const CATALOG: &str = include_str!("catalog.toml");

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_MAX_BODY: u64 = 4 * 1024 * 1024;
/// Never poll a public status page faster than this, whatever the config says.
pub const MIN_INTERVAL: Duration = Duration::from_secs(10);
/// A page looked at less than once a day tells nothing about now; longer values also
/// overflow the scheduler's arithmetic ("584542046090y" used to panic).
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// A fetch that waits longer than this holds a worker for nothing: the next poll is due.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// No status page fits in less; a cap of 0 would make every provider fail.
pub const MIN_MAX_BODY: u64 = 1024;
/// Far above any status page (the largest seen is under 2 MiB), and what one fetch may
/// hold in memory.
pub const MAX_MAX_BODY: u64 = 256 * 1024 * 1024;
/// Longest failover wait or dwell, and longest notification cooldown: beyond it the
/// setting means "never", which `enabled = false` or `muted` says plainly; longer values
/// overflow date arithmetic.
pub const MAX_POLICY_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("built-in catalog is invalid (a bug): {0}")]
    Catalog(String),
}

/// One provider after merging catalog and user config.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderConfig {
    pub id: String,
    pub name: String,
    pub kind: SourceKind,
    pub url: Url,
    #[serde(with = "humantime_serde_secs")]
    pub interval: Duration,
    pub watch: Vec<String>,
    pub enabled: bool,
    /// False when no adapter can read this provider's page today.
    pub pollable: bool,
    pub homepage: Option<String>,
    pub note: Option<String>,
    /// Where it came from: "catalog", "config", or "catalog+config".
    pub origin: &'static str,
    /// The API probe (early warning), when the catalog or the config defines one.
    pub probe: Option<ProbeSpec>,
    /// For feeds: whether the feed lists only live items or keeps history
    /// (`feed_lists = "live" | "history"`; history when unsaid).
    pub feed_lists: FeedLists,
}

impl ProviderConfig {
    /// The page a person reads (the base URL unless the catalog says otherwise).
    pub fn homepage(&self) -> String {
        self.homepage
            .clone()
            .unwrap_or_else(|| self.url.to_string())
    }
}

mod humantime_serde_secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}s", d.as_secs()))
    }
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Every provider, enabled or not, catalog order first, then the user's new ones.
    pub providers: Vec<ProviderConfig>,
    pub timeout: Duration,
    pub max_body: u64,
    pub prefs: Prefs,
    /// Switch profiles: the presets merged with the user's `[[profiles]]`.
    pub profiles: Vec<Profile>,
    /// Project folders checked for settings that outrank a switch (`[switch] project_dirs`, `~` expanded).
    pub project_dirs: Vec<PathBuf>,
    /// The profile each assistant falls back to when its provider is down (`[switch] fallback`).
    pub fallbacks: BTreeMap<AssistantId, String>,
    /// Automatic failover rules (`[failover.<assistant>]`), one per assistant; none by default.
    pub failover: Vec<Rule>,
    /// Which assistants' session files are followed for early warning (`[sessions]`).
    pub sessions: SessionsConfig,
    /// The file it was read from, if any.
    pub path: Option<PathBuf>,
}

/// `[sessions]`: one switch per assistant, all on by default (the files are the user's own,
/// read only, and nothing leaves the machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SessionsConfig {
    pub claude_code: bool,
    pub codex: bool,
    pub gemini: bool,
    pub opencode: bool,
}

impl Default for SessionsConfig {
    fn default() -> SessionsConfig {
        SessionsConfig {
            claude_code: true,
            codex: true,
            gemini: true,
            opencode: true,
        }
    }
}

impl SessionsConfig {
    /// Whether `a`'s session files are followed.
    pub fn enabled(&self, a: AssistantId) -> bool {
        match a {
            AssistantId::ClaudeCode => self.claude_code,
            AssistantId::Codex => self.codex,
            AssistantId::Gemini => self.gemini,
            AssistantId::Opencode => self.opencode,
        }
    }
}

impl Config {
    pub fn enabled(&self) -> impl Iterator<Item = &ProviderConfig> {
        self.providers.iter().filter(|p| p.enabled && p.pollable)
    }

    /// Enabled providers whose probe the user turned on.
    pub fn probed(&self) -> impl Iterator<Item = (&ProviderConfig, &ProbeSpec)> {
        self.providers
            .iter()
            .filter(|p| p.enabled)
            .filter_map(|p| p.probe.as_ref().filter(|s| s.enabled).map(|s| (p, s)))
    }

    pub fn provider(&self, id: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// Load from a file; a missing file at the default location means "catalog only".
    pub fn load(path: &Path, must_exist: bool) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                let mut c = Config::parse("", path)?;
                c.path = None;
                Ok(c)
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parse config text (the path is only for messages).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| invalid_at(path, text, e.span(), e.message()))?;
        let catalog: RawCatalog =
            toml::from_str(CATALOG).map_err(|e| ConfigError::Catalog(e.to_string()))?;
        let err =
            |span: std::ops::Range<usize>, msg: String| invalid_at(path, text, Some(span), &msg);

        let mut providers: Vec<ProviderConfig> = Vec::new();
        if raw.catalog.unwrap_or(true) {
            for c in catalog.providers {
                providers.push(from_catalog(c)?);
            }
        }

        let mut seen = BTreeSet::new();
        for entry in raw.providers {
            let id_span = entry.id.span();
            let id = entry.id.get_ref().trim().to_string();
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(err(
                    id_span,
                    format!("providers.id: {id:?} must be letters, digits, '-' or '_'"),
                ));
            }
            if !seen.insert(id.clone()) {
                return Err(err(id_span, format!("providers.id: {id:?} appears twice")));
            }
            let url = match &entry.url {
                Some(u) => Some(
                    parse_source_url(u.get_ref())
                        .map_err(|m| err(u.span(), format!("providers.url: {m}")))?,
                ),
                None => None,
            };
            let interval = match &entry.interval {
                Some(i) => Some(
                    parse_interval(i.get_ref())
                        .map_err(|m| err(i.span(), format!("providers.interval: {m}")))?,
                ),
                None => None,
            };
            let kind = match &entry.kind {
                Some(k) => Some(
                    parse_kind(k.get_ref())
                        .map_err(|m| err(k.span(), format!("providers.kind: {m}")))?,
                ),
                None => None,
            };
            let feed_lists = match &entry.feed_lists {
                Some(f) => Some(
                    parse_feed_lists(f.get_ref())
                        .map_err(|m| err(f.span(), format!("providers.feed_lists: {m}")))?,
                ),
                None => None,
            };
            let existing_kind = providers.iter().find(|p| p.id == id).map(|p| p.kind);
            if let (Some(f), Some(k)) = (&entry.feed_lists, kind.or(existing_kind))
                && k != SourceKind::Feed
            {
                return Err(err(
                    f.span(),
                    format!(
                        "providers.feed_lists: only feeds list items; {id:?} is of kind {}",
                        k.as_str()
                    ),
                ));
            }
            if let Some(existing) = providers.iter_mut().find(|p| p.id == id) {
                // Field-by-field override of a catalog entry.
                if let Some(n) = entry.name {
                    existing.name = n;
                }
                if let Some(k) = kind {
                    existing.kind = k;
                    // A user who names the platform has checked it: let them try.
                    existing.pollable = true;
                }
                if let Some(u) = url {
                    existing.url = u;
                    existing.pollable = true;
                }
                if let Some(i) = interval {
                    existing.interval = i;
                }
                if let Some(w) = entry.watch {
                    existing.watch = w;
                }
                if let Some(e) = entry.enabled {
                    existing.enabled = e;
                }
                if let Some(h) = entry.homepage {
                    existing.homepage = Some(h);
                }
                if let Some(f) = feed_lists {
                    existing.feed_lists = f;
                }
                if let Some(raw) = &entry.probe {
                    existing.probe = Some(
                        merge_probe(existing.probe.as_ref(), raw.get_ref())
                            .map_err(|m| err(raw.span(), format!("providers.probe: {m}")))?,
                    );
                }
                existing.origin = "catalog+config";
            } else {
                let Some(kind) = kind else {
                    return Err(err(
                        id_span,
                        format!(
                            "providers: {id:?} is not in the catalog, so it needs `kind` (statuspage, incidentio, google-cloud, instatus, datadog, feed)"
                        ),
                    ));
                };
                let Some(url) = url else {
                    return Err(err(
                        id_span,
                        format!("providers: {id:?} is not in the catalog, so it needs `url`"),
                    ));
                };
                providers.push(ProviderConfig {
                    name: entry.name.unwrap_or_else(|| id.clone()),
                    id,
                    kind,
                    url,
                    interval: interval.unwrap_or(DEFAULT_INTERVAL),
                    watch: entry.watch.unwrap_or_default(),
                    enabled: entry.enabled.unwrap_or(true),
                    pollable: true,
                    homepage: entry.homepage,
                    note: None,
                    origin: "config",
                    feed_lists: feed_lists.unwrap_or_default(),
                    probe: match &entry.probe {
                        Some(raw) => Some(
                            merge_probe(None, raw.get_ref())
                                .map_err(|m| err(raw.span(), format!("providers.probe: {m}")))?,
                        ),
                        None => None,
                    },
                });
            }
        }

        let timeout = match &raw.timeout {
            Some(t) => {
                parse_timeout(t.get_ref()).map_err(|m| err(t.span(), format!("timeout: {m}")))?
            }
            None => DEFAULT_TIMEOUT,
        };
        let max_body = match &raw.max_body_bytes {
            Some(m) => {
                let n = *m.get_ref();
                if !(MIN_MAX_BODY..=MAX_MAX_BODY).contains(&n) {
                    return Err(err(
                        m.span(),
                        format!(
                            "max_body_bytes: {n} is out of range; use {MIN_MAX_BODY} (1 KiB) to {MAX_MAX_BODY} (256 MiB), default {DEFAULT_MAX_BODY}"
                        ),
                    ));
                }
                n
            }
            None => DEFAULT_MAX_BODY,
        };

        let prefs = match raw.notifications {
            Some(n) => parse_prefs(n, &err)?,
            None => Prefs::default(),
        };

        // Merge one entry at a time so an error can name the entry's line.
        let mut accepted: Vec<RawProfile> = Vec::new();
        for entry in &raw.profiles {
            accepted.push(entry.get_ref().clone());
            profiles::merge(&accepted).map_err(|e| err(entry.span(), format!("profiles: {e}")))?;
        }
        let profiles =
            profiles::merge(&accepted).map_err(|e| ConfigError::Catalog(e.to_string()))?;

        let (project_dirs, raw_fallbacks) = raw
            .switch
            .map(|s| (s.project_dirs, s.fallback))
            .unwrap_or_default();
        let mut fallbacks = BTreeMap::new();
        for (assistant, profile) in raw_fallbacks {
            let Some(a) = AssistantId::parse(&assistant) else {
                return Err(err(
                    profile.span(),
                    format!(
                        "switch.fallback: unknown assistant {assistant:?}; expected one of claude-code, codex, gemini, opencode"
                    ),
                ));
            };
            let id = profile.get_ref();
            if profiles::find(&profiles, a, id).is_none() {
                let known: Vec<&str> = profiles
                    .iter()
                    .filter(|p| p.assistant == a)
                    .map(|p| p.id.as_str())
                    .collect();
                return Err(err(
                    profile.span(),
                    format!(
                        "switch.fallback: {assistant} has no profile {id:?}; known: {}",
                        known.join(", ")
                    ),
                ));
            }
            fallbacks.insert(a, id.clone());
        }
        let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
        let project_dirs = project_dirs
            .into_iter()
            .map(|d| match (d.strip_prefix("~/"), &home) {
                (Some(rest), Some(h)) => h.join(rest),
                _ => PathBuf::from(d),
            })
            .collect();

        let mut rules = Vec::new();
        for (assistant, raw) in &raw.failover {
            let span = raw.span();
            let raw = raw.get_ref();
            let e = |m: String| err(span.clone(), format!("failover.{assistant}: {m}"));
            let Some(a) = AssistantId::parse(assistant) else {
                return Err(e(
                    "unknown assistant; expected one of claude-code, codex, gemini, opencode"
                        .into(),
                ));
            };
            if !providers.iter().any(|p| p.id == raw.provider) {
                return Err(e(format!("unknown provider {:?}", raw.provider)));
            }
            let Some(to) = profiles::find(&profiles, a, &raw.to) else {
                return Err(e(format!("{assistant} has no profile {:?}", raw.to)));
            };
            if to.provider.as_deref() == Some(raw.provider.as_str()) {
                return Err(e(format!(
                    "profile {:?} depends on {} itself, so it cannot be the way out of its outage",
                    raw.to, raw.provider
                )));
            }
            let dur = |v: &Option<String>, default, field: &str| match v {
                Some(s) => parse_policy_duration(s, "5m").map_err(|m| e(format!("{field}: {m}"))),
                None => Ok(default),
            };
            rules.push(Rule {
                assistant: a,
                provider: raw.provider.clone(),
                to: raw.to.clone(),
                after: dur(&raw.after, failover::DEFAULT_AFTER, "after")?,
                back_after: dur(&raw.back_after, failover::DEFAULT_BACK_AFTER, "back_after")?,
                min_dwell: dur(&raw.min_dwell, failover::DEFAULT_MIN_DWELL, "min_dwell")?,
                enabled: raw.enabled.unwrap_or(true),
            });
        }

        let sessions = raw
            .sessions
            .map(|r| {
                let d = SessionsConfig::default();
                SessionsConfig {
                    claude_code: r.claude_code.unwrap_or(d.claude_code),
                    codex: r.codex.unwrap_or(d.codex),
                    gemini: r.gemini.unwrap_or(d.gemini),
                    opencode: r.opencode.unwrap_or(d.opencode),
                }
            })
            .unwrap_or_default();

        Ok(Config {
            failover: rules,
            sessions,
            providers,
            timeout,
            max_body,
            prefs,
            profiles,
            project_dirs,
            fallbacks,
            path: Some(path.to_path_buf()),
        })
    }
}

/// A probe from the config over the catalog's (field by field).
fn merge_probe(base: Option<&ProbeSpec>, raw: &RawProbe) -> Result<ProbeSpec, String> {
    let url = match (&raw.url, base) {
        (Some(u), _) => parse_source_url(u).map_err(|m| format!("url: {m}"))?,
        (None, Some(b)) => b.url.clone(),
        (None, None) => return Err("needs `url` (the API request to make)".into()),
    };
    let auth = match (&raw.auth, base) {
        (Some(a), _) => ProbeAuth::parse(a).ok_or_else(|| {
            format!("auth: {a:?}; expected one of none, bearer, x-api-key, x-goog-api-key")
        })?,
        (None, Some(b)) => b.auth,
        (None, None) => ProbeAuth::None,
    };
    let key = match &raw.key {
        Some(k) if k.trim().is_empty() => None,
        Some(k) => Some(k.trim().to_string()),
        None => base.and_then(|b| b.key.clone()),
    };
    if key.is_some() && auth == ProbeAuth::None {
        return Err("a `key` needs `auth` (bearer, x-api-key or x-goog-api-key)".into());
    }
    let mut headers: Vec<(String, String)> = base.map(|b| b.headers.clone()).unwrap_or_default();
    for (k, v) in raw.headers.iter().flatten() {
        let lower = k.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "authorization" | "x-api-key" | "x-goog-api-key" | "cookie"
        ) {
            return Err(format!(
                "headers: {k} would hold a secret in the config; put the key in the keyring and name it with `key`"
            ));
        }
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
        headers.push((k.clone(), v.clone()));
    }
    let slow = match &raw.slow {
        Some(s) => parse_timeout(s).map_err(|m| format!("slow: {m}"))?,
        None => base.map_or(probe::DEFAULT_SLOW, |b| b.slow),
    };
    let interval = match &raw.interval {
        Some(i) => parse_interval(i).map_err(|m| format!("interval: {m}"))?,
        None => base.map_or(probe::DEFAULT_PROBE_INTERVAL, |b| b.interval),
    };
    Ok(ProbeSpec {
        enabled: raw.enabled.or(base.map(|b| b.enabled)).unwrap_or(false),
        url,
        auth,
        key,
        headers,
        slow,
        interval,
    })
}

fn from_catalog(c: RawCatalogEntry) -> Result<ProviderConfig, ConfigError> {
    let bad = |m: String| ConfigError::Catalog(format!("{}: {m}", c.id));
    Ok(ProviderConfig {
        kind: parse_kind(&c.kind).map_err(bad)?,
        url: parse_source_url(&c.url).map_err(bad)?,
        interval: match &c.interval {
            Some(i) => parse_interval(i).map_err(bad)?,
            None => DEFAULT_INTERVAL,
        },
        watch: c.watch.clone().unwrap_or_default(),
        enabled: c.enabled.unwrap_or(false) && c.pollable.unwrap_or(true),
        pollable: c.pollable.unwrap_or(true),
        homepage: c.homepage.clone(),
        note: c.note.clone(),
        origin: "catalog",
        feed_lists: match &c.feed_lists {
            Some(f) => parse_feed_lists(f).map_err(bad)?,
            None => FeedLists::default(),
        },
        probe: match &c.probe {
            Some(raw) => Some(merge_probe(None, raw).map_err(bad)?),
            None => None,
        },
        name: c.name.clone(),
        id: c.id.clone(),
    })
}

fn parse_prefs(
    n: RawNotifications,
    err: &dyn Fn(std::ops::Range<usize>, String) -> ConfigError,
) -> Result<Prefs, ConfigError> {
    let mut p = Prefs::default();
    if let Some(c) = n.confirmations {
        if !(1..=10).contains(c.get_ref()) {
            return Err(err(
                c.span(),
                "notifications.confirmations: must be between 1 and 10".into(),
            ));
        }
        p.confirmations = *c.get_ref();
    }
    if let Some(c) = &n.cooldown {
        let d = humantime::parse_duration(c.get_ref().trim())
            .map_err(|e| format!("{:?}: {e} (e.g. \"15m\")", c.get_ref()))
            .and_then(|d| at_most(d, MAX_POLICY_DURATION, c.get_ref()))
            .map_err(|m| err(c.span(), format!("notifications.cooldown: {m}")))?;
        p.cooldown = chrono::Duration::from_std(d)
            .map_err(|_| err(c.span(), "notifications.cooldown: too long".into()))?;
    }
    if let Some(q) = &n.quiet_hours {
        p.quiet_hours = Some(
            parse_quiet_hours(q.get_ref())
                .map_err(|m| err(q.span(), format!("notifications.quiet_hours: {m}")))?,
        );
    }
    if let Some(m) = n.muted {
        p.muted = m.into_iter().collect();
    }
    if let Some(b) = n.maintenance {
        p.notify_maintenance = b;
    }
    if let Some(b) = n.degraded {
        p.notify_degraded = b;
    }
    p.utc_offset = local_offset();
    Ok(p)
}

/// The machine's current UTC offset, for quiet hours.
pub fn local_offset() -> FixedOffset {
    *chrono::Local::now().offset()
}

/// "22:00-07:00" (may wrap midnight).
pub fn parse_quiet_hours(s: &str) -> Result<QuietHours, String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("{s:?} should look like \"22:00-07:00\""))?;
    let t = |x: &str| {
        NaiveTime::parse_from_str(x.trim(), "%H:%M")
            .map_err(|_| format!("{:?} is not a time like 22:00", x.trim()))
    };
    Ok(QuietHours {
        start: t(a)?,
        end: t(b)?,
    })
}

pub fn parse_kind(s: &str) -> Result<SourceKind, String> {
    Ok(match s {
        "statuspage" => SourceKind::Statuspage,
        "incidentio" | "incident.io" => SourceKind::Incidentio,
        "google-cloud" => SourceKind::GoogleCloud,
        "instatus" => SourceKind::Instatus,
        "datadog" => SourceKind::Datadog,
        "feed" => SourceKind::Feed,
        "probe" => {
            return Err(
                "\"probe\" sources are not available yet (they come with early warning)".into(),
            );
        }
        other => {
            return Err(format!(
                "unknown kind {other:?}; expected one of statuspage, incidentio, google-cloud, instatus, datadog, feed"
            ));
        }
    })
}

/// `feed_lists`: "live" (Azure) or "history" (AWS, Statuspage-style history feeds).
pub fn parse_feed_lists(s: &str) -> Result<FeedLists, String> {
    FeedLists::parse(s).ok_or_else(|| {
        format!(
            "{s:?}; expected \"live\" (the feed lists only what is going on now) or \"history\" (it keeps past posts)"
        )
    })
}

pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?}: {e} (e.g. \"60s\", \"5m\")"))?;
    if d < MIN_INTERVAL {
        return Err(format!(
            "{s:?} is too short; the minimum is {}s",
            MIN_INTERVAL.as_secs()
        ));
    }
    at_most(d, MAX_INTERVAL, s)
}

/// The fetch timeout: more than nothing, at most [`MAX_TIMEOUT`].
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d =
        humantime::parse_duration(s.trim()).map_err(|e| format!("{s:?}: {e} (e.g. \"10s\")"))?;
    if d.is_zero() {
        return Err(format!("{s:?} would fail every fetch; use e.g. \"10s\""));
    }
    at_most(d, MAX_TIMEOUT, s)
}

/// A failover wait or dwell: more than nothing (0 would switch on a single blip), at
/// most [`MAX_POLICY_DURATION`].
fn parse_policy_duration(s: &str, example: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?}: {e} (e.g. \"{example}\")"))?;
    if d.is_zero() {
        return Err(format!("{s:?} must be longer than 0 (e.g. \"{example}\")"));
    }
    at_most(d, MAX_POLICY_DURATION, s)
}

fn at_most(d: Duration, max: Duration, s: &str) -> Result<Duration, String> {
    if d > max {
        return Err(format!(
            "{s:?} is too long; the maximum is {}",
            humantime::format_duration(max)
        ));
    }
    Ok(d)
}

/// Byte offset -> 1-based line and column.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

fn invalid_at(
    path: &Path,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    msg: &str,
) -> ConfigError {
    let (line, column) = span.map(|s| line_col(text, s.start)).unwrap_or((1, 1));
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        message: msg.trim().to_string(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    catalog: Option<bool>,
    timeout: Option<Spanned<String>>,
    max_body_bytes: Option<Spanned<u64>>,
    notifications: Option<RawNotifications>,
    #[serde(default)]
    providers: Vec<RawProvider>,
    #[serde(default)]
    profiles: Vec<Spanned<RawProfile>>,
    switch: Option<RawSwitch>,
    #[serde(default)]
    failover: BTreeMap<String, Spanned<RawFailover>>,
    sessions: Option<RawSessions>,
}

/// `[sessions]`: keys are assistant ids; an unknown one is refused with its line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSessions {
    #[serde(rename = "claude-code")]
    claude_code: Option<bool>,
    codex: Option<bool>,
    gemini: Option<bool>,
    opencode: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSwitch {
    /// Project folders whose `.claude/settings*.json` may outrank a switch.
    #[serde(default)]
    project_dirs: Vec<String>,
    /// The profile each assistant is switched to when its provider is down.
    #[serde(default)]
    fallback: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotifications {
    confirmations: Option<Spanned<u32>>,
    cooldown: Option<Spanned<String>>,
    quiet_hours: Option<Spanned<String>>,
    muted: Option<Vec<String>>,
    maintenance: Option<bool>,
    degraded: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    id: Spanned<String>,
    name: Option<String>,
    kind: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
    watch: Option<Vec<String>>,
    enabled: Option<bool>,
    homepage: Option<String>,
    probe: Option<Spanned<RawProbe>>,
    feed_lists: Option<Spanned<String>>,
}

/// `probe = { ... }` on a provider: every field optional over the catalog's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    enabled: Option<bool>,
    url: Option<String>,
    auth: Option<String>,
    key: Option<String>,
    headers: Option<BTreeMap<String, String>>,
    slow: Option<String>,
    interval: Option<String>,
}

/// `[failover.<assistant>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFailover {
    provider: String,
    to: String,
    after: Option<String>,
    back_after: Option<String>,
    min_dwell: Option<String>,
    enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct RawCatalog {
    providers: Vec<RawCatalogEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogEntry {
    id: String,
    name: String,
    kind: String,
    url: String,
    interval: Option<String>,
    watch: Option<Vec<String>>,
    enabled: Option<bool>,
    pollable: Option<bool>,
    homepage: Option<String>,
    note: Option<String>,
    probe: Option<RawProbe>,
    feed_lists: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/cfg/weathervane.toml"))
    }

    #[test]
    fn sessions_switches_default_on_and_unknown_keys_name_the_line() {
        let c = parse("").unwrap();
        assert!(AssistantId::ALL.iter().all(|&a| c.sessions.enabled(a)));
        let c = parse("[sessions]\nclaude-code = false\n").unwrap();
        assert!(!c.sessions.enabled(AssistantId::ClaudeCode));
        assert!(c.sessions.enabled(AssistantId::Codex));
        let e = parse("[sessions]\ncodex = true\nclaude = false\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":3:"), "{e}");
        assert!(e.contains("claude"), "{e}");
        let e = parse("[sessions]\ngemini = \"no\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2:"), "{e}");
    }

    #[test]
    fn probes_come_from_the_catalog_off_and_are_checked() {
        let c = parse("").unwrap();
        assert_eq!(c.probed().count(), 0, "probes are opt-in");
        let a = c.provider("anthropic").unwrap().probe.as_ref().unwrap();
        assert_eq!(a.auth, ProbeAuth::XApiKey);
        assert!(a.headers.iter().any(|(k, _)| k == "anthropic-version"));
        let c = parse(
            "[[providers]]\nid = \"anthropic\"\nprobe = { enabled = true, key = \"ak\", slow = \"2s\" }\n",
        )
        .unwrap();
        let (p, s) = c.probed().next().unwrap();
        assert_eq!(p.id, "anthropic");
        assert_eq!((s.key.as_deref(), s.slow.as_secs()), (Some("ak"), 2));
        for (bad, says) in [
            (
                "probe = { enabled = true, url = \"http://api.example.com/v1/models\" }",
                "https",
            ),
            (
                "probe = { headers = { authorization = \"Bearer sk\" } }",
                "keyring",
            ),
            ("probe = { auth = \"basic\" }", "expected one of"),
            (
                "probe = { enabled = true, auth = \"none\", key = \"k\" }",
                "needs `auth`",
            ),
            ("probe = { enabled = true, interval = \"1s\" }", "too short"),
        ] {
            let e = parse(&format!("[[providers]]\nid = \"anthropic\"\n{bad}\n")).unwrap_err();
            let m = e.to_string();
            assert!(m.contains("line 3") || m.contains(":3:"), "{m}");
            assert!(m.contains(says), "{bad}: {m}");
        }
        // A provider of one's own may bring its own probe.
        let c = parse(
            "[[providers]]\nid = \"lab\"\nkind = \"statuspage\"\nurl = \"https://status.lab.example\"\nprobe = { enabled = true, url = \"https://api.lab.example/v1/models\", auth = \"bearer\" }\n",
        )
        .unwrap();
        assert_eq!(c.probed().count(), 1);
    }

    #[test]
    fn failover_rules_are_validated() {
        let ok = parse(
            "[failover.claude-code]\nprovider = \"anthropic\"\nto = \"openrouter\"\nafter = \"3m\"\n",
        )
        .unwrap();
        assert_eq!(ok.failover.len(), 1);
        assert_eq!(ok.failover[0].after.as_secs(), 180);
        assert_eq!(
            ok.failover[0].back_after,
            crate::switch::failover::DEFAULT_BACK_AFTER
        );
        for (bad, says) in [
            (
                "[failover.vim]\nprovider = \"anthropic\"\nto = \"openrouter\"\n",
                "unknown assistant",
            ),
            (
                "[failover.claude-code]\nprovider = \"nobody\"\nto = \"openrouter\"\n",
                "unknown provider",
            ),
            (
                "[failover.claude-code]\nprovider = \"anthropic\"\nto = \"nowhere\"\n",
                "no profile",
            ),
            (
                "[failover.claude-code]\nprovider = \"anthropic\"\nto = \"anthropic\"\n",
                "depends on anthropic itself",
            ),
            (
                "[failover.claude-code]\nprovider = \"anthropic\"\nto = \"openrouter\"\nafter = \"soon\"\n",
                "after",
            ),
        ] {
            let m = parse(bad).unwrap_err().to_string();
            assert!(m.contains(says), "{bad}: {m}");
        }
    }

    #[test]
    fn fallbacks_name_known_profiles() {
        let c =
            parse("[switch]\nfallback = { claude-code = \"openrouter\", codex = \"ollama\" }\n")
                .unwrap();
        assert_eq!(c.fallbacks[&AssistantId::ClaudeCode], "openrouter");
        assert_eq!(c.fallbacks[&AssistantId::Codex], "ollama");
        let e = parse("[switch]\nfallback = { claude-code = \"nope\" }\n").unwrap_err();
        assert!(e.to_string().contains("has no profile \"nope\""), "{e}");
        let e = parse("[switch]\nfallback = { claude = \"openrouter\" }\n").unwrap_err();
        assert!(e.to_string().contains("unknown assistant"), "{e}");
    }

    #[test]
    fn preset_providers_are_catalog_ids() {
        let c = parse("").unwrap();
        for p in &c.profiles {
            if let Some(id) = &p.provider {
                assert!(c.provider(id).is_some(), "{}/{}: {id}", p.assistant, p.id);
            }
        }
        assert!(
            c.profiles
                .iter()
                .filter(|p| p.default)
                .all(|p| p.provider.is_some()
                    || p.assistant == AssistantId::Opencode
                    || p.assistant == AssistantId::Gemini)
        );
    }

    #[test]
    fn empty_config_is_the_catalog() {
        let c = parse("").unwrap();
        let anthropic = c.provider("anthropic").unwrap();
        assert_eq!(anthropic.url.as_str(), "https://status.claude.com/");
        assert_eq!(anthropic.watch, vec!["Claude API", "Claude Code"]);
        assert!(anthropic.enabled);
        assert!(
            c.providers.len() >= 14,
            "catalog has {} entries",
            c.providers.len()
        );
        // Entries no adapter can read are listed but never enabled.
        assert!(
            c.providers
                .iter()
                .filter(|p| !p.pollable)
                .all(|p| !p.enabled)
        );
        assert!(c.enabled().all(|p| p.pollable));
    }

    #[test]
    fn override_is_field_by_field() {
        let c = parse(
            r#"
[[providers]]
id = "anthropic"
interval = "30s"
"#,
        )
        .unwrap();
        let a = c.provider("anthropic").unwrap();
        assert_eq!(a.interval, Duration::from_secs(30));
        assert_eq!(
            a.watch,
            vec!["Claude API", "Claude Code"],
            "untouched fields kept"
        );
        assert_eq!(a.origin, "catalog+config");
    }

    #[test]
    fn catalog_false_leaves_only_the_file() {
        let c = parse(
            r#"
catalog = false
[[providers]]
id = "local"
kind = "statuspage"
url = "http://127.0.0.1:8080"
"#,
        )
        .unwrap();
        assert_eq!(c.providers.len(), 1);
        assert_eq!(c.providers[0].id, "local");
        assert!(c.providers[0].enabled);
    }

    #[test]
    fn typo_in_field_names_the_line_and_field() {
        let e =
            parse("catalog = false\n\n[[providers]]\nid = \"x\"\nintervl = \"60s\"\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(":5:"), "{msg}");
        assert!(msg.contains("intervl"), "{msg}");
    }

    #[test]
    fn bad_interval_names_the_line() {
        let e =
            parse("[[providers]]\nid = \"anthropic\"\ninterval = \"60 parsecs\"\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("/cfg/weathervane.toml:3:"), "{msg}");
        assert!(msg.contains("providers.interval"), "{msg}");
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(parse_source_url("http://127.0.0.1:9/x").is_ok());
        assert!(parse_source_url("http://localhost:9").is_ok());
        assert!(parse_source_url("http://[::1]:9").is_ok());
        assert!(parse_source_url("https://status.claude.com").is_ok());
        let e = parse_source_url("http://status.claude.com").unwrap_err();
        assert!(e.contains("only https"), "{e}");
        assert!(parse_source_url("ftp://x").is_err());
        let e = parse("[[providers]]\nid = \"anthropic\"\nurl = \"http://evil.example\"\n")
            .unwrap_err();
        assert!(e.to_string().contains(":3:"), "{e}");
    }

    #[test]
    fn a_url_with_a_password_is_refused_naming_the_line_without_the_password() {
        let e = parse(
            "catalog = false\n[[providers]]\nid = \"mine\"\nkind = \"statuspage\"\nurl = \"https://me:s3cret@status.example.com\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains(":5:"), "{e}");
        assert!(e.contains("user name or password"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        let e = parse(
            "[[providers]]\nid = \"anthropic\"\nprobe = { url = \"https://me:s3cret@api.example.com/v1/models\" }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains(":3:") && !e.contains("s3cret"), "{e}");
    }

    #[test]
    fn values_that_cannot_work_are_refused_naming_the_line() {
        for (bad, line, says) in [
            (
                "[[providers]]\nid = \"anthropic\"\ninterval = \"584542046090y\"\n",
                3,
                "too long",
            ),
            (
                "[[providers]]\nid = \"anthropic\"\ninterval = \"25h\"\n",
                3,
                "too long",
            ),
            (
                "[[providers]]\nid = \"anthropic\"\nprobe = { interval = \"584542046090y\" }\n",
                3,
                "too long",
            ),
            ("catalog = true\ntimeout = \"0s\"\n", 2, "timeout"),
            ("timeout = \"6m\"\n", 1, "too long"),
            ("timeout = \"584542046090y\"\n", 1, "too long"),
            ("\nmax_body_bytes = 0\n", 2, "max_body_bytes"),
            ("max_body_bytes = 1023\n", 1, "out of range"),
            ("max_body_bytes = 268435457\n", 1, "out of range"),
            ("max_body_bytes = 9223372036854775807\n", 1, "out of range"),
            ("max_body_bytes = 18446744073709551615\n", 1, ""),
            ("max_body_bytes = -1\n", 1, ""),
            (
                "[notifications]\ncooldown = \"584542046090y\"\n",
                2,
                "notifications.cooldown",
            ),
            (
                "\n[failover.claude-code]\nprovider = \"anthropic\"\nto = \"openrouter\"\nafter = \"0s\"\n",
                2,
                "after",
            ),
            (
                "[failover.claude-code]\nprovider = \"anthropic\"\nto = \"openrouter\"\nback_after = \"0s\"\n",
                1,
                "back_after",
            ),
            (
                "[failover.claude-code]\nprovider = \"anthropic\"\nto = \"openrouter\"\nmin_dwell = \"0s\"\n",
                1,
                "min_dwell",
            ),
            (
                "[failover.claude-code]\nprovider = \"anthropic\"\nto = \"openrouter\"\nafter = \"584542046090y\"\n",
                1,
                "too long",
            ),
        ] {
            let m = parse(bad).map(|_| ()).unwrap_err().to_string();
            assert!(
                m.starts_with(&format!("/cfg/weathervane.toml:{line}:")),
                "{bad}: {m}"
            );
            assert!(m.contains(says), "{bad}: {m}");
        }
        // The edges are accepted.
        let c = parse("timeout = \"5m\"\nmax_body_bytes = 1024\n[[providers]]\nid = \"anthropic\"\ninterval = \"24h\"\n").unwrap();
        assert_eq!(c.timeout, MAX_TIMEOUT);
        assert_eq!(c.max_body, 1024);
        assert!(parse("max_body_bytes = 268435456\n").is_ok());
    }

    #[test]
    fn new_provider_needs_kind_and_url() {
        let e = parse("[[providers]]\nid = \"mine\"\nurl = \"https://status.example.com\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("needs `kind`"), "{e}");
        let e = parse("[[providers]]\nid = \"mine\"\nkind = \"statuspage\"\n").unwrap_err();
        assert!(e.to_string().contains("needs `url`"), "{e}");
        let e = parse(
            "[[providers]]\nid = \"mine\"\nkind = \"statuspag\"\nurl = \"https://s.example\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown kind"), "{e}");
    }

    /// Every catalog entry polls, or says why it cannot and what to do instead.
    #[test]
    fn every_catalog_entry_polls_or_says_why_not() {
        let c = parse("").unwrap();
        for p in c.providers.iter().filter(|p| !p.pollable) {
            let note = p.note.as_deref().unwrap_or_default();
            assert!(
                note.contains("cannot read")
                    || note.contains("no adapter")
                    || note.contains("no public feed"),
                "{}: {note}",
                p.id
            );
            assert!(
                note.contains("probe"),
                "{}: name the alternative: {note}",
                p.id
            );
        }
        for id in ["deepseek", "mistral"] {
            let p = c.provider(id).unwrap();
            assert!(!p.pollable);
            let note = p.note.as_deref().unwrap_or_default();
            assert!(
                note.contains("browser") && note.contains("sessions"),
                "{id}: {note}"
            );
        }
        let gemini_app = c.provider("gemini-app").unwrap();
        assert_eq!(gemini_app.kind, SourceKind::GoogleCloud);
        assert!(gemini_app.pollable);
        assert_eq!(gemini_app.feed_lists, FeedLists::History);
    }

    #[test]
    fn feed_lists_is_read_checked_and_named_by_line() {
        let c = parse("").unwrap();
        assert_eq!(
            c.provider("azure-openai").unwrap().feed_lists,
            FeedLists::Live
        );
        assert_eq!(
            c.provider("aws-bedrock").unwrap().feed_lists,
            FeedLists::History
        );
        let c = parse("[[providers]]\nid = \"aws-bedrock\"\nfeed_lists = \"live\"\n").unwrap();
        assert_eq!(
            c.provider("aws-bedrock").unwrap().feed_lists,
            FeedLists::Live
        );
        let c = parse(
            "[[providers]]\nid = \"mine\"\nkind = \"feed\"\nurl = \"https://s.example/f\"\nfeed_lists = \"live\"\n",
        )
        .unwrap();
        assert_eq!(c.provider("mine").unwrap().feed_lists, FeedLists::Live);
        let e = parse("[[providers]]\nid = \"azure-openai\"\n\nfeed_lists = \"current\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":4:") && e.contains("providers.feed_lists"),
            "{e}"
        );
        assert!(e.contains("\"live\"") && e.contains("\"history\""), "{e}");
        let e = parse("[[providers]]\nid = \"anthropic\"\nfeed_lists = \"live\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":3:") && e.contains("only feeds"), "{e}");
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let e = parse("[[providers]]\nid = \"a\"\nkind=\"feed\"\nurl=\"https://a.example/f\"\n[[providers]]\nid = \"a\"\n").unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
    }

    #[test]
    fn too_short_interval_is_refused() {
        let e = parse("[[providers]]\nid = \"anthropic\"\ninterval = \"1s\"\n").unwrap_err();
        assert!(e.to_string().contains("too short"), "{e}");
    }

    #[test]
    fn profiles_merge_over_presets_and_errors_name_the_line() {
        let c = parse("[[profiles]]\nassistant = \"claude-code\"\nid = \"mine\"\nset = { ANTHROPIC_BASE_URL = \"https://x.example\" }\n").unwrap();
        assert!(c.profiles.iter().any(|p| p.id == "mine"));
        assert!(c.profiles.iter().any(|p| p.id == "bedrock"), "presets stay");
        let e = parse("catalog = true\n\n[[profiles]]\nassistant = \"claude\"\nid = \"x\"\n")
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(":3:") && msg.contains("unknown assistant"),
            "{msg}"
        );
    }

    #[test]
    fn notifications_section() {
        let c = parse(
            "[notifications]\nconfirmations = 3\ncooldown = \"5m\"\nquiet_hours = \"22:00-07:30\"\nmuted = [\"cursor\"]\n",
        )
        .unwrap();
        assert_eq!(c.prefs.confirmations, 3);
        assert_eq!(c.prefs.cooldown, chrono::Duration::minutes(5));
        let q = c.prefs.quiet_hours.unwrap();
        assert_eq!(q.end, NaiveTime::from_hms_opt(7, 30, 0).unwrap());
        assert!(c.prefs.muted.contains("cursor"));
        let e = parse("[notifications]\nquiet_hours = \"late\"\n").unwrap_err();
        assert!(e.to_string().contains(":2:"), "{e}");
    }
}
