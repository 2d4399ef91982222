import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { Sidecar, type Logger, type SidecarOptions } from "@recall/sidecar";

export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch (_e) {
      // keep cleaning
    }
  }
});

/** Registers `fn` to run after the current test, even when it fails. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** A short temp dir (socket paths must stay < 107 bytes), removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sc-"));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Env {
  dir: string;
  socketPath: string;
  bundleRoot: string;
}

export function tempEnv(): Env {
  const dir = tempDir();
  return { dir, socketPath: join(dir, "run", "m.sock"), bundleRoot: join(dir, "bundles") };
}

export function recordingLogger(): Logger & { entries: { level: string; obj: Record<string, unknown>; msg?: string }[] } {
  const entries: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void entries.push({ level, obj: obj as Record<string, unknown>, msg });
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A Sidecar on a fixture script, shut down (grace 100 ms) after the test. */
export function fixtureSidecar(env: Env, script: string, opts: Partial<SidecarOptions> = {}): Sidecar {
  const sc = new Sidecar({ socketPath: env.socketPath, bundleRoot: env.bundleRoot, binary: fixture(script), ...opts });
  onCleanup(() => sc.shutdown(100));
  return sc;
}

/** State letter of /proc/<pid>/stat, or null when the pid is gone. */
export function procState(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ")[0] ?? null;
  } catch (_e) {
    return null;
  }
}

/** True while the pid is a running (non-zombie) process. */
export function running(pid: number): boolean {
  const st = procState(pid);
  return st !== null && st !== "Z" && st !== "X";
}

/** process.kill(-pgid, 0) → ESRCH: no process of the group exists any more (zombies included). */
export function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Asserts nothing of group `pgid` survived: no member runs right now, and the
 * group disappears entirely once its orphaned zombies are reaped by init
 * (which, in some containers, reaps only every second or two).
 */
export async function expectGroupDead(pgid: number, pids: number[] = [pgid]): Promise<void> {
  for (const pid of pids) expect(running(pid), `pid ${pid} still running`).toBe(false);
  // the leader is our own child: Node must have reaped it (no zombie)
  expect(procState(pgid)).toBeNull();
  await expect.poll(() => groupGone(pgid), { timeout: 20_000, interval: 20, message: `process group ${pgid} gone` }).toBe(true);
}

export function readPid(file: string): number {
  return Number(readFileSync(file, "utf8"));
}

export { existsSync };
