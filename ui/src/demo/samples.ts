// Sample data: the demo backend's (`npm run dev`) and the tests' fixtures. Shaped by the generated
// bindings, so it cannot drift. Never in a build: only the dev server and Vitest load it.
import type { Overview } from "../bindings/Overview";
import type { History } from "../bindings/History";
import type { DayBar } from "../bindings/DayBar";
import type { SettingsView } from "../bindings/SettingsView";
import type { AssistantView } from "../bindings/AssistantView";
import type { ProfileChoice } from "../bindings/ProfileChoice";
import type { SwitchEvent } from "../bindings/SwitchEvent";
import type { Verdict } from "../bindings/Verdict";
import type { SessionsVerdict } from "../bindings/SessionsVerdict";
import type { Status } from "../bindings/Status";
import type { ProbeAuth } from "../bindings/ProbeAuth";
import type { ProbePoint } from "../bindings/ProbePoint";
import type { ProbesView } from "../bindings/ProbesView";
import type { LeadSummary } from "../bindings/LeadSummary";
import type { FailoverRuleView } from "../bindings/FailoverRuleView";

const NOW = new Date("2026-11-25T12:00:00Z");
export const iso = (minsAgo: number) => new Date(NOW.getTime() - minsAgo * 60_000).toISOString();

/** What the user's own Claude Code sessions recorded in the last minutes. */
export function sampleSessions(): SessionsVerdict {
  return { status: "partial_outage", summary: "9 failed calls (529) in 4 min, 2 sessions", errors: 9, at: iso(0.3), network_errors: 0 };
}

/** A measured verdict over the last 10 samples. */
function verdict(status: Verdict["status"], summary: string, over: Partial<Verdict> = {}): Verdict {
  return {
    status, summary, samples: 10, failures: 0, rate_limited: 0, slow: 0, top_failure: null,
    median_ms: null, baseline_ms: null, at: iso(0.5), ...over,
  };
}

export function sampleOverview(): Overview {
  return {
    generated_at: iso(0),
    offline: false,
    paused_until: null,
    providers: [
      {
        id: "openai", name: "OpenAI", status: "operational", source_ok: true, checked_at: iso(0.5), since: null, reason: null,
        url: "https://status.openai.com",
        components: [
          { id: "c1", name: "Chat Completions", status: "operational", watched: true },
          { id: "c2", name: "Responses", status: "operational", watched: true },
          { id: "c3", name: "Sora", status: "operational", watched: false },
        ],
        incidents: [],
        measured: verdict("operational", "healthy (median 320 ms)", { median_ms: 320, baseline_ms: 310 }),
        sessions: null,
      },
      {
        id: "anthropic", name: "Anthropic", status: "major_outage", source_ok: true, checked_at: iso(0.2), since: iso(23), reason: null,
        url: "https://status.claude.com",
        components: [
          { id: "a1", name: "Claude API", status: "major_outage", watched: true },
          { id: "a2", name: "Claude Code", status: "degraded", watched: true },
          { id: "a3", name: "claude.ai", status: "operational", watched: true },
        ],
        incidents: [
          {
            id: "inc1", title: "Elevated error rates across all models", impact: "critical", status: "identified", started_at: iso(25),
            url: "https://status.claude.com/incidents/inc1", latest_update: "We have identified the cause and are rolling out a fix.",
            latest_update_at: iso(4),
          },
        ],
        measured: verdict("major_outage", "failing (8 of 10 requests 529)", { failures: 8, top_failure: "overloaded", median_ms: 2900, baseline_ms: 380 }),
        sessions: sampleSessions(),
      },
      {
        id: "gemini", name: "Google Gemini", status: "degraded", source_ok: true, checked_at: iso(1), since: iso(70), reason: null,
        url: "https://status.cloud.google.com",
        components: [{ id: "g1", name: "Vertex Gemini API", status: "degraded", watched: true }],
        incidents: [], measured: null, sessions: null,
      },
      {
        id: "copilot", name: "GitHub Copilot", status: "unknown", source_ok: false, checked_at: iso(2), since: null,
        reason: "timed out after 10 s", url: "https://www.githubstatus.com", components: [], incidents: [], measured: null, sessions: null,
      },
    ],
  };
}

function days(seed: number, bad: Record<number, DayBar["worst"]>): DayBar[] {
  const out: DayBar[] = [];
  for (let i = 89; i >= 0; i--) {
    const d = new Date(NOW.getTime() - i * 86_400_000).toISOString().slice(0, 10);
    const idx = 89 - i;
    const worst = bad[idx] ?? "operational";
    out.push({
      date: d,
      worst: idx < seed ? "unknown" : worst,
      uptime_pct: idx < seed ? null : worst === "major_outage" ? 97.9 : worst === "partial_outage" ? 99.2 : 100,
      incident_ids: bad[idx] && idx >= seed ? [`h${idx}`] : [],
      // The first weeks come from the page's own history, before Weathervane watched it.
      backfilled: idx >= seed && idx < seed + 20,
    });
  }
  return out;
}

export function sampleHistory(): History {
  const a = days(10, { 40: "partial_outage", 75: "degraded", 89: "major_outage" });
  return {
    days: 90,
    until: iso(0),
    providers: [
      {
        id: "anthropic", name: "Anthropic", uptime_pct: 99.61, bars: a,
        windows: [{ window: "24h", uptime_pct: 98.2 }, { window: "7d", uptime_pct: 99.7 }, { window: "30d", uptime_pct: 99.8 }, { window: "90d", uptime_pct: 99.61 }],
        mttr_secs: 60 * 60,
        components: [{ id: "a1", name: "Claude API", uptime_pct: 99.5, bars: a }],
        incidents: [
          { id: "h89", title: "Elevated error rates across all models", kind: "incident", impact: "critical", status: "identified", started_at: iso(25), resolved_at: null, first_seen_at: iso(24), duration_secs: null, url: null, lead_secs: 480, probed: true, sessions_lead_secs: 720 },
          { id: "h75", title: "Slow responses on Claude Code", kind: "incident", impact: "minor", status: "resolved", started_at: iso(14 * 1440), resolved_at: iso(14 * 1440 - 48), first_seen_at: iso(14 * 1440 - 1), duration_secs: 48 * 60, url: null, lead_secs: -420, probed: true, sessions_lead_secs: null },
          { id: "h40", title: "API errors for some requests", kind: "incident", impact: "major", status: "resolved", started_at: iso(49 * 1440), resolved_at: iso(49 * 1440 - 72), first_seen_at: iso(49 * 1440 - 3), duration_secs: 72 * 60, url: null, lead_secs: null, probed: false, sessions_lead_secs: null },
        ],
      },
      { id: "openai", name: "OpenAI", uptime_pct: 100, windows: [{ window: "24h", uptime_pct: 100 }], mttr_secs: null, bars: days(10, {}), components: [], incidents: [] },
    ],
  };
}

export function sampleSettings(): SettingsView {
  return {
    config_path: "/home/dev/.config/weathervane/config.toml",
    config_exists: true,
    autostart: false,
    sessions: [
      { assistant: "claude-code", name: "Claude Code", enabled: true },
      { assistant: "codex", name: "Codex", enabled: true },
      { assistant: "gemini", name: "Gemini CLI", enabled: false },
    ],
    notifications: { confirmations: 2, cooldown_secs: 900, quiet_hours: null, muted: [], notify_degraded: true, notify_maintenance: false },
    failover: sampleRules(),
    providers: [
      {
        id: "anthropic", name: "Anthropic", kind: "statuspage", url: "https://status.claude.com/", interval_secs: 60, enabled: true, pollable: true,
        note: null, origin: "catalog", watch: ["Claude API"],
        components: [
          { id: "a1", name: "Claude API", group: null },
          { id: "a2", name: "Claude Code", group: null },
        ],
        probe: { enabled: true, url: "https://api.anthropic.com/v1/models", auth: "x-api-key", key: "anthropic-probe", interval_secs: 60, slow_ms: 3000 },
      },
      {
        id: "gemini", name: "Google Gemini", kind: "google-cloud", url: "https://status.cloud.google.com/", interval_secs: 120, enabled: true, pollable: true,
        note: null, origin: "catalog", watch: [], components: [],
        probe: { enabled: false, url: "https://generativelanguage.googleapis.com/v1beta/models", auth: "x-goog-api-key", key: null, interval_secs: 60, slow_ms: 3000 },
      },
      { id: "mistral", name: "Mistral", kind: "statuspage", url: "https://status.mistral.ai/", interval_secs: 60, enabled: false, pollable: false, note: "Its status page has no public feed", origin: "catalog", watch: [], components: [], probe: null },
    ],
  };
}

const claudeProfiles: ProfileChoice[] = [
  { id: "anthropic", name: "Anthropic (direct)", default: true, needs_key: false, note: null, provider: "anthropic" },
  { id: "bedrock", name: "Amazon Bedrock", default: false, needs_key: false, note: "Uses your AWS credentials.", provider: "aws-bedrock" },
  { id: "openrouter", name: "OpenRouter", default: false, needs_key: true, note: null, provider: "openrouter" },
];

export function sampleAssistants(): AssistantView[] {
  return [
    {
      id: "claude-code", name: "Claude Code", installed: "/home/dev/.local/bin/claude", switchable: true,
      config: "/home/dev/.claude/settings.json", config_exists: true, active_profile: "anthropic", problem: null,
      open_switch: null, provider: "anthropic", provider_name: "Anthropic", fallback: "openrouter", profiles: claudeProfiles,
    },
    {
      id: "codex", name: "Codex CLI", installed: "/usr/local/bin/codex", switchable: true,
      config: "/home/dev/.codex/config.toml", config_exists: true, active_profile: "openrouter", problem: null,
      open_switch: { at: iso(12), from_profile: "openai", to_profile: "openrouter" }, provider: "openrouter", provider_name: "OpenRouter", fallback: null,
      profiles: [
        { id: "openai", name: "OpenAI (direct)", default: true, needs_key: false, note: null, provider: "openai" },
        { id: "openrouter", name: "OpenRouter", default: false, needs_key: false, note: null, provider: "openrouter" },
      ],
    },
    {
      id: "opencode", name: "opencode", installed: null, switchable: true, config: "/home/dev/.config/opencode/opencode.json",
      config_exists: false, active_profile: "default", problem: null, open_switch: null, provider: null, provider_name: null, fallback: null,
      profiles: [{ id: "default", name: "opencode's own choice", default: true, needs_key: false, note: null, provider: null }],
    },
  ];
}

export function sampleSwitchHistory(): SwitchEvent[] {
  return [
    {
      key: 4, at: iso(12), assistant: "codex", action: "switch", from_profile: "openai", to_profile: "openrouter",
      file: "/home/dev/.codex/config.toml", keys: ["model", "model_provider", "model_providers.openrouter"],
      backup: "/home/dev/.local/share/weathervane/backups/codex-config.toml-20261125T114800.000Z.bak", reverted: false, automatic: false,
    },
    {
      key: 3, at: iso(14 * 1440 - 60), assistant: "claude-code", action: "back", from_profile: "openrouter", to_profile: "anthropic",
      file: "/home/dev/.claude/settings.json", keys: ["env.ANTHROPIC_BASE_URL", "apiKeyHelper"], backup: null, reverted: false, automatic: true,
    },
    {
      key: 2, at: iso(14 * 1440 - 2), assistant: "claude-code", action: "switch", from_profile: "anthropic", to_profile: "openrouter",
      file: "/home/dev/.claude/settings.json", keys: ["env.ANTHROPIC_BASE_URL", "apiKeyHelper"], backup: null, reverted: true, automatic: true,
    },
    {
      key: 1, at: iso(20 * 1440), assistant: "claude-code", action: "switch", from_profile: "anthropic", to_profile: "bedrock",
      file: "/home/dev/.claude/settings.json", keys: ["env.CLAUDE_CODE_USE_BEDROCK", "env.AWS_REGION"], backup: null, reverted: true, automatic: false,
    },
  ];
}

// ---- Early warning ----

/** What each sample provider's probe is, as the catalog would say. */
export const PROBES: Record<string, { name: string; url: string; auth: ProbeAuth; interval_secs: number; slow_ms: number }> = {
  anthropic: { name: "Anthropic", url: "https://api.anthropic.com/v1/models", auth: "x-api-key", interval_secs: 60, slow_ms: 3000 },
  openai: { name: "OpenAI", url: "https://api.openai.com/v1/models", auth: "bearer", interval_secs: 60, slow_ms: 3000 },
  gemini: { name: "Google Gemini", url: "https://generativelanguage.googleapis.com/v1beta/models", auth: "x-goog-api-key", interval_secs: 60, slow_ms: 3000 },
};

/** A repeatable "random" number in [0, 1) for minute `m` of provider `seed`. */
function noise(m: number, seed: number): number {
  const x = Math.sin(m * 12.9898 + seed * 78.233) * 43758.5453;
  return x - Math.floor(x);
}

type Sample = { cls: "ok" | "slow" | "rate_limited" | "failed"; ms: number | null };

/** One probe `m` minutes ago, or null when none was made (the laptop was asleep). */
function sampleAt(id: string, m: number): Sample | null {
  const r = noise(m, id.length);
  if (id === "anthropic") {
    if ((m >= 480 && m < 520) || (m >= 3900 && m < 4400)) return null;
    // The outage: 8 of the last 10 requests answered 529, failures building up before that.
    if (m < 10) return m === 3 || m === 7 ? { cls: "ok", ms: 2900 } : { cls: "failed", ms: null };
    if (m < 33) return r < 0.55 ? { cls: "failed", ms: null } : { cls: "ok", ms: 1200 + Math.round(r * 900) };
    if (m >= 300 && m < 330) return { cls: "slow", ms: 3300 + Math.round(r * 900) };
    if (r > 0.997) return { cls: "failed", ms: null };
    return { cls: "ok", ms: 340 + Math.round(r * 120) };
  }
  if (m >= 170 && m < 200 && r < 0.5) return { cls: "rate_limited", ms: null };
  return { cls: "ok", ms: 290 + Math.round(r * 70) };
}

/** The probe chart of sample provider `id`, as the store would bucket it. */
export function sampleSeries(id: string, hours: number, bucketSecs: number): ProbePoint[] {
  const b = bucketSecs * 1000;
  const buckets = new Map<number, { p: ProbePoint; sum: number; n: number }>();
  for (let m = 1; m <= hours * 60; m++) {
    const s = sampleAt(id, m);
    if (!s) continue;
    const at = Math.floor((NOW.getTime() - m * 60_000) / b) * b;
    const cur = buckets.get(at) ?? { p: { at: new Date(at).toISOString(), requests: 0, failures: 0, rate_limited: 0, slow: 0, avg_ms: null, max_ms: null }, sum: 0, n: 0 };
    cur.p.requests++;
    if (s.cls === "failed") cur.p.failures++;
    if (s.cls === "rate_limited") cur.p.rate_limited++;
    if (s.cls === "slow") cur.p.slow++;
    if (s.ms !== null) {
      cur.sum += s.ms;
      cur.n++;
      cur.p.avg_ms = Math.round(cur.sum / cur.n);
      cur.p.max_ms = Math.max(cur.p.max_ms ?? 0, s.ms);
    }
    buckets.set(at, cur);
  }
  return [...buckets.entries()].sort((x, y) => x[0] - y[0]).map(([, v]) => v.p);
}

const LEADS: Record<string, LeadSummary> = {
  anthropic: {
    incidents: 2, seen_first: 1, median_lead_secs: 480,
    recent: [
      { provider_id: "anthropic", incident_id: "h89", title: "Elevated error rates across all models", started_at: iso(25), lead_secs: 480, probed: true },
      { provider_id: "anthropic", incident_id: "h75", title: "Slow responses on Claude Code", started_at: iso(14 * 1440), lead_secs: -420, probed: true },
      { provider_id: "anthropic", incident_id: "h40", title: "API errors for some requests", started_at: iso(49 * 1440), lead_secs: null, probed: false },
    ],
  },
  openai: {
    incidents: 2, seen_first: 0, median_lead_secs: -300,
    recent: [
      { provider_id: "openai", incident_id: "o2", title: "Increased latency for ChatGPT", started_at: iso(3 * 1440), lead_secs: -300, probed: true },
      { provider_id: "openai", incident_id: "o1", title: "Elevated errors on the Responses API", started_at: iso(9 * 1440), lead_secs: null, probed: true },
    ],
  },
};

const OFFICIAL: Record<string, Status> = { anthropic: "major_outage", openai: "operational", gemini: "degraded" };

function sampleVerdict(id: string): Verdict {
  if (id === "anthropic") return verdict("major_outage", "failing (8 of 10 requests 529)", { failures: 8, top_failure: "overloaded", median_ms: 2900, baseline_ms: 380 });
  if (id === "openai") return verdict("operational", "healthy (median 320 ms)", { median_ms: 320, baseline_ms: 310 });
  return verdict("unknown", "measuring (0 of 3 requests so far)", { samples: 0, at: null });
}

export function sampleRules(): FailoverRuleView[] {
  return [
    {
      assistant: "claude-code", assistant_name: "Claude Code", provider: "anthropic", provider_name: "Anthropic", to: "openrouter", to_name: "OpenRouter",
      after_secs: 300, back_after_secs: 600, min_dwell_secs: 600, enabled: true,
    },
  ];
}

/** The Early warning page with probes on for `on` (id → keyring entry name). */
export function sampleProbes(
  hours = 24,
  on: Map<string, string | null> = new Map([["anthropic", "anthropic-probe"], ["openai", null]]),
  rules: FailoverRuleView[] = sampleRules(),
): ProbesView {
  const bucket = hours <= 24 ? 300 : 3600;
  const probed = Object.keys(PROBES).filter((id) => on.has(id));
  return {
    generated_at: iso(0), hours, bucket_secs: bucket, offline: false, rules,
    sessions: [{ id: "anthropic", name: "Anthropic", official: "major_outage", verdict: sampleSessions() }],
    sessions_followed: ["Claude Code", "Codex", "Gemini CLI"],
    providers: probed.map((id) => ({
      id, name: PROBES[id].name, official: OFFICIAL[id] ?? "unknown", verdict: sampleVerdict(id), url: PROBES[id].url, key: on.get(id) ?? null,
      interval_secs: PROBES[id].interval_secs, slow_ms: PROBES[id].slow_ms,
      points: id in LEADS ? sampleSeries(id, hours, bucket) : [],
      leads: id in LEADS ? structuredClone(LEADS[id]) : { incidents: 0, seen_first: 0, median_lead_secs: null, recent: [] },
    })),
    available: Object.entries(PROBES).filter(([id]) => !on.has(id)).map(([id, p]) => ({ id, name: p.name, url: p.url, auth: p.auth })),
  };
}

