// The Early warning charts: small inline SVGs built element by element, one bar per
// bucket. A bucket with no point is a gap (nothing measured: app closed, asleep, offline).
import { h, svg } from "../dom";
import { formatDuration, formatMs, localTime } from "../format";
import { srOnly } from "./common";
import type { ProbePoint } from "../bindings/ProbePoint";
import type { ProbedProvider } from "../bindings/ProbedProvider";

/** The span and bucket width of the charts. */
export interface ChartSpan {
  generated_at: string;
  hours: number;
  bucket_secs: number;
}

const HEIGHT = 100;
const BAR = 0.8;

/** "24 hours", "7 days". */
export function spanWords(hours: number): string {
  return hours > 24 && hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`;
}

/**
 * The chart's buckets, oldest first: each the point that starts in it, or null for a gap.
 * Buckets are `bucket_secs` wide and aligned as the store aligns them (whole multiples
 * since the epoch); two points in one bucket are added together.
 */
export function slotPoints(points: ProbePoint[], span: ChartSpan): (ProbePoint | null)[] {
  const b = Math.max(1, span.bucket_secs) * 1000;
  const end = Date.parse(span.generated_at);
  const start = Math.floor((end - span.hours * 3_600_000) / b) * b;
  const count = Math.max(1, Math.floor((end - 1 - start) / b) + 1);
  const slots: (ProbePoint | null)[] = new Array<ProbePoint | null>(count).fill(null);
  for (const p of points) {
    const i = Math.floor((Date.parse(p.at) - start) / b);
    if (i < 0 || i >= count) continue;
    const had = slots[i];
    slots[i] = had ? merge(had, p) : p;
  }
  return slots;
}

function answered(p: ProbePoint): number {
  return Math.max(0, p.requests - p.failures - p.rate_limited);
}

function merge(a: ProbePoint, b: ProbePoint): ProbePoint {
  const wa = answered(a);
  const wb = answered(b);
  const avg = a.avg_ms === null ? b.avg_ms : b.avg_ms === null ? a.avg_ms : Math.round((a.avg_ms * wa + b.avg_ms * wb) / Math.max(1, wa + wb));
  const max = a.max_ms === null ? b.max_ms : b.max_ms === null ? a.max_ms : Math.max(a.max_ms, b.max_ms);
  return {
    at: a.at < b.at ? a.at : b.at,
    requests: a.requests + b.requests,
    failures: a.failures + b.failures,
    rate_limited: a.rate_limited + b.rate_limited,
    slow: a.slow + b.slow,
    avg_ms: avg,
    max_ms: max,
  };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
}

/** The figure around one chart: a visible title and legend, a text alternative for screen readers. */
function figure(
  id: string,
  title: string,
  summary: string,
  description: string,
  plot: SVGSVGElement,
  legend: HTMLElement,
  span: ChartSpan,
): HTMLElement {
  plot.setAttribute("role", "img");
  plot.setAttribute("aria-label", `${title}: ${summary}`);
  plot.setAttribute("aria-describedby", id);
  plot.prepend(svg("title", {}, `${title}: ${summary}`));
  return h(
    "figure",
    { class: "chart" },
    h("figcaption", {}, h("span", { class: "chart-title" }, title), " ", h("span", { class: "meta chart-summary" }, summary)),
    plot,
    h("div", { class: "chart-foot", "aria-hidden": "true" }, h("span", {}, `${spanWords(span.hours)} ago`), h("span", {}, "now")),
    legend,
    srOnly(description, id),
  );
}

function plotArea(slots: number, kind: string): SVGSVGElement {
  return svg("svg", {
    class: `plot ${kind}`,
    viewBox: `0 0 ${slots} ${HEIGHT}`,
    preserveAspectRatio: "none",
    width: "100%",
    height: 80,
    focusable: "false",
  });
}

function bar(cls: string, i: number, top: number, height: number, tip?: string): SVGRectElement {
  return svg(
    "rect",
    { class: cls, x: i + (1 - BAR) / 2, y: top, width: BAR, height: Math.max(0, height), "data-slot": i },
    tip ? svg("title", {}, tip) : null,
  );
}

function swatch(cls: string, label: string): HTMLElement {
  return h("span", { class: "legend-item" }, h("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), label);
}

function gapsWords(slots: (ProbePoint | null)[]): string {
  const gaps = slots.filter((s) => !s || s.requests === 0).length;
  return gaps ? ` ${gaps} of ${slots.length} buckets have no measurement.` : "";
}

/** Average latency per bucket, the slowest answer as a faint bar behind it. */
export function latencyChart(p: ProbedProvider, slots: (ProbePoint | null)[], span: ChartSpan, now: Date = new Date()): HTMLElement {
  const avgs = slots.flatMap((s) => (s && s.avg_ms !== null ? [s.avg_ms] : []));
  const maxes = slots.flatMap((s) => (s && s.max_ms !== null ? [s.max_ms] : []));
  const top = Math.max(1, ...avgs.map((a) => a * 1.5), Math.min(p.slow_ms, Math.max(0, ...maxes)));
  const y = (ms: number) => HEIGHT - (Math.min(ms, top) / top) * HEIGHT;
  const plot = plotArea(slots.length, "latency");
  slots.forEach((s, i) => {
    if (!s || s.avg_ms === null) return;
    if (s.max_ms !== null && s.max_ms > s.avg_ms) plot.append(bar("max", i, y(s.max_ms), HEIGHT - y(s.max_ms)));
    const tip = `${localTime(s.at, now)} · average ${formatMs(s.avg_ms)}${s.max_ms !== null ? ` · slowest ${formatMs(s.max_ms)}` : ""}`;
    plot.append(bar(s.avg_ms >= p.slow_ms ? "avg slow" : "avg", i, y(s.avg_ms), HEIGHT - y(s.avg_ms), tip));
  });
  if (p.slow_ms < top) {
    plot.append(svg("line", { class: "threshold", x1: 0, x2: slots.length, y1: y(p.slow_ms), y2: y(p.slow_ms), "vector-effect": "non-scaling-stroke" }));
  }
  const med = median(avgs);
  const summary = med === null ? "no answered request to time" : `median ${formatMs(med)}, slowest ${formatMs(Math.max(...maxes, ...avgs))}`;
  const description = `Latency over the last ${spanWords(span.hours)} in ${formatDuration(span.bucket_secs)} buckets: ${summary}. Slow means above ${formatMs(p.slow_ms)}.${gapsWords(slots)}`;
  const legend = h(
    "div",
    { class: "legend" },
    swatch("avg", "average"),
    swatch("max", "slowest"),
    p.slow_ms < top ? swatch("threshold", `slow above ${formatMs(p.slow_ms)}`) : null,
    h("span", { class: "meta" }, `top of chart ${formatMs(top)} · blank: nothing answered`),
  );
  return figure(`chart-${p.id}-latency`, "Latency", summary, description, plot, legend, span);
}

/** Failed requests per bucket as a share of its requests; rate limits stacked apart, never as failures. */
export function errorChart(p: ProbedProvider, slots: (ProbePoint | null)[], span: ChartSpan, now: Date = new Date()): HTMLElement {
  const plot = plotArea(slots.length, "errors");
  let requests = 0;
  let failures = 0;
  let limited = 0;
  slots.forEach((s, i) => {
    if (!s || s.requests === 0) return;
    requests += s.requests;
    failures += s.failures;
    limited += s.rate_limited;
    const hf = (s.failures / s.requests) * HEIGHT;
    const hl = (s.rate_limited / s.requests) * HEIGHT;
    const tip = `${localTime(s.at, now)} · ${s.requests} request${s.requests === 1 ? "" : "s"}, ${s.failures} failed${s.rate_limited ? `, ${s.rate_limited} rate limited (not an outage)` : ""}`;
    plot.append(bar("seen", i, HEIGHT - 2, 2, tip));
    if (s.failures > 0) plot.append(bar("fail", i, HEIGHT - hf, hf));
    if (s.rate_limited > 0) plot.append(bar("limited", i, HEIGHT - hf - hl, hl));
  });
  const summary = `${failures} failed of ${requests} request${requests === 1 ? "" : "s"}${limited ? `; ${limited} rate limited (429, not an outage)` : ""}`;
  const description = `Errors over the last ${spanWords(span.hours)} in ${formatDuration(span.bucket_secs)} buckets, as a share of each bucket's requests: ${summary}.${gapsWords(slots)}`;
  const legend = h(
    "div",
    { class: "legend" },
    swatch("fail", "failed (5xx, 529, timeout, network)"),
    swatch("limited", "rate limited (429): answering, not an outage"),
    swatch("seen", "measured"),
    h("span", { class: "meta" }, "top of chart 100% · blank: nothing measured"),
  );
  return figure(`chart-${p.id}-errors`, "Errors", summary, description, plot, legend, span);
}
