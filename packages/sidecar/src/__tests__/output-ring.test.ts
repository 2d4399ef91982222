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
