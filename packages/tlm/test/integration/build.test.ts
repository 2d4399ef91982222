import { afterEach, describe, expect, it } from "vitest";
import { mkdir, readFile, readdir, rm, writeFile, utimes } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { execa } from "execa";
import { generateKeyPair, parseManifest, verifyManifest } from "@recall/bundle";
import { EXAMPLES, runTlm, tempDir } from "./harness";

const run = (file: string, args: string[]) => execa(file, args);
const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});
async function withDir() {
  const d = await tempDir();
  dirs.push(d);
  return d;
}
async function unpack(pub: string, into: string) {
  const manifest = JSON.parse(await readFile(join(pub, "manifest.json"), "utf8"));
  await mkdir(into, { recursive: true });
  await run("tar", ["-xzf", join(pub, manifest.archive.path), "-C", into]);
  return manifest;
}

describe("tlm bundle build", () => {
  it("builds a publish dir from JSONL: manifest + archive holding a single-file memories.db", async () => {
    const dir = await withDir();
    const pub = join(dir, "pub");
    const r = await runTlm(["bundle", "build", "--from", EXAMPLES, "--out", pub, "--json"]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.bundle_id).toMatch(/^\d{8}T\d{6}Z$/);
    expect(summary).toMatchObject({ schema_version: "1.0.0", memories: 199 });
    expect((await readdir(pub)).sort()).toEqual([`bundle-${summary.bundle_id}.tar.gz`, "manifest.json"].sort());
    const manifest = await unpack(pub, join(dir, "x"));
    expect(parseManifest(manifest).ok).toBe(true);
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(["memories.db"]);
    expect(await readdir(join(dir, "x"))).toEqual(["memories.db"]);
    const db = new Database(join(dir, "x", "memories.db"), { readonly: true });
    try {
      const meta = Object.fromEntries((db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[]).map((m) => [m.key, m.value]));
      expect(meta).toMatchObject({ schema_version: "1.0.0", bundle_id: summary.bundle_id, count: "199", lex_rows: "199", lex_champion_size: "512" });
      // The lexical index (champion lists, per-memory terms) ships in the bundle, one row per FTS5 token.
      expect(db.prepare("SELECT count(*) FROM lex_terms").pluck().get()).toBeGreaterThan(500);
      expect(db.prepare("SELECT count(*) FROM lex_doc_chunks").pluck().get()).toBe(1);
      expect(db.pragma("journal_mode", { simple: true })).toBe("delete");
      const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'memories_fts'").get() as { sql: string }).sql;
      expect(sql).toContain("porter unicode61");
    } finally {
      db.close();
    }
  });

  it("fails on a bad record, naming its line (exit 1, nothing published)", async () => {
    const dir = await withDir();
    const src = join(dir, "in.jsonl");
    const good = JSON.stringify({ id: "a", text: "hello", kind: "fact", created_at: "2025-01-01T00:00:00Z" });
    await writeFile(src, `${good}\n\n${JSON.stringify({ id: "b", text: "x", kind: "rumour", created_at: "yesterday" })}\n`);
    const r = await runTlm(["bundle", "build", "--from", src, "--out", join(dir, "pub")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("in.jsonl:3");
    expect(r.stderr).toContain("kind");
    expect(r.stderr).toContain("TLM_INVALID_RECORD");
    await writeFile(src, `${good}\n{"id": "broken"\n`);
    const r2 = await runTlm(["bundle", "build", "--from", src, "--out", join(dir, "pub")]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("in.jsonl:2");
    await writeFile(src, `${good}\n${good}\n`);
    const r3 = await runTlm(["bundle", "build", "--from", src, "--out", join(dir, "pub")]);
    expect(r3.stderr).toContain("duplicate id");
    await expect(readdir(join(dir, "pub"))).rejects.toThrow();
  });

  it("turns a Markdown directory into one note per ## section", async () => {
    const dir = await withDir();
    const md = join(dir, "docs");
    await mkdir(join(md, "team"), { recursive: true });
    await writeFile(join(md, "runbook.md"), "# Runbook\nintro ignored\n## Restart billing\nUse the deploy tool.\n### detail\nstill part of it\n## Rotate keys\nPublish JWKS first.\n");
    await writeFile(join(md, "team", "people.md"), "---\ndate: 2025-05-01\nentities: [alice, bob]\n---\n## Who owns CI\nkofi owns CI.\n");
    await utimes(join(md, "runbook.md"), new Date("2025-02-03T04:05:06Z"), new Date("2025-02-03T04:05:06Z"));
    const pub = join(dir, "pub");
    const r = await runTlm(["bundle", "build", "--from", md, "--out", pub, "--bundle-id", "md1", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).memories).toBe(3);
    await unpack(pub, join(dir, "x"));
    const db = new Database(join(dir, "x", "memories.db"), { readonly: true });
    try {
      const rows = db.prepare("SELECT id, kind, text, entities, created_at, source_ref FROM memories ORDER BY id").all();
      expect(rows).toEqual([
        { id: "runbook/restart-billing", kind: "note", text: "Restart billing\n\nUse the deploy tool.\n### detail\nstill part of it", entities: "[]", created_at: "2025-02-03T04:05:06.000Z", source_ref: "runbook.md#restart-billing" },
        { id: "runbook/rotate-keys", kind: "note", text: "Rotate keys\n\nPublish JWKS first.", entities: "[]", created_at: "2025-02-03T04:05:06.000Z", source_ref: "runbook.md#rotate-keys" },
        { id: "team-people/who-owns-ci", kind: "note", text: "Who owns CI\n\nkofi owns CI.", entities: '["alice","bob"]', created_at: "2025-05-01T00:00:00.000Z", source_ref: "team/people.md#who-owns-ci" },
      ]);
    } finally {
      db.close();
    }
  });

  it("signs with --sign-key, sets expires_at and tenant, and builds synthetic corpora", async () => {
    const dir = await withDir();
    const keys = generateKeyPair();
    await writeFile(join(dir, "key.pem"), keys.privateKeyPem, { mode: 0o600 });
    const pub = join(dir, "pub");
    const r = await runTlm(["bundle", "build", "--synthetic", "500", "--out", pub, "--bundle-id", "syn1",
      "--sign-key", join(dir, "key.pem"), "--expires-in", "30d", "--tenant", "9f2c1a7b3d4e5f60", "--json"]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ bundle_id: "syn1", memories: 500, signed_by: [keys.keyid], tenant: "9f2c1a7b3d4e5f60" });
    const days = (Date.parse(summary.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
    const parsed = parseManifest(JSON.parse(await readFile(join(pub, "manifest.json"), "utf8")));
    if (!parsed.ok) throw new Error("manifest did not parse");
    expect(verifyManifest(parsed.manifest, [keys.publicKey]).ok).toBe(true);
    const human = await runTlm(["bundle", "build", "--synthetic", "10", "--out", join(dir, "pub2"), "--bundle-id", "syn2"]);
    expect(human.stdout).toContain("built bundle syn2");
  });
});
