import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, readFile, readdir, stat } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "@recall/test-utils";
import { execa, type ResultPromise } from "execa";
import { onTestFailed } from "vitest";
import type { PullNowOutcome, StatusSnapshot } from "@recall/service";

/** Repository root (e2e/src/harness.ts → ../..). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const RECALLD = path.join(REPO, "apps/daemon/bin/recalld.js");
export const RECALL = path.join(REPO, "apps/cli/bin/recall.js");
export const TLM = path.join(REPO, "packages/tlm/bin/tlm.js");
export const EXAMPLES = path.join(REPO, "examples/memories.jsonl");

/** Every suite runs with this key, and every suite greps everything it produced for it. */
export const API_KEY = "e2e-SECRET-4f7c1a9b-do-not-leak";

/** True when the long (soak) variants are requested: `npm run soak`. */
export const SOAK = process.env.E2E_SOAK === "1";

/**
 * A seeded random source for the current test (mulberry32): the seed comes from
 * `E2E_SEED` when set, else is drawn at random, and is printed when the test
 * fails, so any randomised run can be replayed exactly.
 */
export function seededRandom(): { seed: number; next: () => number; int: (maxExclusive: number) => number } {
  const seed = process.env.E2E_SEED === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(process.env.E2E_SEED) >>> 0;
  onTestFailed(() => {
    console.error(`replay this test with E2E_SEED=${seed}`);
  });
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return { seed, next, int: (n) => Math.floor(next() * n) };
}

/** A JSON HTTP call over a Unix socket with a deadline; never hangs. */
export function unixRequest(socketPath: string, method: string, urlPath: string, body?: unknown, timeoutMs = 10_000): Promise<{ status: number; body: string; json: () => unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      { socketPath, method, path: urlPath, timeout: timeoutMs, headers: data ? { "content-type": "application/json", "content-length": data.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, body: text, json: (): unknown => JSON.parse(text) });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`request ${method} ${urlPath} timed out`)));
    req.on("error", reject);
    req.end(data);
  });
}

/** Pids of live (non-zombie) processes whose command line contains `needle`. */
export function processesMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0/g, " ");
      if (!cmd.includes(needle)) continue;
      const st = readFileSync(`/proc/${d}/stat`, "utf8");
      const state = st.slice(st.lastIndexOf(")") + 2, st.lastIndexOf(")") + 3);
      if (state !== "Z") pids.push(Number(d));
    } catch {
      // the process went away while we looked
    }
  }
  return pids;
}

/** Whether a pid is alive and not a zombie. */
export function alive(pid: number): boolean {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, "utf8");
    return st.slice(st.lastIndexOf(")") + 2, st.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Resident set size of a process, in KiB (VmRSS), or null when it is gone. */
export function rssKb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file).on("data", (c) => h.update(c)).on("end", () => resolve(h.digest("hex"))).on("error", reject);
  });
}

/**
 * Checks that `current` in a bundle root points at a whole installed bundle:
 * every file its manifest lists is there with the right size and sha256, and
 * nothing else. Returns the bundle id, or null when there is no `current`.
 */
export async function verifyCurrentWhole(bundleRoot: string): Promise<string | null> {
  const cur = path.join(bundleRoot, "current");
  let target: string;
  try {
    target = readlinkSync(cur);
  } catch {
    return null;
  }
  const dir = path.resolve(bundleRoot, target);
  const manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as { bundle_id: string; files: { path: string; size: number; sha256: string }[] };
  const listed = new Set<string>(["manifest.json"]);
  for (const f of manifest.files) {
    listed.add(f.path);
    const p = path.join(dir, f.path);
    const st = await stat(p);
    if (st.size !== f.size) throw new Error(`current ${manifest.bundle_id}: ${f.path} has size ${st.size}, manifest says ${f.size}`);
    const h = await sha256File(p);
    if (h !== f.sha256) throw new Error(`current ${manifest.bundle_id}: ${f.path} hash differs from its manifest`);
  }
  for (const f of await readdir(dir, { recursive: true })) {
    const full = path.join(dir, f);
    if ((await stat(full)).isFile() && !listed.has(f)) throw new Error(`current ${manifest.bundle_id}: unlisted file ${f}`);
  }
  return manifest.bundle_id;
}

/** Lists every file below `dir` that contains `needle` (skipping `skip` paths). */
export async function filesContaining(dir: string, needle: string, skip: (p: string) => boolean = () => false): Promise<string[]> {
  const hits: string[] = [];
  const n = Buffer.from(needle);
  for (const rel of await readdir(dir, { recursive: true })) {
    const p = path.join(dir, rel);
    if (skip(p)) continue;
    let st;
    try {
      st = await stat(p);
    } catch {
      continue;
    }
    if (!st.isFile() || st.size > 64 * 1024 * 1024) continue;
    if ((await readFile(p)).includes(n)) hits.push(p);
  }
  return hits;
}

/** A process started by a suite, its output captured to files in the sandbox. */
export interface Proc {
  /** The execa subprocess (a `ChildProcess`: `kill`, `exitCode`, `signalCode`). */
  child: ResultPromise;
  pid: number;
  /** Started in its own process group: `cleanup` signals the whole group. */
  detached: boolean;
  stdoutFile: string;
  stderrFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Options of {@link Sandbox.start}. */
export interface StartOptions {
  /** Own process group (for programs that fork workers, e.g. nginx), killed as a group at cleanup. */
  detached?: boolean;
  /** Aborts (SIGKILL) the process when this signal aborts. */
  cancelSignal?: AbortSignal;
}

/**
 * A temp directory with everything a suite starts in it. `cleanup()` kills
 * what is still running (process groups included), checks that no sidecar
 * started from it survives, and removes the directory.
 */
export class Sandbox {
  readonly procs: Proc[] = [];
  private constructor(readonly dir: string) {}

  static async create(prefix = "rc"): Promise<Sandbox> {
    // Short paths: Unix socket paths must stay under 107 bytes.
    return new Sandbox(await mkdtemp(path.join(os.tmpdir(), `${prefix}-`)));
  }

  path(...p: string[]): string {
    return path.join(this.dir, ...p);
  }

  /** Starts `node script args…`, capturing stdout/stderr into `logs/<name>.{out,err}`. */
  run(name: string, script: string, args: string[], env: Record<string, string | undefined> = {}, opts: StartOptions = {}): Proc {
    return this.start(name, process.execPath, [script, ...args], env, opts);
  }

  /** Starts any executable (execa), capturing stdout/stderr into `logs/<name>.{out,err}`. */
  start(name: string, file: string, args: string[], env: Record<string, string | undefined> = {}, opts: StartOptions = {}): Proc {
    mkdirSync(this.path("logs"), { recursive: true });
    const stdoutFile = this.path("logs", `${name}.out`);
    const stderrFile = this.path("logs", `${name}.err`);
    const child = execa(file, args, {
      stdin: "ignore",
      stdout: { file: stdoutFile, append: true },
      stderr: { file: stderrFile, append: true },
      env: { NO_COLOR: "1", ...env },
      // Not-detached children die with the test process; detached ones are killed as a group in cleanup().
      cleanup: true,
      detached: opts.detached ?? false,
      reject: false,
      // kill() / cancelSignal send SIGTERM, and SIGKILL if the process is still there 15 s later
      forceKillAfterDelay: STOP_GRACE_MS,
      ...(opts.cancelSignal ? { cancelSignal: opts.cancelSignal } : {}),
    });
    // Settles after the output files are flushed; errors are read from the exit status.
    void child.then(
      () => undefined,
      () => undefined,
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", () => resolve({ code: null, signal: null }));
    });
    const proc: Proc = {
      child,
      pid: child.pid!,
      detached: opts.detached ?? false,
      stdoutFile,
      stderrFile,
      exited,
      output: () => readIfThere(stdoutFile) + readIfThere(stderrFile),
    };
    this.procs.push(proc);
    return proc;
  }

  /** Runs a command to completion (deadline `timeoutMs`, then SIGTERM and SIGKILL) and returns its exit code and output. */
  async exec(name: string, script: string, args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000) {
    const p = this.run(name, script, args, env, { cancelSignal: AbortSignal.timeout(timeoutMs) });
    const r = await p.exited;
    // execa's promise settles once the output files are written
    await p.child;
    return { ...r, stdout: readIfThere(p.stdoutFile), stderr: readIfThere(p.stderrFile) };
  }

  async cleanup(): Promise<void> {
    for (const p of this.procs) {
      // execa signals one pid; a detached program's workers share its group, signalled by hand.
      if (p.detached) killGroup(p.pid, "SIGKILL");
      else if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    }
    await Promise.all(this.procs.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))])));
    // A SIGKILLed daemon's sidecar exits by itself (parent-pid watch); wait for that, then insist.
    const leftovers = await waitFor(() => processesMatching(this.dir).length === 0, { what: "sidecars of the sandbox to exit", timeout: 10_000 }).catch(() => false);
    if (!leftovers) for (const pid of processesMatching(this.dir)) process.kill(pid, "SIGKILL");
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** How long a SIGTERMed process (`Daemon.stop`, an `exec` past its deadline) gets before SIGKILL. */
const STOP_GRACE_MS = 15_000;

/** Sends `signal` to process group `pgid`; false when it is gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function readIfThere(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Writes a recalld config into the sandbox and returns its path and the paths it names. */
export function writeConfig(sb: Sandbox, memory: Record<string, unknown>, name = "config.yaml") {
  const all = { socket_path: sb.path("run", "memory.sock"), bundle_root: sb.path("bundles"), ...memory };
  const socketPath = all.socket_path;
  const bundleRoot = all.bundle_root;
  const yaml = "memory:\n" + Object.entries(all).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`).join("\n") + "\n";
  const file = sb.path(name);
  writeFileSync(file, yaml);
  return { file, socketPath, bundleRoot, controlSocket: path.join(path.dirname(socketPath), "daemon.sock") };
}

/** A running recalld and the means to talk to it. */
export class Daemon {
  constructor(readonly proc: Proc, readonly controlSocket: string, readonly socketPath: string, readonly bundleRoot: string) {}

  static start(sb: Sandbox, cfg: ReturnType<typeof writeConfig>, name = "recalld", extraArgs: string[] = []): Daemon {
    const proc = sb.run(name, RECALLD, ["--config", cfg.file, ...extraArgs]);
    return new Daemon(proc, cfg.controlSocket, cfg.socketPath, cfg.bundleRoot);
  }

  async status(): Promise<StatusSnapshot> {
    const r = await unixRequest(this.controlSocket, "GET", "/status", undefined, 5000);
    return r.json() as StatusSnapshot;
  }

  /** Waits until /status satisfies `pred` (and returns that status). */
  waitStatus(pred: (s: StatusSnapshot) => boolean, what: string, timeoutMs = 60_000): Promise<StatusSnapshot> {
    return waitFor(async () => {
      if (this.proc.child.exitCode !== null) throw new Error(`recalld exited (${this.proc.child.exitCode}):\n${this.proc.output().slice(-3000)}`);
      const s = await this.status();
      return pred(s) ? s : null;
    }, { what, timeout: timeoutMs, interval: 50 });
  }

  /** `POST /pull`: the outcome, loosely typed (tests read `outcome`, `reason`, `bundle_id`). */
  async pull(timeoutMs = 120_000): Promise<{ outcome: PullNowOutcome & { reason?: string; bundle_id?: string } }> {
    const r = await unixRequest(this.controlSocket, "POST", "/pull", undefined, timeoutMs);
    return r.json() as { outcome: PullNowOutcome & { reason?: string; bundle_id?: string } };
  }

  /** SIGTERM, then (execa's `forceKillAfterDelay`) SIGKILL 15 s later; resolves with how it exited. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.child.exitCode === null && this.proc.child.signalCode === null) this.proc.child.kill("SIGTERM");
    return this.proc.exited;
  }
}

/** Audit events recalld logged (lines with `audit: true`). */
export function auditEvents(proc: Proc): { event: string; [k: string]: unknown }[] {
  return proc
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes('"audit":true'))
    .map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
}

/** Bundle ids that sort in publication order: `20261126T080000Z`-style plus a counter. */
export function bundleId(n: number): string {
  return `20261126T${String(80000 + n).padStart(6, "0")}Z`;
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
