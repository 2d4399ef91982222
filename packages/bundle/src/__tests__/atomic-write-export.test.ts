import * as safeFs from "@recall/safe-fs";
import { describe, expect, it } from "vitest";
import { fsyncDir, writeFileAtomic } from "../index";

describe("the atomic write", () => {
  it("is @recall/safe-fs's (its tests live there), re-exported under the same names", () => {
    expect(writeFileAtomic).toBe(safeFs.writeFileAtomic);
    expect(fsyncDir).toBe(safeFs.fsyncDir);
  });
});
