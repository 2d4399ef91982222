import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import http from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { makeTempDir, removeTree } from "@recall/test-utils";
import { execa } from "execa";

/** The repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const RECALLD = join(REPO, "apps/daemon/bin/recalld.js");
export const TLM = join(REPO, "packages/tlm/bin/tlm.js");
export const EXAMPLES = join(REPO, "examples/memories.jsonl");


/** A short temp dir (socket paths must stay < 107 bytes): test-utils `makeTempDir`. */
export async function shortTmp(prefix = "rdi-"): Promise<string> {
  return (await makeTempDir(prefix)).path;
}

/** Builds a publish dir (manifest.json + archive) from the examples with the real `tlm bundle build`. */
export async function buildBundle(outDir: string, bundleId: string, from = EXAMPLES): Promise<void> {
  await execa(process.execPath, [TLM, "bundle", "build", "--from", from, "--out", outDir, "--bundle-id", bundleId]);
}

/**
 * Installs a publish dir into a bundle root through the real install path
 * (`@recall/puller`'s `installLocal`, loaded from its built dist: the daemon
 * itself has no dependency edge to the puller, only its tests use it, as a
 * user would use `recall bundle install`).
 */
export async function installBundle(publishDir: string, bundleRoot: string): Promise<unknown> {
  const puller = (await import(pathToFileURL(join(REPO, "packages/puller/dist/index.js")).href)) as {
    installLocal(src: string, o: Record<string, unknown>): Promise<{ outcome: string }>;
  };
  const r = await puller.installLocal(publishDir, {
    bundleRoot, publicKeys: [], schemaRange: "^1.0.0", retain: 3, maxBytes: 1 << 30, maxUnpackedBytes: 1 << 30,
  });
  if (r.outcome !== "installed") throw new Error(`install failed: ${JSON.stringify(r)}`);
  return r;
}

/** Writes a YAML config from a flat `memory` map. */
export async function writeConfig(path: string, memory: Record<string, string | number | boolean>): Promise<string> {
  const lines = ["memory:", ...Object.entries(memory).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`), ""];
  await writeFile(path, lines.join("\n"));
  return path;
}

/** An HTTP answer read whole. */
export interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string; json: () => unknown }

/** One HTTP request over a Unix socket (no keep-alive). Rejects on connection errors. */
export function request(socketPath: string, method: string, path: string, body?: string, timeoutMs = 30_000): Promise<Reply> {
  return new Promise((resolveReq, reject) => {
    const req = http.request({ socketPath, method, path, agent: false, timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolveReq({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) }));
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

/** Deadline and poll interval for `vi.waitFor` / `expect.poll` here: generous, for a loaded 2-core machine. */
export const WAIT = { timeout: 30_000, interval: 50 } as const;

/** True while a process with this pid exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie (exited, not yet reaped) still answers kill(0): treat it as gone.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** A running `recalld` child with its output captured line by line. */
export interface DaemonProc {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** GET /status on the control socket. */
  status(): Promise<Record<string, unknown>>;
}

const running = new Set<ChildProcess>();

/** Spawns `node apps/daemon/bin/recalld.js ARGS` with `env` (added to a clean copy of ours, minus RECALL_*). */
export function startDaemon(args: string[], env: Record<string, string> = {}, controlSocket?: string): DaemonProc {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("RECALL_"))) as Record<string, string>;
  const child = execa(process.execPath, [RECALLD, ...args], {
    env: { ...base, ...env },
    extendEnv: false,
    stdin: "ignore",
    buffer: false,
    cleanup: true,
    reject: false,
  });
  running.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  collectLines(child.stdout, stdout);
  collectLines(child.stderr, stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on("exit", (code, signal) => {
      running.delete(child);
      r({ code, signal });
    }),
  );
  return {
    child, stdout, stderr, exited,
    status: async () => {
      if (!controlSocket) throw new Error("no control socket given");
      return (await request(controlSocket, "GET", "/status")).json() as Record<string, unknown>;
    },
  };
}

function collectLines(stream: NodeJS.ReadableStream, into: string[]): void {
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (c: string) => {
    buf += c;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      into.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  stream.on("end", () => {
    if (buf) into.push(buf);
  });
}

/** Kills every daemon still running (SIGKILL) and any extra pids given; waits for the daemons to exit. */
export async function killAll(extraPids: number[] = []): Promise<void> {
  const waits = [...running].map((c) => new Promise<void>((r) => {
    if (c.exitCode !== null || c.signalCode !== null) return r();
    c.once("exit", () => r());
    c.kill("SIGKILL");
  }));
  await Promise.all(waits);
  for (const pid of extraPids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Removes a temp dir, ignoring errors (test-utils `removeTree`). */
export function removeTmp(dir: string | undefined): Promise<void> {
  return dir ? removeTree(dir) : Promise.resolve();
}

/** Parses the JSON log lines of a daemon, skipping anything else. */
export function jsonLines(lines: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of lines) {
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not a JSON line
    }
  }
  return out;
}
