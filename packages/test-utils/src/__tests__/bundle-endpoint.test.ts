import { mkdirSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { BUNDLE_PREFIX, manifestEtag, publishBundle, startBundleEndpoint, type BundleEndpoint } from "../bundle-endpoint";
import { makeTempDir, type TempDir } from "../temp-dir";

const ARCHIVE = "bundle-1.tar.gz";
const archiveBytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));

function writePublishDir(dir: string, id: string, archive = archiveBytes): Buffer {
  mkdirSync(dir, { recursive: true });
  const manifest = Buffer.from(JSON.stringify({ bundle_id: id, archive: { path: ARCHIVE, size: archive.length } }));
  writeFileSync(`${dir}/${ARCHIVE}`, archive);
  writeFileSync(`${dir}/manifest.json`, manifest);
  return manifest;
}

/** The body of `r` as the slices it arrived in. */
async function readChunks(r: Response): Promise<Uint8Array[]> {
  const reader = r.body!.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

describe("startBundleEndpoint", () => {
  let tmp: TempDir;
  let ep: BundleEndpoint | undefined;
  beforeEach(async () => {
    tmp = await makeTempDir("test-utils-");
  });
  afterEach(async () => {
    await ep?.close();
    ep = undefined;
    await tmp.remove();
  });

  it("serves the manifest with a strong ETag, answers 304 to it, and serves the archive whole", async () => {
    const manifest = writePublishDir(tmp.join("pub"), "b1");
    ep = await startBundleEndpoint({ dir: tmp.join("pub") });
    const r1 = await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`);
    expect(r1.status).toBe(200);
    expect(r1.headers.get("etag")).toBe(manifestEtag(manifest));
    expect(Buffer.from(await r1.arrayBuffer()).equals(manifest)).toBe(true);
    const r2 = await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`, { headers: { "if-none-match": manifestEtag(manifest) } });
    expect(r2.status).toBe(304);
    const r3 = await fetch(`${ep.url}${BUNDLE_PREFIX}${ARCHIVE}`);
    expect(r3.status).toBe(200);
    expect(Buffer.from(await r3.arrayBuffer()).equals(archiveBytes)).toBe(true);
    expect(ep.requests.map((r) => r.status)).toEqual([200, 304, 200]);
    expect(ep.manifestRequests()).toHaveLength(2);
  });

  it("answers 404 before a publish, for unknown paths, hidden or traversing names and other methods", async () => {
    ep = await startBundleEndpoint({ dir: tmp.join("empty") });
    for (const path of [`${BUNDLE_PREFIX}manifest`, `${BUNDLE_PREFIX}${ARCHIVE}`, "/", `${BUNDLE_PREFIX}..%2Fx`, `${BUNDLE_PREFIX}.hidden`]) {
      expect((await fetch(`${ep.url}${path}`)).status, path).toBe(404);
    }
    writePublishDir(tmp.join("empty"), "b1");
    expect((await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`)).status).toBe(200);
  });

  it("answers 401 without the API key and records whether the key matched", async () => {
    writePublishDir(tmp.join("pub"), "b1");
    ep = await startBundleEndpoint({ dir: tmp.join("pub"), apiKey: "k-123" });
    expect((await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`)).status).toBe(401);
    expect((await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`, { headers: { "x-api-key": "wrong" } })).status).toBe(401);
    expect((await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`, { headers: { "x-api-key": "k-123" } })).status).toBe(200);
    expect(ep.requests.map((r) => r.keyOk)).toEqual([false, false, true]);
  });

  it("publish() puts the archive and then the manifest into the served dir; serve() switches dirs", async () => {
    const m1 = writePublishDir(tmp.join("pub1"), "b1");
    const m2 = writePublishDir(tmp.join("pub2"), "b2");
    ep = await startBundleEndpoint({ dir: tmp.join("www") });
    expect(ep.currentEtag()).toBeNull();
    ep.publish(tmp.join("pub1"));
    expect(ep.currentEtag()).toBe(manifestEtag(m1));
    expect(Buffer.from(await (await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`)).arrayBuffer()).equals(m1)).toBe(true);
    ep.serve(tmp.join("pub2"));
    expect(ep.dir).toBe(tmp.join("pub2"));
    expect(Buffer.from(await (await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`)).arrayBuffer()).equals(m2)).toBe(true);
  });

  it("injects status faults, a redirect and a manifest without ETag", async () => {
    writePublishDir(tmp.join("pub"), "b1");
    ep = await startBundleEndpoint({ dir: tmp.join("pub") });
    ep.faults.manifestStatus = 503;
    expect((await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`)).status).toBe(503);
    ep.faults.manifestStatus = null;
    ep.faults.sendEtag = false;
    const r = await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`);
    expect(r.status).toBe(200);
    expect(r.headers.get("etag")).toBeNull();
    ep.faults.archiveStatus = 500;
    expect((await fetch(`${ep.url}${BUNDLE_PREFIX}${ARCHIVE}`)).status).toBe(500);
    ep.faults.redirectArchiveTo = "http://127.0.0.1:1/elsewhere";
    const red = await fetch(`${ep.url}${BUNDLE_PREFIX}${ARCHIVE}`, { redirect: "manual" });
    expect(red.status).toBe(302);
    expect(red.headers.get("location")).toBe("http://127.0.0.1:1/elsewhere");
  });

  it("truncate mode cuts the body under the full content-length", async () => {
    writePublishDir(tmp.join("pub"), "b1");
    ep = await startBundleEndpoint({ dir: tmp.join("pub") });
    ep.faults.archiveMode = "truncate";
    const r = await fetch(`${ep.url}${BUNDLE_PREFIX}${ARCHIVE}`);
    expect(r.headers.get("content-length")).toBe(String(archiveBytes.length));
    await expect(r.arrayBuffer()).rejects.toThrow();
  });

  it("trickle mode delivers the whole body in many slices", async () => {
    writePublishDir(tmp.join("pub"), "b1");
    ep = await startBundleEndpoint({ dir: tmp.join("pub") });
    ep.faults.archiveMode = "trickle";
    ep.faults.trickleBytesPerSec = 20 * 512; // 512-byte slices: 8 of them
    const r = await fetch(`${ep.url}${BUNDLE_PREFIX}${ARCHIVE}`);
    const chunks = await readChunks(r);
    expect(Buffer.concat(chunks).equals(archiveBytes)).toBe(true);
    expect(chunks.length).toBeGreaterThan(1);
  });

  it("pause mode sends half, calls onPause once, and close() cuts the held response", async () => {
    writePublishDir(tmp.join("pub"), "b1");
    ep = await startBundleEndpoint({ dir: tmp.join("pub") });
    ep.faults.archiveMode = "pause";
    const onPause = vi.fn();
    ep.faults.onPause = onPause;
    const r = await fetch(`${ep.url}${BUNDLE_PREFIX}${ARCHIVE}`);
    const reader = r.body!.getReader();
    let got = 0;
    while (got < archiveBytes.length / 2) got += (await reader.read()).value?.length ?? 0;
    expect(got).toBe(archiveBytes.length / 2);
    expect(onPause).toHaveBeenCalledTimes(1);
    expect(ep.faults.onPause).toBeNull();
    const rest = reader.read();
    await ep.close();
    ep = undefined;
    await expect(rest).rejects.toThrow();
  });

  it("serves a bundle from memory (manifest bytes as given, one archive), switchable like a dir", async () => {
    const manifest = Buffer.from('{"bundle_id":"m1"}');
    ep = await startBundleEndpoint({ bundle: { manifestBytes: manifest, archiveName: ARCHIVE, archive: archiveBytes } });
    expect(ep.dir).toBeNull();
    expect(ep.bundle?.archiveName).toBe(ARCHIVE);
    const r1 = await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`);
    expect(r1.headers.get("etag")).toBe(manifestEtag(manifest));
    expect(ep.currentEtag()).toBe(manifestEtag(manifest));
    expect(Buffer.from(await r1.arrayBuffer()).equals(manifest)).toBe(true);
    expect(Buffer.from(await (await fetch(`${ep.url}${BUNDLE_PREFIX}${ARCHIVE}`)).arrayBuffer()).equals(archiveBytes)).toBe(true);
    expect((await fetch(`${ep.url}${BUNDLE_PREFIX}other.tar.gz`)).status).toBe(404);
    ep.serve(null);
    expect(ep.bundle).toBeNull();
    expect((await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`)).status).toBe(404);
    writePublishDir(tmp.join("pub"), "d1");
    ep.serve(tmp.join("pub"));
    expect(ep.dir).toBe(tmp.join("pub"));
    expect((await fetch(`${ep.url}${BUNDLE_PREFIX}manifest`)).status).toBe(200);
    expect(ep.requests.map((r) => r.status)).toEqual([200, 200, 404, 404, 200]);
  });

  it("files: answers a body at an exact path outside the bundle prefix, with the archive faults", async () => {
    ep = await startBundleEndpoint();
    ep.files.set("/cdn/b1.tar.gz", archiveBytes);
    const r = await fetch(`${ep.url}/cdn/b1.tar.gz`);
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(archiveBytes)).toBe(true);
    expect((await fetch(`${ep.url}/cdn/other.tar.gz`)).status).toBe(404);
    ep.faults.archiveStatus = 503;
    expect((await fetch(`${ep.url}/cdn/b1.tar.gz`)).status).toBe(503);
    expect(ep.requests.map((r) => [r.path, r.status])).toEqual([
      ["/cdn/b1.tar.gz", 200],
      ["/cdn/other.tar.gz", 404],
      ["/cdn/b1.tar.gz", 503],
    ]);
  });

  it("trickle below 20 bytes a second sends one byte per 1000/rate ms", async () => {
    ep = await startBundleEndpoint({ bundle: { manifestBytes: Buffer.from("{}"), archiveName: ARCHIVE, archive: Buffer.from("abc") } });
    ep.faults.archiveMode = "trickle";
    ep.faults.trickleBytesPerSec = 10;
    const r = await fetch(`${ep.url}${BUNDLE_PREFIX}${ARCHIVE}`);
    const chunks = await readChunks(r);
    expect(chunks.map((c) => Buffer.from(c).toString())).toEqual(["a", "b", "c"]);
  });

  it("publishBundle() copies a publish dir into another, archive and manifest, no temp files left", async () => {
    const manifest = writePublishDir(tmp.join("pub"), "b1");
    publishBundle(tmp.join("pub"), tmp.join("www", "deep"));
    expect(readdirSync(tmp.join("www", "deep")).sort()).toEqual([ARCHIVE, "manifest.json"]);
    expect(readFileSync(tmp.join("www", "deep", "manifest.json")).equals(manifest)).toBe(true);
    expect(readFileSync(tmp.join("www", "deep", ARCHIVE)).equals(archiveBytes)).toBe(true);
  });
});
