import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  HttpEmbedder, MemoryDatabase, QueryVectors, STATIC_EMBEDDER_ID, StaticWordEmbedder, VectorSide, buildBundle, hybridQuery, startServer,
  type Embedder, type MemoryRecord, type TlmServer,
} from "../../dist/index.js";
import { activate, exampleRecords, query, runTlm, spawnTlm, stopChild, tempDir, waitHealthy } from "./harness";

const run = promisify(execFile);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const words = new StaticWordEmbedder();
let records: MemoryRecord[];
beforeAll(async () => { records = await exampleRecords(); });

/** Builds a bundle (with `embedder`'s vectors when given) and makes it `<root>/current`. */
async function install(root: string, id: string, embedder?: Embedder): Promise<void> {
  const pub = join(root, "..", `pub-${id}`);
  const built = await buildBundle({ records, outDir: pub, bundleId: id, ...(embedder ? { embedder } : {}) });
  const dir = join(root, "bundles", id);
  await mkdir(dir, { recursive: true });
  await run("tar", ["-xzf", built.archivePath, "-C", dir]);
  await copyFile(built.manifestPath, join(dir, "manifest.json"));
  await activate(root, id);
}

async function serve(vectors?: Parameters<typeof startServer>[0]["vectors"]): Promise<{ server: TlmServer; root: string; dir: string }> {
  const dir = await tempDir();
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, "root");
  await mkdir(root, { recursive: true, mode: 0o700 });
  const server = await startServer({ socketPath: join(dir, "s.sock"), bundleRoot: root, pollIntervalMs: 0, ...(vectors ? { vectors } : {}) });
  cleanups.push(() => server.close());
  return { server, root, dir };
}

/** A real OpenAI-compatible embeddings endpoint on 127.0.0.1 answering with the shipped word vectors. */
type EndpointMode = "ok" | "hang" | "fail" | "huge";
async function embeddingsEndpoint(): Promise<{ url: string; mode: { now: EndpointMode }; requests: () => number }> {
  const mode = { now: "ok" as EndpointMode };
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => { body += c.toString(); });
    req.on("end", () => {
      requests++;
      if (mode.now === "hang") return;
      if (mode.now === "fail") { res.writeHead(500).end("{}"); return; }
      if (mode.now === "huge") { res.writeHead(200, { "content-type": "application/json" }).end(`{"data":[{"embedding":[${"0.1,".repeat(600_000)}0.1]}]}`); return; }
      const { input, model } = JSON.parse(body) as { input: string[]; model: string };
      if (req.url !== "/v1/embeddings" || model !== "glove-sif") { res.writeHead(404).end(); return; }
      const data = input.map((t, index) => ({ object: "embedding", index, embedding: [...words.embedOne(t)] }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data, model }));
    });
  });
  server.on("connection", (s) => { sockets.add(s); s.once("close", () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, mode, requests: () => requests };
}

// No word in common with mem-155 ("Annual plans get a 15 percent discount..."): bm25 misses it, the vectors find it.
const PARAPHRASE = "yearly subscription price reduction";
const MEANT = "mem-155";

describe("hybrid retrieval through tlm serve", () => {
  it("a bundle with the offline embedder's vectors answers hybrid: paraphrases find their memory, results say how they matched", async () => {
    const { server, root } = await serve();
    await install(root, "v1", words);
    expect((await server.reload()).status).toBe(200);
    const a = (await query(server.address, { text: PARAPHRASE, limit: 5 })).json();
    expect(a.retrieval).toBe("hybrid");
    expect(a.vector_skipped_reason).toBeUndefined();
    expect(a.results.map((r: { id: string }) => r.id)).toContain(MEANT);
    for (const r of a.results) expect(r.matched.lexical_rank ?? r.matched.vector_rank).toBeGreaterThan(0);
    // An exact-word query still puts its memory first.
    const exact = (await query(server.address, { text: "PgBouncer transaction mode", limit: 5 })).json();
    expect(exact.results[0].id).toBe("mem-119");
    expect(exact.results[0].matched.lexical_rank).toBe(1);
    // The word vectors know "port" but not "vite" or "5173": their list weighs for the third of the query they know,
    // and the one memory holding all three words stays first (at full weight, "port" alone put another memory first).
    const rare = (await query(server.address, { text: "Vite port 5173", limit: 5 })).json();
    expect(rare.retrieval).toBe("hybrid");
    expect(rare.results[0]).toMatchObject({ id: "mem-129", matched: { lexical_rank: 1 } });
  });

  it("a caller's vector is used only from the bundle's embedder and of its length; otherwise lexical with the reason", async () => {
    const { server, root } = await serve();
    await install(root, "v1", words);
    await server.reload();
    const values = [...words.embedOne(PARAPHRASE)];
    const ok = (await query(server.address, { text: PARAPHRASE, vector: { embedder: STATIC_EMBEDDER_ID, values } })).json();
    expect(ok.retrieval).toBe("hybrid");
    const other = (await query(server.address, { text: PARAPHRASE, vector: { embedder: "someone-else@2", values } })).json();
    expect(other).toMatchObject({ retrieval: "lexical", vector_skipped_reason: "embedder_mismatch" });
    expect(other.results.every((r: { matched?: unknown }) => r.matched === undefined)).toBe(true);
    const short = (await query(server.address, { text: PARAPHRASE, vector: { embedder: STATIC_EMBEDDER_ID, values: values.slice(0, 50) } })).json();
    expect(short).toMatchObject({ retrieval: "lexical", vector_skipped_reason: "dims_mismatch" });
    const bad = await query(server.address, { text: PARAPHRASE, vector: { embedder: STATIC_EMBEDDER_ID, values: [] } });
    expect(bad.status).toBe(400);
  });

  it("a query the vectors have nothing to go on for answers on words alone: no arbitrary nearest memories", async () => {
    const { server, root } = await serve();
    await install(root, "v1", words);
    await server.reload();
    // Unknown tokens only (no word of the table), and function words only: neither gives the vectors a direction.
    const nothing = ["x", "k3s", "😀", "zzqxv", "?", "getUserById", "c++", "—", "a1b2c3"];
    const functionWords = ["the", "what is it", "how do we", "And why is that so?"];
    for (const text of [...nothing, ...functionWords]) {
      const a = (await query(server.address, { text, limit: 5 })).json();
      expect(a, text).toMatchObject({ retrieval: "lexical", vector_skipped_reason: "query_vector_empty" });
      for (const r of a.results) expect(r.matched, text).toBeUndefined();
      if (nothing.includes(text)) expect(a.results, text).toEqual([]);
    }
    // A caller's zero vector is no direction either, whatever the text.
    const zeros = new Array(words.dims).fill(0);
    const z = (await query(server.address, { text: "kafka partitions", limit: 3, vector: { embedder: STATIC_EMBEDDER_ID, values: zeros } })).json();
    expect(z).toMatchObject({ retrieval: "lexical", vector_skipped_reason: "query_vector_empty" });
    expect(z.results[0].id).toBe("mem-004");
    // One content word is enough for the vectors to take part.
    const one = (await query(server.address, { text: "what is our email vendor", limit: 5 })).json();
    expect(one.retrieval).toBe("hybrid");
  });

  it("the vectors embed the query as the lexical search corrected it: a misspelt word is embedded as its correction", async () => {
    const { server, root } = await serve();
    await install(root, "v1", words);
    await server.reload();
    const opened = MemoryDatabase.open(join(root, "current", "memories.db"));
    if (!opened.ok) throw new Error(opened.message);
    const db = opened.db;
    const side = new VectorSide(db.path);
    try {
      const cases = (await readFile(new URL("../relevance/typos.jsonl", import.meta.url), "utf8")).trim().split("\n")
        .map((l) => JSON.parse(l) as { q: string }).slice(0, 40);
      let differs = 0;
      for (const { q } of cases) {
        const ids = (text: string) => hybridQuery(db, side, { text: q, limit: 5 }, words.embedQuery(text), Number.POSITIVE_INFINITY, undefined,
          words.coverage(text)).results.map((r) => r.id);
        const served = (await query(server.address, { text: q, limit: 5 })).json();
        expect(served.results.map((r: { id: string }) => r.id), q).toEqual(ids(db.correctedText(q)));
        if (ids(q).join() !== ids(db.correctedText(q)).join()) differs++;
      }
      // Embedding the text as typed answers some of them differently: the comparison above can tell the two apart.
      expect(differs).toBeGreaterThan(0);
    } finally {
      side.close();
      db.retire();
    }
  });

  it("a bundle without vectors keeps working lexical only, and says so when a vector was offered", async () => {
    const { server, root } = await serve();
    await install(root, "plain");
    await server.reload();
    const a = (await query(server.address, { text: "kafka partitions", limit: 3 })).json();
    expect(a.retrieval).toBe("lexical");
    expect(a.vector_skipped_reason).toBeUndefined();
    expect(a.results[0].id).toBe("mem-004");
    // Words only, the paraphrase is searched with the thesaurus's words for its own (subscription → billing, plan…).
    const words5 = (await query(server.address, { text: PARAPHRASE, limit: 5 })).json();
    expect(words5.retrieval).toBe("lexical");
    expect(words5.expansions.map((e: { word: string }) => e.word)).toContain("subscription");
    const b = (await query(server.address, { text: "kafka partitions", vector: { embedder: STATIC_EMBEDDER_ID, values: [...words.embedOne("kafka")] } })).json();
    expect(b).toMatchObject({ retrieval: "lexical", vector_skipped_reason: "bundle_has_no_vectors" });
  });

  it("an endpoint embedder: builds the vectors, embeds queries; a hung or failing endpoint gives lexical answers with the reason", async () => {
    const ep = await embeddingsEndpoint();
    const { server, root } = await serve({ endpoint: { url: ep.url, model: "glove-sif" }, embedTimeoutMs: 300 });
    await install(root, "ep1", new HttpEmbedder({ url: ep.url, model: "glove-sif" }));
    const manifest = JSON.parse(await readFile(join(root, "current", "manifest.json"), "utf8")) as { embedder?: unknown };
    expect(manifest.embedder).toEqual({ id: "openai-compatible:glove-sif", dims: 100 });
    await server.reload();
    const before = ep.requests();
    const a = (await query(server.address, { text: PARAPHRASE, limit: 5 })).json();
    expect(ep.requests()).toBe(before + 1);
    expect(a.retrieval).toBe("hybrid");
    expect(a.results.map((r: { id: string }) => r.id)).toContain(MEANT);

    ep.mode.now = "hang";
    const hung = (await query(server.address, { text: "kafka partitions", limit: 3, budget_ms: 2000 })).json();
    expect(hung).toMatchObject({ retrieval: "lexical", vector_skipped_reason: "embedder_timeout" });
    expect(hung.results[0].id).toBe("mem-004");

    ep.mode.now = "fail";
    const failed = (await query(server.address, { text: "kafka partitions", limit: 3 })).json();
    expect(failed).toMatchObject({ retrieval: "lexical", vector_skipped_reason: "embedder_failed" });
    expect(failed.results[0].id).toBe("mem-004");

    // A query vector is a few KiB: a 2.4 MB answer is refused, not parsed.
    ep.mode.now = "huge";
    const huge = (await query(server.address, { text: "kafka partitions", limit: 3 })).json();
    expect(huge).toMatchObject({ retrieval: "lexical", vector_skipped_reason: "embedder_failed" });
  });

  it("a bundle whose vectors come from an embedder the sidecar cannot run answers lexical: no_query_embedder", async () => {
    const ep = await embeddingsEndpoint();
    const { server, root } = await serve();
    await install(root, "ep2", new HttpEmbedder({ url: ep.url, model: "glove-sif" }));
    await server.reload();
    const a = (await query(server.address, { text: "kafka partitions", limit: 3 })).json();
    expect(a).toMatchObject({ retrieval: "lexical", vector_skipped_reason: "no_query_embedder" });
  });

  it("warm-up reads the vectors and the word table on a worker thread: the same index and the same answers as the inline read", async () => {
    const { root } = await serve();
    await install(root, "warm1", words);
    const path = join(root, "current", "memories.db");
    const opened = MemoryDatabase.open(path);
    if (!opened.ok) throw new Error(opened.message);
    const db = opened.db;
    cleanups.push(async () => db.retire());
    const inline = new VectorSide(path);
    cleanups.push(async () => inline.close());
    const vectors = new QueryVectors();
    cleanups.push(async () => vectors.closeAll());
    const warmed = await vectors.warm(db);
    expect(warmed).toMatchObject({ worker: true, vectors: records.length, embedder: "loaded" });
    const side = vectors.side(db);
    for (const text of [PARAPHRASE, "kafka partitions", "who is on call this week", "zzz"]) {
      const q = words.embedOne(text);
      expect(side.load()!.search(q, 20)).toEqual(inline.load()!.search(q, 20));
      const resolved = await vectors.resolve({ text }, side, Number.POSITIVE_INFINITY);
      expect(resolved.vector ? Array.from(resolved.vector) : null).toEqual(Array.from(q));
    }
    // Warming again, or after the sides are closed, reads nothing and never throws.
    expect((await vectors.warm(db)).vectors).toBe(records.length);
    vectors.closeAll();
    await expect(vectors.warm(db)).resolves.toMatchObject({ vectors: 0 });
  });

  it("the tlm executable warms a hybrid bundle on a worker thread after it is ready (the bundled file finds better-sqlite3)", async () => {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const root = join(dir, "root");
    await mkdir(root, { recursive: true, mode: 0o700 });
    await install(root, "warm2", words);
    const sock = join(dir, "s.sock");
    const t = spawnTlm(["--log-level", "debug", "serve", "--socket", sock, "--bundle-root", root, "--poll-interval", "0"]);
    cleanups.push(() => stopChild(t));
    expect(await waitHealthy(t, sock)).toMatchObject({ ready: true, bundle_id: "warm2" });
    await vi.waitFor(() => expect(t.stderr()).toMatch(/"event":"vectors_warm"/), { timeout: 20_000, interval: 25 });
    const line = t.stderr().split("\n").find((l) => l.includes('"vectors_warm"'))!;
    expect(JSON.parse(line)).toMatchObject({ worker: true, vectors: records.length, embedder: "loaded", bundle_id: "warm2" });
    expect((await query(sock, { text: PARAPHRASE, limit: 5 })).json()).toMatchObject({ retrieval: "hybrid" });
  });

  it("tlm bundle build --embed reports the vectors; --embed-url refuses credentials in the URL", async () => {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const built = await runTlm(["bundle", "build", "--from", join(import.meta.dirname, "../../../../examples/memories.jsonl"), "--out", join(dir, "pub"), "--embed", "--json"]);
    expect(built.code).toBe(0);
    const summary = JSON.parse(built.stdout) as { vectors: { embedder: string; dims: number; count: number; bytes: number } };
    expect(summary.vectors).toMatchObject({ embedder: STATIC_EMBEDDER_ID, dims: 100, count: 199 });
    expect(summary.vectors.bytes).toBeGreaterThan(199 * 100);
    const creds = await runTlm(["bundle", "build", "--from", "x.jsonl", "--out", join(dir, "pub2"), "--embed-url", "http://user:secret@127.0.0.1:1", "--embed-model", "m"]);
    expect(creds.code).toBe(2);
    expect(creds.stderr).not.toContain("secret");
  });
});
