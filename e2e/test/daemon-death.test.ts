import { readdirSync, existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBundleEndpoint, type BundleEndpoint } from "@recall/test-utils";
import { API_KEY, Daemon, SOAK, Sandbox, alive, bundleId, filesContaining, processesMatching, seededRandom, verifyCurrentWhole, writeConfig } from "../src/harness";
import { buildMarkedBundle, filler } from "../src/bundles";

// Daemon death: SIGKILL recalld at random points of a pull (mid-download,
// mid-install). Claims: its sidecar exits by itself, `current` is always one
// whole bundle (old or new), and the next recalld starts clean and catches up.
// The kill moments come from a seeded source (E2E_SEED replays a run).
const DEATHS = SOAK ? 50 : 5;

describe("daemon death mid-pull", () => {
  let sb: Sandbox;
  let host: BundleEndpoint;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    sb = await Sandbox.create("dd");
    host = await startBundleEndpoint({ dir: sb.path("www"), apiKey: API_KEY });
  });
  afterAll(async () => {
    await daemon?.stop();
    await host?.close();
    await sb?.cleanup();
  });

  it(`keeps current whole across ${DEATHS} SIGKILLs of recalld during pulls`, async () => {
    const random = seededRandom();
    const first = await buildMarkedBundle(sb.path("pub"), bundleId(0));
    host.publish(first.dir);
    // ~1.5 MB of memories (a fifth of a second to a second of download at 2 MB/s): big enough for the
    // kill to land mid-download or mid-install, small enough that building 5 bundles stays cheap
    const big = filler(1.5 * 1024 * 1024);
    const cfg = writeConfig(sb, { provider: "cloud", endpoint: host.url, api_key: API_KEY, bundle_pull_startup_delay: "1h" });
    const installedIds = new Set<string>([bundleId(0)]);
    const outcomes: string[] = [];

    for (let i = 1; i <= DEATHS; i++) {
      host.faults.archiveMode = "normal";
      daemon = Daemon.start(sb, cfg, `recalld-${i}`);
      const st = await daemon.waitStatus((s) => s.status === "ready", `recalld ${i} ready`);
      // The previous death's leftovers are gone at start.
      const staging = sb.path("bundles", "staging");
      expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
      expect(existsSync(sb.path("bundles", "current.tmp"))).toBe(false);
      if (st.bundle.bundle_id) installedIds.add(st.bundle.bundle_id);

      const next = await buildMarkedBundle(sb.path("pub"), bundleId(i), { extra: big });
      host.publish(next.dir);
      host.faults.archiveMode = "trickle";
      host.faults.trickleBytesPerSec = 2 * 1024 * 1024;
      const sidecarPid = st.sidecar.pid as number;
      daemon.proc.child.kill("SIGHUP");
      // Somewhere between the manifest fetch and well after the install.
      await new Promise((r) => setTimeout(r, random.int(3000)));
      daemon.proc.child.kill("SIGKILL");
      await daemon.proc.exited;

      // The orphaned sidecar notices its parent is gone and exits by itself.
      await expect.poll(() => alive(sidecarPid), { timeout: 15_000, interval: 25, message: `sidecar ${sidecarPid} to exit after its daemon died` }).toBe(false);
      const current = await verifyCurrentWhole(sb.path("bundles"));
      expect(current).not.toBeNull();
      expect([bundleId(i - 1), bundleId(i), ...installedIds]).toContain(current);
      outcomes.push(current === bundleId(i) ? "new" : "old");
      installedIds.add(current!);
      daemon = undefined;
    }

    // A last daemon starts clean and installs the newest bundle.
    host.faults.archiveMode = "normal";
    daemon = Daemon.start(sb, cfg, "recalld-final");
    await daemon.waitStatus((s) => s.status === "ready", "final recalld ready");
    const pulled = await daemon.pull();
    expect(["installed", "unchanged"]).toContain(pulled.outcome.outcome);
    await daemon.waitStatus((s) => s.bundle.bundle_id === bundleId(DEATHS), "newest bundle installed");
    expect(await verifyCurrentWhole(sb.path("bundles"))).toBe(bundleId(DEATHS));
    console.log(`[daemon-death] ${DEATHS} kills; current after each kill: ${outcomes.join(",")}; seed ${random.seed}`);

    expect((await daemon.stop()).code).toBe(0);
    daemon = undefined;
    expect(processesMatching(sb.dir)).toEqual([]);
    expect(await filesContaining(sb.dir, API_KEY, (p) => p === cfg.file)).toEqual([]);
    // five bundle builds and six daemon starts: minutes on a loaded 2-core machine; a deadline, not a timing claim
  }, 420_000);
});
