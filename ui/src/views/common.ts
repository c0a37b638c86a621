import { h } from "../dom";
import { STATUS_GLYPH, STATUS_LABEL } from "../format";
import type { Status } from "../bindings/Status";
import type { Verdict } from "../bindings/Verdict";
import type { SessionsVerdict } from "../bindings/SessionsVerdict";

export function statusBadge(s: Status): HTMLElement {
  return h(
    "span",
    { class: `badge status-${s}` },
    h("span", { class: "glyph", "aria-hidden": "true" }, STATUS_GLYPH[s]),
    " ",
    STATUS_LABEL[s],
  );
}

export function loading(what: string): HTMLElement {
  return h("div", { class: "state loading", role: "status" }, h("div", { class: "spinner", "aria-hidden": "true" }), `Loading ${what}…`);
}

export function errorState(message: string, retry: () => void): HTMLElement {
  return h(
    "div",
    { class: "state error", role: "alert" },
    h("h2", {}, "Weathervane could not load this page"),
    h("p", {}, message),
    h("button", { type: "button", onclick: retry }, "Retry"),
  );
}

export function empty(title: string, ...body: (Node | string)[]): HTMLElement {
  return h("div", { class: "state empty" }, h("h2", {}, title), h("p", {}, ...body));
}

/**
 * "Official: Operational · Measured: failing (8 of 10 requests 529)": the probes' verdict
 * beside the status page's word, never instead of it.
 */
export function measuredLine(official: Status, v: Verdict): HTMLElement {
  return h(
    "p",
    { class: "measured", "data-testid": "measured", "data-measured": v.status },
    "Official: ",
    statusBadge(official),
    " · Measured: ",
    h(
      "span",
      { class: `badge status-${v.status}` },
      h("span", { class: "glyph", "aria-hidden": "true" }, STATUS_GLYPH[v.status]),
      " ",
      v.summary,
    ),
  );
}

/**
 * What the user's own assistants recorded: failed calls on the provider, beside (never merged
 * into) the official status; their own account's limit, for what it is.
 */
export function sessionsLine(v: SessionsVerdict): HTMLElement {
  return h(
    "div",
    { class: "sessions", "data-testid": "sessions", "data-sessions": v.status },
    v.errors > 0
      ? h(
          "p",
          {},
          "Your sessions: ",
          h("span", { class: `badge status-${v.status}` }, h("span", { class: "glyph", "aria-hidden": "true" }, STATUS_GLYPH[v.status]), " ", v.summary),
        )
      : null,
    v.account_notice ? h("p", { class: "meta account" }, `${v.account_notice} (your account, not an outage)`) : null,
  );
}

/** Text only screen readers hear (a chart's summary, say). */
export function srOnly(text: string, id?: string): HTMLElement {
  return h("p", { class: "visually-hidden", id }, text);
}
