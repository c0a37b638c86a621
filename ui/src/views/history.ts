// History: 90-day uptime bars per provider and component, and the incident timeline.
import { h } from "../dom";
import { formatDay, formatDuration, formatUptime, IMPACT_LABEL, leadWords, localTime, sessionsLeadWords, STATUS_LABEL } from "../format";
import type { History } from "../bindings/History";
import type { DayBar } from "../bindings/DayBar";
import type { ProviderHistory } from "../bindings/ProviderHistory";
import type { TimelineIncident } from "../bindings/TimelineIncident";
import { empty } from "./common";

/** The text a bar shows on hover or focus: the day, its uptime and its incidents. */
export function barTooltip(bar: DayBar, incidents: TimelineIncident[]): string {
  const lines = [formatDay(bar.date)];
  if (bar.uptime_pct === null) {
    lines.push("No data");
  } else {
    lines.push(`${formatUptime(bar.uptime_pct)} uptime · worst: ${STATUS_LABEL[bar.worst].toLowerCase()}`);
  }
  const titles = bar.incident_ids
    .map((id) => incidents.find((i) => i.id === id)?.title)
    .filter((t): t is string => !!t);
  if (titles.length === 0 && bar.uptime_pct !== null) lines.push("No incidents");
  for (const t of titles) lines.push(`• ${t}`);
  // Read from the page's own incident list before Weathervane watched it, not observed.
  if (bar.backfilled) lines.push("from the status page's history");
  return lines.join("\n");
}

function bars(label: string, days: DayBar[], incidents: TimelineIncident[], uptime: number | null): HTMLElement {
  const tip = h("div", { class: "tip", role: "tooltip", hidden: true });
  const show = (b: DayBar, el: HTMLElement) => {
    tip.textContent = barTooltip(b, incidents);
    tip.hidden = false;
    const row = el.parentElement;
    if (row) {
      const x = el.offsetLeft - row.offsetLeft;
      tip.style.left = `${Math.max(0, Math.min(x - 90, row.clientWidth - 220))}px`;
    }
  };
  const hide = () => {
    tip.hidden = true;
  };
  const row = h(
    "div",
    { class: "bars", role: "list", "aria-label": `${label}, last ${days.length} days` },
    days.map((b) => {
      const el: HTMLElement = h("span", {
        class: `bar worst-${b.uptime_pct === null ? "none" : b.worst}${b.backfilled ? " backfilled" : ""}`,
        role: "listitem",
        tabindex: 0,
        "aria-label": barTooltip(b, incidents).replace(/\n/g, ". "),
      });
      el.addEventListener("mouseenter", () => show(b, el));
      el.addEventListener("focus", () => show(b, el));
      el.addEventListener("mouseleave", hide);
      el.addEventListener("blur", hide);
      return el;
    }),
  );
  return h(
    "div",
    { class: "bar-block" },
    h("div", { class: "bar-head" }, h("span", { class: "bar-label" }, label), h("span", { class: "uptime" }, `${formatUptime(uptime)} uptime`)),
    h("div", { class: "bar-wrap" }, row, tip),
    h("div", { class: "bar-foot", "aria-hidden": "true" }, h("span", {}, `${days.length} days ago`), h("span", {}, "Today")),
  );
}

function providerBlock(p: ProviderHistory): HTMLElement {
  return h(
    "div",
    { class: "history-provider", "data-testid": `history-${p.id}` },
    h("h2", {}, p.name),
    bars(p.name, p.bars, p.incidents, p.uptime_pct),
    p.components.length > 0
      ? h(
          "details",
          {},
          h("summary", {}, `${p.components.length} watched component${p.components.length === 1 ? "" : "s"}`),
          p.components.map((c) => bars(c.name, c.bars, p.incidents, c.uptime_pct)),
        )
      : null,
  );
}

export function renderHistory(hist: History, now = new Date()): HTMLElement {
  const head = h("div", { class: "page-head" }, h("h1", {}, "History"), h("span", { class: "meta" }, `Last ${hist.days} days, UTC days`));
  if (hist.providers.length === 0) {
    return h("section", {}, head, empty("No providers are enabled", "Turn some on in ", h("a", { href: "#/settings" }, "Settings"), "."));
  }
  const hasData = hist.providers.some((p) => p.bars.some((b) => b.uptime_pct !== null));
  const all = hist.providers
    .flatMap((p) => p.incidents.map((i) => ({ provider: p.name, i })))
    .sort((a, b) => (b.i.started_at ?? b.i.first_seen_at).localeCompare(a.i.started_at ?? a.i.first_seen_at));
  return h(
    "section",
    {},
    head,
    hasData ? null : empty("No history yet", "History builds up as Weathervane polls; the bars fill in day by day."),
    hist.providers.map(providerBlock),
    h("h2", { class: "timeline-title" }, "Incidents"),
    all.length === 0
      ? h("p", { class: "meta" }, "No incidents in this period.")
      : h(
          "ol",
          { class: "timeline" },
          all.map(({ provider, i }) =>
            h(
              "li",
              { class: `impact-${i.impact}`, "data-testid": `timeline-${i.id}` },
              h("div", { class: "t-title" }, h("strong", {}, i.title), h("span", { class: "meta" }, ` · ${provider}`)),
              h(
                "div",
                { class: "meta" },
                `${IMPACT_LABEL[i.impact]} · ${i.kind} · started ${localTime(i.started_at ?? i.first_seen_at, now)} · `,
                i.resolved_at ? `resolved ${localTime(i.resolved_at, now)}` : h("strong", {}, "ongoing"),
                i.duration_secs !== null ? ` · lasted ${formatDuration(i.duration_secs)}` : "",
                ` · first seen by Weathervane ${localTime(i.first_seen_at, now)}`,
              ),
              i.probed ? h("div", { class: "lead", "data-testid": `lead-${i.id}` }, `API probes: ${leadWords(i.lead_secs, true)}`) : null,
              i.sessions_lead_secs !== null
                ? h("div", { class: "lead", "data-testid": `sessions-lead-${i.id}` }, `Your sessions: ${sessionsLeadWords(i.sessions_lead_secs)}`)
                : null,
            ),
          ),
        ),
  );
}
