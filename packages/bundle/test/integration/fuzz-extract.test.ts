import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REJECT_REASONS, safeExtract } from "../../src/index";
import { file, gz, manifestFor, rawTar } from "../helpers/raw-tar";

const files = {
  "memories.db": Buffer.from("SQLite format 3\0".padEnd(3000, "m")),
  "a/b/notes.txt": Buffer.from("notes ".repeat(200)),
  "a/c.json": Buffer.from('{"x":1}'),
};
const tar = rawTar([
  { name: "a/", type: "5" },
  { name: "a/b/", type: "5" },
  file("a/b/notes.txt", files["a/b/notes.txt"]),
  file("a/c.json", files["a/c.json"]),
  file("memories.db", files["memories.db"]),
]);

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "recall-bundle-fuzz-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs one extraction; the outcome must be ok with every file intact, or a typed rejection with dest gone. */
async function check(archive: Buffer): Promise<boolean> {
  const dest = join(root, `d${n++}`);
  const manifest = manifestFor(archive, files);
  const r = await safeExtract(Readable.from([archive]), { dest, manifest, maxBytes: 1 << 20, maxUnpackedBytes: 1 << 20 });
  if (r.ok) {
    for (const [p, c] of Object.entries(files)) expect(await readFile(join(dest, p))).toEqual(c);
    await rm(dest, { recursive: true, force: true });
    return true;
  }
  expect(REJECT_REASONS).toContain(r.rejection.reason);
  expect(existsSync(dest)).toBe(false);
  return true;
}

const mutation = fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 });

describe("safeExtract on mutated archives never throws and never leaves a partial dest", () => {
  it("accepts the unmutated archive", async () => {
    expect(await check(gz(tar))).toBe(true);
  });

  it("random byte changes in the tar stream (re-gzipped, manifest matching the archive)", async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (muts) => {
        const t = Buffer.from(tar);
        for (const m of muts) t[m.at % t.length] = m.byte;
        return check(gz(t));
      }),
      { numRuns: 150 },
    );
  });

  it("random byte changes and truncation of the gzip stream", async () => {
    const g = gz(tar);
    await fc.assert(
      fc.asyncProperty(mutation, fc.nat({ max: g.length }), async (muts, cut) => {
        const t = Buffer.from(g);
        for (const m of muts) t[m.at % t.length] = m.byte;
        return check(t.subarray(0, Math.max(1, t.length - cut)));
      }),
      { numRuns: 150 },
    );
    expect((await readdir(root)).length).toBe(0);
  });
});
