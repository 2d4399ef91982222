import type { ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rename, rm, symlink, writeFile, copyFile, readFile } from "node:fs/promises";
import { request, type Agent } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { vi } from "vitest";
import { buildBundle, parseJsonl, type MemoryRecord } from "../../dist/index.js";

const run = (file: string, args: string[]) => execa(file, args);

/** Absolute path of the built `tlm` binary. */
export const TLM_BIN = fileURLToPath(new URL("../../bin/tlm.js", import.meta.url));
/** Absolute path of the examples corpus. */
export const EXAMPLES = fileURLToPath(new URL("../../../../examples/memories.jsonl", import.meta.url));

export async function exampleRecords(): Promise<MemoryRecord[]> {
  return parseJsonl(await readFile(EXAMPLES, "utf8"));
}

/** A short temp dir (socket paths must stay < 107 bytes). */
export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "tlm-"));
}

/**
 * Builds a bundle from records with `buildBundle`, unpacks the archive into
 * `<root>/bundles/<id>` and (unless `activate: false`) swaps `current` to it atomically.
 */
export async function installBundle(root: string, bundleId: string, records: Iterable<MemoryRecord>,
  opts: { schemaVersion?: string; activate?: boolean } = {}): Promise<string> {
  const pub = await mkdtemp(join(tmpdir(), "tlm-pub-"));
  try {
    const built = await buildBundle({ records, outDir: pub, bundleId, ...(opts.schemaVersion ? { schemaVersion: opts.schemaVersion } : {}) });
    const dir = join(root, "bundles", bundleId);
    await mkdir(dir, { recursive: true });
    await run("tar", ["-xzf", built.archivePath, "-C", dir]);
    await copyFile(built.manifestPath, join(dir, "manifest.json"));
    if (opts.activate !== false) await activate(root, bundleId);
    return dir;
  } finally {
    await rm(pub, { recursive: true, force: true });
  }
}

/** Points `<root>/current` at `bundles/<id>` with symlink + rename (atomic). */
export async function activate(root: string, bundleId: string): Promise<void> {
  const tmp = join(root, "current.tmp");
  await rm(tmp, { force: true });
  await symlink(join("bundles", bundleId), tmp);
  await rename(tmp, join(root, "current"));
}

/** A running `tlm serve` child and what it wrote to stderr. */
export interface TlmChild { child: ChildProcess; stderr: () => string; exited: Promise<{ code: number | null; signal: string | null }> }

/** Spawns `node bin/tlm.js <args>` and records its stderr. */
export function spawnTlm(args: string[]): TlmChild {
  const child = execa(process.execPath, [TLM_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], buffer: false, cleanup: true, reject: false });
  let err = "";
  child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  return { child, stderr: () => err, exited };
}

/** Runs `tlm <args>` to completion. */
export function runTlm(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return execa(process.execPath, [TLM_BIN, ...args], { stdin: "ignore", cleanup: true, reject: false, stripFinalNewline: false }).then((r) => ({
    code: r.exitCode ?? null,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
  }));
}

/** An HTTP answer from the sidecar. */
export interface Answer { status: number; headers: Record<string, string | string[] | undefined>; text: string; json: () => any } // eslint-disable-line @typescript-eslint/no-explicit-any -- test bodies are checked by the assertions

/** One HTTP request over the Unix socket. */
export function call(socketPath: string, method: string, path: string, body?: string | Buffer, agent?: Agent,
  headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolveP, reject) => {
    const req = request({ socketPath, method, path, agent: agent ?? false, headers: { "content-type": "application/json", ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolveP({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** POST /query with a JSON intent. */
export function query(socketPath: string, intent: unknown, agent?: Agent): Promise<Answer> {
  return call(socketPath, "POST", "/query", JSON.stringify(intent), agent);
}

/** Waits until `/health` answers on the socket, or the child exits (then throws with its stderr). */
export async function waitHealthy(t: TlmChild, socketPath: string, ms = 20_000): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed by callers
  let exited = false;
  void t.exited.then(() => { exited = true; });
  // An early exit ends the wait at once (vi.waitFor would retry a thrown error until the deadline).
  const r = await vi
    .waitFor(async () => {
      if (exited) return { exited: true as const };
      const a = await call(socketPath, "GET", "/health");
      if (a.status !== 200) throw new Error(`tlm health answered ${a.status}`);
      return { exited: false as const, health: a.json() };
    }, { timeout: ms, interval: 25 })
    .catch((e) => { throw new Error(`timed out waiting for tlm health: ${(e as Error).message}\nstderr:\n${t.stderr()}`); });
  if (r.exited) throw new Error(`tlm exited early: ${t.stderr()}`);
  return r.health;
}

/** Stops a child (SIGKILL) if still running and waits for it. */
export async function stopChild(t: TlmChild | undefined): Promise<void> {
  if (!t) return;
  if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill("SIGKILL");
  await t.exited;
}

/** Writes a file, creating its directory. */
export async function put(path: string, content: string | Buffer): Promise<void> {
  await mkdir(resolve(path, ".."), { recursive: true });
  await writeFile(path, content);
}

/** A real `tlm serve` over the example memories in a fresh temp dir (bundle `b0001`); `stop()` kills it and removes the dir. */
export async function serveExamples(): Promise<{ dir: string; sock: string; tlm: TlmChild; stop: () => Promise<void> }> {
  const dir = await tempDir();
  const sock = join(dir, "run", "tlm.sock");
  await installBundle(join(dir, "root"), "b0001", await exampleRecords());
  const tlm = spawnTlm(["serve", "--socket", sock, "--bundle-root", join(dir, "root"), "--poll-interval", "0"]);
  const stop = async () => {
    await stopChild(tlm);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(tlm, sock);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, sock, tlm, stop };
}
