// Settings: providers, watched components, intervals, custom pages, notification rules, autostart.
// Every control sends one SettingsChange; the app writes the config file and answers with the new view.
import { h } from "../dom";
import { slug } from "../format";
import type { SettingsView } from "../bindings/SettingsView";
import type { SettingsChange } from "../bindings/SettingsChange";
import type { ProviderSetting } from "../bindings/ProviderSetting";
import type { ProbeSetting } from "../bindings/ProbeSetting";
import type { NotificationSettings } from "../bindings/NotificationSettings";
import type { Detected } from "../bindings/Detected";

export interface SettingsActions {
  /** Save one change; resolves with an error message, or null when saved. */
  change(c: SettingsChange): Promise<string | null>;
  detect(url: string): Promise<Detected | string>;
  setAutostart(on: boolean): Promise<string | null>;
}

function feedback(): { el: HTMLElement; run: (p: Promise<string | null>) => Promise<boolean> } {
  const el = h("span", { class: "feedback", role: "status" });
  return {
    el,
    run: async (p) => {
      el.textContent = "Saving…";
      el.className = "feedback";
      const err = await p;
      el.textContent = err ?? "Saved";
      el.className = err ? "feedback error" : "feedback ok";
      return !err;
    },
  };
}

function providerRow(p: ProviderSetting, act: SettingsActions): HTMLElement {
  const fb = feedback();
  const toggle = h("input", { type: "checkbox", id: `enabled-${p.id}`, checked: p.enabled, disabled: !p.pollable });
  toggle.addEventListener("change", () => {
    void fb.run(act.change({ type: "provider_enabled", id: p.id, enabled: toggle.checked }));
  });
  const interval = h("input", {
    type: "number",
    min: 15,
    max: 86400,
    step: 15,
    value: p.interval_secs,
    id: `interval-${p.id}`,
    "aria-label": `${p.name} check interval in seconds`,
  });
  interval.addEventListener("change", () => {
    void fb.run(act.change({ type: "interval", id: p.id, interval_secs: Number(interval.value) }));
  });
  const watched = new Set(p.watch.map((w) => w.toLowerCase()));
  const isWatched = (id: string, name: string) => watched.size === 0 || watched.has(id.toLowerCase()) || watched.has(name.toLowerCase());
  const picker =
    p.components.length === 0
      ? h("p", { class: "meta" }, p.watch.length ? `Watching: ${p.watch.join(", ")}. ` : "", "Not polled yet — components appear after the first check.")
      : h(
          "fieldset",
          { class: "watch" },
          h("legend", {}, "Watched components (none ticked = all)"),
          p.components.map((c) => {
            const box = h("input", { type: "checkbox", value: c.name, checked: watched.size > 0 && isWatched(c.id, c.name) });
            box.addEventListener("change", () => {
              const fs = box.closest("fieldset");
              const names = fs ? [...fs.querySelectorAll<HTMLInputElement>("input:checked")].map((b) => b.value) : [];
              void fb.run(act.change({ type: "watch", id: p.id, watch: names }));
            });
            return h("label", { class: "check" }, box, c.name);
          }),
        );
  return h(
    "details",
    { class: "provider-setting", "data-testid": `setting-${p.id}` },
    h(
      "summary",
      {},
      h("span", { class: "pname" }, p.name),
      h("span", { class: "meta" }, ` ${p.kind} · ${p.enabled ? "on" : "off"}${p.pollable ? "" : " · cannot be polled"}${p.probe?.enabled ? " · API probe on" : ""}`),
    ),
    p.note ? h("p", { class: "meta" }, p.note) : null,
    p.probe ? probeRow(p.probe) : null,
    h("div", { class: "row" }, h("label", { for: `enabled-${p.id}`, class: "check" }, toggle, "Check this provider"), fb.el),
    h("div", { class: "row" }, h("label", { for: `interval-${p.id}` }, "Check every (seconds) "), interval),
    h("p", { class: "meta" }, p.url),
    picker,
  );
}

/** The probe is edited on the Early warning page; here it is only named. */
function probeRow(probe: ProbeSetting): HTMLElement {
  return h(
    "p",
    { class: "probe-setting", "data-testid": "probe-setting" },
    "API probe: ",
    h("strong", {}, probe.enabled ? "on" : "off"),
    probe.enabled ? ` (${probe.key ? `key from keyring entry ${probe.key}` : "no key"})` : "",
    " · ",
    h("a", { href: "#/probes" }, probe.enabled ? "See it on Early warning" : "Turn it on in Early warning"),
  );
}

function addCustom(act: SettingsActions): HTMLElement {
  const url = h("input", { type: "url", id: "custom-url", placeholder: "https://status.example.com", required: true, "aria-label": "Status page address" });
  const out = h("div", { class: "detect-result", role: "status" });
  const form = h(
    "form",
    { class: "add-custom" },
    h("label", { for: "custom-url" }, "Add a status page by address"),
    h("div", { class: "row" }, url, h("button", { type: "submit" }, "Detect")),
    out,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.textContent = "Looking at the page…";
    const d = await act.detect(url.value);
    out.textContent = "";
    if (typeof d === "string") {
      out.append(h("p", { class: "feedback error" }, d));
      return;
    }
    const name = h("input", { type: "text", value: d.name ?? "", id: "custom-name", required: true });
    const id = h("input", { type: "text", value: slug(d.name ?? ""), id: "custom-id", pattern: "[a-z0-9-]+", required: true });
    name.addEventListener("input", () => (id.value = slug(name.value)));
    const fb = feedback();
    const confirm = h("button", { type: "button" }, "Add");
    confirm.addEventListener("click", () => {
      void fb.run(act.change({ type: "add_provider", id: id.value, name: name.value || id.value, kind: d.kind, url: d.url }));
    });
    out.append(
      h("p", {}, `Found a ${d.kind} page with ${d.components} component${d.components === 1 ? "" : "s"} at ${d.url}.`),
      h("div", { class: "row" }, h("label", { for: "custom-name" }, "Name "), name),
      h("div", { class: "row" }, h("label", { for: "custom-id" }, "Id "), id),
      h("div", { class: "row" }, confirm, fb.el),
    );
  });
  return form;
}

export function notificationChange(n: NotificationSettings, form: HTMLFormElement): SettingsChange {
  const get = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
  const quiet = get("quiet_on").checked ? `${get("quiet_from").value}-${get("quiet_to").value}` : null;
  return {
    type: "notifications",
    settings: {
      ...n,
      confirmations: Number(get("confirmations").value),
      cooldown_secs: Number(get("cooldown_min").value) * 60,
      quiet_hours: quiet,
      notify_degraded: get("notify_degraded").checked,
      notify_maintenance: get("notify_maintenance").checked,
      muted: [...form.querySelectorAll<HTMLInputElement>("input[name=muted]:checked")].map((b) => b.value),
    },
  };
}

function notifications(v: SettingsView, act: SettingsActions): HTMLElement {
  const n = v.notifications;
  const [from, to] = (n.quiet_hours ?? "22:00-07:00").split("-");
  const fb = feedback();
  const form = h(
    "form",
    { class: "notifications" },
    h("div", { class: "row" }, h("label", { for: "confirmations" }, "Confirm a change over "), h("input", { type: "number", id: "confirmations", name: "confirmations", min: 1, max: 10, value: n.confirmations }), " checks"),
    h("div", { class: "row" }, h("label", { for: "cooldown_min" }, "At most one outage notification per provider every "), h("input", { type: "number", id: "cooldown_min", name: "cooldown_min", min: 0, max: 1440, value: Math.round(n.cooldown_secs / 60) }), " min"),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "notify_degraded", checked: n.notify_degraded }), "Notify on degraded performance (outages always notify)"),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "notify_maintenance", checked: n.notify_maintenance }), "Notify when maintenance starts"),
    h(
      "div",
      { class: "row" },
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "quiet_on", checked: n.quiet_hours !== null }), "Quiet hours from "),
      h("input", { type: "time", name: "quiet_from", value: from, "aria-label": "Quiet hours start" }),
      " to ",
      h("input", { type: "time", name: "quiet_to", value: to, "aria-label": "Quiet hours end" }),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Never notify about"),
      v.providers.filter((p) => p.enabled).map((p) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "muted", value: p.id, checked: n.muted.includes(p.id) }), p.name)),
    ),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Save notification rules"), fb.el),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void fb.run(act.change(notificationChange(n, form)));
  });
  return form;
}

/** Early warning from the assistants' own session files, one switch per assistant. */
function sessionsSettings(v: SettingsView, act: SettingsActions): HTMLElement {
  return h(
    "fieldset",
    { class: "sessions-settings", "data-testid": "sessions-settings" },
    h("legend", {}, "Early warning from your own sessions"),
    h(
      "p",
      { class: "meta" },
      "Read the failed calls your assistants record in their session files on this machine (time, status code, kind of error; never what you wrote). Nothing leaves this machine.",
    ),
    v.sessions.map((s) => {
      const fb = feedback();
      const box = h("input", { type: "checkbox", id: `sessions-${s.assistant}`, checked: s.enabled });
      box.addEventListener("change", () => {
        void fb.run(act.change({ type: "sessions", assistant: s.assistant, enabled: box.checked }));
      });
      return h("div", { class: "row" }, h("label", { for: `sessions-${s.assistant}`, class: "check" }, box, s.name), fb.el);
    }),
  );
}

export function renderSettings(v: SettingsView, act: SettingsActions): HTMLElement {
  const auto = h("input", { type: "checkbox", id: "autostart", checked: v.autostart });
  const autoFb = feedback();
  auto.addEventListener("change", () => void autoFb.run(act.setAutostart(auto.checked)));
  const enabled = v.providers.filter((p) => p.enabled);
  const disabled = v.providers.filter((p) => !p.enabled);
  return h(
    "section",
    { class: "settings" },
    h("div", { class: "page-head" }, h("h1", {}, "Settings")),
    h("p", { class: "meta" }, "Saved to ", h("code", {}, v.config_path), v.config_exists ? "" : " (created on the first change)", ". Comments in the file are kept."),
    h("h2", {}, "General"),
    h("div", { class: "row" }, h("label", { for: "autostart", class: "check" }, auto, "Start Weathervane when I log in"), autoFb.el),
    sessionsSettings(v, act),
    h("h2", {}, `Providers (${enabled.length} on)`),
    enabled.map((p) => providerRow(p, act)),
    disabled.length > 0 ? h("details", { class: "off" }, h("summary", {}, `${disabled.length} more available`), disabled.map((p) => providerRow(p, act))) : null,
    addCustom(act),
    h("h2", {}, "Notifications"),
    notifications(v, act),
  );
}
