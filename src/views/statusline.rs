//! `weathervane statusline`: one short line for Claude Code's `statusLine` command, a
//! tmux status bar or a shell prompt, about the provider the assistant is on now.
//!
//! Read from disk only (the config, the assistant's own file, the history opened read
//! only), never the network, and never an error: whatever fails becomes a calm line.
//! Everything shown is cleaned of control characters, and the line is cut on a character
//! boundary at [`MAX_CHARS`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::config::Config;
use crate::config::paths::Locations;
use crate::model::{ProviderState, StateReport, Status};
use crate::store::{Store, StoreError};
use crate::switch::assistants::{self, AssistantView};
use crate::switch::engine::Context;
use crate::switch::profiles::{AssistantId, find};
use crate::views::status;
use crate::views::text::clean;

/// The longest line printed, in characters; a longer one ends in "…". Room for the
/// provider, its status, what your sessions saw and the switch to run; a calm line is
/// far shorter ("● Anthropic ok").
pub const MAX_CHARS: usize = 120;
/// At most this much of standard input is read; more is not Claude Code's JSON.
pub const STDIN_LIMIT: usize = 64 * 1024;
/// How long the history may stay locked by a writer before the line gives up on it.
pub const BUSY: Duration = Duration::from_millis(25);

/// The placeholders `--format` knows, with what each stands for (shown in `--help`).
pub const PLACEHOLDERS: [(&str, &str); 7] = [
    (
        "{icon}",
        "● ◆ ▲ ✖ or ?, the worst of the page, the probes and your sessions",
    ),
    (
        "{provider}",
        "the provider the assistant's profile uses, e.g. Anthropic",
    ),
    (
        "{status}",
        "what its status page says: ok, maintenance, degraded, partial outage, major outage, no data yet, no fresh data, not watched, offline",
    ),
    (
        "{measured}",
        "what Weathervane's probes measured, when not fine",
    ),
    (
        "{sessions}",
        "failed calls in your own sessions, when there are",
    ),
    (
        "{switched}",
        "\"switched to OpenRouter\" while a switch is in place",
    ),
    ("{model}", "the model Claude Code names on standard input"),
];

/// What Claude Code passes on standard input to its `statusLine` command (only the fields
/// read here; everything else is ignored).
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
pub struct ClaudeInput {
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub model: Option<InputModel>,
    #[serde(default)]
    pub workspace: Option<InputWorkspace>,
}

#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
pub struct InputModel {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
pub struct InputWorkspace {
    #[serde(default)]
    pub current_dir: Option<String>,
}

impl ClaudeInput {
    /// Standard input as read: anything that is not a JSON object of the right shape (empty,
    /// text, too long) is no input.
    pub fn parse(raw: &[u8]) -> ClaudeInput {
        if raw.len() > STDIN_LIMIT {
            return ClaudeInput::default();
        }
        serde_json::from_slice(raw).unwrap_or_default()
    }

    /// The model's name for people: `model.display_name`, else `model.id`.
    pub fn model_name(&self) -> Option<&str> {
        let m = self.model.as_ref()?;
        m.display_name
            .as_deref()
            .or(m.id.as_deref())
            .filter(|s| !s.trim().is_empty())
    }
}

/// The pieces of a line, each already cleaned of control characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Parts {
    /// The worst known of the page, the probes and the sessions (`Unknown` when none is known).
    pub severity: Status,
    pub icon: &'static str,
    pub provider: String,
    /// The status page's word: "ok", "partial outage", "no data"...
    pub status: String,
    pub measured: String,
    pub sessions: String,
    pub switched: String,
    /// What to run: "switch: weathervane switch claude-code openrouter" or "back: …".
    pub hint: String,
    pub model: String,
}

/// What the status line says.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Line(Box<Parts>),
    /// Something kept Weathervane from knowing: a short calm sentence instead.
    Calm(String),
}

/// The glyph of a status, as the CLI's `status` shows it.
pub fn glyph(s: Status) -> &'static str {
    match s {
        Status::Operational => "●",
        Status::Maintenance => "◆",
        Status::Degraded | Status::PartialOutage => "▲",
        Status::MajorOutage => "✖",
        Status::Unknown => "?",
    }
}

fn word(s: Status) -> &'static str {
    match s {
        Status::Operational => "ok",
        Status::Maintenance => "maintenance",
        Status::Degraded => "degraded",
        Status::PartialOutage => "partial outage",
        Status::MajorOutage => "major outage",
        Status::Unknown => "no fresh data",
    }
}

/// Worse than operational and known.
fn trouble(s: Status) -> bool {
    s.severity().is_some_and(|n| n > 0)
}

fn worst_known(it: impl IntoIterator<Item = Status>) -> Status {
    it.into_iter()
        .filter(|s| s.severity().is_some())
        .max_by_key(|s| s.severity())
        .unwrap_or(Status::Unknown)
}

fn cleaned(s: &str) -> String {
    clean(s).trim().to_string()
}

/// The line's pieces for one assistant, from its view and the report.
pub fn parts(
    view: &AssistantView,
    report: Option<&StateReport>,
    config: &Config,
    input: &ClaudeInput,
) -> Parts {
    let a = view.id;
    let provider_id = view.provider.as_deref();
    let provider = match (&view.problem, &view.provider_name, provider_id) {
        (Some(_), _, _) => format!("{}: settings unreadable", a.label()),
        (None, Some(name), _) => name.clone(),
        (None, None, Some(id)) => id.to_string(),
        (None, None, None) => format!("{}: custom setup", a.label()),
    };
    let state: Option<&ProviderState> =
        provider_id.and_then(|id| report?.providers.iter().find(|p| p.id == id));
    let offline = report.is_some_and(|r| r.offline);

    let official = state.map_or(Status::Unknown, |p| p.status);
    let status = match (report, provider_id, state) {
        (_, None, _) => String::new(),
        _ if offline => "offline".to_string(),
        (None, _, _) => "no data yet".to_string(),
        (Some(_), Some(_), None) => "not watched".to_string(),
        (Some(_), Some(_), Some(p)) if p.checked_at.is_none() => "no data yet".to_string(),
        (Some(_), Some(_), Some(p)) => word(p.status).to_string(),
    };
    let measured = state
        .and_then(|p| p.measured.as_ref())
        .filter(|m| trouble(m.status));
    let sessions = state
        .and_then(|p| p.sessions.as_ref())
        .filter(|s| s.errors > 0 && trouble(s.status));
    let severity = worst_known(
        [official]
            .into_iter()
            .chain(measured.map(|m| m.status))
            .chain(sessions.map(|s| s.status)),
    );

    let open = view.open_switch.as_ref();
    let switched = match open {
        Some(o) => {
            let to = o
                .to_profile
                .as_deref()
                .or(view.active_profile.as_deref())
                .map(|id| find(&config.profiles, a, id).map_or(id, |p| p.name.as_str()));
            match to {
                Some(to) => format!("switched to {to}"),
                None => "switched".to_string(),
            }
        }
        None => String::new(),
    };

    let mut hint = String::new();
    let bad = severity
        .severity()
        .is_some_and(|n| n >= Status::PartialOutage.severity().unwrap_or(3));
    if open.is_none() && bad {
        if let Some(fb) = view
            .fallback
            .as_deref()
            .and_then(|id| find(&config.profiles, a, id))
            .filter(|fb| fb.provider.as_deref() != provider_id)
            .filter(|fb| view.active_profile.as_deref() != Some(fb.id.as_str()))
        {
            hint = format!("switch: weathervane switch {} {}", a.as_str(), fb.id);
        }
    } else if let Some(o) = open {
        // Back when the provider it left is fine again.
        let from = o
            .from_profile
            .as_deref()
            .and_then(|id| find(&config.profiles, a, id))
            .and_then(|p| p.provider.as_deref())
            .and_then(|id| report?.providers.iter().find(|p| p.id == id));
        if let Some(p) = from.filter(|p| {
            p.status == Status::Operational
                && !p.measured.as_ref().is_some_and(|m| trouble(m.status))
                && !p.sessions.as_ref().is_some_and(|s| trouble(s.status))
        }) {
            hint = format!(
                "{} ok again: weathervane switch {} --back",
                p.name,
                a.as_str()
            );
        }
    }

    Parts {
        severity,
        icon: if offline {
            glyph(Status::Unknown)
        } else {
            glyph(severity)
        },
        provider: cleaned(&provider),
        status,
        measured: measured.map_or_else(String::new, |m| cleaned(&m.summary)),
        sessions: sessions.map_or_else(String::new, |s| cleaned(&s.summary)),
        switched: cleaned(&switched),
        hint: cleaned(&hint),
        model: input.model_name().map(cleaned).unwrap_or_default(),
    }
}

/// A piece of the line: text, or the icon (which the CLI may colour).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Icon(&'static str),
}

/// The default line: "● Anthropic ok", or "▲ Anthropic: partial outage · your sessions: …
/// · switch: weathervane switch claude-code openrouter". Within [`MAX_CHARS`], the
/// provider, its status, the switch and the command to run are kept whole; what the
/// sessions and the probes say is shortened to fit, or left out.
pub fn default_pieces(p: &Parts) -> Vec<Piece> {
    const SEP: &str = " · ";
    let mut head = String::new();
    head.push(' ');
    head.push_str(&p.provider);
    if !p.status.is_empty() {
        if p.status == "ok" && trouble(p.severity) {
            // The page says ok, the probes or the sessions say otherwise.
            head.push_str(": page ok");
        } else if p.status == "ok" {
            head.push_str(" ok");
        } else {
            head.push_str(": ");
            head.push_str(&p.status);
        }
    }
    let count = |s: &str| s.chars().count();
    let kept: Vec<&str> = [p.switched.as_str(), p.hint.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    let mut budget = MAX_CHARS
        .saturating_sub(count(p.icon) + count(&head))
        .saturating_sub(kept.iter().map(|s| count(SEP) + count(s)).sum());
    let mut fillers = Vec::new();
    for (label, v) in [
        ("your sessions: ", &p.sessions),
        ("measured: ", &p.measured),
    ] {
        if v.is_empty() {
            continue;
        }
        let want = format!("{label}{v}");
        let room = budget.saturating_sub(count(SEP));
        // Too little room to say anything useful: leave it out.
        if room < label.len() + 8 {
            continue;
        }
        let text = fit(&want, room);
        budget -= count(SEP) + count(&text);
        fillers.push(text);
    }
    let mut text = head;
    if !p.switched.is_empty() {
        text.push_str(SEP);
        text.push_str(&p.switched);
    }
    for f in &fillers {
        text.push_str(SEP);
        text.push_str(f);
    }
    if !p.hint.is_empty() {
        text.push_str(SEP);
        text.push_str(&p.hint);
    }
    vec![Piece::Icon(p.icon), Piece::Text(text)]
}

/// At most `n` characters of `s`, ending in "…" when cut.
fn fit(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// A `--format` template filled in. Unknown `{words}` stay as written; runs of spaces left
/// by empty placeholders become one.
pub fn format_pieces(template: &str, p: &Parts) -> Vec<Piece> {
    let template = clean(template);
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest: &str = &template;
    while let Some(start) = rest.find('{') {
        text.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('}') else {
            text.push_str(after);
            rest = "";
            break;
        };
        let name = &after[..=end];
        let value = match name {
            "{icon}" => {
                out.push(Piece::Text(std::mem::take(&mut text)));
                out.push(Piece::Icon(p.icon));
                None
            }
            "{provider}" => Some(p.provider.as_str()),
            "{status}" => Some(p.status.as_str()),
            "{measured}" => Some(p.measured.as_str()),
            "{sessions}" => Some(p.sessions.as_str()),
            "{switched}" => Some(p.switched.as_str()),
            "{model}" => Some(p.model.as_str()),
            other => Some(other),
        };
        if let Some(v) = value {
            text.push_str(v);
        }
        rest = &after[end + 1..];
    }
    text.push_str(rest);
    out.push(Piece::Text(text));
    out
}

/// The pieces as one line: whitespace runs made one space, trimmed, at most [`MAX_CHARS`]
/// characters (cut on a character boundary, ending in "…"). `paint` dresses the icon
/// (colour) after the length is counted.
pub fn finish(pieces: &[Piece], paint: &dyn Fn(&str) -> String) -> String {
    // Collapse and trim over the plain text first, remembering where icons are.
    let mut plain: Vec<(char, bool)> = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Icon(g) => plain.extend(g.chars().map(|c| (c, true))),
            Piece::Text(t) => {
                for c in clean(t).chars() {
                    let c = if c.is_whitespace() { ' ' } else { c };
                    if c == ' ' && plain.last().is_none_or(|(l, _)| *l == ' ') {
                        continue;
                    }
                    plain.push((c, false));
                }
            }
        }
    }
    while plain.last().is_some_and(|(c, _)| *c == ' ') {
        plain.pop();
    }
    if plain.len() > MAX_CHARS {
        plain.truncate(MAX_CHARS - 1);
        while plain.last().is_some_and(|(c, _)| *c == ' ') {
            plain.pop();
        }
        plain.push(('…', false));
    }
    let mut out = String::new();
    let mut i = 0;
    while i < plain.len() {
        if plain[i].1 {
            let start = i;
            while i < plain.len() && plain[i].1 {
                i += 1;
            }
            let glyphs: String = plain[start..i].iter().map(|(c, _)| c).collect();
            out.push_str(&paint(&glyphs));
        } else {
            out.push(plain[i].0);
            i += 1;
        }
    }
    out
}

impl Parts {
    /// Add what standard input said (read while the disk was being read).
    pub fn set_input(&mut self, input: &ClaudeInput) {
        self.model = input.model_name().map(cleaned).unwrap_or_default();
    }
}

/// Read everything the line needs from disk, creating nothing. `loc` says where the
/// config and the history are; `now` judges staleness. Standard input is added after,
/// with [`Parts::set_input`].
pub fn gather(loc: &Locations, a: AssistantId, now: DateTime<Utc>) -> Outcome {
    let config = match Config::load(&loc.config, loc.config_must_exist) {
        Ok(c) => c,
        Err(_) => {
            return Outcome::Calm(
                "weathervane: config does not parse (see weathervane status)".into(),
            );
        }
    };
    let store = match Store::open_read_only(&loc.db_path(), BUSY) {
        Ok(s) => Some(s),
        Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => None,
        Err(StoreError::Busy { .. }) => {
            return Outcome::Calm("weathervane: history busy".into());
        }
        Err(_) => {
            return Outcome::Calm(
                "weathervane: history unreadable (see weathervane status)".into(),
            );
        }
    };
    let view = match Context::from_process(loc.data_dir.clone()) {
        Some(mut ctx) => {
            ctx.project_dirs = config.project_dirs.clone();
            let mut v = assistants::view_of_files(&ctx, &config, a);
            if let Some(s) = &store {
                match s.open_switch(a.as_str()) {
                    Ok(open) => {
                        v.open_switch = open.map(|r| assistants::OpenSwitch {
                            at: r.at,
                            from_profile: r.from_profile,
                            to_profile: r.to_profile,
                        });
                    }
                    Err(_) => {
                        return Outcome::Calm(
                            "weathervane: history unreadable (see weathervane status)".into(),
                        );
                    }
                }
            }
            v
        }
        None => return Outcome::Calm("weathervane: cannot find your home folder".into()),
    };
    let report = match &store {
        Some(s) => {
            let ids: Vec<&str> = view.provider.as_deref().into_iter().collect();
            match status::current_of(s, &config, &ids, now) {
                Ok(r) => Some(r),
                Err(_) => {
                    return Outcome::Calm(
                        "weathervane: history unreadable (see weathervane status)".into(),
                    );
                }
            }
        }
        None => None,
    };
    Outcome::Line(Box::new(parts(
        &view,
        report.as_ref(),
        &config,
        &ClaudeInput::default(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Measured, SessionsSignal};
    use crate::switch::assistants::OpenSwitch;

    fn config() -> Config {
        Config::parse(
            "[switch]\nfallback = { claude-code = \"openrouter\" }\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap()
    }

    fn view(profile: &str, provider: &str, name: &str) -> AssistantView {
        AssistantView {
            id: AssistantId::ClaudeCode,
            name: "Claude Code".into(),
            installed: None,
            switchable: true,
            config: None,
            config_exists: true,
            active_profile: Some(profile.into()),
            problem: None,
            open_switch: None,
            provider: Some(provider.into()),
            provider_name: Some(name.into()),
            fallback: Some("openrouter".into()),
            profiles: vec![],
        }
    }

    fn state(id: &str, name: &str, status: Status) -> ProviderState {
        ProviderState {
            id: id.into(),
            name: name.into(),
            status,
            source_ok: true,
            checked_at: Some(Utc::now()),
            reason: None,
            missing_watched: vec![],
            components: vec![],
            incidents: vec![],
            url: None,
            measured: None,
            sessions: None,
        }
    }

    fn report(states: Vec<ProviderState>) -> StateReport {
        StateReport {
            offline: false,
            providers: states,
        }
    }

    fn line(p: &Parts) -> String {
        finish(&default_pieces(p), &|g| g.to_string())
    }

    #[test]
    fn calm_when_all_is_well() {
        let r = report(vec![state("anthropic", "Anthropic", Status::Operational)]);
        let p = parts(
            &view("anthropic", "anthropic", "Anthropic"),
            Some(&r),
            &config(),
            &ClaudeInput::default(),
        );
        assert_eq!(line(&p), "● Anthropic ok");
    }

    #[test]
    fn specific_when_not_with_the_switch_to_run() {
        let mut s = state("anthropic", "Anthropic", Status::PartialOutage);
        s.sessions = Some(SessionsSignal {
            status: Status::MajorOutage,
            summary: "7 failed calls (529)".into(),
            errors: 7,
            at: Utc::now(),
            account_notice: None,
        });
        let r = report(vec![s]);
        let p = parts(
            &view("anthropic", "anthropic", "Anthropic"),
            Some(&r),
            &config(),
            &ClaudeInput::default(),
        );
        assert_eq!(
            line(&p),
            "✖ Anthropic: partial outage · your sessions: 7 failed calls (529) · switch: weathervane switch claude-code openrouter"
        );
    }

    #[test]
    fn probes_can_speak_while_the_page_says_ok() {
        let mut s = state("anthropic", "Anthropic", Status::Operational);
        s.measured = Some(Measured {
            status: Status::Degraded,
            summary: "slow (3 of 10 over 5 s)".into(),
        });
        let r = report(vec![s]);
        let p = parts(
            &view("anthropic", "anthropic", "Anthropic"),
            Some(&r),
            &config(),
            &ClaudeInput::default(),
        );
        assert_eq!(
            line(&p),
            "▲ Anthropic: page ok · measured: slow (3 of 10 over 5 s)"
        );
    }

    #[test]
    fn switched_says_so_and_offers_back_when_the_primary_is_fine() {
        let mut v = view("openrouter", "openrouter", "OpenRouter");
        v.open_switch = Some(OpenSwitch {
            at: Utc::now(),
            from_profile: Some("anthropic".into()),
            to_profile: Some("openrouter".into()),
        });
        let r = report(vec![
            state("anthropic", "Anthropic", Status::MajorOutage),
            state("openrouter", "OpenRouter", Status::Operational),
        ]);
        let p = parts(&v, Some(&r), &config(), &ClaudeInput::default());
        assert_eq!(line(&p), "● OpenRouter ok · switched to OpenRouter");
        let r = report(vec![
            state("anthropic", "Anthropic", Status::Operational),
            state("openrouter", "OpenRouter", Status::Operational),
        ]);
        let p = parts(&v, Some(&r), &config(), &ClaudeInput::default());
        assert_eq!(
            line(&p),
            "● OpenRouter ok · switched to OpenRouter · Anthropic ok again: weathervane switch claude-code --back"
        );
    }

    #[test]
    fn no_history_and_stale_data_are_not_outages() {
        let p = parts(
            &view("anthropic", "anthropic", "Anthropic"),
            None,
            &config(),
            &ClaudeInput::default(),
        );
        assert_eq!(line(&p), "? Anthropic: no data yet");
        let r = report(vec![state("anthropic", "Anthropic", Status::Unknown)]);
        let p = parts(
            &view("anthropic", "anthropic", "Anthropic"),
            Some(&r),
            &config(),
            &ClaudeInput::default(),
        );
        assert_eq!(line(&p), "? Anthropic: no fresh data");
    }

    #[test]
    fn formats_fill_placeholders_and_keep_unknown_words() {
        let r = report(vec![state("anthropic", "Anthropic", Status::Degraded)]);
        let input = ClaudeInput::parse(br#"{"model":{"id":"claude-x","display_name":"Opus"}}"#);
        let p = parts(
            &view("anthropic", "anthropic", "Anthropic"),
            Some(&r),
            &config(),
            &input,
        );
        let f = |t: &str| finish(&format_pieces(t, &p), &|g| format!("[{g}]"));
        assert_eq!(f("{icon} {provider} {status}"), "[▲] Anthropic degraded");
        assert_eq!(
            f("{model} on {provider} {sessions} {switched}|"),
            "Opus on Anthropic |"
        );
        assert_eq!(f("{nope} {provider"), "{nope} {provider");
        assert_eq!(f("a\nb\u{1b}[31mc"), "a bc");
    }

    #[test]
    fn long_and_hostile_text_is_one_clean_line_cut_on_a_char_boundary() {
        let mut s = state("anthropic", "Anthropic", Status::MajorOutage);
        s.sessions = Some(SessionsSignal {
            status: Status::MajorOutage,
            summary: format!("é\u{1b}]52;c;AAAA\u{7}\r\nfake{}", "ü".repeat(300)),
            errors: 3,
            at: Utc::now(),
            account_notice: None,
        });
        let r = report(vec![s]);
        let p = parts(
            &view("anthropic", "anthropic", "Anthropic"),
            Some(&r),
            &config(),
            &ClaudeInput::default(),
        );
        let l = line(&p);
        assert_eq!(l.chars().count(), MAX_CHARS, "{l}");
        assert!(
            l.contains("ü… · switch: weathervane switch claude-code openrouter"),
            "{l}"
        );
        assert!(!l.chars().any(|c| c.is_control()), "{l:?}");
        assert!(l.contains("é fake"), "{l}");
        // A format is cut at the end, between characters.
        let f = finish(&format_pieces("{icon} {sessions}", &p), &|g| g.to_string());
        assert_eq!(f.chars().count(), MAX_CHARS, "{f}");
        assert!(f.ends_with("ü…"), "{f}");
    }

    #[test]
    fn stdin_that_is_not_claude_codes_json_is_no_input() {
        for raw in [&b""[..], b"hello", b"[1,2]", b"{\"model\": 3}", b"\xff\xfe"] {
            assert_eq!(ClaudeInput::parse(raw), ClaudeInput::default());
        }
        let mut big = b"{\"model\":{\"display_name\":\"x\"},\"pad\":\"".to_vec();
        big.extend(std::iter::repeat_n(b'a', STDIN_LIMIT));
        big.extend(b"\"}");
        assert_eq!(ClaudeInput::parse(&big), ClaudeInput::default());
        let ok = ClaudeInput::parse(
            br#"{"session_id":"s","cwd":"/w","model":{"id":"m","display_name":"Opus"},"workspace":{"current_dir":"/w","project_dir":"/w"},"cost":{"total_cost_usd":0.1}}"#,
        );
        assert_eq!(ok.model_name(), Some("Opus"));
    }

    /// Not a test: writes the store `README.md`'s status line timing reads. History of the
    /// 15 generated providers ending now (so it is fresh), and 7 failed calls (529) of
    /// Claude Code in the last minutes. `WEATHERVANE_BENCH_DB=/path/weathervane.db
    /// WEATHERVANE_BENCH_DAYS=90 cargo test -p weathervane --lib write_statusline_bench_store -- --ignored`
    #[test]
    #[ignore = "writes a benchmark store where WEATHERVANE_BENCH_DB says"]
    fn write_statusline_bench_store() {
        use crate::monitor::sessions::{ErrorFact, SessionErrorKind};
        let Some(path) = std::env::var_os("WEATHERVANE_BENCH_DB") else {
            return;
        };
        let days = std::env::var("WEATHERVANE_BENCH_DAYS")
            .ok()
            .and_then(|d| d.parse().ok())
            .unwrap_or(90);
        let now = Utc::now();
        let mut store = Store::open(std::path::Path::new(&path)).unwrap();
        crate::store::generate_history(&mut store, 15, days, 60, now, 42).unwrap();
        let facts: Vec<ErrorFact> = (0..7)
            .map(|i| ErrorFact {
                at: now - chrono::Duration::seconds(20 * i),
                assistant: AssistantId::ClaudeCode,
                kind: SessionErrorKind::Provider,
                status: Some(529),
                code: Some("overloaded_error".into()),
                final_: i == 0,
                session: format!("s{}", i % 2),
                resets_at: None,
                provider: Some("anthropic".into()),
            })
            .collect();
        store.record_session_errors(&facts).unwrap();
    }
}
