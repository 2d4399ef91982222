import { describe, expect, it } from "vitest";
import { OutputRing } from "../output-ring";

describe("OutputRing", () => {
  it("keeps the last N lines in order and returns copies", () => {
    const r = new OutputRing(3);
    for (let i = 0; i < 10; i++) r.push(`l${i}`);
    const got = r.lines();
    expect(got).toEqual(["l7", "l8", "l9"]);
    got.push("mutated");
    expect(r.lines()).toEqual(["l7", "l8", "l9"]);
  });

  it("holds fewer lines than capacity untouched", () => {
    const r = new OutputRing(64);
    r.push("a");
    r.push("b");
    expect(r.lines()).toEqual(["a", "b"]);
  });
});

describe("OutputRing byte bound", () => {
  it("drops the oldest lines to stay within maxBytes, and always keeps the newest", () => {
    const r = new OutputRing(64, 10);
    for (const l of ["aaaa", "bbbb", "cccc"]) r.push(l);
    expect(r.lines()).toEqual(["bbbb", "cccc"]);
    expect(r.bytes).toBe(8);
    r.push("x".repeat(50));
    expect(r.lines()).toEqual(["x".repeat(50)]);
    r.push("é");
    expect(r.lines()).toEqual(["é"]);
    expect(r.bytes).toBe(2);
  });

  it("never holds more than its line count or byte budget, whatever is pushed", () => {
    const r = new OutputRing(64, 4096);
    for (let i = 0; i < 10_000; i++) r.push("z".repeat(i % 300));
    expect(r.lines().length).toBeLessThanOrEqual(64);
    expect(r.bytes).toBeLessThanOrEqual(4096);
    expect(r.lines().reduce((n, l) => n + Buffer.byteLength(l), 0)).toBe(r.bytes);
  });
});
