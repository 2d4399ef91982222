import { copyFile, mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  MemoryDatabase, QueryVectors, StaticWordEmbedder, buildBundle, startServer, type MemoryRecord,
} from "../../dist/index.js";
import { activate, exampleRecords, query, tempDir } from "./harness";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const words = new StaticWordEmbedder();
let records: MemoryRecord[];
let dir: string;
let dbPath: string;
beforeAll(async () => {
  records = await exampleRecords();
  dir = await tempDir();
  const built = await buildBundle({ records, outDir: join(dir, "pub"), bundleId: "v1", embedder: words });
  const bundle = join(dir, "root", "bundles", "v1");
  await mkdir(bundle, { recursive: true, mode: 0o700 });
  await execa("tar", ["-xzf", built.archivePath, "-C", bundle]);
  await copyFile(built.manifestPath, join(bundle, "manifest.json"));
  await activate(join(dir, "root"), "v1");
  dbPath = join(bundle, "memories.db");
  return () => rm(dir, { recursive: true, force: true });
});

// No word in common with mem-155 ("Annual plans get a 15 percent discount…", kind decision): the vectors find it.
const PARAPHRASE = "yearly subscription price reduction";

describe("hybrid query paths", () => {
  it("filters hold on both lists: every hybrid result passes kinds/entities/since, and the vector-only match appears only when it passes", async () => {
    const sock = join(dir, "f.sock");
    const server = await startServer({ socketPath: sock, bundleRoot: join(dir, "root"), pollIntervalMs: 0 });
    cleanups.push(() => server.close());
    const byId = new Map(records.map((r) => [r.id, r]));

    const unfiltered = (await query(sock, { text: PARAPHRASE, limit: 10 })).json();
    expect(unfiltered.retrieval).toBe("hybrid");
    expect(unfiltered.results.map((r: { id: string }) => r.id)).toContain("mem-155");

    for (const intent of [
      { kinds: ["decision"] },
      { kinds: ["fact", "note"] },
      { entities: ["billing-api"] },
      { since: "2026-06-21" },
      { until: "2026-06-20" },
    ]) {
      const a = (await query(sock, { text: PARAPHRASE, limit: 10, ...intent })).json();
      expect(a.retrieval).toBe("hybrid");
      for (const r of a.results as { id: string; kind: string; entities: string[]; created_at: string }[]) {
        const src = byId.get(r.id)!;
        expect(r.kind).toBe(src.kind);
        if ("kinds" in intent) expect(intent.kinds).toContain(r.kind);
        if ("entities" in intent) expect(r.entities).toContain("billing-api");
        if ("since" in intent) expect(Date.parse(r.created_at)).toBeGreaterThanOrEqual(Date.parse(intent.since!));
        if ("until" in intent) expect(Date.parse(r.created_at)).toBeLessThan(Date.parse(intent.until!) + 86_400_000);
      }
      const mem155 = byId.get("mem-155")!;
      const passes =
        (!("kinds" in intent) || intent.kinds!.includes(mem155.kind)) &&
        (!("entities" in intent) || mem155.entities!.includes("billing-api")) &&
        (!("since" in intent) || Date.parse(mem155.created_at) >= Date.parse(intent.since!)) &&
        (!("until" in intent) || Date.parse(mem155.created_at) < Date.parse(intent.until!) + 86_400_000);
      expect(a.results.some((r: { id: string }) => r.id === "mem-155")).toBe(passes);
    }
  });

  it("warm() loads the vector index and the offline embedder before any query, and never throws on a closed database", async () => {
    let made = 0;
    const vectors = new QueryVectors({ staticEmbedder: () => { made++; return words; } });
    cleanups.push(() => vectors.closeAll());
    const opened = MemoryDatabase.open(dbPath);
    if (!opened.ok) throw new Error(opened.message);
    const db = opened.db;
    cleanups.push(() => db.retire());

    expect(await vectors.warm(db)).toMatchObject({ worker: true, vectors: 199, embedder: "loaded" });
    expect(made).toBe(1);
    // The warmed side holds its own open connection and index: moving the file away now changes nothing for it.
    const moved = `${dbPath}.moved`;
    await rename(dbPath, moved);
    cleanups.push(() => rename(moved, dbPath));
    expect(vectors.side(db).load()).not.toBeNull();
    const resolved = await vectors.resolve({ text: PARAPHRASE, limit: 5 }, vectors.side(db), Number.POSITIVE_INFINITY);
    expect(resolved.vector).not.toBeNull();
    expect(made).toBe(1);

    // A cold QueryVectors on the same (now missing) path cannot load it: what warm() saved is real.
    const cold = new QueryVectors({ staticEmbedder: () => words });
    cleanups.push(() => cold.closeAll());
    expect(cold.side(db).load()).toBeNull();

    db.retire();
    await expect(vectors.warm(db)).resolves.toMatchObject({ vectors: 0 });
  });

  /** The demo bundle opened with a QueryVectors whose offline embedder is `make` (a long timeout: no query times out). */
  const openWithVectors = (make: () => StaticWordEmbedder) => {
    const vectors = new QueryVectors({ staticEmbedder: make, embedTimeoutMs: 60_000 });
    cleanups.push(() => vectors.closeAll());
    const opened = MemoryDatabase.open(dbPath);
    if (!opened.ok) throw new Error(opened.message);
    const db = opened.db;
    cleanups.push(() => db.retire());
    return { vectors, db, side: vectors.side(db) };
  };

  it("a query with a budget arriving while the warm-up reads the vectors does not read them itself: it waits for the warm-up, at most half its budget, then runs on words alone (vectors_loading)", async () => {
    let made = 0;
    // The warm-up builds the static embedder too; the timeout is long so the patient query cannot time out.
    const { vectors, db, side } = openWithVectors(() => { made++; return words; });

    const warming = vectors.warm(db);
    // Half of a 1 ms budget is no time to wait: the answer comes at once, before the worker has read anything.
    const t = performance.now();
    const quick = await vectors.resolve({ text: PARAPHRASE, limit: 5, budget_ms: 1 }, side, t + 1, () => t);
    expect(quick).toEqual({ vector: null, skipped: "vectors_loading" });
    // A budget of a minute (half of it is longer than any warm-up): it waits and uses what the warm-up loaded (one
    // embedder made, by the warm-up).
    const patient = await vectors.resolve({ text: PARAPHRASE, limit: 5, budget_ms: 60_000 }, side, t + 60_000, () => t);
    expect(patient.vector).not.toBeNull();
    expect(patient.skipped).toBeUndefined();
    expect(await warming).toMatchObject({ vectors: 199, embedder: "loaded" });
    expect(made).toBe(1);
    // Once warm, a budgeted query is hybrid too.
    const later = await vectors.resolve({ text: PARAPHRASE, limit: 5, budget_ms: 1 }, side, t + 1, () => t);
    expect(later.vector).not.toBeNull();
  });

  it("once a query without a budget has loaded the vectors itself, a budgeted query does not wait for the warm-up still running", async () => {
    const { vectors, db, side } = openWithVectors(() => words);
    let settled = false;
    const warming = vectors.warm(db).finally(() => { settled = true; });
    const t = performance.now();
    // No budget: reads what is missing at once, on this turn, while the worker still reads.
    const unbudgeted = await vectors.resolve({ text: PARAPHRASE, limit: 5 }, side, Number.POSITIVE_INFINITY, () => t);
    expect(unbudgeted.vector).not.toBeNull();
    expect(settled).toBe(false);
    // A 1 ms budget could not wait at all: it is hybrid because nothing it needs is missing any more.
    const budgeted = await vectors.resolve({ text: PARAPHRASE, limit: 5, budget_ms: 1 }, side, t + 1, () => t);
    expect(budgeted.skipped).toBeUndefined();
    expect(budgeted.vector).toEqual(unbudgeted.vector);
    await warming;
  });

  it("a bundle without vectors has no warm-up to wait for: its queries say why they are words only, as before", async () => {
    const lexicalDir = await tempDir();
    cleanups.push(() => rm(lexicalDir, { recursive: true, force: true }));
    const built = await buildBundle({ records, outDir: join(lexicalDir, "pub"), bundleId: "lex" });
    await execa("tar", ["-xzf", built.archivePath, "-C", lexicalDir]);
    const opened = MemoryDatabase.open(join(lexicalDir, "memories.db"));
    if (!opened.ok) throw new Error(opened.message);
    const db = opened.db;
    cleanups.push(() => db.retire());
    const vectors = new QueryVectors({ staticEmbedder: () => words });
    cleanups.push(() => vectors.closeAll());
    const warming = vectors.warm(db);
    const t = performance.now();
    const r = await vectors.resolve({ text: PARAPHRASE, limit: 5, budget_ms: 1, vector: { embedder: "x", values: [1, 0] } }, vectors.side(db), t + 1, () => t);
    expect(r).toEqual({ vector: null, skipped: "bundle_has_no_vectors" });
    expect(await warming).toMatchObject({ vectors: 0 });
  });
});
