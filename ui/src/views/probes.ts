// Early warning: what Weathervane's own API probes measure beside each status page, how
// often they saw an incident before the page did, which providers could be probed, and
// the automatic failover rules.
import { h } from "../dom";
import { formatDuration, leadWords, localTime } from "../format";
import { empty, measuredLine, sessionsLine, statusBadge } from "./common";
import { errorChart, latencyChart, slotPoints, spanWords } from "./charts";
import type { ProbesView } from "../bindings/ProbesView";
import type { ProbedProvider } from "../bindings/ProbedProvider";
import type { ProbeChoice } from "../bindings/ProbeChoice";
import type { LeadSummary } from "../bindings/LeadSummary";
import type { FailoverRuleView } from "../bindings/FailoverRuleView";
import type { FailoverRuleInput } from "../bindings/FailoverRuleInput";
import type { AssistantView } from "../bindings/AssistantView";
import type { SettingsChange } from "../bindings/SettingsChange";

export type Hours = 24 | 168;

export interface ProbesActions {
  /** Save one change; resolves with an error message, or null when saved. */
  change(c: SettingsChange): Promise<string | null>;
  /** Re-read the page over another period. */
  setHours(hours: Hours): void;
  /** Re-read the page, keeping `message` on top. */
  reload(message: string): void;
}

export interface ProbesPage {
  view: ProbesView;
  /** The assistants and their profiles (for the rules), or why they could not be read. */
  assistants: AssistantView[] | string;
}

function feedback(): HTMLElement {
  return h("span", { class: "feedback", role: "status" });
}

function say(el: HTMLElement, text: string, error = false): void {
  el.textContent = text;
  el.className = error ? "feedback error" : "feedback ok";
}

/** Background refreshes leave a form alone once the user has touched it. */
function holdWhileEditing(form: HTMLElement): void {
  const mark = () => form.setAttribute("data-editing", "");
  form.addEventListener("input", mark);
  form.addEventListener("change", mark);
}

/** Send a change; on success re-read the page, on failure say why and keep what was typed. */
async function save(act: ProbesActions, c: SettingsChange, button: HTMLButtonElement, out: HTMLElement, done: string): Promise<void> {
  button.disabled = true;
  out.className = "feedback";
  out.textContent = "Saving…";
  const err = await act.change(c);
  if (err) {
    say(out, err, true);
    button.disabled = false;
  } else {
    act.reload(done);
  }
}

function periodToggle(hours: number, act: ProbesActions): HTMLElement {
  const choices: [Hours, string][] = [
    [24, "24 h"],
    [168, "7 d"],
  ];
  return h(
    "div",
    { class: "toggle", role: "group", "aria-label": "Period shown" },
    choices.map(([n, label]) =>
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          "aria-pressed": String(hours === n),
          "data-testid": `hours-${n}`,
          onclick: () => {
            if (hours !== n) act.setHours(n);
          },
        },
        label,
      ),
    ),
  );
}

// ---- Detection lead ----

/** "Seen first in 1 of 2 incidents · median lead 8 min". */
export function leadSummaryWords(l: LeadSummary): string {
  const m = l.median_lead_secs;
  const median =
    m === null
      ? "no incident seen by the probes yet"
      : m > 0
        ? `median lead ${formatDuration(m)}`
        : m < 0
          ? `median: the status page was first by ${formatDuration(-m)}`
          : "median lead 0 min (same time as the page)";
  if (l.incidents === 0) return "No incident seen by the probes yet";
  return `Seen first in ${l.seen_first} of ${l.incidents} incident${l.incidents === 1 ? "" : "s"} · ${median}`;
}

function leadsBlock(p: ProbedProvider, now: Date): HTMLElement {
  const recent = p.leads.recent.slice(0, 5);
  return h(
    "div",
    { class: "leads", "data-testid": `leads-${p.id}` },
    h("h3", {}, "Detection lead (last 90 days)"),
    h("p", { class: "lead-summary" }, leadSummaryWords(p.leads)),
    recent.length
      ? h(
          "ul",
          { class: "lead-list" },
          recent.map((l) =>
            h(
              "li",
              { "data-testid": `lead-${l.incident_id}` },
              h("span", { class: "lead-title" }, l.title),
              h("span", { class: "meta" }, ` · started ${localTime(l.started_at, now)} · `),
              h("span", { class: l.probed && l.lead_secs !== null && l.lead_secs > 0 ? "lead-first" : "" }, leadWords(l.lead_secs, l.probed)),
            ),
          ),
        )
      : null,
  );
}

// ---- Probed providers ----

function probedBlock(p: ProbedProvider, view: ProbesView, act: ProbesActions, now: Date): HTMLElement {
  const out = feedback();
  const off = h("button", { type: "button", class: "secondary", "data-testid": `probe-off-${p.id}` }, "Turn off");
  off.addEventListener("click", () => {
    void save(act, { type: "probe", id: p.id, enabled: false, key: p.key }, off, out, `Stopped probing ${p.name}.`);
  });
  const slots = slotPoints(p.points, view);
  return h(
    "section",
    { class: `card probe status-${p.verdict.status}`, "data-testid": `probe-${p.id}`, "aria-label": p.name },
    h("header", {}, h("h2", {}, p.name), h("div", { class: "row" }, out, off)),
    measuredLine(p.official, p.verdict),
    h(
      "p",
      { class: "meta probe-target" },
      "Request: ",
      h("code", {}, p.url),
      ` · ${p.key ? `key from keyring entry ${p.key}` : "no key (an answer of 401 still proves the service is up)"}`,
      ` · every ${formatDuration(p.interval_secs)}`,
    ),
    p.points.length === 0
      ? h("p", { class: "meta no-data", "data-testid": `no-data-${p.id}` }, "No measurements in this period yet.")
      : h("div", { class: "charts" }, latencyChart(p, slots, view, now), errorChart(p, slots, view, now)),
    leadsBlock(p, now),
  );
}

// ---- Providers that could be probed ----

function availableItem(c: ProbeChoice, act: ProbesActions): HTMLElement {
  const out = feedback();
  const button = h("button", { type: "submit" }, "Turn on probe");
  const keyId = `probe-key-${c.id}`;
  const helpId = `${keyId}-help`;
  const key =
    c.auth === "none"
      ? null
      : h("input", {
          type: "text",
          id: keyId,
          name: "key",
          placeholder: `${c.id}-probe`,
          autocomplete: "off",
          spellcheck: "false",
          "aria-describedby": helpId,
        });
  const command = h("code", {}, `weathervane key set ${c.id}-probe`);
  key?.addEventListener("input", () => {
    command.textContent = `weathervane key set ${key.value.trim() || `${c.id}-probe`}`;
  });
  const form = h(
    "form",
    { class: "probe-on", "data-testid": `probe-on-${c.id}` },
    h("div", { class: "row" }, h("strong", {}, c.name), h("code", { class: "meta" }, c.url)),
    key
      ? [
          h("div", { class: "row" }, h("label", { for: keyId }, "Keyring entry name (optional) "), key, button, out),
          h("p", { class: "meta", id: helpId }, "Store the key with ", command, " (the key itself never goes in the config). Leave the name empty to probe without a key: an answer of 401 still proves the service is up."),
        ]
      : [h("div", { class: "row" }, button, out), h("p", { class: "meta" }, "This probe needs no key.")],
  );
  holdWhileEditing(form);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const name = key?.value.trim() || null;
    void save(act, { type: "probe", id: c.id, enabled: true, key: name }, button, out, `Probing ${c.name} now; the first verdict comes after a few requests.`);
  });
  return h("li", {}, form);
}

function availableSection(view: ProbesView, act: ProbesActions): HTMLElement {
  return h(
    "section",
    { class: "available", "data-testid": "available" },
    h("h2", {}, "Providers you can probe"),
    view.available.length
      ? h("ul", { class: "available-list" }, view.available.map((c) => availableItem(c, act)))
      : h("p", { class: "meta" }, "Every enabled provider with a known probe is probed already. Providers are turned on in ", h("a", { href: "#/settings" }, "Settings"), "."),
  );
}

// ---- Failover rules ----

/** "When Anthropic has a partial or major outage, switch Claude Code to OpenRouter; switch back after 10 min healthy." */
export function ruleWords(r: FailoverRuleView): string {
  return `When ${r.provider_name} has a partial or major outage, switch ${r.assistant_name} to ${r.to_name}; switch back after ${formatDuration(r.back_after_secs)} healthy.`;
}

function ruleDetails(r: FailoverRuleView): string {
  const after = r.after_secs > 0 ? `A measured outage must last ${formatDuration(r.after_secs)} first` : "A measured outage counts at once";
  return `${after}; an outage on the status page counts at once. At least ${formatDuration(r.min_dwell_secs)} between two automatic switches.`;
}

function ruleInput(r: FailoverRuleView, over: Partial<FailoverRuleInput> = {}): FailoverRuleInput {
  return {
    provider: r.provider,
    to: r.to,
    after_secs: r.after_secs,
    back_after_secs: r.back_after_secs,
    min_dwell_secs: r.min_dwell_secs,
    enabled: r.enabled,
    ...over,
  };
}

/** Every provider a rule could watch, id → name (the id where no name is known). */
export function providerChoices(view: ProbesView, assistants: AssistantView[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const p of [...view.providers, ...view.available]) names.set(p.id, p.name);
  for (const r of view.rules) names.set(r.provider, r.provider_name);
  for (const a of assistants) if (a.provider && a.provider_name) names.set(a.provider, a.provider_name);
  const ids = new Set<string>([
    ...assistants.flatMap((a) => a.profiles.map((p) => p.provider).filter((p): p is string => !!p)),
    ...view.providers.map((p) => p.id),
    ...view.available.map((p) => p.id),
  ]);
  return new Map([...ids].map((id) => [id, names.get(id) ?? id] as [string, string]).sort((a, b) => a[1].localeCompare(b[1])));
}

function minutesInput(id: string, name: string, label: string, secs: number): HTMLElement {
  return h(
    "div",
    { class: "row" },
    h("label", { for: id }, label),
    h("input", { type: "number", id, name, min: 0, max: 1440, step: "any", value: Math.round((secs / 60) * 100) / 100, required: true }),
    " min",
  );
}

function select(id: string, name: string, options: [string, string][], selected: string | null, disabled = false): HTMLSelectElement {
  return h(
    "select",
    { id, name, disabled },
    options.map(([value, label]) => h("option", { value, selected: value === selected }, label)),
  );
}

/** The add form (rule null) or the edit form of one assistant's rule. */
function ruleForm(view: ProbesView, assistants: AssistantView[], act: ProbesActions, rule: FailoverRuleView | null, cancel?: () => void): HTMLFormElement {
  const sfx = rule ? rule.assistant : "new";
  const switchable = assistants.filter((a) => a.switchable && a.profiles.length > 1);
  const hasRule = new Set(view.rules.map((r) => r.assistant as string));
  const assistantOptions: [string, string][] = rule
    ? [[rule.assistant, rule.assistant_name]]
    : switchable.map((a) => [a.id, a.name + (hasRule.has(a.id) ? " (replaces its rule)" : "")]);
  const first = rule ? null : switchable.find((a) => !hasRule.has(a.id)) ?? switchable[0];
  const assistant = select(`rule-assistant-${sfx}`, "assistant", assistantOptions, rule?.assistant ?? first?.id ?? null, !!rule);
  const providers = providerChoices(view, assistants);
  if (rule && !providers.has(rule.provider)) providers.set(rule.provider, rule.provider_name);
  const provider = select(`rule-provider-${sfx}`, "provider", [...providers], rule?.provider ?? first?.provider ?? null);
  const to = h("select", { id: `rule-to-${sfx}`, name: "to" });
  const enabled = h("input", { type: "checkbox", name: "enabled", checked: rule ? rule.enabled : true });
  const out = feedback();
  const submit = h("button", { type: "submit", class: "primary" }, rule ? "Save rule" : "Add rule");

  const fillProfiles = () => {
    const a = assistants.find((x) => x.id === assistant.value);
    const keep = to.value || rule?.to || null;
    let choices: [string, string][] = (a?.profiles ?? []).filter((p) => p.provider !== provider.value).map((p) => [p.id, p.name]);
    if (rule && !a && rule.to) choices = [[rule.to, rule.to_name]];
    to.replaceChildren(
      ...(choices.length
        ? choices.map(([id, name]) => h("option", { value: id, selected: id === keep }, name))
        : [h("option", { value: "" }, "No profile on another provider")]),
    );
    submit.disabled = choices.length === 0;
  };
  assistant.addEventListener("change", () => {
    const a = assistants.find((x) => x.id === assistant.value);
    if (a?.provider && providers.has(a.provider)) provider.value = a.provider;
    fillProfiles();
  });
  provider.addEventListener("change", fillProfiles);
  fillProfiles();

  const form = h(
    "form",
    { class: "rule-form", "data-testid": `rule-form-${sfx}` },
    rule ? null : h("h3", {}, "Add a rule"),
    h("div", { class: "row" }, h("label", { for: assistant.id }, "Assistant "), assistant),
    h("div", { class: "row" }, h("label", { for: provider.id }, "When this provider has a partial or major outage "), provider),
    h("div", { class: "row" }, h("label", { for: to.id }, "switch to "), to),
    minutesInput(`rule-after-${sfx}`, "after", "A measured outage must last ", rule?.after_secs ?? 300),
    minutesInput(`rule-back-${sfx}`, "back_after", "Switch back after healthy for ", rule?.back_after_secs ?? 600),
    minutesInput(`rule-dwell-${sfx}`, "min_dwell", "Never two automatic switches closer than ", rule?.min_dwell_secs ?? 600),
    h("label", { class: "check" }, enabled, "Rule enabled"),
    h("div", { class: "row" }, submit, cancel ? h("button", { type: "button", class: "secondary", onclick: cancel }, "Cancel") : null, out),
  );
  holdWhileEditing(form);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const secs = (name: string): number | null => {
      const el = form.elements.namedItem(name) as HTMLInputElement;
      const n = el.value.trim() === "" ? NaN : Number(el.value);
      return Number.isFinite(n) && n >= 0 ? Math.round(n * 60) : null;
    };
    const [after, back, dwell] = [secs("after"), secs("back_after"), secs("min_dwell")];
    if (after === null || back === null || dwell === null) {
      say(out, "Minutes must be numbers, 0 or more.", true);
      return;
    }
    const input: FailoverRuleInput = { provider: provider.value, to: to.value, after_secs: after, back_after_secs: back, min_dwell_secs: dwell, enabled: enabled.checked };
    const who = assistant.selectedOptions[0]?.textContent?.replace(/ \(replaces its rule\)$/, "") ?? assistant.value;
    void save(act, { type: "failover", assistant: assistant.value, rule: input }, submit, out, rule ? `Saved the rule for ${who}.` : `Added a failover rule for ${who}.`);
  });
  return form;
}

function ruleItem(r: FailoverRuleView, view: ProbesView, assistants: AssistantView[] | string, act: ProbesActions): HTMLElement {
  const out = feedback();
  const edit = h("button", { type: "button", class: "secondary", "data-testid": `rule-edit-${r.assistant}` }, "Edit");
  const toggle = h("button", { type: "button", class: "secondary", "data-testid": `rule-toggle-${r.assistant}` }, r.enabled ? "Disable" : "Enable");
  const remove = h("button", { type: "button", class: "secondary", "data-testid": `rule-remove-${r.assistant}` }, "Remove");
  const slot = h("div", {});
  const li = h(
    "li",
    { class: r.enabled ? "rule" : "rule disabled", "data-testid": `rule-${r.assistant}` },
    h("p", { class: "rule-words" }, ruleWords(r), r.enabled ? null : [" ", h("span", { class: "tag" }, "disabled")]),
    h("p", { class: "meta" }, ruleDetails(r)),
    h("div", { class: "row" }, edit, toggle, remove, out),
    slot,
  );
  edit.addEventListener("click", () => {
    edit.disabled = true;
    const form = ruleForm(view, typeof assistants === "string" ? [] : assistants, act, r, () => {
      slot.replaceChildren();
      edit.disabled = false;
      edit.focus();
    });
    slot.replaceChildren(form);
    form.querySelector<HTMLElement>("select:not([disabled])")?.focus();
  });
  toggle.addEventListener("click", () => {
    const c: SettingsChange = { type: "failover", assistant: r.assistant, rule: ruleInput(r, { enabled: !r.enabled }) };
    void save(act, c, toggle, out, `${r.enabled ? "Disabled" : "Enabled"} the rule for ${r.assistant_name}.`);
  });
  remove.addEventListener("click", () => {
    void save(act, { type: "failover", assistant: r.assistant, rule: null }, remove, out, `Removed the rule for ${r.assistant_name}.`);
  });
  return li;
}

function rulesSection(page: ProbesPage, act: ProbesActions): HTMLElement {
  const { view, assistants } = page;
  return h(
    "section",
    { class: "rules", "data-testid": "rules" },
    h("h2", {}, "Automatic failover"),
    h(
      "p",
      {},
      "Failover is off unless a rule exists. A rule switches an assistant to another profile when a provider has a partial or major outage: at once when its status page says so, or once the probes have measured the outage for as long as the rule says. Degraded performance and rate limits never trigger it.",
    ),
    h(
      "p",
      {},
      "A manual switch always wins: while you have switched an assistant yourself, its rule does nothing. Every automatic switch is notified and can be undone with one click (Switch back, in the notification or on the ",
      h("a", { href: "#/assistants" }, "Assistants"),
      " page).",
    ),
    view.rules.length
      ? h("ul", { class: "rule-list" }, view.rules.map((r) => ruleItem(r, view, assistants, act)))
      : h("p", { class: "meta", "data-testid": "no-rules" }, "No rules: Weathervane never switches an assistant by itself."),
    typeof assistants === "string"
      ? h("p", { class: "feedback error" }, `The assistants could not be read, so no rule can be added: ${assistants}`)
      : assistants.some((a) => a.switchable && a.profiles.length > 1)
        ? ruleForm(view, assistants, act, null)
        : h("p", { class: "meta" }, "No assistant with a second profile to switch to was found."),
  );
}

// ---- The user's own sessions ----

function sessionsSection(view: ProbesView): HTMLElement {
  const followed = view.sessions_followed;
  return h(
    "section",
    { class: "own-sessions", "aria-labelledby": "own-sessions-h", "data-testid": "own-sessions" },
    h("h2", { id: "own-sessions-h" }, "Your own sessions"),
    h(
      "p",
      { class: "meta" },
      followed.length
        ? `Weathervane reads the failed calls that ${followed.join(", ")} record in their session files on this machine (the time, the status code and the kind of error; never what you wrote). Nothing leaves this machine. Only trouble on the provider's side can make an outage; your own limits and network are shown for what they are.`
        : "Reading your assistants' session files is turned off in the config ([sessions]).",
    ),
    view.sessions.length
      ? view.sessions.map((s) =>
          h(
            "article",
            { class: `card status-${s.verdict.status}`, "data-testid": `sessions-${s.id}`, "aria-label": s.name },
            h("header", {}, h("h3", {}, s.name)),
            h("p", { class: "meta" }, "Official: ", statusBadge(s.official)),
            sessionsLine(s.verdict),
          ),
        )
      : followed.length
        ? h("p", { class: "meta", "data-testid": "sessions-calm" }, "No failed calls in your sessions in the last 10 minutes.")
        : null,
  );
}

// ---- The page ----

export function renderProbes(page: ProbesPage, act: ProbesActions, message: string | null = null, now: Date = new Date()): HTMLElement {
  const { view } = page;
  return h(
    "section",
    { class: "probes" },
    h("div", { class: "page-head" }, h("h1", {}, "Early warning"), periodToggle(view.hours, act)),
    message ? h("p", { class: "feedback ok", role: "status", "data-testid": "probes-message" }, message) : null,
    view.offline ? h("div", { class: "banner offline", role: "status" }, "You appear to be offline — nothing is measured until the network is back; nothing is counted as down.") : null,
    h(
      "p",
      { class: "meta" },
      `Weathervane sends each probed provider one small request at a regular interval and compares what it measures with what the status page says. Charts show the last ${spanWords(view.hours)}; a 429 (rate limited) shows the service is answering and never counts as an outage.`,
    ),
    sessionsSection(view),
    view.providers.length
      ? view.providers.map((p) => probedBlock(p, view, act, now))
      : empty("No provider is probed yet: turn one on below", "A probe measures errors and latency with your own requests, often before the status page says anything."),
    availableSection(view, act),
    rulesSection(page, act),
  );
}
