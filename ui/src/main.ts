import "./style.css";
import { inTauri, tauriBackend } from "./api";
import { mountApp } from "./app";
import { h } from "./dom";

const root = document.getElementById("app");
if (root) {
  if (inTauri()) {
    void tauriBackend().then((b) => mountApp(root, b));
  } else if (import.meta.env.DEV) {
    // `npm run dev` in a browser: sample data to work on the layout. Never in a build.
    void import("./demo/backend").then(({ devBackend }) => mountApp(root, devBackend()));
  } else {
    root.replaceChildren(
      h("div", { class: "state error", role: "alert" }, h("h2", {}, "Open this page from the Weathervane app"), h("p", {}, "The dashboard reads its data from the app; in a browser it has nothing to show.")),
    );
  }
}
