import { describe, expect, it } from "vitest";
import { ago, formatDuration, formatMs, formatUptime, leadWords, slug } from "../src/format";

describe("format", () => {
  it("writes durations the way the notifications do", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(59)).toBe("59 s");
    expect(formatDuration(60)).toBe("1 min");
    expect(formatDuration(72 * 60)).toBe("1 h 12 min");
    expect(formatDuration(3 * 3600)).toBe("3 h");
    expect(formatDuration(26 * 3600)).toBe("1 d 2 h");
    expect(formatDuration(-5)).toBe("0 s");
  });
  it("says how long ago, and never for missing times", () => {
    const now = new Date("2026-11-25T12:00:00Z");
    expect(ago(null, now)).toBe("never");
    expect(ago("2026-11-25T11:59:55Z", now)).toBe("just now");
    expect(ago("2026-11-25T11:55:00Z", now)).toBe("5 min ago");
  });
  it("shows uptime without false precision", () => {
    expect(formatUptime(null)).toBe("—");
    expect(formatUptime(100)).toBe("100%");
    expect(formatUptime(99.996)).toBe("100%");
    expect(formatUptime(99.9512)).toBe("99.95%");
    expect(formatUptime(97.94)).toBe("97.9%");
  });
  it("makes config ids from page names", () => {
    expect(slug("Acme AI Status")).toBe("acme-ai-status");
    expect(slug("  Ünïcode—Page!! ")).toBe("unicode-page");
  });
  it("words a detection lead by its sign, and says why there is none", () => {
    expect(leadWords(25 * 60, true)).toBe("Weathervane saw it 25 min earlier");
    expect(leadWords(-7 * 60, true)).toBe("the page was first by 7 min");
    expect(leadWords(0, true)).toBe("seen at the same time as the page");
    expect(leadWords(null, true)).toBe("probes saw nothing");
    expect(leadWords(null, false)).toBe("probes were off");
  });
  it("writes latencies as the verdicts do", () => {
    expect(formatMs(320)).toBe("320 ms");
    expect(formatMs(4200)).toBe("4.2 s");
  });
});
