// The backend the dashboard talks to: the Tauri commands, typed by the generated bindings.
import type { Overview } from "./bindings/Overview";
import type { History } from "./bindings/History";
import type { SettingsView } from "./bindings/SettingsView";
import type { SettingsChange } from "./bindings/SettingsChange";
import type { Detected } from "./bindings/Detected";
import type { AppError } from "./bindings/AppError";
import type { AssistantView } from "./bindings/AssistantView";
import type { PlanView } from "./bindings/PlanView";
import type { SwitchOutcome } from "./bindings/SwitchOutcome";
import type { SwitchEvent } from "./bindings/SwitchEvent";
import type { BackupView } from "./bindings/BackupView";
import type { ProbesView } from "./bindings/ProbesView";
import type { Commands } from "./bindings/Commands";

export interface Backend {
  overview(): Promise<Overview>;
  history(days: number): Promise<History>;
  /** The Early warning page over the last `hours` (24 or 168). */
  probes(hours: number): Promise<ProbesView>;
  settings(): Promise<SettingsView>;
  updateSettings(change: SettingsChange): Promise<SettingsView>;
  detectSource(url: string): Promise<Detected>;
  setAutostart(enabled: boolean): Promise<boolean>;
  refreshNow(): Promise<void>;
  openStatusPage(id: string): Promise<void>;
  assistants(): Promise<AssistantView[]>;
  planSwitch(assistant: string, profile: string): Promise<PlanView>;
  switchAssistant(assistant: string, profile: string): Promise<SwitchOutcome>;
  switchBack(assistant: string): Promise<SwitchOutcome>;
  switchHistory(assistant?: string): Promise<SwitchEvent[]>;
  backups(assistant: string): Promise<BackupView[]>;
  restoreBackup(assistant: string, name: string): Promise<string>;
  /** Calls `cb` whenever the app says something changed; returns an unsubscribe function. */
  onChanged(cb: () => void): Promise<() => void>;
}

export const CHANGED_EVENT = "weathervane://changed";

/** Whatever a command rejected with, as words for the user. */
export function errorMessage(e: unknown): string {
  if (e && typeof e === "object" && "message" in e && typeof (e as AppError).message === "string") {
    return (e as AppError).message;
  }
  if (typeof e === "string") return e;
  return "Something went wrong talking to Weathervane.";
}

export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

export async function tauriBackend(): Promise<Backend> {
  const { invoke } = await import("@tauri-apps/api/core");
  const { listen } = await import("@tauri-apps/api/event");
  // Names, arguments and results come from the Rust command table (bindings/Commands.ts):
  // a command that is not registered, or an argument of the wrong type, does not compile.
  const call = <K extends keyof Commands & string>(cmd: K, args: Commands[K]["args"]): Promise<Commands[K]["returns"]> =>
    invoke<Commands[K]["returns"]>(cmd, args);
  return {
    overview: () => call("overview", {}),
    history: (days) => call("history", { days }),
    probes: (hours) => call("probes", { hours }),
    settings: () => call("settings", {}),
    updateSettings: (change) => call("update_settings", { change }),
    detectSource: (url) => call("detect_source", { url }),
    setAutostart: (enabled) => call("set_autostart", { enabled }),
    refreshNow: async () => {
      await call("refresh_now", {});
    },
    openStatusPage: async (id) => {
      await call("open_status_page", { id });
    },
    assistants: () => call("assistants", {}),
    planSwitch: (assistantId, profile) => call("plan_switch", { assistantId, profile }),
    switchAssistant: (assistantId, profile) => call("switch_assistant", { assistantId, profile }),
    switchBack: (assistantId) => call("switch_back", { assistantId }),
    switchHistory: (assistantId) => call("switch_history", { assistantId: assistantId ?? null }),
    backups: (assistantId) => call("backups", { assistantId }),
    restoreBackup: (assistantId, name) => call("restore_backup", { assistantId, name }),
    onChanged: (cb) => listen(CHANGED_EVENT, () => cb()),
  };
}
