import type { ChildProcess } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir } from "@recall/test-utils";
import { execa } from "execa";
import type { QueryOutcome, ServiceOptions } from "../../src/index";

const here = dirname(fileURLToPath(import.meta.url));
/** The reference sidecar's executable (packages/tlm must be built). */
export const TLM_BIN = resolve(here, "../../../tlm/bin/tlm.js");
/** The demo corpus shipped with the repo. */
export const EXAMPLES = resolve(here, "../../../../examples/memories.jsonl");
/** A fake sidecar that exits at once with code 3. */
export const EXIT_AT_ONCE = resolve(here, "../fixtures/exit-at-once.mjs");
/** A fake sidecar that runs but never answers; appends its pid to `$HANG_PID_FILE`. */
export const HANG = resolve(here, "../fixtures/hang.sh");
export const API_KEY = "rk_live_9d2f7c4e1a8b6053feedc0de";

const run = (file: string, args: string[], opts: { timeout: number }) => execa(file, args, { ...opts, killSignal: "SIGKILL" });

/** A short temp dir (socket paths must stay < 107 bytes) with the paths a service needs. */
export async function workDir(): Promise<{ dir: string; socketPath: string; bundleRoot: string; cleanup(): Promise<void> }> {
  const tmp = await makeTempDir("rsv-");
  return {
    dir: tmp.path,
    socketPath: tmp.join("run", "memory.sock"),
    bundleRoot: tmp.join("bundles"),
    cleanup: tmp.remove,
  };
}

/** Builds a publish dir with the real `tlm bundle build`. */
export async function buildPublishDir(
  outDir: string,
  o: { bundleId: string; schemaVersion?: string },
): Promise<{ manifestPath: string }> {
  const args = [TLM_BIN, "bundle", "build", "--from", EXAMPLES, "--out", outDir, "--bundle-id", o.bundleId];
  if (o.schemaVersion) args.push("--schema-version", o.schemaVersion);
  await run(process.execPath, args, { timeout: 30_000 });
  return { manifestPath: join(outDir, "manifest.json") };
}

/** Service options for a test, with fast backoff and a short attach probe interval. */
export function testOptions(
  w: { socketPath: string; bundleRoot: string },
  over: Partial<ServiceOptions> = {},
): ServiceOptions {
  return {
    provider: "local",
    mode: "spawn",
    socketPath: w.socketPath,
    bundleRoot: w.bundleRoot,
    tlmPath: TLM_BIN,
    readyTimeoutMs: 15_000,
    shutdownGraceMs: 2000,
    restartMax: 5,
    requestTimeoutMs: 2000,
    attachProbeIntervalMs: 100,
    backoff: { initialMs: 50, maxMs: 200, jitter: 0 },
    puller: {
      endpoint: "",
      apiKey: "",
      publicKeys: [],
      schemaRange: "^1.0.0",
      retain: 3,
      maxBytes: 64 * 1024 * 1024,
      maxUnpackedBytes: 256 * 1024 * 1024,
      downloadTimeoutMs: 30_000,
      minBytesPerSec: 0,
      allowInsecureHttp: false,
      startupDelayMs: 60_000,
      intervalMs: 3_600_000,
      jitter: 0,
    },
    ...over,
  };
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A query that must settle within `ms` (a generous deadline, not a timing assertion). */
export async function queryWithin(
  q: Promise<QueryOutcome>,
  ms = 5000,
): Promise<QueryOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`query did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([q, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts `tlm serve` directly (attach-mode tests); killed by the returned `stop`. */
export function startTlm(w: { socketPath: string; bundleRoot: string }): {
  child: ChildProcess;
  stop(): Promise<void>;
} {
  const child = execa(
    process.execPath,
    [TLM_BIN, "serve", "--socket", w.socketPath, "--bundle-root", w.bundleRoot, "--parent-pid", String(process.pid)],
    { stdio: "ignore", cleanup: true, reject: false },
  );
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Records audit events and log lines (JSON) of a service run. */
export function recorder() {
  const events: { event: string; fields: Record<string, unknown> }[] = [];
  const lines: string[] = [];
  const log =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push(JSON.stringify({ level, ...obj, msg }));
    };
  return {
    events,
    lines,
    names: () => events.map((e) => e.event),
    audit: { log: (event: string, fields: Record<string, unknown>) => events.push({ event, fields: { ...fields } }) },
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
  };
}

/**
 * Fires one query from inside every `onStatus` call (so exactly in that
 * state) and checks its class: `ok` when the status is `ready`, otherwise
 * `unavailable`, each settling within a generous deadline.
 */
export function queriesInEveryState() {
  let svc: { query: (i: { text: string }) => Promise<QueryOutcome> } | null = null;
  const seen: Promise<{ status: string; reason: string | null; cls: string; code: string | undefined }>[] = [];
  return {
    bind(s: { query: (i: { text: string }) => Promise<QueryOutcome> }) {
      svc = s;
    },
    onStatus(snap: { status: string; reason: string | null }) {
      if (svc === null) return;
      const { status, reason } = snap;
      seen.push(queryWithin(svc.query({ text: "billing" })).then((r) => ({ status, reason, cls: r.class, code: r.error?.code })));
    },
    /** Resolves to every (status, class) seen; throws on a wrong class. */
    async check(): Promise<{ status: string; reason: string | null; cls: string }[]> {
      const all = await Promise.all(seen);
      for (const r of all) {
        const want = r.status === "ready" ? "ok" : "unavailable";
        if (r.cls !== want) throw new Error(`query in ${r.status}/${r.reason} got ${r.cls} (${r.code}), want ${want}`);
      }
      return all;
    },
  };
}
