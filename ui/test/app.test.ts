import { describe, expect, it } from "vitest";
import { mountApp, pageFromHash } from "../src/app";
import { devBackend } from "../src/demo/backend";

describe("app shell", () => {
  it("routes by hash, defaulting to the overview", () => {
    expect(pageFromHash("")).toBe("overview");
    expect(pageFromHash("#/history")).toBe("history");
    expect(pageFromHash("#/nonsense")).toBe("overview");
  });
  it("shows the backend's error message and retries", async () => {
    location.hash = "#/overview";
    const root = document.createElement("div");
    let fail = true;
    const b = devBackend();
    const overview = b.overview;
    b.overview = async () => {
      if (fail) throw { kind: "store", message: "cannot open the history database: disk full" };
      return overview();
    };
    mountApp(root, b);
    await expect.poll(() => root.textContent).toContain("disk full");
    fail = false;
    root.querySelector<HTMLButtonElement>(".state.error button")!.click();
    await expect.poll(() => root.querySelector("[data-testid=provider-anthropic]")).not.toBeNull();
    expect(root.querySelector("[aria-current=page]")!.textContent).toBe("Overview");
  });
});
