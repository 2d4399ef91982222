import { describe, expect, it } from "vitest";
import { contentFree, scrub } from "../content-free";

describe("contentFree", () => {
  it("keeps scalars, flattens one level, drops arrays and deeper objects", () => {
    expect(
      contentFree({
        a: 1,
        b: "x",
        c: null,
        d: true,
        lines: ["query text"],
        exit: { code: 1, signal: "SIGKILL", nested: { x: 1 } },
        f: undefined,
      }),
    ).toEqual({ a: 1, b: "x", c: null, d: true, exit_code: 1, exit_signal: "SIGKILL" });
  });

  it("cuts long strings", () => {
    const out = contentFree({ m: "y".repeat(500) });
    expect((out.m as string).length).toBeLessThanOrEqual(201);
  });

  it("handles undefined", () => {
    expect(contentFree(undefined)).toEqual({});
  });
});

describe("scrub", () => {
  it("removes every occurrence of the secret", () => {
    expect(scrub("k=abc and abc", "abc")).toBe("k=[redacted] and [redacted]");
    expect(scrub("nothing", "")).toBe("nothing");
  });
});
