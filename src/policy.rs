//! Pure notification decisions: previous state + new observation + preferences + now -> alerts.
//!
//! Nothing here reads a clock, a file or the network: the caller passes `now`
//! and persists the returned [`ProviderPolicyState`], so every rule can be
//! tested as a table of observations (see the tests at the bottom).
//!
//! Decisions where the product rules left room (also documented on the items):
//! - An observation that is `Unknown`, from a failed source, or taken while the
//!   user is offline is skipped entirely: it neither confirms, breaks a run of
//!   confirmations, nor counts as recovery. Two problem observations with a dark
//!   gap between them are therefore still "consecutive".
//! - A run of confirmations is about the *direction* of a change, not the exact
//!   status: degraded, major is two observations of a problem. The status that
//!   gets confirmed is the one every observation in the run supports, i.e. the
//!   run's status closest to the current confirmed one (never claim a worse
//!   outage, or a better recovery, than all observations agree on).
//! - A problem that could not be announced (quiet hours, pause, mute, cooldown,
//!   `notify_degraded` off) is announced at the first later observation where it
//!   can be, if it is still going on; a recovery is only announced when the
//!   problem was, and is never deferred (old good news is noise).
//! - The cooldown clock is the last Outage or Recovery alert, so a provider that
//!   flaps outage/recovery/outage does not page twice within the window.
//! - The state starts as confirmed operational, so a provider already down at
//!   first launch is announced once confirmed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Offset, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Status;

/// Where an observation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The provider's own status page or feed.
    Official,
    /// Our own synthetic request against the provider's API.
    Probe,
}

/// One poll result of one provider, reduced to what the policy needs.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyInput {
    pub provider_id: String,
    /// Display name used in alert text ("Anthropic").
    pub provider_name: String,
    /// Provider status derived from the watched components.
    pub status: Status,
    /// False when this source failed or its data is stale.
    pub source_ok: bool,
    /// Every source failed at once: the user's network is down.
    pub offline: bool,
    pub signal: Signal,
    /// Names of watched components that are not operational, for the alert body.
    pub problem_components: Vec<String>,
    /// Title of the newest open incident, for the alert body.
    pub incident_title: Option<String>,
}

/// A daily window, in the user's local time, during which nothing is notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    /// Whether local time `t` falls in `[start, end)`. The window may wrap
    /// midnight (22:00-07:00); `start == end` is an empty window, not a full day,
    /// so a half-edited setting cannot silence everything.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

/// The user's notification preferences.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefs {
    /// Consecutive known observations needed to confirm a change (0 acts as 1).
    pub confirmations: u32,
    /// Minimum time between Outage alerts for one provider (see [`decide`]).
    pub cooldown: Duration,
    pub quiet_hours: Option<QuietHours>,
    /// Offset that quiet hours are interpreted in (the user's local offset).
    pub utc_offset: FixedOffset,
    /// Provider ids never notified.
    pub muted: BTreeSet<String>,
    /// "Pause for 1 h": nothing is notified before this instant.
    pub paused_until: Option<DateTime<Utc>>,
    /// Announce the start of maintenance ([`AlertKind::Maintenance`]).
    pub notify_maintenance: bool,
    /// Announce degraded performance; partial and major outages are always announced.
    pub notify_degraded: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            confirmations: 2,
            cooldown: Duration::minutes(15),
            quiet_hours: None,
            utc_offset: Utc.fix(),
            muted: BTreeSet::new(),
            paused_until: None,
            notify_maintenance: false,
            notify_degraded: true,
        }
    }
}

/// What an alert announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A problem (degraded, partial or major) the user has not been told about.
    Outage,
    /// The current problem got worse than anything announced for it so far.
    Escalation,
    /// An announced problem is over.
    Recovery,
    /// Maintenance started (only with [`Prefs::notify_maintenance`]).
    Maintenance,
}

/// A notification to show, with its text already written.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub provider_id: String,
    pub provider_name: String,
    pub kind: AlertKind,
    /// The confirmed status being announced.
    pub status: Status,
    /// Outage: the calm status before the problem; Escalation: the worst status
    /// announced (or held back by cooldown) before; Recovery: the problem status
    /// just before it ended; Maintenance: the status before it.
    pub previous: Status,
    /// Outage: first observation of the problem; otherwise first observation of
    /// the announced status.
    pub since: DateTime<Utc>,
    /// Recovery only: from the problem's first observation to the first
    /// observation of recovery.
    pub duration: Option<Duration>,
    /// The signal of the observation that triggered the alert.
    pub signal: Signal,
    pub title: String,
    pub body: String,
}

/// A change seen but not yet confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The status the run supports so far (see the module docs).
    pub status: Status,
    /// Consecutive known observations in the run.
    pub count: u32,
    pub seen_official: bool,
    pub seen_probe: bool,
    /// First observation of the run: becomes the start of a problem.
    pub first_seen: DateTime<Utc>,
}

/// The problem currently confirmed for a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// First observation of the problem (not when it was confirmed).
    pub since: DateTime<Utc>,
    /// The calm status it started from.
    pub before: Status,
    /// Worst status announced in this problem; `None` when nothing was, in
    /// which case its recovery is not announced either.
    pub notified: Option<Status>,
    /// Worst status whose Outage alert the cooldown held back, so that getting
    /// worse than that is still told as an escalation within the cooldown.
    pub held: Option<Status>,
}

/// Everything the policy remembers about one provider between observations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderPolicyState {
    /// Last confirmed status (never `Unknown`).
    pub confirmed: Status,
    /// First observation of the confirmed status, when known.
    pub confirmed_since: Option<DateTime<Utc>>,
    pub pending: Option<Pending>,
    pub problem: Option<Problem>,
    /// Last Outage or Recovery alert: the start of the cooldown window.
    pub cooldown_from: Option<DateTime<Utc>>,
}

impl Default for ProviderPolicyState {
    fn default() -> Self {
        ProviderPolicyState {
            confirmed: Status::Operational,
            confirmed_since: None,
            pending: None,
            problem: None,
            cooldown_from: None,
        }
    }
}

/// The new state to persist and the alerts to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub state: ProviderPolicyState,
    pub alerts: Vec<Alert>,
}

/// Human duration: "45 s", "23 min", "1 h 5 min", "2 d 3 h". Truncates (23 min
/// 59 s is "23 min") and treats negative durations as zero.
pub fn format_duration(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    if secs < 60 {
        format!("{secs} s")
    } else if secs < 3600 {
        format!("{mins} min")
    } else if days == 0 {
        if mins == 0 {
            format!("{hours} h")
        } else {
            format!("{hours} h {mins} min")
        }
    } else if hours == 0 {
        format!("{days} d")
    } else {
        format!("{days} d {hours} h")
    }
}

/// How a known observation relates to the confirmed status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Calm (operational/maintenance) to a problem.
    Onset,
    /// A problem to a worse problem.
    Worse,
    /// A problem to a milder problem.
    Milder,
    /// A problem to calm.
    Recovery,
    /// Operational to maintenance or back.
    CalmChange,
}

fn sev(s: Status) -> u8 {
    // Callers only pass known statuses; Unknown is filtered out before.
    s.severity().unwrap_or(0)
}

/// `None` when `obs` is the confirmed status itself.
fn direction(confirmed: Status, obs: Status) -> Option<Direction> {
    if obs == confirmed {
        return None;
    }
    Some(match (confirmed.is_problem(), obs.is_problem()) {
        (false, true) => Direction::Onset,
        (false, false) => Direction::CalmChange,
        (true, false) => Direction::Recovery,
        (true, true) if sev(obs) > sev(confirmed) => Direction::Worse,
        (true, true) => Direction::Milder,
    })
}

/// Of two statuses in the same direction, the one closer to `confirmed`.
fn closer(confirmed: Status, a: Status, b: Status) -> Status {
    if sev(a).abs_diff(sev(confirmed)) <= sev(b).abs_diff(sev(confirmed)) {
        a
    } else {
        b
    }
}

/// Whether notifications are off right now for this provider, whatever happens.
fn suppressed(prefs: &Prefs, provider_id: &str, now: DateTime<Utc>) -> bool {
    let paused = prefs.paused_until.is_some_and(|until| now < until);
    let quiet = prefs
        .quiet_hours
        .is_some_and(|q| q.contains(now.with_timezone(&prefs.utc_offset).time()));
    paused || quiet || prefs.muted.contains(provider_id)
}

/// Whether a problem of this status is worth announcing at all.
fn alertable(status: Status, prefs: &Prefs) -> bool {
    status.is_problem() && (prefs.notify_degraded || status != Status::Degraded)
}

fn lower_label(s: Status) -> String {
    s.label().to_lowercase()
}

/// "Claude API, Claude Code · Elevated errors", or the status alone when the
/// source told us neither.
fn problem_body(input: &PolicyInput, status: Status) -> String {
    let mut parts = Vec::new();
    if !input.problem_components.is_empty() {
        parts.push(input.problem_components.join(", "));
    }
    if let Some(t) = input
        .incident_title
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        parts.push(t.trim().to_string());
    }
    if parts.is_empty() {
        status.label().to_string()
    } else {
        parts.join(" · ")
    }
}

struct AlertText {
    kind: AlertKind,
    status: Status,
    previous: Status,
    since: DateTime<Utc>,
    duration: Option<Duration>,
}

fn make_alert(input: &PolicyInput, a: AlertText) -> Alert {
    let name = &input.provider_name;
    let (title, body) = match a.kind {
        AlertKind::Outage => (
            format!("{name}: {}", lower_label(a.status)),
            problem_body(input, a.status),
        ),
        AlertKind::Escalation => (
            format!(
                "{name}: {} (was {})",
                lower_label(a.status),
                lower_label(a.previous)
            ),
            problem_body(input, a.status),
        ),
        AlertKind::Recovery => {
            let lasted = format_duration(a.duration.unwrap_or_else(Duration::zero));
            let body = if a.status == Status::Maintenance {
                format!("Problems over after {lasted}; now in maintenance")
            } else {
                format!("Operational again after {lasted}")
            };
            (format!("{name} recovered"), body)
        }
        AlertKind::Maintenance => {
            let body = match (
                input.incident_title.as_deref(),
                input.problem_components.is_empty(),
            ) {
                (Some(t), _) if !t.trim().is_empty() => t.trim().to_string(),
                (_, false) => input.problem_components.join(", "),
                _ => "Maintenance in progress".to_string(),
            };
            (format!("{name}: maintenance"), body)
        }
    };
    Alert {
        provider_id: input.provider_id.clone(),
        provider_name: input.provider_name.clone(),
        kind: a.kind,
        status: a.status,
        previous: a.previous,
        since: a.since,
        duration: a.duration,
        signal: input.signal,
        title,
        body,
    }
}

/// Feed one observation; returns the change it confirms, if any, as
/// `(previous confirmed, new confirmed, first observation of the new one)`.
fn observe(
    st: &mut ProviderPolicyState,
    obs: Status,
    signal: Signal,
    confirmations: u32,
    now: DateTime<Utc>,
) -> Option<(Status, Status, DateTime<Utc>)> {
    let Some(dir) = direction(st.confirmed, obs) else {
        // Back at the confirmed status: whatever was pending was a flap.
        st.pending = None;
        return None;
    };
    let mut pending = match st.pending.take() {
        Some(p) if direction(st.confirmed, p.status) == Some(dir) => Pending {
            status: closer(st.confirmed, p.status, obs),
            count: p.count.saturating_add(1),
            ..p
        },
        _ => Pending {
            status: obs,
            count: 1,
            seen_official: false,
            seen_probe: false,
            first_seen: now,
        },
    };
    match signal {
        Signal::Official => pending.seen_official = true,
        Signal::Probe => pending.seen_probe = true,
    }
    let agreed = pending.seen_official && pending.seen_probe;
    if pending.count >= confirmations.max(1) || agreed {
        let from = st.confirmed;
        st.confirmed = pending.status;
        st.confirmed_since = Some(pending.first_seen);
        Some((from, pending.status, pending.first_seen))
    } else {
        st.pending = Some(pending);
        None
    }
}

/// Decide what to notify for one observation of one provider.
///
/// Rules, in the order they apply:
/// 1. `Unknown` status, a failed source or `offline` changes nothing and
///    alerts nothing (a source going dark is neither an outage nor a recovery).
/// 2. A change is confirmed after `prefs.confirmations` consecutive known
///    observations in the same direction, or at once when an Official and a
///    Probe observation agree. Seeing the confirmed status again cancels it.
/// 3. A confirmed problem the user has not been told about is announced as
///    [`AlertKind::Outage`] unless notifications are suppressed (quiet hours,
///    pause, mute), the status is degraded with `notify_degraded` off, or an
///    Outage/Recovery alert was sent less than `cooldown` ago. Whatever held it
///    back, it is announced at the first later observation where none does, if
///    still going on.
/// 4. A confirmed problem worse than anything announced (or held back by the
///    cooldown) in it is an [`AlertKind::Escalation`], cooldown or not. Getting
///    milder is silent, and so is getting worse again up to what was announced.
/// 5. A confirmed return to operational or maintenance after an announced
///    problem is an [`AlertKind::Recovery`] with its duration, cooldown or not;
///    never when the problem was not announced, and never deferred past quiet
///    hours.
/// 6. A confirmed move from operational into maintenance is an
///    [`AlertKind::Maintenance`] only with `notify_maintenance` and when not
///    suppressed; it is not subject to, and does not start, the cooldown.
pub fn decide(
    prev: &ProviderPolicyState,
    input: &PolicyInput,
    prefs: &Prefs,
    now: DateTime<Utc>,
) -> Decision {
    let mut st = prev.clone();
    let mut alerts = Vec::new();
    if !input.source_ok || input.offline || input.status.severity().is_none() {
        return Decision { state: st, alerts };
    }
    let quiet = suppressed(prefs, &input.provider_id, now);

    if let Some((from, to, first_seen)) = observe(
        &mut st,
        input.status,
        input.signal,
        prefs.confirmations,
        now,
    ) {
        match (from.is_problem(), to.is_problem()) {
            (false, true) => {
                st.problem = Some(Problem {
                    since: first_seen,
                    before: from,
                    notified: None,
                    held: None,
                });
            }
            (true, false) => {
                if let Some(p) = st.problem.take()
                    && p.notified.is_some()
                    && !quiet
                {
                    alerts.push(make_alert(
                        input,
                        AlertText {
                            kind: AlertKind::Recovery,
                            status: to,
                            previous: from,
                            since: first_seen,
                            duration: Some(first_seen - p.since),
                        },
                    ));
                    st.cooldown_from = Some(now);
                }
            }
            (false, false) => {
                if to == Status::Maintenance && prefs.notify_maintenance && !quiet {
                    alerts.push(make_alert(
                        input,
                        AlertText {
                            kind: AlertKind::Maintenance,
                            status: to,
                            previous: from,
                            since: first_seen,
                            duration: None,
                        },
                    ));
                }
            }
            // Worse or milder within a problem: handled below from the state.
            (true, true) => {}
        }
    }

    // Announce the confirmed problem if it is news: on the observation that
    // confirms it, or on the first one after whatever held it back.
    let status = st.confirmed;
    let since = st.confirmed_since.unwrap_or(now);
    let in_cooldown = st.cooldown_from.is_some_and(|t| now - t < prefs.cooldown);
    if let Some(p) = st.problem.as_mut()
        && !quiet
        && alertable(status, prefs)
    {
        let told = p.notified.or(p.held);
        match told {
            Some(t) if sev(status) > sev(t) => {
                alerts.push(make_alert(
                    input,
                    AlertText {
                        kind: AlertKind::Escalation,
                        status,
                        previous: t,
                        since,
                        duration: None,
                    },
                ));
                p.notified = Some(status);
            }
            _ if p.notified.is_none() && !in_cooldown => {
                alerts.push(make_alert(
                    input,
                    AlertText {
                        kind: AlertKind::Outage,
                        status,
                        previous: p.before,
                        since: p.since,
                        duration: None,
                    },
                ));
                p.notified = Some(status);
                p.held = None;
                st.cooldown_from = Some(now);
            }
            _ if p.notified.is_none() => {
                // Held back by the cooldown: remember how bad it was so only
                // something worse breaks through before the window ends.
                p.held = Some(p.held.map_or(status, |h| h.worse(status)));
            }
            _ => {}
        }
    }
    Decision { state: st, alerts }
}

/// [`decide`] for many providers at once: each provider's state is independent,
/// a provider without a state starts from the default one, and providers with
/// no input this round keep their state untouched.
pub fn decide_all(
    prev: &BTreeMap<String, ProviderPolicyState>,
    inputs: &[PolicyInput],
    prefs: &Prefs,
    now: DateTime<Utc>,
) -> (BTreeMap<String, ProviderPolicyState>, Vec<Alert>) {
    let mut states = prev.clone();
    let mut alerts = Vec::new();
    for input in inputs {
        let before = states.get(&input.provider_id).cloned().unwrap_or_default();
        let d = decide(&before, input, prefs, now);
        states.insert(input.provider_id.clone(), d.state);
        alerts.extend(d.alerts);
    }
    (states, alerts)
}
