import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLock, bundleRootLayout, installLocal, readBundleState } from "../../src/index";
import { capture, editManifest, hashTree, keys, makeBundle, removeTree, tempDir, verifyCurrentWhole } from "../helpers";

let base: string;
let root: string;
let cap: ReturnType<typeof capture>;

beforeEach(async () => {
  base = await tempDir();
  root = join(base, "box", "root");
  cap = capture();
});
afterEach(async () => {
  await removeTree(base);
});

describe("installLocal", () => {
  it("installs from a publish dir and from an archive next to its manifest", async () => {
    const b1 = await makeBundle(base, "b1");
    const o1 = await installLocal(b1.dir, { bundleRoot: root, audit: cap.audit, logger: cap.logger });
    expect(o1).toEqual({ outcome: "installed", bundle_id: "b1", schema_version: "1.0.0" });
    expect(await verifyCurrentWhole(root)).toBe("b1");
    expect(await installLocal(b1.dir, { bundleRoot: root })).toEqual({ outcome: "unchanged" });
    const b2 = await makeBundle(base, "b2", { files: { "memories.db": Buffer.alloc(300_000, 3) } });
    const progress: number[] = [];
    const o2 = await installLocal(join(b2.dir, b2.archiveName), {
      bundleRoot: root,
      audit: cap.audit,
      onProgress: (p) => void (p.phase === "download" && progress.push(p.bytes)),
    });
    expect(o2).toMatchObject({ outcome: "installed", bundle_id: "b2" });
    expect(progress.at(-1)).toBe(b2.archive.length);
    expect(await verifyCurrentWhole(root)).toBe("b2");
    const st = await readBundleState(root);
    expect(st.current).toMatchObject({ bundle_id: "b2" });
    expect(st.state).toMatchObject({ etag: null, highest_bundle_id: "b2" });
    expect(cap.events.map((e) => e.event)).toEqual(["memory_bundle_installed", "memory_bundle_installed"]);
  });

  it("runs the same verification: unsigned with keys, hash lie, rollback (unless allowed)", async () => {
    const k = keys();
    const b2 = await makeBundle(base, "b2", { signKeyPem: k.privateKeyPem });
    expect(await installLocal(b2.dir, { bundleRoot: root, publicKeys: [k.publicKey] })).toMatchObject({ outcome: "installed" });
    const before = await hashTree(root);
    const unsigned = await makeBundle(base, "b3");
    expect(await installLocal(unsigned.dir, { bundleRoot: root, publicKeys: [k.publicKey], audit: cap.audit })).toMatchObject({
      outcome: "rejected",
      reason: "unsigned",
    });
    const lie = editManifest(await makeBundle(base, "b4"), (m) => ({ ...m, archive: { ...m.archive, sha256: "f".repeat(64) } }));
    await writeFile(join(lie.dir, "manifest.json"), lie.manifestBytes);
    expect(await installLocal(lie.dir, { bundleRoot: root })).toMatchObject({ outcome: "rejected", reason: "archive_hash_mismatch" });
    const old = await makeBundle(base, "b1", { signKeyPem: k.privateKeyPem });
    expect(await installLocal(old.dir, { bundleRoot: root, publicKeys: [k.publicKey] })).toMatchObject({ outcome: "rejected", reason: "rollback" });
    const after = await hashTree(root);
    delete before["state.json"];
    delete after["state.json"];
    expect(after).toEqual(before);
    expect(cap.events).toEqual([{ event: "memory_bundle_rejected", fields: { reason: "unsigned", bundle_id: "b3" } }]);
    expect(await installLocal(old.dir, { bundleRoot: root, publicKeys: [k.publicKey], allowRollback: true })).toMatchObject({
      outcome: "installed",
      bundle_id: "b1",
    });
    expect(await verifyCurrentWhole(root)).toBe("b1");
  });

  it("fails cleanly on missing input and returns busy while another puller holds the lock", async () => {
    expect(await installLocal(join(base, "nope"), { bundleRoot: root })).toMatchObject({ outcome: "failed", reason: "not_found" });
    const b1 = await makeBundle(base, "b1");
    await rm(join(b1.dir, b1.archiveName));
    expect(await installLocal(b1.dir, { bundleRoot: root })).toMatchObject({ outcome: "failed", reason: "not_found" });
    expect(await readdir(join(root, "staging"))).toEqual([]);
    const b2 = await makeBundle(base, "b2");
    const lock = await acquireLock(bundleRootLayout(root).lock);
    expect(lock).not.toBeNull();
    try {
      expect(await installLocal(b2.dir, { bundleRoot: root })).toEqual({ outcome: "busy" });
    } finally {
      await lock!.release();
    }
    expect(await installLocal(b2.dir, { bundleRoot: root })).toMatchObject({ outcome: "installed" });
  });
});
