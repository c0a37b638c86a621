import { describe, expect, it, vi } from "vitest";
import { renderAssistants, type AssistantActions } from "../src/views/assistants";
import { sampleAssistants, sampleSwitchHistory } from "../src/demo/samples";
import type { PlanView } from "../src/bindings/PlanView";

const NOW = new Date("2026-11-25T12:00:00Z");

const PLAN: PlanView = {
  assistant: "claude-code",
  profile: "openrouter",
  from: "anthropic",
  path: "/home/dev/.claude/settings.json",
  paths: ["/home/dev/.claude/settings.json"],
  noop: false,
  diff: ['+ env.ANTHROPIC_BASE_URL = "https://openrouter.ai/api"', '+ env.ANTHROPIC_API_KEY = ""'],
  warnings: ["running Claude Code sessions and IDE extensions pick the change up when restarted"],
};

function actions(over: Partial<AssistantActions> = {}): AssistantActions {
  return {
    plan: vi.fn(async () => PLAN),
    apply: vi.fn(async () => ({ assistant: "claude-code" as const, plan: PLAN, backup: null, summary: "Claude Code now uses OpenRouter", details: ["restart"] })),
    back: vi.fn(async () => ({ assistant: "codex" as const, plan: PLAN, backup: null, summary: "Codex CLI is back on OpenAI (direct)", details: [] })),
    backups: vi.fn(async () => []),
    restore: vi.fn(async (_a: string, name: string) => name),
    change: vi.fn(async () => null),
    confirm: vi.fn(() => true),
    reload: vi.fn(),
    ...over,
  };
}

const page = () => ({ assistants: sampleAssistants(), history: sampleSwitchHistory() });
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("assistants page", () => {
  it("shows detected assistants with their profile and hides the ones not found", () => {
    const el = renderAssistants(page(), actions(), null, NOW);
    const claude = el.querySelector<HTMLElement>("[data-testid=assistant-claude-code]")!;
    expect(claude.dataset.active).toBe("anthropic");
    expect(claude.textContent).toContain("On: Anthropic (direct)");
    expect(el.querySelector("[data-testid=assistant-opencode]")).toBeNull();
    const codex = el.querySelector("[data-testid=assistant-codex]")!;
    expect(codex.textContent).toContain("Switched from OpenAI (direct) to OpenRouter 12 min ago");
  });

  it("previews the diff before anything is written, then applies and reloads with the outcome", async () => {
    const act = actions();
    const el = renderAssistants(page(), act, null, NOW);
    const select = el.querySelector<HTMLSelectElement>("[data-testid=profile-claude-code]")!;
    expect([...select.options].map((o) => o.value)).toEqual(["bedrock", "openrouter"]);
    select.value = "openrouter";
    el.querySelector<HTMLButtonElement>("[data-testid=preview-claude-code]")!.click();
    await flush();
    expect(act.plan).toHaveBeenCalledWith("claude-code", "openrouter");
    expect(act.apply).not.toHaveBeenCalled();
    const plan = el.querySelector("[data-testid=plan-claude-code]")!;
    expect(plan.querySelector("pre")!.textContent).toContain("+ env.ANTHROPIC_BASE_URL");
    expect(plan.textContent).toContain("pick the change up when restarted");
    el.querySelector<HTMLButtonElement>("[data-testid=apply-claude-code]")!.click();
    await flush();
    expect(act.apply).toHaveBeenCalledWith("claude-code", "openrouter");
    expect(act.reload).toHaveBeenCalledWith("Claude Code now uses OpenRouter. restart");
  });

  it("names every file a two-file switch writes", async () => {
    const gem: PlanView = { ...PLAN, paths: ["/home/dev/.gemini/settings.json", "/home/dev/.gemini/.env"] };
    const el = renderAssistants(page(), actions({ plan: vi.fn(async () => gem) }), null, NOW);
    el.querySelector<HTMLButtonElement>("[data-testid=preview-claude-code]")!.click();
    await flush();
    const files = [...el.querySelectorAll("[data-testid=plan-claude-code] p code")].map((c) => c.textContent);
    expect(files).toEqual(["/home/dev/.gemini/settings.json", "/home/dev/.gemini/.env"]);
  });

  it("keeps a refusal on screen and lets the user try again", async () => {
    const act = actions({ apply: vi.fn(async () => "settings.json cannot be edited safely, so nothing was written") });
    const el = renderAssistants(page(), act, null, NOW);
    el.querySelector<HTMLButtonElement>("[data-testid=preview-claude-code]")!.click();
    await flush();
    const apply = el.querySelector<HTMLButtonElement>("[data-testid=apply-claude-code]")!;
    apply.click();
    await flush();
    expect(el.textContent).toContain("nothing was written");
    expect(apply.disabled).toBe(false);
    expect(act.reload).not.toHaveBeenCalled();
  });

  it("switches back with one click", async () => {
    const act = actions();
    const el = renderAssistants(page(), act, null, NOW);
    const back = el.querySelector<HTMLButtonElement>("[data-testid=back-codex]")!;
    expect(back.textContent).toBe("Switch back to OpenAI (direct)");
    back.click();
    await flush();
    expect(act.back).toHaveBeenCalledWith("codex");
    expect(act.reload).toHaveBeenCalledWith("Codex CLI is back on OpenAI (direct)");
  });

  it("saves the fallback as a settings change, and clears it", async () => {
    const act = actions();
    const el = renderAssistants(page(), act, null, NOW);
    const fb = el.querySelector<HTMLSelectElement>("[data-testid=fallback-claude-code]")!;
    expect(fb.value).toBe("openrouter");
    fb.value = "bedrock";
    fb.dispatchEvent(new Event("change"));
    await flush();
    expect(act.change).toHaveBeenCalledWith({ type: "fallback", assistant: "claude-code", profile: "bedrock" });
    fb.value = "";
    fb.dispatchEvent(new Event("change"));
    await flush();
    expect(act.change).toHaveBeenLastCalledWith({ type: "fallback", assistant: "claude-code", profile: null });
  });

  it("loads backups only when opened and restores only after confirmation", async () => {
    const backups = vi.fn(async () => [{ name: "claude-code-settings.json-20261125T100000.000Z.bak", path: "/b/x.bak", created: "2026-11-25T10:00:00Z", size: 2048 }]);
    const confirm = vi.fn(() => false);
    const act = actions({ backups, confirm });
    const el = renderAssistants(page(), act, null, NOW);
    expect(backups).not.toHaveBeenCalled();
    const details = el.querySelector<HTMLDetailsElement>("[data-testid=backups-claude-code]")!;
    details.open = true;
    details.dispatchEvent(new Event("toggle"));
    await flush();
    expect(backups).toHaveBeenCalledWith("claude-code");
    const restore = [...details.querySelectorAll("button")].find((b) => b.textContent === "Restore")!;
    restore.click();
    await flush();
    expect(act.restore).not.toHaveBeenCalled();
    confirm.mockReturnValue(true);
    restore.click();
    await flush();
    expect(act.restore).toHaveBeenCalledWith("claude-code", "claude-code-settings.json-20261125T100000.000Z.bak");
    expect(act.reload).toHaveBeenCalled();
  });

  it("lists the switch history with what each switch changed", () => {
    const el = renderAssistants(page(), actions(), null, NOW);
    const rows = el.querySelectorAll("[data-testid=switch-history] tbody tr");
    expect(rows.length).toBe(4);
    expect(rows[0].textContent).toContain("Codex CLI");
    expect(rows[0].textContent).toContain("openai → openrouter");
    expect(rows[2].textContent).toContain("(undone)");
  });

  it("labels the switches a failover rule made as automatic, and only those", () => {
    const el = renderAssistants(page(), actions(), null, NOW);
    const rows = [...el.querySelectorAll("[data-testid=switch-history] tbody tr")];
    const tagged = rows.map((r) => r.querySelector(".tag")?.textContent ?? null);
    expect(tagged).toEqual([null, "automatic", "automatic", null]);
    expect(rows[1].textContent).toContain("Switched back openrouter → anthropic");
  });

  it("shows a file that does not parse and offers no switch for it", () => {
    const p = page();
    p.assistants[0].problem = "/home/dev/.claude/settings.json does not parse: expected value at line 3";
    const el = renderAssistants(p, actions(), null, NOW);
    const claude = el.querySelector("[data-testid=assistant-claude-code]")!;
    expect(claude.textContent).toContain("does not parse");
    expect(claude.querySelector("[data-testid=preview-claude-code]")).toBeNull();
  });

  it("never turns profile text into markup", () => {
    const p = page();
    p.assistants[0].profiles[1].note = "<img src=x onerror=alert(1)>";
    p.assistants[0].profiles[1].name = "<b>x</b>";
    const el = renderAssistants(p, actions(), null, NOW);
    expect(el.querySelector("img, b")).toBeNull();
  });

  it("says so when no assistant is found", () => {
    const el = renderAssistants({ assistants: sampleAssistants().map((a) => ({ ...a, installed: null, config_exists: false, open_switch: null })), history: [] }, actions(), null, NOW);
    expect(el.textContent).toContain("No coding assistant found");
    expect(el.textContent).toContain("No switches yet");
  });
});
