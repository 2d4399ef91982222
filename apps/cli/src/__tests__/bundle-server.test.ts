import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { etagMatches, manifestEtag, startBundleServer, type AccessLogEntry, type BundleServer } from "../bundle-server";

describe("etag helpers", () => {
  it("quotes a sha256 and matches lists, weak forms and *", () => {
    const e = manifestEtag(Buffer.from("{}"));
    expect(e).toMatch(/^"[0-9a-f]{64}"$/);
    expect(etagMatches(e, e)).toBe(true);
    expect(etagMatches(`"x", ${e}`, e)).toBe(true);
    expect(etagMatches(`W/${e}`, e)).toBe(true);
    expect(etagMatches("*", e)).toBe(true);
    expect(etagMatches('"other"', e)).toBe(false);
    expect(etagMatches(undefined, e)).toBe(false);
  });
});

describe("startBundleServer", () => {
  let dir: string;
  let server: BundleServer | undefined;
  const log: AccessLogEntry[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "rcs-"));
    log.length = 0;
  });
  afterEach(async () => {
    await server?.close(100);
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("serves 404 before publishing, then the manifest and archive; refuses other files and methods", async () => {
    server = await startBundleServer({ dir, port: 0, onRequest: (e) => log.push(e) });
    const base = `${server.url}/api/v1/memory/bundle/`;
    expect((await fetch(`${base}manifest`)).status).toBe(404);
    await writeFile(join(dir, "bundle-1.tar.gz"), Buffer.alloc(1000, 7));
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ archive: { path: "bundle-1.tar.gz" } }));
    await writeFile(join(dir, "secret.key"), "no");
    const m = await fetch(`${base}manifest`);
    expect(m.status).toBe(200);
    expect(m.headers.get("etag")).toBe(manifestEtag(Buffer.from(await m.text())));
    const a = await fetch(`${base}bundle-1.tar.gz`);
    expect(a.status).toBe(200);
    expect(a.headers.get("content-length")).toBe("1000");
    expect((await a.arrayBuffer()).byteLength).toBe(1000);
    expect((await fetch(`${base}secret.key`)).status).toBe(404);
    expect((await fetch(`${base}..%2Fmanifest.json`)).status).toBe(404);
    expect((await fetch(`${base}manifest`, { method: "POST" })).status).toBe(405);
    expect(log.map((e) => e.status)).toEqual([404, 200, 200, 404, 404, 405]);
  });

  it("requires the API key when configured, and never logs it", async () => {
    server = await startBundleServer({ dir, port: 0, apiKey: "k-123", onRequest: (e) => log.push(e) });
    await writeFile(join(dir, "manifest.json"), "{}");
    const url = `${server.url}/api/v1/memory/bundle/manifest`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { "x-api-key": "k-12" } })).status).toBe(401);
    const ok = await fetch(url, { headers: { "x-api-key": "k-123" } });
    expect(ok.status).toBe(200);
    const etag = ok.headers.get("etag")!;
    expect((await fetch(url, { headers: { "x-api-key": "k-123", "if-none-match": etag } })).status).toBe(304);
    expect(JSON.stringify(log)).not.toContain("k-123");
  });

  it("keeps serving when the access-log callback throws, on every kind of response", async () => {
    // A throw in onRequest used to reject a promise nobody handled: Node ends the process on that.
    let calls = 0;
    server = await startBundleServer({ dir, port: 0, onRequest: () => { calls++; throw new Error("log sink broke"); } });
    const base = `${server.url}/api/v1/memory/bundle/`;
    expect((await fetch(`${base}manifest`)).status).toBe(404);
    await writeFile(join(dir, "bundle-1.tar.gz"), Buffer.alloc(100, 7));
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ archive: { path: "bundle-1.tar.gz" } }));
    const m = await fetch(`${base}manifest`);
    expect(m.status).toBe(200);
    await m.text();
    const a = await fetch(`${base}bundle-1.tar.gz`);
    expect(a.status).toBe(200);
    expect((await a.arrayBuffer()).byteLength).toBe(100);
    expect((await fetch(`${base}manifest`, { method: "POST" })).status).toBe(405);
    expect(calls).toBe(4);
  });
});
