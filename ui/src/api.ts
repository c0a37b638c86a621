// The backend the dashboard talks to: the Tauri commands, typed by the generated bindings.
import type { Overview } from "./bindings/Overview";
import type { History } from "./bindings/History";
import type { SettingsView } from "./bindings/SettingsView";
import type { SettingsChange } from "./bindings/SettingsChange";
import type { Detected } from "./bindings/Detected";
import type { ShellError } from "./bindings/ShellError";
import type { AssistantView } from "./bindings/AssistantView";
import type { PlanView } from "./bindings/PlanView";
import type { SwitchOutcome } from "./bindings/SwitchOutcome";
import type { SwitchEvent } from "./bindings/SwitchEvent";
import type { BackupView } from "./bindings/BackupView";
import type { ProbesView } from "./bindings/ProbesView";

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
  if (e && typeof e === "object" && "message" in e && typeof (e as ShellError).message === "string") {
    return (e as ShellError).message;
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
  return {
    overview: () => invoke<Overview>("overview"),
    history: (days) => invoke<History>("history", { days }),
    probes: (hours) => invoke<ProbesView>("probes", { hours }),
    settings: () => invoke<SettingsView>("settings"),
    updateSettings: (change) => invoke<SettingsView>("update_settings", { change }),
    detectSource: (url) => invoke<Detected>("detect_source", { url }),
    setAutostart: (enabled) => invoke<boolean>("set_autostart", { enabled }),
    refreshNow: () => invoke<void>("refresh_now"),
    openStatusPage: (id) => invoke<void>("open_status_page", { id }),
    assistants: () => invoke<AssistantView[]>("assistants"),
    planSwitch: (assistantId, profile) => invoke<PlanView>("plan_switch", { assistantId, profile }),
    switchAssistant: (assistantId, profile) => invoke<SwitchOutcome>("switch_assistant", { assistantId, profile }),
    switchBack: (assistantId) => invoke<SwitchOutcome>("switch_back", { assistantId }),
    switchHistory: (assistantId) => invoke<SwitchEvent[]>("switch_history", { assistantId: assistantId ?? null }),
    backups: (assistantId) => invoke<BackupView[]>("backups", { assistantId }),
    restoreBackup: (assistantId, name) => invoke<string>("restore_backup", { assistantId, name }),
    onChanged: (cb) => listen(CHANGED_EVENT, () => cb()),
  };
}
