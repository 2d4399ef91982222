import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Puller } from "../../src/index";
import { killAll, spawnTick } from "../child";
import { makeBundle, removeTree, startEndpoint, tempDir, verifyCurrentWhole, type Endpoint } from "../helpers";

const KEY = "sk-crash-test-key-77aa";
let base: string;
let root: string;
let ep: Endpoint | null = null;

beforeEach(async () => {
  base = await tempDir();
  root = join(base, "root");
});

afterEach(async () => {
  await killAll();
  await ep?.close();
  ep = null;
  await removeTree(base);
});

function opts(): Record<string, unknown> {
  return { endpoint: ep!.url, apiKey: KEY, bundleRoot: root, minBytesPerSec: 0 };
}

/** A bundle with enough files that installing it takes a while. */
async function bigBundle(id: string) {
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < 12; i++) files[`part/${i}.bin`] = Buffer.alloc(32 * 1024, i + id.length);
  files["memories.db"] = Buffer.from(`db ${id}`);
  return makeBundle(base, id, { files });
}

describe("two processes and crash safety", () => {
  it("a puller in another process holds the lock (busy); after it is SIGKILLed mid-download the next tick recovers", async () => {
    ep = await startEndpoint(await bigBundle("b1"));
    await new Puller({ endpoint: ep.url, apiKey: KEY, bundleRoot: root }).tick();
    ep.serve(await bigBundle("b2"));
    for (let round = 0; round < 3; round++) {
      ep.faults.archiveMode = "pause";
      const paused = new Promise<void>((r) => (ep!.faults.onPause = r));
      const child = spawnTick(opts());
      await paused;
      expect(await new Puller({ endpoint: ep.url, apiKey: KEY, bundleRoot: root }).tick()).toEqual({ outcome: "busy" });
      child.proc.kill("SIGKILL");
      expect((await child.exited).signal).toBe("SIGKILL");
      expect(await verifyCurrentWhole(root)).toBe("b1");
      expect((await readdir(join(root, "staging"))).length).toBeLessThanOrEqual(1); // the killed child's leftovers
    }
    ep.faults.archiveMode = "normal";
    const o = await new Puller({ endpoint: ep.url, apiKey: KEY, bundleRoot: root }).tick();
    expect(o).toMatchObject({ outcome: "installed", bundle_id: "b2" });
    expect(await verifyCurrentWhole(root)).toBe("b2");
    expect(await readdir(join(root, "staging"))).toEqual([]);
  });

  it("SIGKILL at random points of install: current is always the old or the new bundle, whole", async () => {
    ep = await startEndpoint(await bigBundle("b000"));
    const inProcess = () => new Puller({ endpoint: ep!.url, apiKey: KEY, bundleRoot: root });
    await inProcess().tick();
    // calibrate: how long a whole child tick takes after it says "start"
    ep.serve(await bigBundle("b001"));
    const cal = spawnTick(opts());
    await cal.started;
    const t0 = Date.now();
    const calExit = await cal.exited;
    expect(calExit.outcome).toMatchObject({ outcome: "installed", bundle_id: "b001" });
    const span = Math.max(20, (Date.now() - t0) * 1.3);
    const seen = { old: 0, new: 0 };
    // children are pre-spawned one iteration ahead so that node's start-up overlaps the previous round
    let next = spawnTick(opts(), true);
    for (let i = 2; i < 32; i++) {
      const oldId = `b${String(i - 1).padStart(3, "0")}`;
      const newId = `b${String(i).padStart(3, "0")}`;
      ep.serve(await bigBundle(newId));
      const child = next;
      child.go();
      await Promise.race([child.started, child.exited.then((e) => {
        throw new Error(`child exited before starting: ${JSON.stringify(e)}`);
      })]);
      next = spawnTick(opts(), true);
      if (i % 2 === 0) {
        // anywhere in download + extraction + install
        await new Promise((r) => setTimeout(r, Math.random() * span));
      } else {
        // inside the install phase: rename, symlink swap, state.json, retention
        await Promise.race([child.installing, child.exited]);
        await new Promise((r) => setTimeout(r, Math.random() * 8));
      }
      child.proc.kill("SIGKILL");
      await child.exited;
      const after = await verifyCurrentWhole(root);
      expect([oldId, newId]).toContain(after);
      seen[after === oldId ? "old" : "new"]++;
      const o = await inProcess().tick();
      expect(["installed", "unchanged"]).toContain(o.outcome);
      expect(await verifyCurrentWhole(root)).toBe(newId);
      expect(await readdir(join(root, "staging"))).toEqual([]);
    }
    expect(seen.old + seen.new).toBe(30);
    process.stderr.write(`crash test: killed ${seen.old} times before the swap, ${seen.new} after (span ${Math.round(span)} ms)\n`);
    // 30 rounds of child processes: a deadline for a machine under heavy load (load average 20+ on 2 cores seen)
  }, 240_000);
});
