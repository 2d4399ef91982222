import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { dirRefusal } from "../dir-safety";

const ME = 1000;
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

describe("dirRefusal (the pure rule)", () => {
  it("refuses exactly: not a directory, an untrusted owner, or group/other write on the directory itself (not on an ancestor)", () => {
    fc.assert(
      fc.property(fc.constantFrom(ME, 0, 1001, 65534), fc.integer({ min: 0, max: 0o7777 }), fc.boolean(), fc.constantFrom("self", "ancestor"),
        (uid, mode, isDirectory, role) => {
          const r = dirRefusal("/d", { uid, mode, isDirectory }, ME, role);
          const groupOtherWrite = (mode & 0o022) !== 0;
          const expected = !isDirectory || (uid !== ME && uid !== 0) || (groupOtherWrite && role === "self");
          expect(r !== null).toBe(expected);
          if (r) expect(r.fix).toMatch(/^(chmod|chown|remove)/);
        }),
      { seed, numRuns: 2000 },
    );
  });

  it("names the fix", () => {
    expect(dirRefusal("/x", { uid: ME, mode: 0o40777, isDirectory: true }, ME, "self")?.fix).toBe("chmod 700 /x");
    expect(dirRefusal("/x", { uid: 7, mode: 0o40700, isDirectory: true }, ME, "self")?.fix).toMatch(/^chown 1000 \/x/);
    expect(dirRefusal("/tmp", { uid: 0, mode: 0o41777, isDirectory: true }, ME, "ancestor")).toBeNull();
    expect(dirRefusal("/x", { uid: 0, mode: 0o40777, isDirectory: true }, ME, "ancestor")).toBeNull();
    expect(dirRefusal("/x", { uid: 7, mode: 0o40755, isDirectory: true }, ME, "ancestor")?.problem).toMatch(/owned by uid 7/);
  });
});
