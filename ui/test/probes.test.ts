import { describe, expect, it, vi } from "vitest";
import { leadSummaryWords, renderProbes, type ProbesActions, type ProbesPage } from "../src/views/probes";
import { slotPoints } from "../src/views/charts";
import { mountApp } from "../src/app";
import { devBackend } from "../src/demo/backend";
import { sampleAssistants, sampleProbes } from "../src/demo/samples";
import type { ProbePoint } from "../src/bindings/ProbePoint";
import type { ProbesView } from "../src/bindings/ProbesView";

const NOW = new Date("2026-11-25T12:00:00Z");
const flush = () => new Promise((r) => setTimeout(r, 0));

function actions(over: Partial<ProbesActions> = {}): ProbesActions {
  return {
    change: vi.fn(async () => null as string | null),
    setHours: vi.fn(),
    reload: vi.fn(),
    ...over,
  };
}

const page = (view: ProbesView = sampleProbes(24)): ProbesPage => ({ view, assistants: sampleAssistants() });

/** A bucket `slot` five-minute buckets into the last 24 hours before NOW. */
function point(slot: number, over: Partial<ProbePoint> = {}): ProbePoint {
  const at = new Date(NOW.getTime() - 24 * 3_600_000 + slot * 300_000).toISOString();
  return { at, requests: 5, failures: 0, rate_limited: 0, slow: 0, avg_ms: 320, max_ms: 400, ...over };
}

/** The sample page with Anthropic's chart replaced by `points`. */
function withPoints(points: ProbePoint[]): ProbesView {
  const v = sampleProbes(24);
  v.providers[0].points = points;
  return v;
}

const slotsOf = (els: NodeListOf<Element>) => [...els].map((e) => Number(e.getAttribute("data-slot")));

describe("early warning: probed providers", () => {
  it("shows the official status and the measured verdict side by side, with the probe's request and key", () => {
    const el = renderProbes(page(), actions(), null, NOW);
    const a = el.querySelector("[data-testid=probe-anthropic]")!;
    expect(a.querySelector("h2")!.textContent).toBe("Anthropic");
    expect(a.querySelector("[data-testid=measured]")!.textContent).toMatch(/^Official: \S+ Major outage · Measured: \S+ failing \(8 of 10 requests 529\)$/);
    expect(a.textContent).toContain("https://api.anthropic.com/v1/models");
    expect(a.textContent).toContain("key from keyring entry anthropic-probe");
    expect(el.querySelector("[data-testid=probe-openai]")!.textContent).toContain("no key");
  });

  it("draws one bar per measured bucket and leaves a gap where a bucket is missing", () => {
    const el = renderProbes(page(withPoints([point(0), point(1), point(3), point(287)])), actions(), null, NOW);
    const a = el.querySelector("[data-testid=probe-anthropic]")!;
    const [latency, errors] = [...a.querySelectorAll("svg")];
    expect(latency.getAttribute("viewBox")).toBe("0 0 288 100");
    expect(slotsOf(latency.querySelectorAll(".avg"))).toEqual([0, 1, 3, 287]);
    expect(slotsOf(errors.querySelectorAll(".seen"))).toEqual([0, 1, 3, 287]);
    expect(errors.querySelectorAll(".fail").length).toBe(0);
  });

  it("adds up two points that fall in one bucket instead of drawing both", () => {
    const span = { generated_at: NOW.toISOString(), hours: 24, bucket_secs: 300 };
    const slots = slotPoints([point(4, { requests: 2, failures: 1, avg_ms: 100 }), point(4, { requests: 3, failures: 1, avg_ms: 400 })], span);
    expect(slots.length).toBe(288);
    expect(slots.filter(Boolean).length).toBe(1);
    expect(slots[4]).toMatchObject({ requests: 5, failures: 2, avg_ms: 300 });
  });

  it("draws failures as a share of each bucket's requests", () => {
    const el = renderProbes(page(withPoints([point(10, { requests: 10, failures: 8, avg_ms: 2900 }), point(11)])), actions(), null, NOW);
    const errors = el.querySelectorAll("[data-testid=probe-anthropic] svg")[1];
    const fail = errors.querySelectorAll(".fail");
    expect(slotsOf(fail)).toEqual([10]);
    expect(Number(fail[0].getAttribute("height"))).toBeCloseTo(80);
    expect(errors.getAttribute("aria-label")).toBe("Errors: 8 failed of 15 requests");
  });

  it("never shows a 429-only series as failures, and says rate limits are not an outage", () => {
    const limited = [point(0, { rate_limited: 5, avg_ms: null, max_ms: null }), point(1, { rate_limited: 5, avg_ms: null, max_ms: null })];
    const el = renderProbes(page(withPoints(limited)), actions(), null, NOW);
    const a = el.querySelector("[data-testid=probe-anthropic]")!;
    const errors = a.querySelectorAll("svg")[1];
    expect(errors.querySelectorAll(".fail").length).toBe(0);
    expect(slotsOf(errors.querySelectorAll(".limited"))).toEqual([0, 1]);
    expect(errors.getAttribute("aria-label")).toBe("Errors: 0 failed of 10 requests; 10 rate limited (429, not an outage)");
    expect(a.textContent).toContain("rate limited (429): answering, not an outage");
  });

  it("gives each chart a text alternative and a summary for screen readers", () => {
    const points = [point(0, { avg_ms: 300 }), point(1, { avg_ms: 320, max_ms: 900 }), point(2, { avg_ms: 340, failures: 3 })];
    const el = renderProbes(page(withPoints(points)), actions(), null, NOW);
    const latency = el.querySelector<SVGSVGElement>("[data-testid=probe-anthropic] svg")!;
    expect(latency.getAttribute("role")).toBe("img");
    expect(latency.getAttribute("aria-label")).toBe("Latency: median 320 ms, slowest 900 ms");
    expect(latency.querySelector("title")!.textContent).toBe("Latency: median 320 ms, slowest 900 ms");
    const desc = el.querySelector(`#${latency.getAttribute("aria-describedby")}`)!;
    expect(desc.classList.contains("visually-hidden")).toBe(true);
    expect(desc.textContent).toContain("285 of 288 buckets have no measurement");
    const errors = el.querySelectorAll("[data-testid=probe-anthropic] svg")[1];
    expect(el.querySelector(`#${errors.getAttribute("aria-describedby")}`)!.textContent).toContain("3 failed of 15 requests");
  });

  it("says so when a provider has no measurement in the period", () => {
    const el = renderProbes(page(withPoints([])), actions(), null, NOW);
    const a = el.querySelector("[data-testid=probe-anthropic]")!;
    expect(a.querySelector("svg")).toBeNull();
    expect(a.textContent).toContain("No measurements in this period yet");
  });

  it("has an empty state when nothing is probed, and still offers the providers to turn on", () => {
    const v = sampleProbes(24, new Map());
    const el = renderProbes(page(v), actions(), null, NOW);
    expect(el.textContent).toContain("No provider is probed yet: turn one on below");
    expect(el.querySelectorAll("[data-testid^=probe-on-]").length).toBe(3);
  });

  it("says offline plainly", () => {
    const el = renderProbes(page({ ...sampleProbes(24), offline: true }), actions(), null, NOW);
    expect(el.querySelector(".banner.offline")!.textContent).toContain("offline");
  });

  it("never turns provider names, verdicts or incident titles into markup", () => {
    const v = sampleProbes(24);
    v.providers[0].name = "<img src=x onerror=alert(1)>";
    v.providers[0].verdict.summary = "<b>failing</b>";
    v.providers[0].leads.recent[0].title = "<script>alert(1)</script>";
    v.available[0].name = "<i>Gemini</i>";
    v.rules[0].provider_name = "<u>Anthropic</u>";
    const el = renderProbes(page(v), actions(), null, NOW);
    expect(el.querySelector("img, b, script, i, u")).toBeNull();
    expect(el.textContent).toContain("<img src=x onerror=alert(1)>");
    expect(el.textContent).toContain("<script>alert(1)</script>");
    expect(el.textContent).toContain("When <u>Anthropic</u> has a partial or major outage");
  });
});

describe("early warning: detection lead", () => {
  it("words a positive, a negative and a missing median lead", () => {
    const base = { incidents: 3, seen_first: 2, recent: [] };
    expect(leadSummaryWords({ ...base, median_lead_secs: 480 })).toBe("Seen first in 2 of 3 incidents · median lead 8 min");
    expect(leadSummaryWords({ ...base, seen_first: 0, median_lead_secs: -300 })).toBe("Seen first in 0 of 3 incidents · median: the status page was first by 5 min");
    expect(leadSummaryWords({ ...base, seen_first: 0, median_lead_secs: null })).toBe("Seen first in 0 of 3 incidents · no incident seen by the probes yet");
    expect(leadSummaryWords({ incidents: 0, seen_first: 0, median_lead_secs: null, recent: [] })).toBe("No incident seen by the probes yet");
  });

  it("lists recent incidents with their lead, or why there is none", () => {
    const el = renderProbes(page(), actions(), null, NOW);
    const lead = (id: string) => el.querySelector(`[data-testid=lead-${id}]`)!.textContent;
    expect(el.querySelector("[data-testid=leads-anthropic] .lead-summary")!.textContent).toBe("Seen first in 1 of 2 incidents · median lead 8 min");
    expect(lead("h89")).toMatch(/^Elevated error rates across all models · started .+ · Weathervane saw it 8 min earlier$/);
    expect(lead("h75")).toMatch(/the page was first by 7 min$/);
    expect(lead("h40")).toMatch(/probes were off$/);
    expect(lead("o1")).toMatch(/probes saw nothing$/);
  });
});

describe("early warning: turning probes on and off", () => {
  it("turns a probe on with the keyring entry name typed", async () => {
    const act = actions();
    const el = renderProbes(page(), act, null, NOW);
    const form = el.querySelector<HTMLFormElement>("[data-testid=probe-on-gemini]")!;
    const key = form.querySelector<HTMLInputElement>("input[name=key]")!;
    expect(key.placeholder).toBe("gemini-probe");
    expect(form.querySelector(`label[for=${key.id}]`)).not.toBeNull();
    key.value = " my-gemini ";
    key.dispatchEvent(new Event("input", { bubbles: true }));
    expect(form.textContent).toContain("weathervane key set my-gemini");
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush();
    expect(act.change).toHaveBeenCalledWith({ type: "probe", id: "gemini", enabled: true, key: "my-gemini" });
    expect(act.reload).toHaveBeenCalled();
  });

  it("turns a probe on without a key when the name is left empty", async () => {
    const act = actions();
    const el = renderProbes(page(), act, null, NOW);
    el.querySelector<HTMLFormElement>("[data-testid=probe-on-gemini]")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush();
    expect(act.change).toHaveBeenCalledWith({ type: "probe", id: "gemini", enabled: true, key: null });
  });

  it("asks for no key name when the provider's probe takes no key", async () => {
    const v = sampleProbes(24);
    v.available[0] = { ...v.available[0], auth: "none" };
    const act = actions();
    const form = renderProbes(page(v), act, null, NOW).querySelector<HTMLFormElement>("[data-testid=probe-on-gemini]")!;
    expect(form.querySelector("input")).toBeNull();
    expect(form.textContent).toContain("needs no key");
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush();
    expect(act.change).toHaveBeenCalledWith({ type: "probe", id: "gemini", enabled: true, key: null });
  });

  it("keeps what was typed and shows the app's refusal next to it", async () => {
    const act = actions({ change: vi.fn(async () => "\"my key!\" is not a keyring entry name (letters, digits, '-', '_', '.')") });
    const el = renderProbes(page(), act, null, NOW);
    const form = el.querySelector<HTMLFormElement>("[data-testid=probe-on-gemini]")!;
    const key = form.querySelector<HTMLInputElement>("input[name=key]")!;
    key.value = "my key!";
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush();
    expect(form.querySelector(".feedback.error")!.textContent).toContain("is not a keyring entry name");
    expect(key.value).toBe("my key!");
    expect(form.querySelector<HTMLButtonElement>("button[type=submit]")!.disabled).toBe(false);
    expect(act.reload).not.toHaveBeenCalled();
  });

  it("turns a probe off, keeping its key name", async () => {
    const act = actions();
    const el = renderProbes(page(), act, null, NOW);
    el.querySelector<HTMLButtonElement>("[data-testid=probe-off-anthropic]")!.click();
    await flush();
    expect(act.change).toHaveBeenCalledWith({ type: "probe", id: "anthropic", enabled: false, key: "anthropic-probe" });
  });
});

describe("early warning: failover rules", () => {
  it("states the rule in words and that failover is off without one", () => {
    const el = renderProbes(page(), actions(), null, NOW);
    expect(el.querySelector("[data-testid=rule-claude-code] .rule-words")!.textContent).toBe(
      "When Anthropic has a partial or major outage, switch Claude Code to OpenRouter; switch back after 10 min healthy.",
    );
    const rules = el.querySelector("[data-testid=rules]")!.textContent!;
    expect(rules).toContain("Failover is off unless a rule exists");
    expect(rules).toContain("A manual switch always wins");
    expect(rules).toContain("Every automatic switch is notified and can be undone with one click");
    const none = renderProbes(page({ ...sampleProbes(24), rules: [] }), actions(), null, NOW);
    expect(none.querySelector("[data-testid=no-rules]")!.textContent).toContain("never switches an assistant by itself");
  });

  it("adds a rule, sending minutes as seconds", async () => {
    const act = actions();
    const el = renderProbes(page({ ...sampleProbes(24), rules: [] }), act, null, NOW);
    const form = el.querySelector<HTMLFormElement>("[data-testid=rule-form-new]")!;
    const field = <T extends Element>(sel: string) => form.querySelector<T & Element>(sel)! as unknown as T;
    const assistant = field<HTMLSelectElement>("select[name=assistant]");
    expect(assistant.value).toBe("claude-code");
    expect(field<HTMLSelectElement>("select[name=provider]").value).toBe("anthropic");
    const to = field<HTMLSelectElement>("select[name=to]");
    to.value = "bedrock";
    field<HTMLInputElement>("input[name=after]").value = "3";
    field<HTMLInputElement>("input[name=back_after]").value = "15";
    field<HTMLInputElement>("input[name=min_dwell]").value = "0.5";
    field<HTMLInputElement>("input[name=enabled]").checked = false;
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush();
    expect(act.change).toHaveBeenCalledWith({
      type: "failover",
      assistant: "claude-code",
      rule: { provider: "anthropic", to: "bedrock", after_secs: 180, back_after_secs: 900, min_dwell_secs: 30, enabled: false },
    });
    expect(act.reload).toHaveBeenCalled();
  });

  it("defaults to 5, 10 and 10 minutes and offers every provider the assistants use or the probes know", () => {
    const el = renderProbes(page({ ...sampleProbes(24), rules: [] }), actions(), null, NOW);
    const form = el.querySelector<HTMLFormElement>("[data-testid=rule-form-new]")!;
    const value = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value;
    expect([value("after"), value("back_after"), value("min_dwell")]).toEqual(["5", "10", "10"]);
    const providers = [...form.querySelectorAll<HTMLOptionElement>("select[name=provider] option")].map((o) => [o.value, o.textContent]);
    expect(providers).toEqual([
      ["anthropic", "Anthropic"],
      ["aws-bedrock", "aws-bedrock"],
      ["gemini", "Google Gemini"],
      ["openai", "OpenAI"],
      ["openrouter", "OpenRouter"],
    ]);
    for (const sel of ["select[name=assistant]", "select[name=provider]", "select[name=to]", "input[name=after]"]) {
      const id = form.querySelector(sel)!.id;
      expect(form.querySelector(`label[for=${id}]`), sel).not.toBeNull();
    }
  });

  it("offers only target profiles that do not use the provider the rule watches", () => {
    const el = renderProbes(page({ ...sampleProbes(24), rules: [] }), actions(), null, NOW);
    const form = el.querySelector<HTMLFormElement>("[data-testid=rule-form-new]")!;
    const provider = form.querySelector<HTMLSelectElement>("select[name=provider]")!;
    const targets = () => [...form.querySelectorAll<HTMLOptionElement>("select[name=to] option")].map((o) => o.value);
    expect(targets()).toEqual(["bedrock", "openrouter"]);
    provider.value = "openrouter";
    provider.dispatchEvent(new Event("change"));
    expect(targets()).toEqual(["anthropic", "bedrock"]);
    const assistant = form.querySelector<HTMLSelectElement>("select[name=assistant]")!;
    assistant.value = "codex";
    assistant.dispatchEvent(new Event("change"));
    expect(provider.value).toBe("openrouter");
    expect(targets()).toEqual(["openai"]);
  });

  it("shows a validation error from the app inline and keeps the form as typed", async () => {
    const act = actions({ change: vi.fn(async () => "failover after must be at most a day, not 90000 s") });
    const el = renderProbes(page({ ...sampleProbes(24), rules: [] }), act, null, NOW);
    const form = el.querySelector<HTMLFormElement>("[data-testid=rule-form-new]")!;
    const after = form.querySelector<HTMLInputElement>("input[name=after]")!;
    after.value = "1500";
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush();
    expect(form.querySelector(".feedback.error")!.textContent).toBe("failover after must be at most a day, not 90000 s");
    expect(after.value).toBe("1500");
    expect(act.reload).not.toHaveBeenCalled();
  });

  it("refuses minutes that are not numbers without asking the app", async () => {
    const act = actions();
    const el = renderProbes(page({ ...sampleProbes(24), rules: [] }), act, null, NOW);
    const form = el.querySelector<HTMLFormElement>("[data-testid=rule-form-new]")!;
    form.querySelector<HTMLInputElement>("input[name=back_after]")!.value = "";
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush();
    expect(act.change).not.toHaveBeenCalled();
    expect(form.querySelector(".feedback.error")!.textContent).toContain("Minutes must be numbers");
  });

  it("removes a rule by sending no rule", async () => {
    const act = actions();
    const el = renderProbes(page(), act, null, NOW);
    el.querySelector<HTMLButtonElement>("[data-testid=rule-remove-claude-code]")!.click();
    await flush();
    expect(act.change).toHaveBeenCalledWith({ type: "failover", assistant: "claude-code", rule: null });
  });

  it("disables a rule by sending it back with enabled off", async () => {
    const act = actions();
    const el = renderProbes(page(), act, null, NOW);
    const toggle = el.querySelector<HTMLButtonElement>("[data-testid=rule-toggle-claude-code]")!;
    expect(toggle.textContent).toBe("Disable");
    toggle.click();
    await flush();
    expect(act.change).toHaveBeenCalledWith({
      type: "failover",
      assistant: "claude-code",
      rule: { provider: "anthropic", to: "openrouter", after_secs: 300, back_after_secs: 600, min_dwell_secs: 600, enabled: false },
    });
  });

  it("edits a rule in place with its current values", async () => {
    const act = actions();
    const el = renderProbes(page(), act, null, NOW);
    el.querySelector<HTMLButtonElement>("[data-testid=rule-edit-claude-code]")!.click();
    const form = el.querySelector<HTMLFormElement>("[data-testid=rule-form-claude-code]")!;
    expect(form.querySelector<HTMLSelectElement>("select[name=assistant]")!.disabled).toBe(true);
    expect(form.querySelector<HTMLSelectElement>("select[name=to]")!.value).toBe("openrouter");
    const back = form.querySelector<HTMLInputElement>("input[name=back_after]")!;
    expect(back.value).toBe("10");
    back.value = "20";
    form.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush();
    expect(act.change).toHaveBeenCalledWith({
      type: "failover",
      assistant: "claude-code",
      rule: { provider: "anthropic", to: "openrouter", after_secs: 300, back_after_secs: 1200, min_dwell_secs: 600, enabled: true },
    });
  });

  it("closes an edit without saving on Cancel", () => {
    const act = actions();
    const el = renderProbes(page(), act, null, NOW);
    document.body.replaceChildren(el);
    const edit = el.querySelector<HTMLButtonElement>("[data-testid=rule-edit-claude-code]")!;
    edit.click();
    expect(edit.disabled).toBe(true);
    [...el.querySelectorAll<HTMLButtonElement>("[data-testid=rule-form-claude-code] button")].find((b) => b.textContent === "Cancel")!.click();
    expect(el.querySelector("[data-testid=rule-form-claude-code]")).toBeNull();
    expect(document.activeElement).toBe(edit);
    expect(act.change).not.toHaveBeenCalled();
  });

  it("still lists the rules when the assistants cannot be read, and says why none can be added", () => {
    const el = renderProbes({ view: sampleProbes(24), assistants: "cannot read /home/dev/.claude/settings.json" }, actions(), null, NOW);
    expect(el.querySelector("[data-testid=rule-claude-code]")).not.toBeNull();
    expect(el.querySelector("[data-testid=rule-form-new]")).toBeNull();
    expect(el.querySelector("[data-testid=rules]")!.textContent).toContain("cannot read /home/dev/.claude/settings.json");
  });
});

describe("early warning in the app", () => {
  it("is in the navigation and reloads with 168 hours when 7 d is chosen", async () => {
    location.hash = "#/probes";
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    const b = devBackend();
    const probes = vi.spyOn(b, "probes");
    mountApp(root, b);
    await expect.poll(() => root.querySelector("[data-testid=probe-anthropic]")).not.toBeNull();
    expect(root.querySelector("[aria-current=page]")!.textContent).toBe("Early warning");
    expect(probes).toHaveBeenLastCalledWith(24);
    const week = root.querySelector<HTMLButtonElement>("[data-testid=hours-168]")!;
    expect(week.getAttribute("aria-pressed")).toBe("false");
    week.focus();
    week.click();
    await expect.poll(() => root.querySelector("[data-testid=hours-168]")!.getAttribute("aria-pressed")).toBe("true");
    expect(probes).toHaveBeenLastCalledWith(168);
    expect(root.textContent).toContain("the last 7 days");
    expect(document.activeElement).toBe(root.querySelector("[data-testid=hours-168]"));
  });

  it("turns a probe on through the settings change and shows the probed provider after the reload", async () => {
    location.hash = "#/probes";
    const root = document.createElement("div");
    const b = devBackend();
    const update = vi.spyOn(b, "updateSettings");
    mountApp(root, b);
    await expect.poll(() => root.querySelector("[data-testid=probe-on-gemini]")).not.toBeNull();
    root.querySelector<HTMLFormElement>("[data-testid=probe-on-gemini]")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await expect.poll(() => root.querySelector("[data-testid=probe-gemini]")).not.toBeNull();
    expect(update).toHaveBeenCalledWith({ type: "probe", id: "gemini", enabled: true, key: null });
    expect(root.querySelector("[data-testid=probe-gemini]")!.textContent).toContain("No measurements in this period yet");
    expect(root.querySelector("[data-testid=probes-message]")!.textContent).toContain("Probing Google Gemini now");
  });

  it("does not sweep away a key name being typed when the app reports a change", async () => {
    location.hash = "#/probes";
    const root = document.createElement("div");
    const b = devBackend();
    let changed = () => undefined as void;
    b.onChanged = async (cb) => {
      changed = cb;
      return () => undefined;
    };
    const probes = vi.spyOn(b, "probes");
    mountApp(root, b);
    await expect.poll(() => root.querySelector("[data-testid=probe-on-gemini]")).not.toBeNull();
    // The app re-reads a page a moment after a change (a debounce): run that moment on
    // fake timers instead of sleeping past it.
    vi.useFakeTimers();
    try {
      // Control: with nothing being typed, a change does re-read and redraw the page, so
      // the check below would see a sweep.
      const before = root.querySelector("#probe-key-gemini");
      let calls = probes.mock.calls.length;
      changed();
      await vi.runAllTimersAsync();
      expect(probes.mock.calls.length).toBe(calls + 1);
      expect(root.querySelector("#probe-key-gemini")).not.toBe(before);

      const key = root.querySelector<HTMLInputElement>("#probe-key-gemini")!;
      key.value = "gemini-key";
      key.dispatchEvent(new Event("input", { bubbles: true }));
      calls = probes.mock.calls.length;
      changed();
      await vi.runAllTimersAsync();
      expect(probes.mock.calls.length).toBe(calls);
      expect(root.querySelector("#probe-key-gemini")).toBe(key);
      expect(key.value).toBe("gemini-key");
    } finally {
      vi.useRealTimers();
    }
  });

  it("shows the backend's error with a Retry", async () => {
    location.hash = "#/probes";
    const root = document.createElement("div");
    const b = devBackend();
    let fail = true;
    const probes = b.probes;
    b.probes = async (hours) => {
      if (fail) throw { kind: "store", message: "cannot read the probe samples: disk full" };
      return probes(hours);
    };
    mountApp(root, b);
    await expect.poll(() => root.textContent).toContain("disk full");
    fail = false;
    root.querySelector<HTMLButtonElement>(".state.error button")!.click();
    await expect.poll(() => root.querySelector("[data-testid=probe-anthropic]")).not.toBeNull();
  });
});

describe("early warning: the user's own sessions", () => {
  it("lists providers the sessions see failing, with the official status beside, and says what is read", () => {
    const el = renderProbes(page(), actions(), null, NOW);
    const section = el.querySelector<HTMLElement>("[data-testid=own-sessions]")!;
    expect(section.textContent).toContain("Claude Code, Codex, Gemini CLI");
    expect(section.textContent).toContain("Nothing leaves this machine");
    const row = section.querySelector<HTMLElement>("[data-testid=sessions-anthropic]")!;
    expect(row.textContent).toContain("Major outage");
    expect(row.textContent).toContain("9 failed calls (529) in 4 min, 2 sessions");
  });
  it("is calm when nothing failed, and says so when reading is turned off", () => {
    const calm = sampleProbes(24);
    calm.sessions = [];
    expect(renderProbes(page(calm), actions(), null, NOW).querySelector("[data-testid=sessions-calm]")!.textContent).toContain("No failed calls");
    const off = { ...calm, sessions_followed: [] };
    const el = renderProbes(page(off), actions(), null, NOW);
    expect(el.querySelector("[data-testid=sessions-calm]")).toBeNull();
    expect(el.querySelector("[data-testid=own-sessions]")!.textContent).toContain("turned off in the config");
  });
});
