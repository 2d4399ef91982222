import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REJECT_REASONS, safeExtract, type Manifest } from "../../src/index";
import { assertProperty } from "@recall/test-utils";
import { file, gz, manifestFor, paxEntry, rawTar, sha256, type RawEntry } from "../helpers/raw-tar";

// Seeded by FC_SEED, run count from FUZZ_RUNS (RECALL_SOAK=1 for the long run): see @recall/test-utils (fc.ts).

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

// A per-case wall-time bound: the failure mode is a hang or a blow-up, not milliseconds.
const MAX_CASE_MS = 15_000;

let root: string;
let stage: string;
let outside: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "recall-bundle-fuzz-"));
  stage = join(root, "stage");
  outside = join(root, "outside");
  await mkdir(stage);
  await mkdir(outside);
  await writeFile(join(outside, "sentinel.txt"), "do not touch");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Everything under `root` except the (removed) dest: must never change. */
async function around(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      out.push(`${rel}/${e.name}${e.isDirectory() ? "/" : ""}`);
      if (e.isDirectory()) await walk(join(d, e.name), `${rel}/${e.name}`);
    }
  };
  await walk(root, "");
  return out;
}

/**
 * One extraction: ok with exactly the expected files intact, or a typed
 * rejection with dest gone; never a throw, never a byte outside dest, bounded time.
 */
async function check(archive: Buffer, manifest: Manifest, expected: Record<string, Buffer>): Promise<boolean> {
  const dest = join(stage, `d${n++}`);
  const before = await around();
  const t0 = performance.now();
  const r = await safeExtract(Readable.from([archive]), { dest, manifest, maxBytes: 1 << 20, maxUnpackedBytes: 1 << 20 });
  expect(performance.now() - t0).toBeLessThan(MAX_CASE_MS);
  if (r.ok) {
    for (const [p, c] of Object.entries(expected)) expect(await readFile(join(dest, p))).toEqual(c);
    await rm(dest, { recursive: true, force: true });
  } else {
    expect(REJECT_REASONS).toContain(r.rejection.reason);
    expect(r.rejection.code).toBe(`BUNDLE_${r.rejection.reason.toUpperCase()}`);
    expect(existsSync(dest)).toBe(false);
  }
  expect(await around()).toEqual(before);
  return true;
}

const mutation = fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 });

describe("safeExtract on mutated archives never throws and never leaves a partial dest", () => {
  it("accepts the unmutated archive", async () => {
    const archive = gz(tar);
    expect(await check(archive, manifestFor(archive, files), files)).toBe(true);
  });

  it("random byte changes in the tar stream (re-gzipped, manifest matching the archive)", async () => {
    await assertProperty(
      fc.asyncProperty(mutation, async (muts) => {
        const t = Buffer.from(tar);
        for (const m of muts) t[m.at % t.length] = m.byte;
        const archive = gz(t);
        return check(archive, manifestFor(archive, files), files);
      }),
      150,
    );
  });

  it("random byte changes and truncation of the gzip stream", async () => {
    const g = gz(tar);
    await assertProperty(
      fc.asyncProperty(mutation, fc.nat({ max: g.length }), async (muts, cut) => {
        const t = Buffer.from(g);
        for (const m of muts) t[m.at % t.length] = m.byte;
        const archive = t.subarray(0, Math.max(1, t.length - cut));
        return check(archive, manifestFor(archive, files), files);
      }),
      150,
    );
    expect((await readdir(stage)).length).toBe(0);
  });
});

// ---- structured archives: entries a tool or an attacker could write --------

const safeName = fc.constantFrom("memories.db", "a/b/notes.txt", "a/c.json", "a", "a/b", "x.txt", "é/ファイル.txt");
const hostileName = fc.constantFrom(
  "../escape",
  "a/../../escape",
  "/ABS/escape",
  "a//b",
  "a\\b",
  "a\0b",
  ".",
  "./",
  "..",
  "C:evil",
  `${"d/".repeat(17)}f`,
  "x".repeat(300),
  "a/./../escape",
);
const name = fc.oneof(
  { weight: 4, arbitrary: safeName },
  { weight: 2, arbitrary: safeName.map((s) => `./${s}`) },
  { weight: 1, arbitrary: safeName.map((s) => s.replace("/", "/./")) },
  { weight: 2, arbitrary: hostileName },
);
const body = fc.oneof(
  fc.constantFrom(files["memories.db"], files["a/b/notes.txt"], files["a/c.json"]),
  fc.uint8Array({ maxLength: 700 }).map((u) => Buffer.from(u)),
);
/** One entry as a tool or an attacker may write it; long names go through pax or GNU long-name headers. */
const entry: fc.Arbitrary<RawEntry[]> = fc
  .record({
    name,
    type: fc.constantFrom("0", "0", "0", "5", "5", "1", "2", "3", "4", "6", "7", "Z", "g"),
    body,
    lie: fc.option(fc.nat({ max: 5000 }), { freq: 5 }),
    longName: fc.constantFrom("none", "none", "pax", "gnu"),
  })
  .map(({ name: nm, type, body: b, lie, longName }) => {
    const isDir = type === "5";
    const n2 = isDir && !nm.endsWith("/") ? `${nm}/` : nm;
    const main: RawEntry = {
      name: longName === "none" ? n2.replaceAll("/ABS", outside) : "placeholder",
      type,
      ...(isDir || type === "2" || type === "1" ? { linkname: type === "5" ? "" : "../../outside/sentinel.txt" } : {}),
      ...(isDir ? {} : { body: b }),
      ...(lie !== null ? { size: lie } : {}),
    };
    if (longName === "pax") return [paxEntry({ path: n2.replaceAll("/ABS", outside) }), main];
    if (longName === "gnu") return [{ name: "././@LongLink", type: "L", body: Buffer.from(`${n2.replaceAll("/ABS", outside)}\0`) }, main];
    return [main];
  });
const trailing = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.nat({ max: 70_000 }).map((k) => Buffer.alloc(k)),
  fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((u) => Buffer.from(u)),
);

describe("safeExtract on structured archives (tool-like and hostile entries)", () => {
  it("never throws, never writes outside dest, removes dest on rejection", async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 8 }),
        fc.boolean(),
        trailing,
        fc.boolean(),
        async (entries, eof, trail, listAll) => {
          const t = Buffer.concat([rawTar(entries.flat(), { eof }), trail]);
          const archive = gz(t);
          // The manifest lists the regular files written (or just the real bundle files).
          const written: Record<string, Buffer> = {};
          for (const e of entries.flat()) {
            if ((e.type ?? "0") === "0" && e.body && e.name !== "placeholder") written[e.name.replace(/^(\.\/)+/, "")] = e.body;
          }
          const listed = listAll && Object.keys(written).length > 0 ? written : files;
          let manifest: Manifest;
          try {
            manifest = manifestFor(archive, listed);
          } catch {
            return true;
          }
          return check(archive, manifest, listed);
        },
      ),
      120,
    );
    expect(existsSync(join(outside, "escape"))).toBe(false);
    expect((await readdir(stage)).length).toBe(0);
  });

  it("any archive the extractor accepts holds exactly the listed files", async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.shuffledSubarray(Object.keys(files), { minLength: 3, maxLength: 3 }),
        fc.constantFrom("", "./"),
        fc.boolean(),
        fc.nat({ max: 20 }),
        async (order, prefix, dirs, padBlocks) => {
          const entries: RawEntry[] = [];
          if (prefix) entries.push({ name: "./", type: "5" });
          if (dirs) entries.push({ name: `${prefix}a/`, type: "5" }, { name: `${prefix}a/b/`, type: "5" });
          for (const p of order) entries.push(file(`${prefix}${p}`, files[p as keyof typeof files]));
          const archive = gz(Buffer.concat([rawTar(entries), Buffer.alloc(padBlocks * 512)]));
          const dest = join(stage, `d${n++}`);
          const r = await safeExtract(Readable.from([archive]), {
            dest,
            manifest: manifestFor(archive, files),
            maxBytes: 1 << 20,
            maxUnpackedBytes: 1 << 20,
          });
          expect(r.ok, r.ok ? "" : r.rejection.message).toBe(true);
          for (const [p, c] of Object.entries(files)) expect(sha256(await readFile(join(dest, p)))).toBe(sha256(c));
          await rm(dest, { recursive: true, force: true });
          return true;
        },
      ),
      60,
    );
  });
});
