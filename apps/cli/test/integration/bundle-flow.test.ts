import { parseManifestJson, safeExtract } from "@recall/bundle";
import { createReadStream } from "node:fs";
import { cp, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, health, recall, sandbox, startServe, startTlm, stop, tlmBuild, transcript, WAIT, type Sandbox } from "./harness";

interface Manifest {
  bundle_id: string;
  archive: { path: string; size: number; sha256: string };
  files: { path: string; size: number; sha256: string }[];
  signatures?: { keyid: string }[];
  expires_at?: string;
}


describe("recall bundle keygen → pack → sign → verify → serve → pull → install → query", () => {
  let sb: Sandbox;
  let src: string;
  let keyid: string;
  let pubkey: string;
  beforeAll(async () => {
    sb = await sandbox();
    const built = join(sb.dir, "built");
    await tlmBuild(sb, built);
    // the files inside tlm's bundle (memories.db), to pack them again with recall
    const parsed = parseManifestJson(await readFile(join(built, "manifest.json")));
    if (!parsed.ok) throw parsed.rejection;
    src = join(sb.dir, "src");
    const x = await safeExtract(createReadStream(join(built, parsed.manifest.archive.path)), { dest: src, manifest: parsed.manifest, maxBytes: 1 << 30, maxUnpackedBytes: 1 << 30 });
    if (!x.ok) throw x.rejection;
  });
  afterAll(async () => {
    await sb.cleanup();
    expect(transcript.join("\n")).not.toContain(API_KEY);
  });

  it("keygen writes a 0600 PEM and a base64 public key and refuses to overwrite", async () => {
    const r = await recall(sb, ["bundle", "keygen", "--out", "keys/prod", "--json"]);
    expect(r.code).toBe(0);
    const j = r.json as { keyid: string; public_key: string; private_key_file: string; public_key_file: string };
    expect(j.keyid).toMatch(/^[0-9a-f]{16}$/);
    expect((await stat(j.private_key_file)).mode & 0o777).toBe(0o600);
    expect(await readFile(j.private_key_file, "utf8")).toContain("BEGIN PRIVATE KEY");
    expect((await readFile(j.public_key_file, "utf8")).trim()).toBe(j.public_key);
    keyid = j.keyid;
    pubkey = j.public_key;
    const again = await recall(sb, ["bundle", "keygen", "--out", "keys/prod"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    expect((await recall(sb, ["bundle", "keygen", "--out", "keys/other"])).code).toBe(0);
  });

  it("packs a signed bundle and verifies it; a wrong key, a tampered archive or manifest fail verify", async () => {
    const pack = await recall(sb, ["bundle", "pack", src, "--out", "pub1", "--bundle-id", "20260101T000000Z", "--sign-key", "keys/prod.key", "--expires-in", "30d", "--json"]);
    expect(pack.code, pack.stderr).toBe(0);
    const m = (pack.json as { manifest: Manifest }).manifest;
    expect(m.signatures?.map((s) => s.keyid)).toEqual([keyid]);
    expect(m.files.map((f) => f.path)).toEqual(["memories.db"]);
    expect(Date.parse(m.expires_at!) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const ok = await recall(sb, ["bundle", "verify", "pub1", "--pubkey-file", "keys/prod.pub", "--json"]);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.json).toMatchObject({ valid: true, bundle_id: "20260101T000000Z" });
    expect((ok.json as { checks: { name: string; ok: boolean }[] }).checks.map((c) => [c.name, c.ok])).toEqual([
      ["manifest", true], ["signature", true], ["policy", true], ["archive", true], ["contents", true],
    ]);
    const human = await recall(sb, ["bundle", "verify", "pub1/manifest.json", "--pubkey", pubkey]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/✓ signature\s+valid, by keyid/);

    const wrong = await recall(sb, ["bundle", "verify", "pub1", "--pubkey-file", "keys/other.pub", "--json"]);
    expect(wrong.code).toBe(1);
    expect(wrong.json).toMatchObject({ valid: false, checks: expect.arrayContaining([expect.objectContaining({ name: "signature", reason: "bad_signature" })]) });

    // a tampered archive: one byte changed
    await cp(join(sb.dir, "pub1"), join(sb.dir, "tampered"), { recursive: true });
    const arc = join(sb.dir, "tampered", m.archive.path);
    const bytes = await readFile(arc);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
    await writeFile(arc, bytes);
    const bad = await recall(sb, ["bundle", "verify", "tampered", "--pubkey-file", "keys/prod.pub"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("✗");
    expect(bad.stdout).toContain("INVALID");

    // a tampered manifest: the signature no longer covers it
    const edited = { ...m, files: [{ ...m.files[0]!, sha256: "0".repeat(64) }] };
    await writeFile(join(sb.dir, "tampered", "manifest.json"), JSON.stringify(edited));
    await writeFile(arc, await readFile(join(sb.dir, "pub1", m.archive.path)));
    const badSig = await recall(sb, ["bundle", "verify", "tampered", "--pubkey-file", "keys/prod.pub", "--json"]);
    expect(badSig.code).toBe(1);
    expect(JSON.stringify(badSig.json)).toContain("bad_signature");
    // re-signed by the publisher's key, the inventory still does not match the archive
    expect((await recall(sb, ["bundle", "sign", "tampered", "--key", "keys/prod.key"])).code).toBe(0);
    const badInv = await recall(sb, ["bundle", "verify", "tampered", "--pubkey-file", "keys/prod.pub", "--json"]);
    expect(badInv.code).toBe(1);
    expect(JSON.stringify(badInv.json)).toContain("file_hash_mismatch");
  });

  it("serves a publish dir: 404 until published, 401 without the key, ETag and 304, new bundles picked up", async () => {
    const www = join(sb.dir, "www");
    await mkdir(www);
    const { child, url, lines } = await startServe(sb, www, ["--api-key-env", "SERVE_KEY"], { SERVE_KEY: API_KEY });
    const murl = `${url}/api/v1/memory/bundle/manifest`;
    const key = { "x-api-key": API_KEY };
    expect((await fetch(murl, { headers: key })).status).toBe(404);
    expect((await fetch(murl)).status).toBe(401);
    expect((await fetch(murl, { headers: { "x-api-key": "wrong" } })).status).toBe(401);
    await cp(join(sb.dir, "pub1"), www, { recursive: true });
    const first = await fetch(murl, { headers: key });
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect((await fetch(murl, { headers: { ...key, "if-none-match": etag } })).status).toBe(304);
    const m = (await first.json()) as Manifest;
    const arc = await fetch(`${url}/api/v1/memory/bundle/${m.archive.path}`, { headers: key });
    expect(arc.status).toBe(200);
    expect(Number(arc.headers.get("content-length"))).toBe(m.archive.size);
    expect((await arc.arrayBuffer()).byteLength).toBe(m.archive.size);
    // publish a re-signed manifest in place: a new ETag, no restart
    expect((await recall(sb, ["bundle", "sign", "www", "--key", "keys/other.key"])).code).toBe(0);
    const second = await fetch(murl, { headers: { ...key, "if-none-match": etag } });
    expect(second.status).toBe(200);
    expect(second.headers.get("etag")).not.toBe(etag);
    expect(await stop(child, "SIGINT")).toBe(0);
    const log = lines.map((l) => JSON.parse(l) as { event: string; status?: number });
    expect(log.filter((e) => e.event === "request").map((e) => e.status)).toEqual([404, 401, 401, 200, 304, 200, 200]);
    expect(log.at(-1)).toEqual({ event: "stopped" });
  });

  it("pulls in cloud mode without a daemon, installs, answers queries; install swaps a running sidecar to a newer bundle", async () => {
    const www = join(sb.dir, "www2");
    await mkdir(www);
    await cp(join(sb.dir, "pub1"), www, { recursive: true });
    const { url } = await startServe(sb, www, ["--api-key-env", "SERVE_KEY"], { SERVE_KEY: API_KEY });
    const cloud = { RECALL_MEMORY_PROVIDER: "cloud", RECALL_MEMORY_ENDPOINT: url, RECALL_MEMORY_API_KEY: API_KEY, RECALL_MEMORY_BUNDLE_PUBLIC_KEYS: pubkey };

    const wrongKey = await recall(sb, ["pull", "--json"], { env: { ...cloud, RECALL_MEMORY_API_KEY: "rk_wrong_key_000" } });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.json).toMatchObject({ via: "cli", outcome: "failed", reason: "unauthorized" });

    const pull = await recall(sb, ["pull", "--json"], { env: cloud });
    expect(pull.code, pull.stdout + pull.stderr).toBe(0);
    expect(pull.json).toMatchObject({ via: "cli", outcome: "installed", bundle_id: "20260101T000000Z" });
    const again = await recall(sb, ["pull"], { env: cloud });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("up to date");

    const down = await recall(sb, ["query", "postgres", "--json"], { env: cloud });
    expect(down.code).toBe(3);
    expect(down.json).toMatchObject({ class: "unavailable", error: { exit_code: 3 } });
    expect(down.stderr).toBe("");
    const downText = await recall(sb, ["query", "postgres"], { env: cloud });
    expect(downText.stderr).toContain("recalld");
    expect(downText.stderr).toContain("--spawn");

    await startTlm(sb);
    const q = await recall(sb, ["query", "postgres", "--limit", "3", "--json"], { env: cloud });
    expect(q.code, q.stderr).toBe(0);
    const env = q.json as { bundle_id: string; results: { kind: string; text: string; score: number }[] };
    expect(env.bundle_id).toBe("20260101T000000Z");
    expect(env.results.length).toBeGreaterThan(0);
    expect(env.results.length).toBeLessThanOrEqual(3);
    const dec = await recall(sb, ["query", "postgres", "--kind", "decision", "--json"], { env: cloud });
    expect((dec.json as typeof env).results.every((r) => r.kind === "decision")).toBe(true);
    const text = await recall(sb, ["query", "postgres", "--limit", "2"], { env: cloud });
    expect(text.stdout).toMatch(/^1 {2}\s*\d+\.\d\d {2}\w+\s+\d{4}-\d\d-\d\d {2}\S/m);
    expect(text.stdout).toContain("bundle 20260101T000000Z");

    const status = await recall(sb, ["status", "--json"], { env: cloud });
    expect(status.code).toBe(0);
    expect(status.json).toMatchObject({ source: "sidecar", ready: true, health: { bundle_id: "20260101T000000Z" } });

    // a newer bundle installed by hand: the running sidecar is told to reload
    expect((await recall(sb, ["bundle", "pack", src, "--out", "pub2", "--bundle-id", "20260201T000000Z", "--sign-key", "keys/prod.key"])).code).toBe(0);
    const inst = await recall(sb, ["bundle", "install", "pub2", "--json"], { env: cloud });
    expect(inst.code, inst.stdout + inst.stderr).toBe(0);
    expect(inst.json).toMatchObject({ outcome: "installed", bundle_id: "20260201T000000Z", sidecar: { bundle_id: "20260201T000000Z" } });
    expect((await health(sb.socket))?.bundle_id).toBe("20260201T000000Z");
    const ids = await readdir(join(sb.root, "bundles"));
    expect(ids.sort()).toEqual(["20260101T000000Z", "20260201T000000Z"]);

    // rollback to the older bundle is refused, and explained
    const back = await recall(sb, ["bundle", "install", "pub1"], { env: cloud });
    expect(back.code).toBe(1);
    expect(back.stderr).toContain("rollback");
    expect(back.stderr).toContain("--allow-rollback");

    // an unsigned bundle is refused when keys are configured
    await tlmBuild(sb, join(sb.dir, "unsigned"), ["--bundle-id", "20260301T000000Z"]);
    const uns = await recall(sb, ["bundle", "install", "unsigned", "--json"], { env: cloud });
    expect(uns.code).toBe(1);
    expect(uns.json).toMatchObject({ outcome: "rejected", reason: "unsigned" });
    expect((await health(sb.socket))?.bundle_id).toBe("20260201T000000Z");

    for (const args of [["config"], ["config", "--json"], ["doctor"], ["doctor", "--json"], ["status"]]) {
      const r = await recall(sb, args, { env: cloud });
      expect(r.stdout + r.stderr).not.toContain(API_KEY);
      if (args[0] !== "status") expect(r.stdout).toMatch(/fp:[0-9a-f]{16}/);
    }
    // A scenario of some twenty CLI runs and three sidecars: 23 s in a clean-clone run, over 60 s once on a loaded machine.
  }, 180_000);

  it("--spawn runs a one-shot sidecar when none answers and leaves nothing running", async () => {
    for (const c of sb.children) await stop(c);
    await expect.poll(() => health(sb.socket), { ...WAIT, message: "sidecar gone" }).toBeNull();
    const r = await recall(sb, ["query", "connection storms", "--spawn", "--json"], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect((r.json as { bundle_id: string }).bundle_id).toBe("20260201T000000Z");
    expect(await health(sb.socket)).toBeNull();
  });
});
