// The dashboard shell: navigation, loading/error states, and re-reading on change events.
import { errorMessage, type Backend } from "./api";
import { h } from "./dom";
import { errorState, loading } from "./views/common";
import { renderOverview } from "./views/overview";
import { renderHistory } from "./views/history";
import { renderSettings } from "./views/settings";
import { renderAssistants, type AssistantActions } from "./views/assistants";
import { renderProbes, type Hours, type ProbesActions } from "./views/probes";

export type Page = "overview" | "history" | "probes" | "assistants" | "settings";

export function pageFromHash(hash: string): Page {
  const p = hash.replace(/^#\/?/, "");
  return p === "history" || p === "probes" || p === "settings" || p === "assistants" ? p : "overview";
}

/** What the loading state calls each page. */
const PAGE_WORDS: Record<Page, string> = {
  overview: "overview",
  history: "history",
  probes: "early warning",
  assistants: "assistants",
  settings: "settings",
};

/** Run a call; a rejection becomes the words to show. */
async function orMessage<T>(p: Promise<T>): Promise<T | string> {
  try {
    return await p;
  } catch (e) {
    return errorMessage(e);
  }
}

export function mountApp(root: HTMLElement, backend: Backend): { render: () => Promise<void> } {
  const main = h("main", { id: "main", tabindex: -1 });
  const links: Record<Page, HTMLAnchorElement> = {
    overview: h("a", { href: "#/overview", "data-testid": "nav-overview" }, "Overview"),
    history: h("a", { href: "#/history", "data-testid": "nav-history" }, "History"),
    probes: h("a", { href: "#/probes", "data-testid": "nav-probes" }, "Early warning"),
    assistants: h("a", { href: "#/assistants", "data-testid": "nav-assistants" }, "Assistants"),
    settings: h("a", { href: "#/settings", "data-testid": "nav-settings" }, "Settings"),
  };
  root.replaceChildren(
    h("a", { class: "skip", href: "#main", onclick: (e: Event) => { e.preventDefault(); main.focus(); } }, "Skip to content"),
    h("nav", { "aria-label": "Pages" }, h("span", { class: "brand" }, "Weathervane"), Object.values(links)),
    main,
  );
  let generation = 0;
  // Settings stay put while the user edits them; only a navigation re-renders that page.
  let lastPage: Page | null = null;
  // What the last switch did, shown on top of the re-read Assistants page.
  let flash: string | null = null;
  const assistantActions: AssistantActions = {
    plan: (a, p) => orMessage(backend.planSwitch(a, p)),
    apply: (a, p) => orMessage(backend.switchAssistant(a, p)),
    back: (a) => orMessage(backend.switchBack(a)),
    backups: (a) => orMessage(backend.backups(a)),
    restore: async (a, name) => {
      const r = await orMessage(backend.restoreBackup(a, name).then((path) => ({ path })));
      return typeof r === "string" ? { error: r } : r.path;
    },
    change: async (c) => {
      const r = await orMessage(backend.updateSettings(c));
      return typeof r === "string" ? r : null;
    },
    confirm: (q) => window.confirm(q),
    reload: (message) => {
      flash = message;
      void render(true);
    },
  };
  // The Early warning page's period, and what its last change did.
  let probeHours: Hours = 24;
  let probeFlash: string | null = null;
  const probeActions: ProbesActions = {
    change: async (c) => {
      const r = await orMessage(backend.updateSettings(c));
      return typeof r === "string" ? r : null;
    },
    setHours: (hours) => {
      probeHours = hours;
      void render(true);
    },
    reload: (message) => {
      probeFlash = message;
      void render(true);
    },
  };

  async function render(force = false): Promise<void> {
    const page = pageFromHash(location.hash);
    const mine = ++generation;
    for (const [p, a] of Object.entries(links)) {
      if (p === page) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    const firstShow = lastPage !== page;
    lastPage = page;
    if (firstShow) main.replaceChildren(loading(PAGE_WORDS[page]));
    // A re-read of the same page keeps the keyboard where it was (the period toggle, say).
    const focused = !firstShow && document.activeElement instanceof HTMLElement && main.contains(document.activeElement)
      ? document.activeElement.dataset.testid
      : undefined;
    try {
      let view: HTMLElement;
      if (page === "history") {
        view = renderHistory(await backend.history(90));
      } else if (page === "probes") {
        // A key name or a rule the user is typing is not swept away by a background poll.
        if (!firstShow && !force && main.querySelector("[data-editing]")) return;
        const [probes, assistants] = await Promise.all([backend.probes(probeHours), orMessage(backend.assistants())]);
        view = renderProbes({ view: probes, assistants }, probeActions, probeFlash);
        probeFlash = null;
      } else if (page === "assistants") {
        // A preview the user is reading is not swept away by a background poll.
        if (!firstShow && !force && main.querySelector("[data-editing]")) return;
        const [assistants, history] = await Promise.all([backend.assistants(), backend.switchHistory()]);
        view = renderAssistants({ assistants, history }, assistantActions, flash);
        flash = null;
      } else if (page === "settings") {
        if (!firstShow) return;
        view = renderSettings(await backend.settings(), {
          change: async (c) => {
            try {
              await backend.updateSettings(c);
              return null;
            } catch (e) {
              return errorMessage(e);
            }
          },
          detect: async (url) => {
            try {
              return await backend.detectSource(url);
            } catch (e) {
              return errorMessage(e);
            }
          },
          setAutostart: async (on) => {
            try {
              await backend.setAutostart(on);
              return null;
            } catch (e) {
              return errorMessage(e);
            }
          },
        });
      } else {
        view = renderOverview(await backend.overview(), {
          refresh: () => void backend.refreshNow(),
          openStatusPage: (id) => void backend.openStatusPage(id).catch(() => undefined),
        });
      }
      if (mine === generation) {
        main.replaceChildren(view);
        if (focused) [...main.querySelectorAll<HTMLElement>("[data-testid]")].find((e) => e.dataset.testid === focused)?.focus();
      }
    } catch (e) {
      if (mine === generation) {
        main.replaceChildren(errorState(errorMessage(e), () => { lastPage = null; void render(); }));
      }
    }
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void render(), 300);
  };
  window.addEventListener("hashchange", () => void render());
  void backend.onChanged(soon).catch(() => undefined);
  void render();
  return { render };
}
