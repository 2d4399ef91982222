import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { afterAll, describe, expect, it, vi } from "vitest";
import { REPO, WAIT, alive, removeTmp, request, shortTmp } from "./helpers";

interface StartRun { child: ChildProcess; stderr: string[]; exited: Promise<number | null> }

const runs: StartRun[] = [];
const strays: number[] = [];
const socketDirs = new Set<string>();

function runStart(demoDir: string): StartRun {
  const env = { ...process.env, RECALL_START_NO_BUILD: "1", RECALL_START_DEMO_DIR: demoDir };
  const child = execa(process.execPath, [join(REPO, "tools/start.mjs")], { cwd: REPO, env, extendEnv: false, stdio: ["ignore", "ignore", "pipe"], buffer: false, cleanup: true, reject: false });
  const stderr: string[] = [];
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (c: string) => stderr.push(...c.split("\n")));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const run = { child, stderr, exited };
  runs.push(run);
  return run;
}

let dir: string | undefined;

afterAll(async () => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
  await Promise.all(runs.map((r) => r.exited));
  for (const pid of strays) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  await removeTmp(dir);
  for (const d of socketDirs) await removeTmp(d);
});

/** Runs start.mjs until its ready line, checks the query and socket it names, then stops it with SIGINT. */
async function startQueryStop(demoDir: string): Promise<{ stderr: string[]; socket: string }> {
  const run = runStart(demoDir);
  const line = await vi.waitFor(() => {
    const l = run.stderr.find((l) => l.startsWith("recall is ready:"));
    if (l === undefined) throw new Error("waiting for the ready line");
    return l;
  }, { ...WAIT, timeout: 60_000 });
  const m = /npx recall query (".*?") --config (\S+)\s+\(sidecar socket (\S+);/.exec(line);
  expect(m, line).not.toBeNull();
  const [, queryJson, config, socket] = m!;
  expect(readFileSync(resolve(REPO, config!), "utf8")).toContain("provider: local");

  // The sidecar on the announced socket answers the suggested query with results.
  const client = await import(pathToFileURL(join(REPO, "packages/client/dist/index.js")).href);
  const sc = new client.SidecarClient({ socketPath: socket!, requestTimeoutMs: 10_000 });
  try {
    const r = await sc.query({ text: JSON.parse(queryJson!) as string });
    expect(r.class).toBe("ok");
    expect(r.value.results.length).toBeGreaterThan(0);
  } finally {
    await sc.close();
  }
  const control = join(socket!, "..", "daemon.sock");
  const tlmPid = ((await request(control, "GET", "/status")).json() as { sidecar: { pid: number } }).sidecar.pid;
  strays.push(tlmPid);

  run.child.kill("SIGINT");
  expect(await run.exited).toBe(0);
  await expect.poll(() => alive(tlmPid), { ...WAIT, timeout: 10_000, message: "tlm to be gone" }).toBe(false);
  expect(existsSync(socket!)).toBe(false);
  expect(existsSync(control)).toBe(false);
  socketDirs.add(dirname(socket!));
  return { stderr: run.stderr, socket: socket! };
}

describe("npm start (tools/start.mjs)", () => {
  it("builds the demo once, serves it, prints the query to try, and stops cleanly on SIGINT", async () => {
    dir = await shortTmp("rds-");
    // A demo dir too deep for a Unix socket path: start.mjs falls back to a per-user dir under the temp dir.
    const demo = join(dir, "a-demo-directory-whose-path-is-far-too-long-for-a-unix-socket-".repeat(2));
    const first = await startQueryStop(demo);
    expect(first.socket.startsWith(join(tmpdir(), "recall-demo-"))).toBe(true);
    expect(first.stderr.some((l) => l.includes("building the demo bundle"))).toBe(true);
    expect(existsSync(join(demo, "publish", "manifest.json"))).toBe(true);
    expect(existsSync(join(demo, "bundles", "current"))).toBe(true);

    // Second run: the demo bundle is reused, not rebuilt nor reinstalled.
    const second = await startQueryStop(demo);
    expect(second.socket).toBe(first.socket);
    expect(second.stderr.some((l) => l.includes("building the demo bundle"))).toBe(false);
    expect(second.stderr.some((l) => l.includes("installing the demo bundle"))).toBe(false);
  });
});
