import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn } from "node:child_process";
import { open, readFile, rm, symlink, truncate, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { ErrorBody, Health, ResponseEnvelope } from "@recall/protocol";
import type { MemoryRecord } from "../../dist/index.js";
import { TLM_BIN, activate, call, exampleRecords, installBundle, query, spawnTlm, stopChild, tempDir, waitHealthy, type TlmChild } from "./harness";

// Every shape here must be refused at load (422 on reload, old bundle keeps serving; `incompatible`/`corrupt` at
// start) without running anything from the file, or, for damage only a query can find, answer a typed 503.

const run = promisify(execFile);
const GOOD = "b0000";
let dir: string;
let root: string;
let sock: string;
let tlm: TlmChild | undefined;
let examples: MemoryRecord[];
let seq = 0;

/** Writable connection that may rewrite sqlite_master (a hostile author can). */
function hostile(dbPath: string, fn: (db: Database.Database) => void): void {
  const db = new Database(dbPath);
  try {
    db.unsafeMode(true);
    fn(db);
  } finally {
    db.close();
  }
}

function rewriteSchema(db: Database.Database, sql: string): void {
  db.pragma("writable_schema = ON");
  db.exec(sql);
  db.pragma("writable_schema = OFF");
}

/** Installs a fresh good bundle, lets `mutate` damage its memories.db, and points current at it. */
async function installMutated(mutate: (dbPath: string) => Promise<void> | void, records: Iterable<MemoryRecord> = examples): Promise<string> {
  const id = `b${String(++seq).padStart(4, "0")}`;
  const bundleDir = await installBundle(root, id, records, { activate: false });
  await mutate(join(bundleDir, "memories.db"));
  await activate(root, id);
  return id;
}

async function expectRefusedOnReload(reason: RegExp): Promise<void> {
  const a = await call(sock, "POST", "/bundle/reload");
  expect(a.status, a.text).toBe(422);
  const body = ErrorBody.parse(a.json());
  expect(body.error).toMatchObject({ code: "incompatible_bundle", sub_code: "corrupt" });
  expect(body.error.message).toMatch(reason);
  // The old bundle keeps serving.
  const h = Health.parse((await call(sock, "GET", "/health")).json());
  expect(h).toMatchObject({ ready: true, compatibility: "compatible", bundle_id: GOOD });
  const q = await query(sock, { text: "JWT signing key" });
  expect(q.status).toBe(200);
  expect(ResponseEnvelope.parse(q.json()).bundle_id).toBe(GOOD);
}

beforeAll(async () => {
  dir = await tempDir();
  root = join(dir, "root");
  sock = join(dir, "run", "tlm.sock");
  examples = await exampleRecords();
  await installBundle(root, GOOD, examples);
  tlm = spawnTlm(["serve", "--socket", sock, "--bundle-root", root, "--poll-interval", "0"]);
  await waitHealthy(tlm, sock);
});

afterAll(async () => {
  await stopChild(tlm);
  await rm(dir, { recursive: true, force: true });
});

// The view is never queried by the check; before it was, opening this bundle hung tlm for good.
const RECURSIVE_VIEW = `DROP INDEX memories_created; DROP TABLE memories; CREATE VIEW memories AS
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
  SELECT x AS rowid, 'id' || x AS id, 'text' AS text, 'note' AS kind, '[]' AS entities, '2024-01-01' AS created_at,
         0 AS created_ms, NULL AS source_ref FROM c ORDER BY x DESC`;

describe("hostile memories.db shapes are refused at reload, the old bundle keeps serving", () => {
  const cases: [string, (p: string) => Promise<void> | void, RegExp][] = [
    ["memories is a VIEW over a recursive CTE", (p) => hostile(p, (db) => db.exec(RECURSIVE_VIEW)), /"memories" has a different definition/],
    ["a trigger", (p) => hostile(p, (db) => db.exec("CREATE TRIGGER t AFTER INSERT ON memories BEGIN SELECT 1; END")), /unexpected trigger "t"/],
    ["an extra table", (p) => hostile(p, (db) => db.exec("CREATE TABLE extra (x)")), /unexpected table "extra"/],
    ["an extra view", (p) => hostile(p, (db) => db.exec("CREATE VIEW v AS SELECT 1")), /unexpected view "v"/],
    ["an extra virtual table", (p) => hostile(p, (db) => db.exec("CREATE VIRTUAL TABLE other_fts USING fts5(x)")), /unexpected table "other_fts"/],
    ["a missing table", (p) => hostile(p, (db) => db.exec("DROP TABLE memory_entities")), /lacks the table "memory_entities"/],
    ["a missing FTS5 shadow table", (p) => hostile(p, (db) => rewriteSchema(db, "DELETE FROM sqlite_master WHERE name = 'memories_fts_idx'")), /lacks the table "memories_fts_idx"/],
    ["wrong column types", (p) => hostile(p, (db) => rewriteSchema(db,
      "UPDATE sqlite_master SET sql = replace(sql, 'text TEXT NOT NULL', 'text BLOB NOT NULL') WHERE name = 'memories'")), /"memories" has a different definition/],
    ["a different FTS5 tokenizer", (p) => hostile(p, (db) => rewriteSchema(db,
      "UPDATE sqlite_master SET sql = replace(sql, 'porter unicode61', 'trigram') WHERE name = 'memories_fts'")), /"memories_fts" has a different definition/],
    ["a column DEFAULT calling a function", (p) => hostile(p, (db) => rewriteSchema(db,
      "UPDATE sqlite_master SET sql = replace(sql, 'source_ref TEXT', 'source_ref TEXT DEFAULT (randomblob(1000000000))') WHERE name = 'memories'")), /different definition/],
    ["not an SQLite file", (p) => writeFile(p, "this is not a database\n".repeat(100)), /not an SQLite database/],
    ["an empty file", (p) => writeFile(p, ""), /not an SQLite database/],
    ["the SQLite magic and garbage", async (p) => writeFile(p, Buffer.concat([Buffer.from("SQLite format 3\0", "latin1"), Buffer.alloc(8192, 0xa5)])), /page size|malformed|not an SQLite|truncated/],
    ["a copy truncated to a whole number of pages", async (p) => { const n = (await readFile(p)).length; await truncate(p, n - 4096); }, /truncated/],
    ["a copy truncated mid-page", async (p) => { const n = (await readFile(p)).length; await truncate(p, Math.floor(n / 2) + 7); }, /truncated/],
    ["a WAL-mode database", (p) => hostile(p, (db) => db.pragma("journal_mode = WAL")), /rollback-journal/],
    ["a FIFO in place of the file", async (p) => { await unlink(p); await run("mkfifo", [p]); }, /not a regular file/],
    ["a symlink in place of the file", async (p) => { await unlink(p); await symlink("/dev/zero", p); }, /not a regular file/],
    ["a huge meta row", (p) => hostile(p, (db) => db.prepare("INSERT INTO meta (key, value) VALUES ('x', ?)").run("y".repeat(2_000_000))), /meta table has a \d+-byte entry/],
    ["too many meta rows", (p) => hostile(p, (db) => { const s = db.prepare("INSERT INTO meta (key, value) VALUES (?, 'v')"); db.transaction(() => { for (let i = 0; i < 1000; i++) s.run(`k${i}`); })(); }), /meta table has \d+ rows, over the cap of 64/],
    ["thousands of schema objects", (p) => hostile(p, (db) => db.transaction(() => { for (let i = 0; i < 3000; i++) db.exec(`CREATE TABLE t${i} (x)`); })()), /oversized schema|schema objects/],
    ["one enormous view definition", (p) => hostile(p, (db) => db.exec(`CREATE VIEW big AS SELECT '${"x".repeat(1_000_000)}' AS x`)), /bytes of schema|oversized schema/],
    ["a malformed FTS5 config (shadow table content)", (p) => hostile(p, (db) => db.exec("UPDATE memories_fts_config SET v = 99 WHERE k = 'version'")), /not a readable memories database|corrupt|malformed|fts5/i],
  ];
  for (const [name, mutate, reason] of cases) {
    it(name, async () => {
      await installMutated(mutate);
      await expectRefusedOnReload(reason);
    });
  }
});

describe("hostile memories.db at start", () => {
  it("a VIEW over a recursive CTE: tlm answers /health at once with incompatible / corrupt", async () => {
    const d = await tempDir();
    let child: TlmChild | undefined;
    try {
      const r = join(d, "root");
      const bundleDir = await installBundle(r, "b9999", examples, { activate: false });
      hostile(join(bundleDir, "memories.db"), (db) => db.exec(RECURSIVE_VIEW));
      await activate(r, "b9999");
      const s = join(d, "run", "tlm.sock");
      child = spawnTlm(["serve", "--socket", s, "--bundle-root", r, "--poll-interval", "0"]);
      const h = Health.parse(await waitHealthy(child, s));
      expect(h).toMatchObject({ ready: false, compatibility: "incompatible", bundle_id: "b9999", error: { code: "incompatible_bundle", sub_code: "corrupt" } });
      const q = await query(s, { text: "anything" });
      expect(q.status).toBe(503);
      expect(ErrorBody.parse(q.json()).error).toMatchObject({ code: "incompatible_bundle", sub_code: "corrupt" });
    } finally {
      await stopChild(child);
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe("the schema check needs no writable /tmp", () => {
  it("with TMPDIR unusable (a read-only root file system), a good bundle still loads (the schema is derived in memory)", async () => {
    await activate(root, GOOD);
    const d = await tempDir();
    const child = spawn(process.execPath, [TLM_BIN, "serve", "--socket", join(d, "run", "tlm.sock"), "--bundle-root", root, "--poll-interval", "0"],
      { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, TMPDIR: join(d, "missing", "tmp") } });
    let err = "";
    child.stderr.on("data", (b: Buffer) => { err += b.toString(); });
    const t: TlmChild = { child, stderr: () => err, exited: new Promise((r) => child.once("exit", (code, signal) => r({ code, signal }))) };
    try {
      const h = Health.parse(await waitHealthy(t, join(d, "run", "tlm.sock")));
      expect(h).toMatchObject({ ready: true, compatibility: "compatible", bundle_id: GOOD });
    } finally {
      await stopChild(t);
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe("damage only a query can find", () => {
  // 3000 memories span many leaf pages; the last ones hold a word no other has.
  const records: MemoryRecord[] = Array.from({ length: 3000 }, (_, i) => ({
    id: `m${i}`, kind: "note" as const, created_at: "2024-01-01",
    text: `${i >= 2950 ? "zebracrossing " : ""}memory number ${i} about ordinary things ${"padding words here ".repeat(8)}`,
  }));

  it("a corrupt page of memories: the query answers 503 incompatible_bundle / corrupt, the process keeps serving", async () => {
    const id = await installMutated(async (p) => {
      let leaf: number;
      const db = new Database(p, { readonly: true });
      try {
        const pages = db.prepare("SELECT pageno FROM dbstat WHERE name = 'memories' AND pagetype = 'leaf' ORDER BY pageno").pluck().all() as number[];
        leaf = pages[pages.length - 1]!;
        const pageSize = db.pragma("page_size", { simple: true }) as number;
        db.close();
        const fh = await open(p, "r+");
        try {
          await fh.write(Buffer.alloc(pageSize, 0xff), 0, pageSize, (leaf - 1) * pageSize);
        } finally {
          await fh.close();
        }
      } finally {
        if (db.open) db.close();
      }
    }, records);
    const r = await call(sock, "POST", "/bundle/reload");
    expect(r.status, r.text).toBe(200);
    expect((await call(sock, "GET", "/health")).json()).toMatchObject({ ready: true, bundle_id: id });
    const q = await query(sock, { text: "zebracrossing", limit: 100 });
    expect(q.status, q.text).toBe(503);
    expect(ErrorBody.parse(q.json()).error).toMatchObject({ code: "incompatible_bundle", sub_code: "corrupt" });
    // Still alive, still answering.
    expect((await call(sock, "GET", "/health")).status).toBe(200);
    // Put the good bundle back for the other tests.
    await activate(root, GOOD);
    expect((await call(sock, "POST", "/bundle/reload")).status).toBe(200);
  });

  it("a 5 MB memory text (a valid shape) is served whole, without harm", async () => {
    await installMutated((p) => hostile(p, (db) => db.prepare("UPDATE memories SET text = ? WHERE id = 'm0'").run(`zebracrossing ${"x".repeat(5_000_000)}`)), records.slice(0, 10));
    expect((await call(sock, "POST", "/bundle/reload")).status).toBe(200);
    const q = await query(sock, { text: "memory number 0", limit: 1 });
    expect(q.status).toBe(200);
    const env = ResponseEnvelope.parse(q.json());
    expect(env.results[0]?.text.length).toBeGreaterThan(5_000_000);
    expect((await call(sock, "GET", "/health")).status).toBe(200);
    await activate(root, GOOD);
    expect((await call(sock, "POST", "/bundle/reload")).status).toBe(200);
  });
});
