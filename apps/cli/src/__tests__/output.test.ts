import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { colorEnabled, displayWidth, formatBytes, formatDuration, makeOutput, makeStyle, pad, table, truncate } from "../output";

describe("colour decision", () => {
  it("honours --no-color, NO_COLOR, FORCE_COLOR and the TTY", () => {
    expect(colorEnabled({ isTTY: true }, {}, false)).toBe(true);
    expect(colorEnabled({ isTTY: false }, {}, false)).toBe(false);
    expect(colorEnabled({ isTTY: true }, {}, true)).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1" }, false)).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "" }, false)).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "1" }, false)).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: "dumb" }, false)).toBe(false);
  });

  it("makes no escape codes when disabled, and never in --json output", () => {
    expect(makeStyle(false).red("x")).toBe("x");
    expect(makeStyle(true).red("x")).toBe("\u001b[31mx\u001b[39m");
    const sink = Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { isTTY: true });
    expect(makeOutput({ stdout: sink, stderr: sink, env: { FORCE_COLOR: "1" }, noColor: false, json: true }).style.enabled).toBe(false);
  });
});

describe("layout", () => {
  it("measures ANSI as zero and wide characters as two columns", () => {
    expect(displayWidth("\u001b[1mabc\u001b[22m")).toBe(3);
    expect(displayWidth("日本")).toBe(4);
    expect(pad("日", 4)).toBe("日  ");
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
  });

  it("aligns columns, right-aligning the ones asked", () => {
    expect(table([["a", "1", "x"], ["bbb", "22", "y"]], [1])).toEqual(["a     1  x", "bbb  22  y"]);
  });

  it("formats sizes and durations for people", () => {
    expect(formatBytes(830)).toBe("830 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MiB");
    expect(formatDuration(45_000)).toBe("45s");
    expect(formatDuration(200_000)).toBe("3m 20s");
    expect(formatDuration(30 * 86_400_000)).toBe("30d 0h");
  });
});
