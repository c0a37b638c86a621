// The demo backend: the dashboard in a browser (`npm run dev`) on sample data, with the
// app's rules imitated roughly. Never in a build: main.ts loads it only on the dev server.
import type { Backend } from "../api";
import type { AppError } from "../bindings/AppError";
import type { AssistantView } from "../bindings/AssistantView";
import type { FailoverRuleInput } from "../bindings/FailoverRuleInput";
import type { FailoverRuleView } from "../bindings/FailoverRuleView";
import {
  PROBES,
  iso,
  sampleAssistants,
  sampleHistory,
  sampleOverview,
  sampleProbes,
  sampleRules,
  sampleSettings,
  sampleSwitchHistory,
} from "./samples";

function devError(message: string): AppError {
  return { kind: "input", message };
}

/** The dev backend's failover change, checked roughly as the app checks it. */
function ruleView(assistants: AssistantView[], assistant: string, r: FailoverRuleInput): FailoverRuleView {
  const a = assistants.find((x) => x.id === assistant);
  const to = a?.profiles.find((p) => p.id === r.to);
  if (!a || !to) throw devError(`failover.${assistant}: no profile ${JSON.stringify(r.to)}`);
  if (to.provider === r.provider) throw devError(`failover.${assistant}: ${to.name} uses ${r.provider} itself`);
  for (const [what, v] of [["after", r.after_secs], ["back_after", r.back_after_secs], ["min_dwell", r.min_dwell_secs]] as const) {
    if (v > 86_400) throw devError(`failover ${what} must be at most a day, not ${v} s`);
  }
  const provider_name = PROBES[r.provider]?.name ?? assistants.find((x) => x.provider === r.provider)?.provider_name ?? r.provider;
  return { ...r, assistant: a.id, assistant_name: a.name, provider_name, to_name: to.name };
}

export function devBackend(): Backend {
  let settings = sampleSettings();
  const assistants = sampleAssistants();
  const probesOn = new Map<string, string | null>([["anthropic", "anthropic-probe"], ["openai", null]]);
  let rules = sampleRules();
  const plan = (assistant: string, profile: string) => ({
    assistant: assistant as AssistantView["id"], profile, from: "anthropic", path: "/home/dev/.claude/settings.json", paths: ["/home/dev/.claude/settings.json"], noop: false,
    diff: ["+ env.ANTHROPIC_BASE_URL = \"https://openrouter.ai/api\"", "+ apiKeyHelper = \"weathervane key openrouter\""],
    warnings: ["running Claude Code sessions and IDE extensions pick the change up when restarted"],
  });
  return {
    overview: async () => sampleOverview(),
    history: async () => sampleHistory(),
    probes: async (hours) => sampleProbes(hours, probesOn, rules),
    settings: async () => settings,
    updateSettings: async (c) => {
      if (c.type === "provider_enabled") {
        settings = { ...settings, providers: settings.providers.map((p) => (p.id === c.id ? { ...p, enabled: c.enabled } : p)) };
      }
      if (c.type === "probe") {
        if (c.key !== null && !/^[A-Za-z0-9._-]+$/.test(c.key)) {
          throw devError(`${JSON.stringify(c.key)} is not a keyring entry name (letters, digits, '-', '_', '.'); the key itself goes in the keyring with \`weathervane key set NAME\``);
        }
        if (c.enabled) probesOn.set(c.id, c.key);
        else probesOn.delete(c.id);
        settings = {
          ...settings,
          providers: settings.providers.map((p) => (p.id === c.id && p.probe ? { ...p, probe: { ...p.probe, enabled: c.enabled, key: c.key } } : p)),
        };
      }
      if (c.type === "sessions") {
        settings = { ...settings, sessions: settings.sessions.map((s) => (s.assistant === c.assistant ? { ...s, enabled: c.enabled } : s)) };
      }
      if (c.type === "failover") {
        const rest = rules.filter((r) => r.assistant !== c.assistant);
        rules = c.rule ? [...rest, ruleView(assistants, c.assistant, c.rule)] : rest;
        settings = { ...settings, failover: rules };
      }
      return settings;
    },
    detectSource: async (url) => ({ kind: "statuspage", url, name: "Example", components: 4 }),
    setAutostart: async (on) => on,
    refreshNow: async () => undefined,
    openStatusPage: async () => undefined,
    assistants: async () => assistants,
    planSwitch: async (a, p) => plan(a, p),
    switchAssistant: async (a, p) => ({ assistant: a as AssistantView["id"], plan: plan(a, p), backup: null, summary: `Switched to ${p}`, details: [] }),
    switchBack: async (a) => ({ assistant: a as AssistantView["id"], plan: plan(a, "anthropic"), backup: null, summary: "Back", details: [] }),
    switchHistory: async () => sampleSwitchHistory(),
    backups: async () => [
      { name: "claude-code-settings.json-20261125T100000.000Z.bak", path: "/home/dev/.local/share/weathervane/backups/claude-code-settings.json-20261125T100000.000Z.bak", created: iso(120), size: 1843 },
    ],
    restoreBackup: async (_a, name) => name,
    onChanged: async () => () => undefined,
  };
}
