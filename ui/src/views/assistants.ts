// Assistants: each local coding assistant, the profile it is on, a switch with its diff shown
// before anything is written, "Switch back", the fallback offered on an outage, the switch
// history and the backups.
import { h } from "../dom";
import { ago, localTime } from "../format";
import { empty } from "./common";
import type { AssistantView } from "../bindings/AssistantView";
import type { PlanView } from "../bindings/PlanView";
import type { SwitchOutcome } from "../bindings/SwitchOutcome";
import type { SwitchEvent } from "../bindings/SwitchEvent";
import type { BackupView } from "../bindings/BackupView";
import type { SettingsChange } from "../bindings/SettingsChange";

/** Every action resolves with its result, or with a string saying why it failed. */
export interface AssistantActions {
  plan(assistant: string, profile: string): Promise<PlanView | string>;
  apply(assistant: string, profile: string): Promise<SwitchOutcome | string>;
  back(assistant: string): Promise<SwitchOutcome | string>;
  backups(assistant: string): Promise<BackupView[] | string>;
  restore(assistant: string, name: string): Promise<string | { error: string }>;
  change(c: SettingsChange): Promise<string | null>;
  /** Ask before restoring a backup (window.confirm in the app). */
  confirm(question: string): boolean;
  /** Re-read the page, keeping `message` on top. */
  reload(message: string): void;
}

export interface AssistantsPage {
  assistants: AssistantView[];
  history: SwitchEvent[];
}

function profileName(a: AssistantView, id: string | null): string {
  if (!id) return "a custom setup";
  return a.profiles.find((p) => p.id === id)?.name ?? id;
}

function outcomeMessage(o: SwitchOutcome): string {
  return [o.summary, ...o.details].join(". ");
}

function status(): HTMLElement {
  return h("div", { class: "feedback", role: "status" });
}

function say(el: HTMLElement, text: string, error = false): void {
  el.textContent = text;
  el.className = error ? "feedback error" : "feedback ok";
}

function planBlock(a: AssistantView, plan: PlanView, act: AssistantActions, done: () => void): HTMLElement {
  const out = status();
  const apply = h("button", { type: "button", class: "primary", "data-testid": `apply-${a.id}` }, "Apply switch");
  const cancel = h("button", { type: "button" }, "Cancel");
  const block = h(
    "div",
    { class: "plan", "data-testid": `plan-${a.id}`, "data-editing": "" },
    plan.noop
      ? h("p", {}, `${a.name} is already on ${profileName(a, plan.profile)}; nothing would change.`)
      : [
          h(
            "p",
            {},
            `Switching ${a.name} from ${profileName(a, plan.from)} to ${profileName(a, plan.profile)} changes only these keys in `,
            (plan.paths.length ? plan.paths : [plan.path]).flatMap((f, i) => [i ? " and " : "", h("code", {}, f)]),
            ":",
          ),
          h("pre", { class: "diff" }, plan.diff.join("\n")),
          h("p", { class: "meta" }, "Everything else in the file stays exactly as it is. A backup is made first."),
        ],
    plan.warnings.length ? h("ul", { class: "warnings" }, plan.warnings.map((w) => h("li", {}, w))) : null,
    h("div", { class: "row" }, plan.noop ? null : apply, cancel, out),
  );
  apply.addEventListener("click", async () => {
    apply.disabled = true;
    out.textContent = "Switching…";
    const r = await act.apply(a.id, plan.profile);
    if (typeof r === "string") {
      say(out, r, true);
      apply.disabled = false;
    } else {
      act.reload(outcomeMessage(r));
    }
  });
  cancel.addEventListener("click", () => {
    block.remove();
    done();
  });
  return block;
}

function backupsBlock(a: AssistantView, act: AssistantActions): HTMLElement {
  const list = h("div", {}, h("p", { class: "meta" }, "Loading…"));
  const details = h("details", { class: "backups", "data-testid": `backups-${a.id}` }, h("summary", {}, "Backups"), list);
  let loaded = false;
  details.addEventListener("toggle", async () => {
    if (!details.open || loaded) return;
    loaded = true;
    const r = await act.backups(a.id);
    if (typeof r === "string") {
      list.replaceChildren(h("p", { class: "feedback error" }, r));
      return;
    }
    if (r.length === 0) {
      list.replaceChildren(h("p", { class: "meta" }, "No backups yet: one is made before the first write to the file."));
      return;
    }
    list.replaceChildren(
      h(
        "ul",
        { class: "backup-list" },
        r.map((b) => {
          const out = status();
          const btn = h("button", { type: "button" }, "Restore");
          btn.addEventListener("click", async () => {
            if (!act.confirm(`Put ${b.name} back in place of ${a.config ?? "the file"}? The current file is backed up first.`)) return;
            btn.disabled = true;
            const res = await act.restore(a.id, b.name);
            if (typeof res === "string") act.reload(`Restored ${a.name}'s file from ${res}`);
            else {
              say(out, res.error, true);
              btn.disabled = false;
            }
          });
          return h("li", {}, h("span", {}, `${localTime(b.created)} · ${Math.max(1, Math.round(b.size / 1024))} KiB `), h("code", { class: "meta" }, b.name), " ", btn, out);
        }),
      ),
    );
  });
  return details;
}

function fallbackRow(a: AssistantView, act: AssistantActions): HTMLElement {
  const out = status();
  const id = `fallback-${a.id}`;
  const select = h(
    "select",
    { id, "data-testid": id },
    h("option", { value: "" }, "Nothing (just notify me)"),
    a.profiles.map((p) => h("option", { value: p.id, selected: a.fallback === p.id }, p.name)),
  );
  select.addEventListener("change", async () => {
    out.textContent = "Saving…";
    const err = await act.change({ type: "fallback", assistant: a.id, profile: select.value || null });
    say(out, err ?? "Saved", !!err);
  });
  const when = a.provider ? `When ${a.provider_name ?? a.provider} is down, the notification offers` : "On an outage of the provider it uses, offer";
  return h("div", { class: "row" }, h("label", { for: id }, `${when}: `), select, out);
}

function card(a: AssistantView, act: AssistantActions, now: Date): HTMLElement {
  const el = h("section", { class: "card assistant", "data-testid": `assistant-${a.id}`, "data-active": a.active_profile ?? "" });
  el.append(
    h("h2", {}, a.name, " ", h("span", { class: "meta" }, a.installed ? "installed" : "not found on PATH")),
  );
  if (!a.switchable) {
    el.append(h("p", { class: "meta" }, `Switching ${a.name} is not available in this version of Weathervane.`));
    return el;
  }
  el.append(
    h("p", { class: "meta" }, "Settings file: ", h("code", {}, a.config ?? "?"), a.config_exists ? "" : " (does not exist yet; a switch creates it)"),
  );
  if (a.problem) {
    el.append(h("p", { class: "feedback error" }, a.problem, ". Nothing will be written to it until it parses again."));
  } else {
    el.append(h("p", { class: "on" }, "On: ", h("strong", {}, a.active_profile ? profileName(a, a.active_profile) : "a custom setup (matches no profile)")));
  }
  if (a.open_switch) {
    const out = status();
    const back = h("button", { type: "button", "data-testid": `back-${a.id}` }, `Switch back to ${profileName(a, a.open_switch.from_profile)}`);
    back.addEventListener("click", async () => {
      back.disabled = true;
      const r = await act.back(a.id);
      if (typeof r === "string") {
        say(out, r, true);
        back.disabled = false;
      } else act.reload(outcomeMessage(r));
    });
    el.append(
      h(
        "div",
        { class: "switched" },
        h("p", {}, `Switched from ${profileName(a, a.open_switch.from_profile)} to ${profileName(a, a.open_switch.to_profile)} ${ago(a.open_switch.at, now)}.`),
        h("div", { class: "row" }, back, out),
      ),
    );
  }
  const choices = a.profiles.filter((p) => p.id !== a.active_profile);
  if (!a.problem && choices.length) {
    const id = `profile-${a.id}`;
    const select = h(
      "select",
      { id, "data-testid": id },
      choices.map((p) => h("option", { value: p.id }, p.name + (p.needs_key ? " (needs a key)" : ""))),
    );
    const note = h("p", { class: "meta" });
    const showNote = () => {
      const p = a.profiles.find((x) => x.id === select.value);
      note.textContent = [p?.note, p?.needs_key ? `Store its key first: weathervane key set ${p.id}` : null].filter(Boolean).join(" ");
    };
    showNote();
    select.addEventListener("change", showNote);
    const out = status();
    const preview = h("button", { type: "button", "data-testid": `preview-${a.id}` }, "Preview switch");
    const slot = h("div", {});
    preview.addEventListener("click", async () => {
      preview.disabled = true;
      out.textContent = "Reading the file…";
      const r = await act.plan(a.id, select.value);
      out.textContent = "";
      if (typeof r === "string") {
        say(out, r, true);
        preview.disabled = false;
        return;
      }
      slot.replaceChildren(planBlock(a, r, act, () => (preview.disabled = false)));
    });
    el.append(h("div", { class: "row" }, h("label", { for: id }, "Switch to: "), select, preview, out), note, slot);
  }
  el.append(fallbackRow(a, act), backupsBlock(a, act));
  return el;
}

function historyTable(events: SwitchEvent[], names: Map<string, string>): HTMLElement {
  if (events.length === 0) return h("p", { class: "meta" }, "No switches yet.");
  const verb: Record<string, string> = { switch: "Switched", back: "Switched back", restore: "Restored a backup" };
  return h(
    "table",
    { class: "switch-history", "data-testid": "switch-history" },
    h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "Assistant"), h("th", {}, "What"), h("th", {}, "Keys changed"))),
    h(
      "tbody",
      {},
      events.map((e) =>
        h(
          "tr",
          {},
          h("td", {}, localTime(e.at)),
          h("td", {}, names.get(e.assistant) ?? e.assistant),
          h(
            "td",
            {},
            verb[e.action] ?? e.action,
            e.action === "restore" ? "" : ` ${e.from_profile ?? "custom"} → ${e.to_profile ?? "custom"}`,
            e.reverted ? h("span", { class: "meta" }, " (undone)") : null,
            e.automatic ? [" ", h("span", { class: "tag", title: "Made by a failover rule" }, "automatic")] : null,
          ),
          h("td", {}, h("code", {}, e.keys.join(", ") || "—")),
        ),
      ),
    ),
  );
}

export function renderAssistants(page: AssistantsPage, act: AssistantActions, message: string | null = null, now: Date = new Date()): HTMLElement {
  const names = new Map(page.assistants.map((a) => [a.id as string, a.name]));
  const shown = page.assistants.filter((a) => a.installed || a.config_exists || a.open_switch);
  return h(
    "div",
    { class: "assistants" },
    h("h1", {}, "Assistants"),
    message ? h("p", { class: "feedback ok", role: "status", "data-testid": "assistants-message" }, message) : null,
    h("p", { class: "meta" }, "A switch changes only the keys its profile owns; comments, order and every other setting stay as they are. Running sessions pick it up when restarted."),
    shown.length
      ? shown.map((a) => card(a, act, now))
      : empty("No coding assistant found", "Weathervane looks for Claude Code, Codex CLI, Gemini CLI and opencode on your PATH and for their settings files."),
    h("h2", {}, "Switch history"),
    historyTable(page.history, names),
  );
}
