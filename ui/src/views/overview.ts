// The overview: a card per provider with its status, watched components and open incidents.
import { h } from "../dom";
import { ago, localTime, severityRank } from "../format";
import type { Overview } from "../bindings/Overview";
import type { ProviderCard } from "../bindings/ProviderCard";
import type { IncidentCard } from "../bindings/IncidentCard";
import { empty, measuredLine, sessionsLine, statusBadge } from "./common";

export interface OverviewActions {
  refresh(): void;
  openStatusPage(id: string): void;
}

export function renderOverview(o: Overview, act: OverviewActions, now = new Date()): HTMLElement {
  const banners: HTMLElement[] = [];
  if (o.offline) {
    banners.push(
      h("div", { class: "banner offline", role: "status" }, "You appear to be offline — statuses are unknown, not down."),
    );
  }
  if (o.paused_until) {
    banners.push(h("div", { class: "banner paused", role: "status" }, `Notifications paused until ${localTime(o.paused_until, now)}.`));
  }
  const header = h(
    "div",
    { class: "page-head" },
    h("h1", {}, "Overview"),
    h("button", { type: "button", class: "secondary", onclick: () => act.refresh() }, "Refresh now"),
  );
  if (o.providers.length === 0) {
    return h(
      "section",
      {},
      header,
      ...banners,
      empty("No providers are enabled", "Turn some on in ", h("a", { href: "#/settings" }, "Settings"), "."),
    );
  }
  // Worst first, then by name: stable as statuses change within a severity.
  const cards = [...o.providers].sort(
    (a, b) => severityRank(a.status) - severityRank(b.status) || a.name.localeCompare(b.name),
  );
  return h(
    "section",
    {},
    header,
    ...banners,
    h("div", { class: "cards" }, cards.map((p) => providerCard(p, act, now))),
  );
}

function providerCard(p: ProviderCard, act: OverviewActions, now: Date): HTMLElement {
  const watched = p.components.filter((c) => c.watched);
  const others = p.components.filter((c) => !c.watched);
  const problems = watched.filter((c) => c.status !== "operational");
  const shown = problems.length > 0 ? problems : watched.slice(0, 6);
  const hidden = watched.length - shown.length;
  return h(
    "article",
    { class: `card status-${p.status}`, "data-testid": `provider-${p.id}`, "data-status": p.status, "aria-label": `${p.name}` },
    h("header", {}, h("h2", {}, p.name), statusBadge(p.status)),
    h(
      "p",
      { class: "meta" },
      p.since && p.status !== "operational" ? `Since ${localTime(p.since, now)} · ` : "",
      `Checked ${ago(p.checked_at, now)}`,
    ),
    p.measured ? measuredLine(p.status, p.measured) : null,
    p.sessions ? sessionsLine(p.sessions) : null,
    !p.source_ok && p.reason ? h("p", { class: "reason" }, p.reason) : null,
    p.source_ok && p.reason ? h("p", { class: "reason" }, p.reason) : null,
    shown.length > 0
      ? h(
          "ul",
          { class: "components", "aria-label": "Watched components" },
          shown.map((c) => h("li", {}, h("span", { class: "cname" }, c.name), statusBadge(c.status))),
        )
      : null,
    hidden > 0 || others.length > 0
      ? h(
          "details",
          { class: "more" },
          h("summary", {}, hidden > 0 ? `${hidden} more watched` : `${others.length} not watched`),
          h(
            "ul",
            { class: "components" },
            [...watched.filter((c) => !shown.includes(c)), ...others].map((c) =>
              h("li", { class: c.watched ? "" : "unwatched" }, h("span", { class: "cname" }, c.name), statusBadge(c.status)),
            ),
          ),
        )
      : null,
    p.incidents.length > 0 ? h("div", { class: "incidents" }, p.incidents.map((i) => incident(i, now))) : null,
    h(
      "footer",
      {},
      h(
        "button",
        { type: "button", class: "link", disabled: !p.url, onclick: () => act.openStatusPage(p.id) },
        "Open status page ↗",
      ),
    ),
  );
}

function incident(i: IncidentCard, now: Date): HTMLElement {
  return h(
    "div",
    { class: `incident impact-${i.impact}`, "data-testid": `incident-${i.id}` },
    h("h3", {}, i.title),
    h("p", { class: "meta" }, `${i.status} · started ${i.started_at ? localTime(i.started_at, now) : "—"}`),
    i.latest_update
      ? h(
          "p",
          { class: "update" },
          i.latest_update_at ? h("time", { datetime: i.latest_update_at }, `${localTime(i.latest_update_at, now)}: `) : null,
          i.latest_update,
        )
      : null,
  );
}
