import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { judgePathEntry, octalMode, type EntryRole } from "../index";

const ME = 1000;
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

describe("judgePathEntry (the one rule, pure)", () => {
  it("refuses exactly what the rule says, for every owner, mode, kind and role", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(ME, 0, 1001, 65534),
        fc.integer({ min: 0, max: 0o7777 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom<EntryRole>("self", "parent", "link"),
        (uid, mode, isDirectory, isSymbolicLink, role) => {
          const r = judgePathEntry("/d", { uid, mode, isDirectory, isSymbolicLink }, ME, role);
          const trusted = uid === ME || uid === 0;
          const othersWrite = (mode & 0o022) !== 0;
          const sticky = (mode & 0o1000) !== 0;
          const expected =
            role === "self" ? !isDirectory || uid !== ME || othersWrite
            : role === "parent" ? !trusted || (othersWrite && !sticky)
            : isSymbolicLink && !trusted;
          expect(r !== null).toBe(expected);
          if (r) expect(r.fix).toMatch(/^(chmod|chown|remove|choose)/);
        },
      ),
      { seed, numRuns: 3000 },
    );
  });

  it("names the fix and the mode", () => {
    const dir = (uid: number, mode: number) => ({ uid, mode, isDirectory: true, isSymbolicLink: false });
    expect(judgePathEntry("/x", dir(ME, 0o40777), ME, "self")).toEqual({ problem: "is writable by group or others (mode 0777)", fix: "chmod 700 /x" });
    expect(judgePathEntry("/x", dir(ME, 0o41777), ME, "self")?.problem).toContain("mode 01777");
    expect(judgePathEntry("/x", dir(0, 0o40700), ME, "self")?.fix).toBe("chown 1000 /x (or choose a directory you own)");
    expect(judgePathEntry("/tmp", dir(0, 0o41777), ME, "parent")).toBeNull();
    // a world-writable parent without the sticky bit (a fresh Kubernetes emptyDir): anyone could swap the child
    expect(judgePathEntry("/v", dir(0, 0o40777), ME, "parent")).toEqual({
      problem: "is writable by group or others (mode 0777) without the sticky bit",
      fix: "chmod go-w /v (or chmod +t /v), or choose another directory",
    });
    expect(judgePathEntry("/x", dir(7, 0o40755), ME, "parent")?.problem).toBe("is owned by uid 7, not by you (uid 1000) or root");
    expect(judgePathEntry("/l", { uid: 7, mode: 0o120777, isDirectory: false, isSymbolicLink: true }, ME, "link")?.fix).toBe("remove the link (rm /l) and use a real directory");
    expect(octalMode(0o40755)).toBe("0755");
    expect(octalMode(0o41777)).toBe("01777");
  });
});
