import { defineConfig } from "vitest/config";

// The dashboard runs under a strict CSP (see src-tauri/tauri.conf.json): no inline
// scripts or styles, no remote content. Vite's build emits only files for both.
export default defineConfig({
  clearScreen: false,
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.ts"],
  },
});
