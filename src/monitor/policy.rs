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
use crate::views::text;

/// Where an observation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The provider's own status page or feed.
    Official,
    /// Our own synthetic request against the provider's API.
    Probe,
    /// The user's own assistants' failed calls (their session files).
    Sessions,
}

/// One poll result of one provider, reduced to what the policy needs.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyInput {
    /// Stable provider id ("anthropic"), the key for mute and state.
    pub provider_id: String,
    /// Display name used in alert text ("Anthropic").
    pub provider_name: String,
    /// Provider status derived from the watched components.
    pub status: Status,
    /// False when this source failed or its data is stale.
    pub source_ok: bool,
    /// Every source failed at once: the user's network is down.
    pub offline: bool,
    /// Which kind of source produced this observation.
    pub signal: Signal,
    /// Names of watched components that are not operational, for the alert body.
    pub problem_components: Vec<String>,
    /// Title of the newest open incident, for the alert body.
    pub incident_title: Option<String>,
}

/// A daily window, in the user's local time, during which nothing is notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// First quiet minute, local time.
    pub start: NaiveTime,
    /// First minute no longer quiet, local time.
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
    /// Same as [`PolicyInput::provider_id`].
    pub provider_id: String,
    /// Same as [`PolicyInput::provider_name`].
    pub provider_name: String,
    /// What is announced.
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
    /// Finished notification title ("Anthropic: major outage").
    pub title: String,
    /// Finished notification body ("Claude API · Elevated errors"), escaped for the
    /// notification daemon's markup (`&amp;`, `&lt;`, `&gt;`); see [`Alert::plain_body`].
    pub body: String,
}

impl Alert {
    /// The body as plain text, for a terminal (already free of control characters).
    pub fn plain_body(&self) -> String {
        text::from_notification_markup(&self.body)
    }
}

/// A change seen but not yet confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The status the run supports so far (see the module docs).
    pub status: Status,
    /// Consecutive known observations in the run.
    pub count: u32,
    /// An Official observation is part of the run.
    pub seen_official: bool,
    /// A Probe observation is part of the run.
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
    /// A change seen but not yet confirmed.
    pub pending: Option<Pending>,
    /// The confirmed problem, while there is one.
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
    /// Persist this and pass it back with the next observation.
    pub state: ProviderPolicyState,
    /// Zero or more notifications to show, in order.
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
        // The names and titles come from a status page: the title is shown as plain text,
        // the body is read as markup by the freedesktop notification daemons.
        title: text::clean_owned(&title),
        body: text::notification_markup(&body),
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
        Signal::Sessions => {}
    }
    let agreed = pending.seen_official && pending.seen_probe;
    // The sessions verdict is already judged over a window of many calls and sessions
    // (one flaky turn never makes it): reaching it is the confirmation.
    let confirmed_by_window = signal == Signal::Sessions;
    if pending.count >= confirmations.max(1) || agreed || confirmed_by_window {
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
        // What was held back only counts while the cooldown still holds it:
        // afterwards the user has simply not been told, which is an Outage.
        let told = p.notified.or(p.held.filter(|_| in_cooldown));
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

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const OP: Status = Status::Operational;
    const MAINT: Status = Status::Maintenance;
    const DEG: Status = Status::Degraded;
    const PART: Status = Status::PartialOutage;
    const MAJ: Status = Status::MajorOutage;

    const OUTAGE: AlertKind = AlertKind::Outage;
    const ESC: AlertKind = AlertKind::Escalation;
    const REC: AlertKind = AlertKind::Recovery;
    const MAINTENANCE: AlertKind = AlertKind::Maintenance;

    /// One observation in a table.
    #[derive(Debug, Clone, Copy)]
    enum Obs {
        /// Official source, fetched fine.
        O(Status),
        /// Probe, fetched fine.
        P(Status),
        /// This source failed (status Unknown, source_ok false).
        Dark,
        /// Every source failed: the user is offline.
        Offline,
        /// Fetched fine but nothing known about the watched components.
        Unk,
    }
    use Obs::*;

    /// Noon UTC on a Wednesday; quiet-hour tests pick their own start.
    fn t0() -> DateTime<Utc> {
        at("2025-01-15T12:00:00+00:00")
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn input(id: &str, obs: Obs) -> PolicyInput {
        let (status, source_ok, offline, signal) = match obs {
            O(s) => (s, true, false, Signal::Official),
            P(s) => (s, true, false, Signal::Probe),
            Dark => (Status::Unknown, false, false, Signal::Official),
            Offline => (Status::Unknown, false, true, Signal::Official),
            Unk => (Status::Unknown, true, false, Signal::Official),
        };
        PolicyInput {
            provider_id: id.to_string(),
            provider_name: "Anthropic".to_string(),
            status,
            source_ok,
            offline,
            signal,
            problem_components: if status.is_problem() {
                vec!["Claude API".into(), "Claude Code".into()]
            } else {
                vec![]
            },
            incident_title: status
                .is_problem()
                .then(|| "Elevated errors on Claude Opus".to_string()),
        }
    }

    /// Feed `steps` (minute offset from `start`, observation) for provider "a",
    /// returning the final state and (minute, alert) pairs.
    fn feed(
        state: ProviderPolicyState,
        prefs: &Prefs,
        start: DateTime<Utc>,
        steps: &[(i64, Obs)],
    ) -> (ProviderPolicyState, Vec<(i64, Alert)>) {
        let mut state = state;
        let mut out = Vec::new();
        for &(min, obs) in steps {
            let d = decide(
                &state,
                &input("a", obs),
                prefs,
                start + Duration::minutes(min),
            );
            out.extend(d.alerts.into_iter().map(|a| (min, a)));
            state = d.state;
        }
        (state, out)
    }

    fn run_at(
        prefs: &Prefs,
        start: DateTime<Utc>,
        steps: &[(i64, Obs)],
    ) -> Vec<(i64, AlertKind, Status)> {
        feed(ProviderPolicyState::default(), prefs, start, steps)
            .1
            .into_iter()
            .map(|(m, a)| (m, a.kind, a.status))
            .collect()
    }

    fn run(prefs: &Prefs, steps: &[(i64, Obs)]) -> Vec<(i64, AlertKind, Status)> {
        run_at(prefs, t0(), steps)
    }

    fn prefs() -> Prefs {
        Prefs::default()
    }

    fn with(f: impl FnOnce(&mut Prefs)) -> Prefs {
        let mut p = Prefs::default();
        f(&mut p);
        p
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    /// Quiet 22:00-07:00 in UTC+02:00.
    fn quiet_prefs() -> Prefs {
        with(|p| {
            p.quiet_hours = Some(QuietHours {
                start: hm(22, 0),
                end: hm(7, 0),
            });
            p.utc_offset = FixedOffset::east_opt(2 * 3600).unwrap();
        })
    }

    #[test]
    fn rule1_unknown_dark_and_offline_never_alert() {
        let p = with(|p| p.confirmations = 1);
        assert_eq!(
            run(&p, &[(0, Dark), (1, Offline), (2, Unk), (3, Dark)]),
            vec![]
        );
        let d = decide(
            &ProviderPolicyState::default(),
            &input("a", Offline),
            &p,
            t0(),
        );
        assert_eq!(d.state, ProviderPolicyState::default());
    }

    #[test]
    fn rule1_unknown_is_skipped_not_breaking_a_confirmation_run() {
        let steps = [(0, O(MAJ)), (1, Dark), (2, Offline), (3, Unk), (4, O(MAJ))];
        assert_eq!(run(&prefs(), &steps), vec![(4, OUTAGE, MAJ)]);
    }

    #[test]
    fn rule1_unknown_does_not_add_to_a_confirmation_run() {
        let steps = [(0, O(MAJ)), (1, Dark), (2, Offline), (3, Unk), (4, Dark)];
        assert_eq!(run(&prefs(), &steps), vec![]);
    }

    #[test]
    fn rule1_source_going_dark_during_outage_is_not_recovery() {
        let steps = [
            (0, O(MAJ)),
            (1, O(MAJ)),
            (2, Dark),
            (3, Dark),
            (4, Offline),
            (5, Unk),
            (6, O(MAJ)),
            (12, O(OP)),
            (13, O(OP)),
        ];
        let (_, alerts) = feed(ProviderPolicyState::default(), &prefs(), t0(), &steps);
        let got: Vec<_> = alerts.iter().map(|(m, a)| (*m, a.kind, a.status)).collect();
        assert_eq!(got, vec![(1, OUTAGE, MAJ), (13, REC, OP)]);
        assert_eq!(alerts[1].1.duration, Some(Duration::minutes(12)));
    }

    #[test]
    fn rule2_problem_needs_consecutive_confirmations() {
        assert_eq!(
            run(&prefs(), &[(0, O(OP)), (1, O(DEG)), (2, O(DEG))]),
            vec![(2, OUTAGE, DEG)]
        );
        let three = with(|p| p.confirmations = 3);
        assert_eq!(
            run(&three, &[(0, O(MAJ)), (1, O(MAJ)), (2, O(MAJ))]),
            vec![(2, OUTAGE, MAJ)]
        );
    }

    #[test]
    fn rule2_flap_never_alerts() {
        let steps = [
            (0, O(MAJ)),
            (1, O(OP)),
            (2, O(MAJ)),
            (3, O(OP)),
            (4, O(DEG)),
            (5, O(OP)),
        ];
        assert_eq!(run(&prefs(), &steps), vec![]);
    }

    #[test]
    fn rule2_confirmations_one_confirms_at_once() {
        let p = with(|p| p.confirmations = 1);
        assert_eq!(
            run(&p, &[(0, O(MAJ)), (1, O(OP))]),
            vec![(0, OUTAGE, MAJ), (1, REC, OP)]
        );
    }

    #[test]
    fn rule2_confirmations_zero_acts_as_one() {
        let p = with(|p| p.confirmations = 0);
        assert_eq!(run(&p, &[(0, O(MAJ))]), vec![(0, OUTAGE, MAJ)]);
    }

    #[test]
    fn rule2_official_and_probe_agreeing_confirm_at_once() {
        let p = with(|p| p.confirmations = 3);
        assert_eq!(run(&p, &[(0, O(MAJ)), (1, P(MAJ))]), vec![(1, OUTAGE, MAJ)]);
        assert_eq!(
            run(&p, &[(0, P(PART)), (1, O(MAJ))]),
            vec![(1, OUTAGE, PART)]
        );
        // Two probes are one signal seen twice, not two signals agreeing.
        assert_eq!(run(&p, &[(0, P(MAJ)), (1, P(MAJ))]), vec![]);
        // The probe must agree on the direction: a probe saying operational
        // breaks the run instead.
        assert_eq!(run(&p, &[(0, O(MAJ)), (1, P(OP)), (2, O(MAJ))]), vec![]);
    }

    #[test]
    fn rule2_mixed_problem_severities_confirm_the_status_all_agree_on() {
        let steps = [(0, O(MAJ)), (1, O(DEG)), (2, O(MAJ)), (3, O(MAJ))];
        assert_eq!(run(&prefs(), &steps), vec![(1, OUTAGE, DEG), (3, ESC, MAJ)]);
    }

    #[test]
    fn rule2_recovery_needs_confirmation_too() {
        let steps = [
            (0, O(MAJ)),
            (1, O(MAJ)),
            (2, O(OP)),
            (3, O(MAJ)),
            (4, O(OP)),
            (5, O(OP)),
        ];
        let (_, alerts) = feed(ProviderPolicyState::default(), &prefs(), t0(), &steps);
        let got: Vec<_> = alerts.iter().map(|(m, a)| (*m, a.kind, a.status)).collect();
        assert_eq!(got, vec![(1, OUTAGE, MAJ), (5, REC, OP)]);
        assert_eq!(alerts[1].1.duration, Some(Duration::minutes(4)));
    }

    #[test]
    fn rule3_outage_alert_from_calm_state() {
        let (state, alerts) = feed(
            ProviderPolicyState::default(),
            &prefs(),
            t0(),
            &[(0, O(OP)), (5, O(MAJ)), (10, O(MAJ))],
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0].1;
        assert_eq!(a.kind, OUTAGE);
        assert_eq!(a.status, MAJ);
        assert_eq!(a.previous, OP);
        // Since the first observation, not the confirmation.
        assert_eq!(a.since, t0() + Duration::minutes(5));
        assert_eq!(a.duration, None);
        assert_eq!(a.provider_id, "a");
        assert_eq!(a.title, "Anthropic: major outage");
        assert_eq!(
            a.body,
            "Claude API, Claude Code · Elevated errors on Claude Opus"
        );
        assert_eq!(state.confirmed, MAJ);
        let p = state.problem.unwrap();
        assert_eq!(p.since, t0() + Duration::minutes(5));
        assert_eq!(p.notified, Some(MAJ));
    }

    #[test]
    fn rule4_escalation_alerts_again_even_within_cooldown() {
        let steps = [
            (0, O(DEG)),
            (1, O(DEG)),
            (2, O(PART)),
            (3, O(PART)),
            (4, O(MAJ)),
            (5, O(MAJ)),
        ];
        assert_eq!(
            run(&prefs(), &steps),
            vec![(1, OUTAGE, DEG), (3, ESC, PART), (5, ESC, MAJ)]
        );
    }

    #[test]
    fn rule4_deescalation_is_silent_and_reescalation_to_announced_level_too() {
        let steps = [
            (0, O(MAJ)),
            (1, O(MAJ)),
            (2, O(DEG)),
            (3, O(DEG)),
            (4, O(MAJ)),
            (5, O(MAJ)),
        ];
        assert_eq!(run(&prefs(), &steps), vec![(1, OUTAGE, MAJ)]);
        let (state, _) = feed(ProviderPolicyState::default(), &prefs(), t0(), &steps[..4]);
        assert_eq!(state.confirmed, DEG);
    }

    #[test]
    fn rule5_recovery_says_how_long_it_lasted() {
        let steps = [
            (0, O(OP)),
            (5, O(PART)),
            (6, O(PART)),
            (28, O(OP)),
            (29, O(OP)),
        ];
        let (state, alerts) = feed(ProviderPolicyState::default(), &prefs(), t0(), &steps);
        let rec = &alerts[1].1;
        assert_eq!(rec.kind, REC);
        assert_eq!(rec.status, OP);
        assert_eq!(rec.previous, PART);
        assert_eq!(rec.duration, Some(Duration::minutes(23)));
        assert_eq!(rec.since, t0() + Duration::minutes(28));
        assert_eq!(rec.title, "Anthropic recovered");
        assert_eq!(rec.body, "Operational again after 23 min");
        assert_eq!(state.problem, None);
    }

    #[test]
    fn rule5_recovery_into_maintenance() {
        let steps = [(0, O(MAJ)), (1, O(MAJ)), (10, O(MAINT)), (11, O(OP))];
        let (_, alerts) = feed(ProviderPolicyState::default(), &prefs(), t0(), &steps);
        let got: Vec<_> = alerts.iter().map(|(m, a)| (*m, a.kind, a.status)).collect();
        // Maintenance then operational are both "calm": one recovery, confirmed
        // as maintenance (what both observations support).
        assert_eq!(got, vec![(1, OUTAGE, MAJ), (11, REC, MAINT)]);
        assert_eq!(
            alerts[1].1.body,
            "Problems over after 10 min; now in maintenance"
        );
    }

    #[test]
    fn rule5_unannounced_problem_has_no_recovery() {
        let steps = [(0, O(MAJ)), (1, O(MAJ)), (2, O(OP)), (3, O(OP))];
        let muted = with(|p| {
            p.muted.insert("a".into());
        });
        assert_eq!(run(&muted, &steps), vec![]);
        let no_degraded = with(|p| p.notify_degraded = false);
        let steps = [(0, O(DEG)), (1, O(DEG)), (2, O(OP)), (3, O(OP))];
        assert_eq!(run(&no_degraded, &steps), vec![]);
    }

    #[test]
    fn rule6_cooldown_holds_back_a_new_outage_after_recovery() {
        let steps = [
            (0, O(MAJ)),
            (1, O(MAJ)),
            (2, O(OP)),
            (3, O(OP)),
            (4, O(MAJ)),
            (5, O(MAJ)),
            (6, O(OP)),
            (7, O(OP)),
            (30, O(OP)),
        ];
        assert_eq!(run(&prefs(), &steps), vec![(1, OUTAGE, MAJ), (3, REC, OP)]);
    }

    #[test]
    fn rule6_held_outage_is_announced_when_cooldown_ends_if_still_ongoing() {
        let steps = [
            (0, O(MAJ)),
            (1, O(MAJ)),
            (2, O(OP)),
            (3, O(OP)),
            (4, O(MAJ)),
            (5, O(MAJ)),
            (17, O(MAJ)),
            (18, O(MAJ)),
            (19, O(MAJ)),
        ];
        assert_eq!(
            run(&prefs(), &steps),
            vec![(1, OUTAGE, MAJ), (3, REC, OP), (18, OUTAGE, MAJ)]
        );
    }

    #[test]
    fn rule6_escalation_breaks_through_cooldown() {
        let steps = [
            (0, O(DEG)),
            (1, O(DEG)),
            (2, O(OP)),
            (3, O(OP)),
            (4, O(DEG)),
            (5, O(DEG)),
            (6, O(MAJ)),
            (7, O(MAJ)),
            (8, O(OP)),
            (9, O(OP)),
        ];
        let (_, alerts) = feed(ProviderPolicyState::default(), &prefs(), t0(), &steps);
        let got: Vec<_> = alerts.iter().map(|(m, a)| (*m, a.kind, a.status)).collect();
        assert_eq!(
            got,
            vec![(1, OUTAGE, DEG), (3, REC, OP), (7, ESC, MAJ), (9, REC, OP)]
        );
        assert_eq!(alerts[2].1.previous, DEG);
        assert_eq!(
            alerts[2].1.title,
            "Anthropic: major outage (was degraded performance)"
        );
        assert_eq!(alerts[3].1.duration, Some(Duration::minutes(4)));
    }

    #[test]
    fn rule6_held_problem_worsening_after_cooldown_is_an_outage_not_an_escalation() {
        let steps = [
            (0, O(MAJ)),
            (1, O(MAJ)),
            (2, O(OP)),
            (3, O(OP)),
            (4, O(DEG)),
            (5, O(DEG)),
            (17, O(MAJ)),
            (18, O(MAJ)),
        ];
        assert_eq!(
            run(&prefs(), &steps),
            vec![(1, OUTAGE, MAJ), (3, REC, OP), (18, OUTAGE, MAJ)]
        );
    }

    #[test]
    fn rule6_recovery_is_not_subject_to_cooldown() {
        let steps = [(0, O(MAJ)), (1, O(MAJ)), (2, O(OP)), (3, O(OP))];
        let long = with(|p| p.cooldown = Duration::hours(6));
        assert_eq!(run(&long, &steps), vec![(1, OUTAGE, MAJ), (3, REC, OP)]);
    }

    #[test]
    fn rule6_new_outage_after_cooldown_is_announced() {
        let steps = [
            (0, O(MAJ)),
            (1, O(MAJ)),
            (2, O(OP)),
            (3, O(OP)),
            (20, O(PART)),
            (21, O(PART)),
        ];
        assert_eq!(
            run(&prefs(), &steps),
            vec![(1, OUTAGE, MAJ), (3, REC, OP), (21, OUTAGE, PART)]
        );
    }

    #[test]
    fn rule7_quiet_hours_silence_a_whole_outage_and_its_recovery() {
        // 23:00 local.
        let start = at("2025-01-15T23:00:00+02:00");
        let steps = [(0, O(MAJ)), (1, O(MAJ)), (30, O(OP)), (31, O(OP))];
        assert_eq!(run_at(&quiet_prefs(), start, &steps), vec![]);
    }

    #[test]
    fn rule7_ongoing_outage_is_announced_when_quiet_hours_end() {
        // 06:00 local: quiet hours end at minute 60.
        let start = at("2025-01-16T06:00:00+02:00");
        let steps = [
            (0, O(MAJ)),
            (1, O(MAJ)),
            (30, Dark),
            (59, O(MAJ)),
            (60, O(MAJ)),
            (61, O(MAJ)),
            (90, O(OP)),
            (91, O(OP)),
        ];
        let (_, alerts) = feed(
            ProviderPolicyState::default(),
            &quiet_prefs(),
            start,
            &steps,
        );
        let got: Vec<_> = alerts.iter().map(|(m, a)| (*m, a.kind, a.status)).collect();
        assert_eq!(got, vec![(60, OUTAGE, MAJ), (91, REC, OP)]);
        // The wake-up alert dates the outage from its first observation.
        assert_eq!(alerts[0].1.since, start);
        assert_eq!(alerts[1].1.duration, Some(Duration::minutes(90)));
    }

    #[test]
    fn rule7_flaps_and_finished_outages_in_quiet_hours_are_not_replayed() {
        let start = at("2025-01-16T06:00:00+02:00");
        let steps = [
            (0, O(MAJ)),
            (1, O(MAJ)),
            (10, O(OP)),
            (11, O(OP)),
            (60, O(OP)),
            (61, O(OP)),
        ];
        assert_eq!(run_at(&quiet_prefs(), start, &steps), vec![]);
    }

    #[test]
    fn rule7_recovery_during_quiet_hours_is_not_sent() {
        // 21:50 local: the outage is announced, it ends after 22:00.
        let start = at("2025-01-15T21:50:00+02:00");
        let steps = [
            (0, O(MAJ)),
            (1, O(MAJ)),
            (20, O(OP)),
            (21, O(OP)),
            (600, O(OP)),
        ];
        assert_eq!(
            run_at(&quiet_prefs(), start, &steps),
            vec![(1, OUTAGE, MAJ)]
        );
    }

    #[test]
    fn rule7_escalation_in_quiet_hours_is_announced_when_they_end() {
        let start = at("2025-01-15T21:50:00+02:00");
        // 21:50 + 550 min = 07:00 the next day.
        let steps = [
            (0, O(DEG)),
            (1, O(DEG)),
            (20, O(MAJ)),
            (21, O(MAJ)),
            (549, O(MAJ)),
            (550, O(MAJ)),
        ];
        assert_eq!(
            run_at(&quiet_prefs(), start, &steps),
            vec![(1, OUTAGE, DEG), (550, ESC, MAJ)]
        );
    }

    #[test]
    fn rule7_pause_defers_an_ongoing_outage() {
        let p = with(|p| p.paused_until = Some(t0() + Duration::minutes(30)));
        let steps = [
            (0, O(MAJ)),
            (1, O(MAJ)),
            (29, O(MAJ)),
            (30, O(MAJ)),
            (31, O(MAJ)),
        ];
        assert_eq!(run(&p, &steps), vec![(30, OUTAGE, MAJ)]);
    }

    #[test]
    fn rule7_muted_provider_is_never_notified_and_unmuting_tells_the_current_outage() {
        let muted = with(|p| {
            p.muted.insert("a".into());
        });
        let (state, alerts) = feed(
            ProviderPolicyState::default(),
            &muted,
            t0(),
            &[(0, O(MAJ)), (1, O(MAJ)), (2, O(MAJ))],
        );
        assert_eq!(alerts, vec![]);
        assert_eq!(state.confirmed, MAJ);
        assert_eq!(state.problem.as_ref().and_then(|p| p.notified), None);
        let (_, alerts) = feed(state, &prefs(), t0(), &[(3, O(MAJ))]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].1.kind, OUTAGE);
    }

    #[test]
    fn rule7_quiet_hours_window() {
        let wrap = QuietHours {
            start: hm(22, 0),
            end: hm(7, 0),
        };
        let day = QuietHours {
            start: hm(13, 0),
            end: hm(14, 0),
        };
        let empty = QuietHours {
            start: hm(9, 0),
            end: hm(9, 0),
        };
        let cases = [
            (wrap, hm(21, 59), false),
            (wrap, hm(22, 0), true),
            (wrap, hm(0, 0), true),
            (wrap, hm(6, 59), true),
            (wrap, hm(7, 0), false),
            (day, hm(12, 59), false),
            (day, hm(13, 30), true),
            (day, hm(14, 0), false),
            (empty, hm(9, 0), false),
        ];
        for (q, t, want) in cases {
            assert_eq!(q.contains(t), want, "{q:?} at {t}");
        }
    }

    #[test]
    fn rule8_maintenance_is_not_notified_by_default() {
        let steps = [(0, O(MAINT)), (1, O(MAINT)), (2, O(OP)), (3, O(OP))];
        assert_eq!(run(&prefs(), &steps), vec![]);
    }

    #[test]
    fn rule8_maintenance_notified_when_enabled_without_starting_cooldown() {
        let p = with(|p| p.notify_maintenance = true);
        let steps = [
            (0, O(MAINT)),
            (1, O(MAINT)),
            (2, O(MAJ)),
            (3, O(MAJ)),
            (4, O(OP)),
            (5, O(OP)),
        ];
        let (_, alerts) = feed(ProviderPolicyState::default(), &p, t0(), &steps);
        let got: Vec<_> = alerts.iter().map(|(m, a)| (*m, a.kind, a.status)).collect();
        assert_eq!(
            got,
            vec![(1, MAINTENANCE, MAINT), (3, OUTAGE, MAJ), (5, REC, OP)]
        );
        assert_eq!(alerts[0].1.title, "Anthropic: maintenance");
        assert_eq!(alerts[1].1.previous, MAINT);
    }

    #[test]
    fn rule8_degraded_not_notified_when_disabled_but_partial_is() {
        let p = with(|p| p.notify_degraded = false);
        let steps = [
            (0, O(DEG)),
            (1, O(DEG)),
            (5, O(PART)),
            (6, O(PART)),
            (7, O(DEG)),
            (8, O(DEG)),
            (9, O(OP)),
            (10, O(OP)),
        ];
        let (_, alerts) = feed(ProviderPolicyState::default(), &p, t0(), &steps);
        let got: Vec<_> = alerts.iter().map(|(m, a)| (*m, a.kind, a.status)).collect();
        // First announcement of the problem, so an Outage, dated from minute 0.
        assert_eq!(got, vec![(6, OUTAGE, PART), (10, REC, OP)]);
        assert_eq!(alerts[0].1.since, t0());
        assert_eq!(alerts[1].1.duration, Some(Duration::minutes(9)));
    }

    #[test]
    fn realistic_incident_timeline() {
        // Polled every 5 min: degraded 10 min, major 20 min, degraded, operational.
        let steps = [
            (-5, O(OP)),
            (0, O(DEG)),
            (5, O(DEG)),
            (10, O(MAJ)),
            (15, O(MAJ)),
            (20, O(MAJ)),
            (25, O(MAJ)),
            (30, O(DEG)),
            (35, O(OP)),
            (40, O(OP)),
            (45, O(OP)),
        ];
        let (_, alerts) = feed(ProviderPolicyState::default(), &prefs(), t0(), &steps);
        let got: Vec<_> = alerts.iter().map(|(m, a)| (*m, a.kind, a.status)).collect();
        assert_eq!(got, vec![(5, OUTAGE, DEG), (15, ESC, MAJ), (40, REC, OP)]);
        assert_eq!(alerts[2].1.body, "Operational again after 35 min");
    }

    #[test]
    fn providers_are_independent() {
        let p = prefs();
        let round = |states: &BTreeMap<String, ProviderPolicyState>, min: i64, a: Obs, b: Obs| {
            decide_all(
                states,
                &[input("a", a), input("b", b)],
                &p,
                t0() + Duration::minutes(min),
            )
        };
        let mut states = BTreeMap::new();
        let mut got = Vec::new();
        let rounds = [
            (0, O(MAJ), O(OP)),
            (1, O(MAJ), O(MAJ)),
            (2, O(OP), O(OP)),
            (3, O(OP), O(MAJ)),
            (4, O(MAJ), O(MAJ)),
            (5, O(MAJ), Dark),
        ];
        for (min, a, b) in rounds {
            let (s, alerts) = round(&states, min, a, b);
            states = s;
            got.extend(alerts.into_iter().map(|al| (min, al.provider_id, al.kind)));
        }
        // a: outage at 1, recovery at 3, new outage at 5 held by a's cooldown.
        // b: flap at 1/2, outage confirmed at 4 despite a's cooldown.
        assert_eq!(
            got,
            vec![
                (1, "a".to_string(), OUTAGE),
                (3, "a".to_string(), REC),
                (4, "b".to_string(), OUTAGE),
            ]
        );
    }

    #[test]
    fn format_duration_table() {
        let cases = [
            (Duration::seconds(-5), "0 s"),
            (Duration::seconds(45), "45 s"),
            (Duration::seconds(60), "1 min"),
            (Duration::seconds(23 * 60 + 59), "23 min"),
            (Duration::minutes(60), "1 h"),
            (Duration::minutes(65), "1 h 5 min"),
            (Duration::hours(24), "1 d"),
            (Duration::hours(51) + Duration::minutes(10), "2 d 3 h"),
        ];
        for (d, want) in cases {
            assert_eq!(format_duration(d), want, "{d:?}");
        }
    }

    #[test]
    fn alert_text_from_a_hostile_page_is_cleaned_and_escaped() {
        let mut i = input("a", O(MAJ));
        i.provider_name = "Anthropic\u{1b}]0;pwned\u{7}".into();
        i.problem_components = vec!["Claude API\u{1b}[2J".into()];
        i.incident_title =
            Some("<b>Errors</b> & \u{1b}]52;c;cm0gLXJm\u{7}timeouts\rOperational".into());
        let mut st = ProviderPolicyState::default();
        let mut alerts = Vec::new();
        for m in 0..2 {
            let d = decide(&st, &i, &Prefs::default(), t0() + Duration::minutes(m));
            st = d.state;
            alerts.extend(d.alerts);
        }
        let a = &alerts[0];
        assert_eq!(a.title, "Anthropic: major outage");
        assert_eq!(
            a.body,
            "Claude API · &lt;b&gt;Errors&lt;/b&gt; &amp; timeouts Operational"
        );
        assert_eq!(
            a.plain_body(),
            "Claude API · <b>Errors</b> & timeouts Operational"
        );
    }

    #[test]
    fn alert_body_falls_back_to_the_status() {
        let mut i = input("a", O(PART));
        i.problem_components.clear();
        i.incident_title = Some("  ".into());
        let p = with(|p| p.confirmations = 1);
        let d = decide(&ProviderPolicyState::default(), &i, &p, t0());
        assert_eq!(d.alerts[0].title, "Anthropic: partial outage");
        assert_eq!(d.alerts[0].body, "Partial outage");
    }

    #[test]
    fn state_round_trips_through_json() {
        let (state, _) = feed(
            ProviderPolicyState::default(),
            &prefs(),
            t0(),
            &[(0, O(MAJ)), (1, O(MAJ)), (2, O(OP))],
        );
        assert!(state.pending.is_some() && state.problem.is_some());
        let json = serde_json::to_string(&state).unwrap();
        let back: ProviderPolicyState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
        let empty: ProviderPolicyState = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, ProviderPolicyState::default());
    }
}
