import { describe, expect, it, vi } from "vitest";
import { renderOverview } from "../src/views/overview";
import { barTooltip, renderHistory } from "../src/views/history";
import { notificationChange, renderSettings } from "../src/views/settings";
import { sampleHistory, sampleOverview, sampleSettings } from "../src/demo/samples";

const NOW = new Date("2026-11-25T12:00:00Z");
const noop = { refresh: () => undefined, openStatusPage: () => undefined };

describe("overview", () => {
  it("puts the worst provider first and marks every card for tests and styles", () => {
    const el = renderOverview(sampleOverview(), noop, NOW);
    const cards = [...el.querySelectorAll<HTMLElement>("[data-testid^=provider-]")];
    expect(cards.map((c) => c.dataset.status)).toEqual(["major_outage", "degraded", "unknown", "operational"]);
    const anthropic = el.querySelector("[data-testid=provider-anthropic]")!;
    expect(anthropic.textContent).toContain("Major outage");
    expect(anthropic.querySelector("[data-testid=incident-inc1]")!.textContent).toContain("Elevated error rates across all models");
    expect(anthropic.textContent).toContain("rolling out a fix");
  });
  it("shows a failed source as unknown with its reason, never as down", () => {
    const el = renderOverview(sampleOverview(), noop, NOW);
    const copilot = el.querySelector("[data-testid=provider-copilot]")!;
    expect(copilot.textContent).toContain("Unknown");
    expect(copilot.textContent).toContain("timed out after 10 s");
    expect(copilot.textContent).not.toContain("outage");
  });
  it("says offline plainly", () => {
    const o = { ...sampleOverview(), offline: true };
    expect(renderOverview(o, noop, NOW).textContent).toContain("statuses are unknown, not down");
  });
  it("has an empty state that leads to Settings", () => {
    const el = renderOverview({ ...sampleOverview(), providers: [] }, noop, NOW);
    expect(el.textContent).toContain("No providers are enabled");
    expect(el.querySelector("a[href='#/settings']")).not.toBeNull();
  });
  it("never turns page text into markup", () => {
    const o = sampleOverview();
    o.providers[1].incidents[0].title = "<img src=x onerror=alert(1)>";
    const el = renderOverview(o, noop, NOW);
    expect(el.querySelector("img")).toBeNull();
    expect(el.textContent).toContain("<img src=x onerror=alert(1)>");
  });
  it("shows the measured verdict beside the official status, not instead of it", () => {
    const el = renderOverview(sampleOverview(), noop, NOW);
    const anthropic = el.querySelector<HTMLElement>("[data-testid=provider-anthropic]")!;
    expect(anthropic.dataset.status).toBe("major_outage");
    const line = anthropic.querySelector<HTMLElement>("[data-testid=measured]")!;
    expect(line.textContent).toMatch(/^Official: \S+ Major outage · Measured: \S+ failing \(8 of 10 requests 529\)$/);
    expect(line.querySelector(".badge:last-child")!.classList.contains("status-major_outage")).toBe(true);
    const openai = el.querySelector("[data-testid=provider-openai] [data-testid=measured]")!;
    expect(openai.textContent).toContain("Measured: ✓ healthy (median 320 ms)");
    expect(openai.querySelector(".badge:last-child")!.classList.contains("status-operational")).toBe(true);
  });
  it("shows no measured line for a provider without probes", () => {
    const el = renderOverview(sampleOverview(), noop, NOW);
    const gemini = el.querySelector("[data-testid=provider-gemini]")!;
    expect(gemini.querySelector("[data-testid=measured]")).toBeNull();
    expect(gemini.textContent).not.toContain("Measured");
  });
  it("never turns a verdict summary into markup", () => {
    const o = sampleOverview();
    o.providers[0].measured!.summary = "<b>failing</b>";
    const el = renderOverview(o, noop, NOW);
    expect(el.querySelector("[data-testid=measured] b")).toBeNull();
    expect(el.textContent).toContain("<b>failing</b>");
  });
  it("asks the app to open the page, not the webview", () => {
    const open = vi.fn();
    const el = renderOverview(sampleOverview(), { ...noop, openStatusPage: open }, NOW);
    el.querySelector<HTMLButtonElement>("[data-testid=provider-anthropic] footer button")!.click();
    expect(open).toHaveBeenCalledWith("anthropic");
  });
});

describe("history", () => {
  it("draws 90 bars per provider and a tooltip naming the day's incidents", () => {
    const h = sampleHistory();
    const el = renderHistory(h, NOW);
    expect(el.querySelectorAll("[data-testid=history-anthropic] .bars")[0].children.length).toBe(90);
    const a = h.providers[0];
    const tip = barTooltip(a.bars[89], a.incidents);
    expect(tip).toContain("uptime");
    expect(tip).toContain("• Elevated error rates across all models");
    expect(barTooltip(a.bars[0], a.incidents)).toContain("No data");
    expect(barTooltip(a.bars[50], a.incidents)).toContain("No incidents");
    expect(barTooltip(a.bars[50], a.incidents)).not.toContain("history");
  });
  it("draws days from the page's history hatched, and says so", () => {
    const h = sampleHistory();
    const a = h.providers[0];
    expect(a.bars[15].backfilled).toBe(true);
    expect(barTooltip(a.bars[15], a.incidents)).toContain("from the status page's history");
    const el = renderHistory(h, NOW);
    const first = el.querySelector(".bars")!.children;
    expect(first[15].classList.contains("backfilled")).toBe(true);
    expect(first[50].classList.contains("backfilled")).toBe(false);
  });
  it("lists incidents newest first with durations and ongoing ones marked", () => {
    const el = renderHistory(sampleHistory(), NOW);
    const items = [...el.querySelectorAll(".timeline li")].map((li) => li.textContent ?? "");
    expect(items[0]).toContain("ongoing");
    expect(items[1]).toContain("lasted 48 min");
    expect(items[2]).toContain("lasted 1 h 12 min");
  });
  it("says how much earlier the probes saw an incident, only where they were running", () => {
    const h = sampleHistory();
    const [ongoing, slow, old] = h.providers[0].incidents;
    const el = renderHistory(h, NOW);
    expect(el.querySelector(`[data-testid=lead-${ongoing.id}]`)!.textContent).toBe("API probes: Weathervane saw it 8 min earlier");
    expect(el.querySelector(`[data-testid=lead-${slow.id}]`)!.textContent).toBe("API probes: the page was first by 7 min");
    expect(el.querySelector(`[data-testid=lead-${old.id}]`)).toBeNull();
    expect(el.querySelector(`[data-testid=timeline-${old.id}]`)!.textContent).not.toContain("probes");
    h.providers[0].incidents[2] = { ...old, probed: true, lead_secs: null };
    expect(renderHistory(h, NOW).querySelector(`[data-testid=lead-${old.id}]`)!.textContent).toBe("API probes: probes saw nothing");
  });
  it("has an empty state while no history exists", () => {
    const h = sampleHistory();
    for (const p of h.providers) p.bars = p.bars.map((b) => ({ ...b, uptime_pct: null, worst: "unknown" }));
    expect(renderHistory(h, NOW).textContent).toContain("History builds up as Weathervane polls");
  });
});

describe("settings", () => {
  const acts = () => ({
    change: vi.fn(async () => null as string | null),
    detect: vi.fn(async (url: string) => ({ kind: "instatus", url, name: "Acme AI", components: 3 })),
    setAutostart: vi.fn(async () => null as string | null),
  });
  it("turning a provider off sends exactly that change", () => {
    const a = acts();
    const el = renderSettings(sampleSettings(), a);
    const box = el.querySelector<HTMLInputElement>("#enabled-anthropic")!;
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    expect(a.change).toHaveBeenCalledWith({ type: "provider_enabled", id: "anthropic", enabled: false });
  });
  it("picking components sends the watch list", () => {
    const a = acts();
    const el = renderSettings(sampleSettings(), a);
    const boxes = el.querySelectorAll<HTMLInputElement>("[data-testid=setting-anthropic] fieldset input");
    boxes[1].checked = true;
    boxes[1].dispatchEvent(new Event("change"));
    expect(a.change).toHaveBeenCalledWith({ type: "watch", id: "anthropic", watch: ["Claude API", "Claude Code"] });
  });
  it("builds notification settings from the form, quiet hours included", () => {
    const v = sampleSettings();
    const el = renderSettings(v, acts());
    const form = el.querySelector<HTMLFormElement>("form.notifications")!;
    (form.elements.namedItem("quiet_on") as HTMLInputElement).checked = true;
    (form.elements.namedItem("quiet_from") as HTMLInputElement).value = "22:30";
    (form.elements.namedItem("quiet_to") as HTMLInputElement).value = "07:00";
    (form.elements.namedItem("cooldown_min") as HTMLInputElement).value = "5";
    const c = notificationChange(v.notifications, form);
    expect(c).toEqual({
      type: "notifications",
      settings: { confirmations: 2, cooldown_secs: 300, quiet_hours: "22:30-07:00", muted: [], notify_degraded: true, notify_maintenance: false },
    });
  });
  it("adds a detected page after the user confirms it", async () => {
    const a = acts();
    const el = renderSettings(sampleSettings(), a);
    document.body.replaceChildren(el);
    el.querySelector<HTMLInputElement>("#custom-url")!.value = "https://acme.instatus.com";
    el.querySelector<HTMLFormElement>("form.add-custom")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await vi.waitFor(() => expect(el.textContent).toContain("Found a instatus page with 3 components"));
    expect(el.querySelector<HTMLInputElement>("#custom-id")!.value).toBe("acme-ai");
    [...el.querySelectorAll("button")].find((b) => b.textContent === "Add")!.click();
    expect(a.change).toHaveBeenCalledWith({ type: "add_provider", id: "acme-ai", name: "Acme AI", kind: "instatus", url: "https://acme.instatus.com" });
  });
  it("names each provider's API probe and leads to the Early warning page, without editing it here", () => {
    const el = renderSettings(sampleSettings(), acts());
    const on = el.querySelector("[data-testid=setting-anthropic] [data-testid=probe-setting]")!;
    expect(on.textContent).toContain("API probe: on (key from keyring entry anthropic-probe)");
    expect(on.querySelector("a")!.getAttribute("href")).toBe("#/probes");
    expect(on.querySelector("input, button, select")).toBeNull();
    expect(el.querySelector("[data-testid=setting-anthropic] summary")!.textContent).toContain("API probe on");
    const off = el.querySelector("[data-testid=setting-gemini] [data-testid=probe-setting]")!;
    expect(off.textContent).toContain("API probe: off");
    expect(el.querySelector("[data-testid=setting-gemini] summary")!.textContent).not.toContain("API probe");
    expect(el.querySelector("[data-testid=setting-mistral] [data-testid=probe-setting]")).toBeNull();
  });
  it("shows a save error next to the control and keeps what the user typed", async () => {
    const a = acts();
    a.change.mockResolvedValueOnce("the change was not saved: bad interval");
    const v = sampleSettings();
    const saved = String(v.providers.find((p) => p.id === "anthropic")!.interval_secs);
    expect(saved).not.toBe("5");
    const el = renderSettings(v, a);
    const input = el.querySelector<HTMLInputElement>("#interval-anthropic")!;
    input.value = "5";
    input.dispatchEvent(new Event("change"));
    // What was sent is what the user typed, read by the view from the field.
    expect(a.change).toHaveBeenCalledWith({ type: "interval", id: "anthropic", interval_secs: 5 });
    await vi.waitFor(() => expect(el.querySelector("[data-testid=setting-anthropic] .feedback.error")?.textContent).toContain("bad interval"));
    // The field on the page (read afresh, not through the test's own reference) still
    // shows the typed value, not the saved one, so the user can correct it.
    const shown = el.querySelector<HTMLInputElement>("[data-testid=setting-anthropic] #interval-anthropic")!;
    expect(shown.value).toBe("5");
    expect(el.querySelectorAll("#interval-anthropic").length).toBe(1);
  });
});

describe("overview: the user's own sessions", () => {
  it("shows the failed calls beside the official status, and an account limit as the user's own", () => {
    const o = sampleOverview();
    const el = renderOverview(o, noop, NOW);
    const anthropic = el.querySelector<HTMLElement>("[data-testid=provider-anthropic] [data-testid=sessions]")!;
    expect(anthropic.dataset.sessions).toBe("partial_outage");
    expect(anthropic.textContent).toContain("Your sessions: ");
    expect(anthropic.textContent).toContain("9 failed calls (529) in 4 min, 2 sessions");
    expect(el.querySelector("[data-testid=provider-openai] [data-testid=sessions]")).toBeNull();
    // Only the user's own limit: a notice, never an outage badge.
    const openai = o.providers.find((p) => p.id === "openai")!;
    openai.sessions = { status: "operational", summary: "", errors: 0, at: NOW.toISOString(), network_errors: 0, account_notice: "Codex: your usage limit, resets 21:50" };
    const again = renderOverview(o, noop, NOW).querySelector<HTMLElement>("[data-testid=provider-openai] [data-testid=sessions]")!;
    expect(again.textContent).toBe("Codex: your usage limit, resets 21:50 (your account, not an outage)");
    expect(again.querySelector(".badge")).toBeNull();
  });
});

describe("settings: early warning from the user's own sessions", () => {
  it("has one switch per assistant that sends the change", async () => {
    const change = vi.fn(async () => null as string | null);
    const act = { change, detect: vi.fn(), setAutostart: vi.fn() } as unknown as Parameters<typeof renderSettings>[1];
    const el = renderSettings(sampleSettings(), act);
    const box = el.querySelector<HTMLInputElement>("#sessions-gemini")!;
    expect(box.checked).toBe(false);
    expect(el.querySelector("[data-testid=sessions-settings]")!.textContent).toContain("Nothing leaves this machine");
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    expect(change).toHaveBeenCalledWith({ type: "sessions", assistant: "gemini", enabled: true });
  });
});

describe("history: how early the user's own sessions saw an incident", () => {
  it("says it on the timeline, only where the sessions saw something", () => {
    const el = renderHistory(sampleHistory(), NOW);
    expect(el.querySelector("[data-testid=sessions-lead-h89]")!.textContent).toBe("Your sessions: failing 12 min before the page said so");
    expect(el.querySelector("[data-testid=sessions-lead-h75]")).toBeNull();
  });
});
