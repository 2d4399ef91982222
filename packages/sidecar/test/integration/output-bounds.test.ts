import { join } from "node:path";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixtureSidecar, recordingLogger, tempEnv } from "./helpers";

const LONG = 600_000;
const MARKER = "… [truncated]";
const MAX_LINE = 8 * 1024;

/** Samples this process's RSS every 5 ms until stopped; returns the peak growth over the start in MiB. */
function rssPeak(): { stop(): number } {
  const start = process.memoryUsage.rss();
  let peak = start;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  return {
    stop() {
      clearInterval(t);
      return (Math.max(peak, process.memoryUsage.rss()) - start) / 2 ** 20;
    },
  };
}

describe("Sidecar output stays bounded, whatever the child prints", () => {
  it("a 200 MiB line with no newline: logged and kept once, cut at 8 KiB with a marker; memory stays bounded", async () => {
    const env = tempEnv();
    const log = recordingLogger();
    const sc = fixtureSidecar(env, "loud.mjs", { extraArgs: ["--long-mb", "200"], logger: log });
    const rss = rssPeak();
    await sc.spawn();
    // the fixture listens only after its last byte went into the pipe
    expect((await sc.waitReady(undefined, LONG)).ok).toBe(true);
    const growth = rss.stop();
    const lines = log.entries.filter((e) => e.msg === "sidecar output").map((e) => e.obj.line as string);
    expect(lines).toEqual(["x".repeat(MAX_LINE) + MARKER]);
    expect(sc.recentOutput()).toEqual(lines);
    // a reader that held the line would need ≥ 200 MiB; chunks read and not yet collected account for the rest
    expect(growth, `peak RSS growth ${growth.toFixed(1)} MiB`).toBeLessThan(150);
  });

  it("a flood of lines, some of 100 KiB: the ring keeps ≤ 64 lines and ≤ 128 KiB, long lines truncated", async () => {
    const env = tempEnv();
    let logged = 0;
    let longest = 0;
    const log = recordingLogger();
    const countingLog = {
      ...log,
      info(obj: object, msg?: string) {
        if (msg === "sidecar output") {
          logged++;
          longest = Math.max(longest, Buffer.byteLength((obj as { line: string }).line));
        } else log.info(obj, msg);
      },
    };
    const sc = fixtureSidecar(env, "loud.mjs", { extraArgs: ["--flood", "30000"], logger: countingLog });
    const rss = rssPeak();
    await sc.spawn();
    expect((await sc.waitReady(undefined, LONG)).ok).toBe(true);
    // every line is read: the last ones may still be in the pipe when the child listens
    await expect.poll(() => logged, { timeout: 30_000, interval: 20 }).toBe(30000);
    const growth = rss.stop();
    expect(longest).toBe(MAX_LINE + Buffer.byteLength(MARKER));
    const ring = sc.recentOutput();
    expect(ring.length).toBeGreaterThan(0);
    expect(ring.length).toBeLessThanOrEqual(64);
    expect(ring.reduce((n, l) => n + Buffer.byteLength(l), 0)).toBeLessThanOrEqual(128 * 1024);
    expect(ring.filter((l) => l.endsWith(MARKER)).length).toBeGreaterThan(0);
    for (const l of ring) expect(l === "y".repeat(1023) || l === "z".repeat(MAX_LINE) + MARKER, l.slice(0, 40)).toBe(true);
    expect(growth, `peak RSS growth ${growth.toFixed(1)} MiB`).toBeLessThan(150);
  });

  it("never lets a secret of this process's own environment through, even when options.env is given", async () => {
    const env = tempEnv();
    const envFile = join(env.dir, "env.json");
    const secret = "sk-live-fedcba9876543210";
    const saved = process.env.RECALL_MEMORY_API_KEY;
    process.env.RECALL_MEMORY_API_KEY = secret;
    try {
      for (const opts of [{ env: { PATH: process.env.PATH, ONLY_THIS: "1" } }, {}]) {
        const sc = fixtureSidecar(env, "ready.mjs", { extraArgs: ["--dump-env", envFile], ...opts });
        await sc.spawn();
        expect((await sc.waitReady(undefined, LONG)).ok).toBe(true);
        await sc.shutdown(2000);
        const got = JSON.parse(readFileSync(envFile, "utf8")) as Record<string, string>;
        expect(JSON.stringify(got)).not.toContain(secret);
        expect(got.RECALL_MEMORY_API_KEY).toBeUndefined();
        if (opts.env) expect(Object.keys(got).sort()).toEqual(["ONLY_THIS", "PATH"]);
      }
    } finally {
      if (saved === undefined) delete process.env.RECALL_MEMORY_API_KEY;
      else process.env.RECALL_MEMORY_API_KEY = saved;
    }
  });
});
