// Words and numbers for people: statuses, durations, times, percentages.
import type { Status } from "./bindings/Status";
import type { Impact } from "./bindings/Impact";

export const STATUS_LABEL: Record<Status, string> = {
  operational: "Operational",
  maintenance: "Maintenance",
  degraded: "Degraded performance",
  partial_outage: "Partial outage",
  major_outage: "Major outage",
  unknown: "Unknown",
};

/** A glyph beside the colour, so status never relies on colour alone. */
export const STATUS_GLYPH: Record<Status, string> = {
  operational: "✓",
  maintenance: "🔧",
  degraded: "!",
  partial_outage: "◐",
  major_outage: "✕",
  unknown: "?",
};

const SEVERITY: Record<Status, number> = {
  major_outage: 0,
  partial_outage: 1,
  degraded: 2,
  maintenance: 3,
  unknown: 4,
  operational: 5,
};

/** Sort key: worst first, unknown after known problems, operational last. */
export function severityRank(s: Status): number {
  return SEVERITY[s];
}

export const IMPACT_LABEL: Record<Impact, string> = {
  none: "No impact",
  maintenance: "Maintenance",
  minor: "Minor",
  major: "Major",
  critical: "Critical",
};

/** "45 s", "12 min", "1 h 12 min", "3 d 4 h". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  const rm = m % 60;
  if (h < 24) return rm ? `${h} h ${rm} min` : `${h} h`;
  const d = Math.floor(h / 24);
  const rh = h % 24;
  return rh ? `${d} d ${rh} h` : `${d} d`;
}

/** "just now", "5 min ago", "2 h ago", "3 d ago". */
export function ago(iso: string | null, now: Date = new Date()): string {
  if (!iso) return "never";
  const secs = (now.getTime() - new Date(iso).getTime()) / 1000;
  if (secs < 10) return "just now";
  return `${formatDuration(secs)} ago`;
}

/** Local time of day, with the date when it is not today. */
export function localTime(iso: string | null, now: Date = new Date()): string {
  if (!iso) return "—";
  const t = new Date(iso);
  const time = t.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  if (t.toDateString() === now.toDateString()) return time;
  return `${t.toLocaleDateString(undefined, { month: "short", day: "numeric" })} ${time}`;
}

/** "99.95%", "100%", "—" when nothing is known. */
export function formatUptime(pct: number | null): string {
  if (pct === null || Number.isNaN(pct)) return "—";
  if (pct >= 99.995) return "100%";
  if (pct >= 99) return `${pct.toFixed(2)}%`;
  return `${pct.toFixed(1)}%`;
}

/** A short date for bar tooltips: "Mon 3 Mar 2026" style, in UTC (bars are UTC days). */
export function formatDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  return d.toLocaleDateString(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
}

/** A config id from a page name: "Acme AI Status" -> "acme-ai-status". */
export function slug(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
}

/** A latency: "320 ms", "4.2 s" (as the verdict summaries write it). */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * How one incident's detection lead reads: positive means the probes saw trouble
 * before the status page said so, negative after; null means they saw nothing
 * (or were not running, when `probed` is false).
 */
/** How much earlier the user's own sessions failed than the page admitted the incident. */
export function sessionsLeadWords(leadSecs: number): string {
  if (leadSecs > 0) return `failing ${formatDuration(leadSecs)} before the page said so`;
  if (leadSecs < 0) return `the page was first by ${formatDuration(-leadSecs)}`;
  return "failing as the page said so";
}

export function leadWords(leadSecs: number | null, probed: boolean): string {
  if (!probed) return "probes were off";
  if (leadSecs === null) return "probes saw nothing";
  if (leadSecs > 0) return `Weathervane saw it ${formatDuration(leadSecs)} earlier`;
  if (leadSecs < 0) return `the page was first by ${formatDuration(-leadSecs)}`;
  return "seen at the same time as the page";
}
