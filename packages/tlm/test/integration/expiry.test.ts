import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Health, ResponseEnvelope } from "@recall/protocol";
import type { MemoryRecord } from "../../dist/index.js";
import { activate, call, exampleRecords, installBundle, query, spawnTlm, stopChild, tempDir, waitHealthy, type TlmChild } from "./harness";

// Policy: serve-with-warning. An expired bundle keeps being served; /health says so, and so does every envelope.

let dir: string;
let root: string;
let sock: string;
let tlm: TlmChild | undefined;
let records: MemoryRecord[];

/** Installs a bundle whose manifest says `expires_at` (or has none), and reloads onto it. */
async function serveWithExpiry(id: string, expiresAt: string | undefined): Promise<void> {
  const bundleDir = await installBundle(root, id, records, { activate: false });
  const manifestPath = join(bundleDir, "manifest.json");
  const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as Record<string, unknown>;
  if (expiresAt === undefined) delete manifest.expires_at;
  else manifest.expires_at = expiresAt;
  await writeFile(manifestPath, JSON.stringify(manifest));
  await activate(root, id);
  const r = await call(sock, "POST", "/bundle/reload");
  expect(r.status, r.text).toBe(200);
}

async function health(): Promise<Health> {
  return Health.parse((await call(sock, "GET", "/health")).json());
}

async function envelope(): Promise<ResponseEnvelope> {
  const a = await query(sock, { text: "JWT signing key" });
  expect(a.status).toBe(200);
  return ResponseEnvelope.parse(a.json());
}

beforeAll(async () => {
  dir = await tempDir();
  root = join(dir, "root");
  sock = join(dir, "run", "tlm.sock");
  records = await exampleRecords();
  tlm = spawnTlm(["serve", "--socket", sock, "--bundle-root", root, "--poll-interval", "0"]);
  await waitHealthy(tlm, sock);
});

afterAll(async () => {
  await stopChild(tlm);
  await rm(dir, { recursive: true, force: true });
});

describe("bundle expiry while serving", () => {
  it("no expires_at: /health says expires_at null, expired false; envelopes carry no warning", async () => {
    await serveWithExpiry("b0001", undefined);
    expect(await health()).toMatchObject({ ready: true, bundle_id: "b0001", expires_at: null, expired: false });
    expect((await envelope()).warnings).toBeUndefined();
  });

  it("expires in the future: not expired, no warning", async () => {
    await serveWithExpiry("b0002", "2999-01-01T00:00:00Z");
    expect(await health()).toMatchObject({ ready: true, bundle_id: "b0002", expires_at: "2999-01-01T00:00:00Z", expired: false });
    expect((await envelope()).warnings).toBeUndefined();
  });

  it("already expired: still served (ready), /health expired true, every envelope warns bundle_expired, logged once", async () => {
    await serveWithExpiry("b0003", "2001-01-01T00:00:00Z");
    expect(await health()).toMatchObject({ ready: true, compatibility: "compatible", bundle_id: "b0003", expires_at: "2001-01-01T00:00:00Z", expired: true });
    for (let i = 0; i < 3; i++) {
      const env = await envelope();
      expect(env.warnings).toEqual(["bundle_expired"]);
      expect(env.results.length).toBeGreaterThan(0);
    }
    const lines = tlm!.stderr().split("\n").filter((l) => l.includes('"event":"bundle_expired"') && l.includes('"bundle_id":"b0003"'));
    expect(lines).toHaveLength(1);
  });

  it("expires while being served: /health and envelopes turn without a reload", async () => {
    const expiresAt = new Date(Date.now() + 2_000).toISOString();
    await serveWithExpiry("b0004", expiresAt);
    expect((await health()).expires_at).toBe(expiresAt);
    await expect.poll(async () => (await health()).expired, { timeout: 30_000, interval: 25, message: "expired: true" }).toBe(true);
    expect((await envelope()).warnings).toEqual(["bundle_expired"]);
    expect((await health()).ready).toBe(true);
  });
});
