import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SidecarClient, type ClientResult, type ResponseEnvelope } from "@recall/client";
import { startBundleEndpoint, type BundleEndpoint } from "@recall/test-utils";
import { API_KEY, Daemon, SOAK, Sandbox, bundleId, filesContaining, writeConfig } from "../src/harness";
import { buildMarkedBundle } from "../src/bundles";

// Reload under load: a steady query load through SidecarClient while a
// publisher issues a new bundle every 2 s and recalld pulls each (SIGHUP).
// Claim: zero failed queries, and every answer comes from one whole bundle.
const RATE = SOAK ? 1000 : 200; // queries per second
const DURATION_MS = SOAK ? 60_000 : 10_000;
const PUBLISH_EVERY_MS = 2_000;

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

describe("reload under load", () => {
  let sb: Sandbox;
  let host: BundleEndpoint;
  let daemon: Daemon;
  let client: SidecarClient;

  beforeAll(async () => {
    sb = await Sandbox.create("rl");
    host = await startBundleEndpoint({ dir: sb.path("www"), apiKey: API_KEY });
  });
  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
    await host?.close();
    await sb?.cleanup();
  });

  it(`answers every query while bundles swap (${RATE}/s for ${DURATION_MS / 1000} s, a bundle every 2 s)`, async () => {
    const generations = Math.floor(DURATION_MS / PUBLISH_EVERY_MS) + 1;
    const built = [];
    for (let g = 0; g < generations; g++) built.push(await buildMarkedBundle(sb.path("pub"), bundleId(g)));
    host.publish(built[0]!.dir);

    const cfg = writeConfig(sb, { provider: "cloud", endpoint: host.url, api_key: API_KEY, bundle_pull_startup_delay: "1h" });
    daemon = Daemon.start(sb, cfg);
    await daemon.waitStatus((s) => s.status === "ready" && s.bundle.bundle_id === bundleId(0), "first bundle ready");
    client = new SidecarClient({ socketPath: cfg.socketPath, requestTimeoutMs: 2000 });

    const published = new Set([bundleId(0)]);
    const swaps: { from: number; to: number }[] = [];
    const samples: { at: number; ms: number; r: ClientResult<ResponseEnvelope> }[] = [];
    let stop = false;

    const load = (async () => {
      const start = performance.now();
      let sent = 0;
      const inflight = new Set<Promise<void>>();
      while (!stop) {
        const due = Math.floor(((performance.now() - start) / 1000) * RATE);
        while (sent < due && inflight.size < 256) {
          sent++;
          const marker = sent % 2 === 0;
          const t0 = performance.now();
          const p = client
            .query(marker ? { text: "zebracorn marker", limit: 3 } : { text: "deploy rollback postgres", limit: 5 })
            .then((r) => {
              samples.push({ at: t0, ms: performance.now() - t0, r });
            })
            .finally(() => inflight.delete(p));
          inflight.add(p);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      await Promise.all(inflight);
    })();

    for (let g = 1; g < generations; g++) {
      await new Promise((r) => setTimeout(r, PUBLISH_EVERY_MS)); // the publisher's cadence, not synchronisation
      const from = performance.now();
      host.publish(built[g]!.dir);
      published.add(bundleId(g));
      daemon.proc.child.kill("SIGHUP");
      await daemon.waitStatus((s) => s.bundle.bundle_id === bundleId(g), `bundle ${bundleId(g)} installed`, 30_000);
      // The sidecar reloads right after the install; count it as part of the swap window.
      await vi.waitFor(async () => {
        const h = await client.health();
        expect(h.class === "ok" && h.value.bundle_id, `sidecar serving ${bundleId(g)}`).toBe(bundleId(g));
      }, { timeout: 30_000, interval: 25 });
      swaps.push({ from, to: performance.now() });
    }
    stop = true;
    await load;

    const failed = samples.filter((s) => s.r.class !== "ok");
    // how many were sent is the machine's business (printed below); that some were, and none failed, is the claim
    expect(samples.length).toBeGreaterThan(0);
    expect(failed.map((f) => (f.r.class === "ok" ? "" : `${f.r.class}:${f.r.error.code}`))).toEqual([]);

    const answeredBy = new Set<string>();
    for (const s of samples) {
      if (s.r.class !== "ok") continue;
      const env = s.r.value;
      expect(env.bundle_id).not.toBeNull();
      expect(published.has(env.bundle_id!)).toBe(true);
      answeredBy.add(env.bundle_id!);
      const marker = env.results.find((x) => x.id.startsWith("marker-"));
      // A marker answer must come from the bundle the envelope names: never a mix.
      if (marker) expect(marker.id).toBe(`marker-${env.bundle_id}`);
    }
    expect(answeredBy.size).toBeGreaterThanOrEqual(generations - 1);

    const inSwap = (t: number) => swaps.some((w) => t >= w.from && t <= w.to);
    const during = samples.filter((s) => inSwap(s.at)).map((s) => s.ms);
    const steady = samples.filter((s) => !inSwap(s.at)).map((s) => s.ms);
    console.log(
      `[reload-under-load] ${samples.length} queries, ${failed.length} failed, ${swaps.length} swaps; ` +
        `steady p50 ${pct(steady, 50).toFixed(2)} ms p99 ${pct(steady, 99).toFixed(2)} ms; ` +
        `during swaps p50 ${pct(during, 50).toFixed(2)} ms p99 ${pct(during, 99).toFixed(2)} ms (n=${during.length}); ` +
        `ratio p99 ${(pct(during, 99) / pct(steady, 99)).toFixed(2)}; ${(samples.length / (RATE * (DURATION_MS / 1000))).toFixed(2)}x the target count`,
    );

    const stopped = await daemon.stop();
    expect(stopped.code).toBe(0);
    expect(await filesContaining(sb.dir, API_KEY, (p) => p === cfg.file)).toEqual([]);
  });
});
