import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const FIXTURE = fileURLToPath(new URL("./fixtures/tick-child.mjs", import.meta.url));

/** A tick running in a child process. */
export interface TickChild {
  proc: ChildProcess;
  /** Resolves when the child printed "start" (about to tick). */
  started: Promise<void>;
  /** Resolves when the child entered the install phase (extraction done). */
  installing: Promise<void>;
  /** Starts the tick of a child spawned with `wait`. */
  go(): void;
  /** Resolves with the exit and the printed outcome (null when killed before it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; outcome: unknown; stderr: string }>;
}

const live = new Set<ChildProcess>();

/** Spawns the tick fixture with these Puller options; with `wait`, it ticks on `go()`. */
export function spawnTick(options: Record<string, unknown>, wait = false): TickChild {
  const args = [FIXTURE, JSON.stringify(options), ...(wait ? ["wait"] : [])];
  const proc = execa(process.execPath, args, { stdio: [wait ? "pipe" : "ignore", "pipe", "pipe"], buffer: false, cleanup: true, reject: false });
  live.add(proc);
  let out = "";
  let onStart: () => void = () => {};
  const started = new Promise<void>((r) => (onStart = r));
  let onInstall: () => void = () => {};
  const installing = new Promise<void>((r) => (onInstall = r));
  proc.stdout.on("data", (c: Buffer) => {
    out += c.toString();
    if (out.includes("start\n")) onStart();
    if (out.includes("install\n")) onInstall();
  });
  let err = "";
  proc.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; outcome: unknown; stderr: string }>((resolve) => {
    // "close", not "exit": the printed outcome may still sit in the stdout pipe when the child exits.
    proc.on("close", (code, signal) => {
      live.delete(proc);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      resolve({ code, signal, outcome: line ? JSON.parse(line) : null, stderr: err.slice(-2000) });
    });
  });
  const go = () => void proc.stdin?.write("go\n");
  return { proc, started, installing, exited, go };
}

/** SIGKILLs every child still running (afterEach). */
export async function killAll(): Promise<void> {
  const waits = [...live].map(
    (p) =>
      new Promise<void>((r) => {
        p.once("close", () => r());
        p.kill("SIGKILL");
      }),
  );
  await Promise.all(waits);
}
