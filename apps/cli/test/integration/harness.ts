import type { ChildProcess } from "node:child_process";
import { execa } from "execa";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { vi } from "vitest";

/** Repository paths the tests drive. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const RECALL = join(REPO, "apps/cli/bin/recall.js");
export const TLM = join(REPO, "packages/tlm/bin/tlm.js");
export const RECALLD = join(REPO, "apps/daemon/bin/recalld.js");
export const EXAMPLES = join(REPO, "examples/memories.jsonl");

/** A known API key: no output of any command may ever contain it. */
export const API_KEY = "rk_test_7f3e9c1d5b2a4e6f8091a2b3c4d5e6f7";

/** Result of one CLI run. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** `stdout` parsed as JSON, when it is. */
  json: unknown;
}

/** Every stdout/stderr the tests saw, for the no-secret-leak assertion. */
export const transcript: string[] = [];

/** One isolated user: temp HOME/XDG dirs, a short socket path, a bundle root. */
export interface Sandbox {
  dir: string;
  env: Record<string, string>;
  socket: string;
  root: string;
  children: ChildProcess[];
  cleanup(): Promise<void>;
}

/** Creates a sandbox (socket dir under os.tmpdir(), paths well under 107 bytes). */
export async function sandbox(extraEnv: Record<string, string> = {}): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), "rcli-"));
  await mkdir(join(dir, "home"), { recursive: true });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("RECALL_") && !k.startsWith("XDG_") && k !== "NO_COLOR" && k !== "FORCE_COLOR") env[k] = v;
  Object.assign(env, {
    HOME: join(dir, "home"),
    XDG_CONFIG_HOME: join(dir, "config"),
    XDG_CACHE_HOME: join(dir, "cache"),
    XDG_DATA_HOME: join(dir, "data"),
    RECALL_MEMORY_SOCKET_PATH: join(dir, "run", "m.sock"),
    RECALL_MEMORY_BUNDLE_ROOT: join(dir, "root"),
    NO_COLOR: "1",
    ...extraEnv,
  });
  const sb: Sandbox = {
    dir,
    env,
    socket: env.RECALL_MEMORY_SOCKET_PATH!,
    root: env.RECALL_MEMORY_BUNDLE_ROOT!,
    children: [],
    async cleanup() {
      await Promise.all(sb.children.map((c) => stop(c)));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return sb;
}

/** Sends SIGTERM (then SIGKILL after 5 s) and waits for the exit. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  child.kill(signal);
  const t = setTimeout(() => child.kill("SIGKILL"), 5000);
  const code = await exited;
  clearTimeout(t);
  return code;
}

/** Runs `recall ARGS` as a user would and collects its output. */
export function recall(sb: Sandbox, args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return runNode([RECALL, ...args], { env: { ...sb.env, ...opts.env }, cwd: opts.cwd ?? sb.dir, timeoutMs: opts.timeoutMs ?? 30_000 });
}

/** Runs `node ARGS` to completion (killed at the deadline). */
export function runNode(args: string[], opts: { env: Record<string, string>; cwd: string; timeoutMs: number }): Promise<RunResult> {
  // execa: SIGKILL at the deadline, killed with this process, output kept byte for byte
  return execa(process.execPath, args, {
    env: opts.env,
    extendEnv: false,
    cwd: opts.cwd,
    stdin: "ignore",
    timeout: opts.timeoutMs,
    killSignal: "SIGKILL",
    cleanup: true,
    reject: false,
    stripFinalNewline: false,
  }).then((r) => {
    if (r.failed && r.exitCode === undefined && r.signal === undefined) throw new Error(`could not run node ${args.join(" ")}`, { cause: r });
    const stdout = String(r.stdout);
    const stderr = String(r.stderr);
    transcript.push(stdout, stderr);
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch {
      json = undefined;
    }
    return { code: r.exitCode ?? null, stdout, stderr, json };
  });
}

/** Builds a publish directory from the example memories with the real tlm. */
export async function tlmBuild(sb: Sandbox, out: string, extra: string[] = []): Promise<void> {
  const r = await runNode([TLM, "bundle", "build", "--from", EXAMPLES, "--out", out, ...extra], { env: sb.env, cwd: sb.dir, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`tlm bundle build failed: ${r.stderr}`);
}

/** GET /health on a Unix socket; null when nothing answers. */
export function health(socket: string): Promise<{ ready: boolean; bundle_id: string | null } | null> {
  return new Promise((res) => {
    const req = request({ socketPath: socket, path: "/health", agent: false, timeout: 2000 }, (r) => {
      let b = "";
      r.on("data", (c) => (b += c));
      r.on("end", () => {
        try {
          res(JSON.parse(b));
        } catch {
          res(null);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => res(null));
    req.end();
  });
}

/** Deadline and poll interval for `vi.waitFor` / `expect.poll` here: generous, for a loaded 2-core machine. */
export const WAIT = { timeout: 30_000, interval: 50 } as const;

/** Starts `tlm serve` on the sandbox socket and waits until /health answers (stopped by `sb.cleanup()`). */
export async function startTlm(sb: Sandbox): Promise<void> {
  const child = execa(process.execPath, [TLM, "serve", "--socket", sb.socket, "--bundle-root", sb.root, "--parent-pid", String(process.pid)], {
    env: sb.env,
    extendEnv: false,
    stdio: "ignore",
    cleanup: true,
    reject: false,
  });
  sb.children.push(child);
  await vi.waitFor(async () => {
    if ((await health(sb.socket)) === null) throw new Error("waiting for tlm /health");
  }, WAIT);
}

/** Starts `recall bundle serve DIR --port 0 --json …` and reads the port from its first line. */
export async function startServe(sb: Sandbox, dir: string, extra: string[] = [], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; lines: string[] }> {
  const child = execa(process.execPath, [RECALL, "bundle", "serve", dir, "--port", "0", "--json", ...extra], {
    env: { ...sb.env, ...env },
    extendEnv: false,
    stdin: "ignore",
    buffer: false,
    cleanup: true,
    reject: false,
  });
  sb.children.push(child);
  const lines: string[] = [];
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.on("close", () => transcript.push(lines.join("\n"), stderr));
  const rl = createInterface({ input: child.stdout });
  const url = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`bundle serve did not start: ${stderr}`)), 30_000);
    rl.on("line", (l) => {
      lines.push(l);
      const ev = JSON.parse(l) as { event: string; url?: string };
      if (ev.event === "listening") {
        clearTimeout(t);
        res(ev.url!);
      }
    });
    child.once("exit", () => rej(new Error(`bundle serve exited: ${stderr}`)));
  });
  return { child, url, lines };
}
