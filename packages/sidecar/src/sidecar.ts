import { once } from "node:events";
import { constants, watch, type FSWatcher } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { probeHealth, type Health } from "@recall/client";
import { execa, type ResultPromise } from "execa";
import { BinaryMissingError, SidecarError } from "./errors";
import { sidecarEnv } from "./env";
import { BoundedLineSplitter } from "./line-splitter";
import { OutputRing } from "./output-ring";
import { groupHasLiveMembers, signalGroup } from "./process-group";
import { probeDelay } from "./probe-schedule";
import { socketState, unlinkQuietly } from "./socket-state";
import { isOperational, noopLogger, type ExitInfo, type Logger, type ReadyResult } from "./types";

/** Options of {@link Sidecar}. Copied at construction; the caller's object is never mutated. */
export interface SidecarOptions {
  /** Unix socket the sidecar serves on (`--socket`). */
  socketPath: string;
  /** Bundle root (`--bundle-root`). */
  bundleRoot: string;
  /** Executable to run (see `resolveBinary`); a `.js`/`.mjs`/`.cjs` file is run with this Node. */
  binary: string;
  /** Arguments placed before `serve`. */
  extraArgs?: readonly string[];
  /** Base environment, filtered by `sidecarEnv` (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Receives every output line of the child (`{stream, pid}`) and lifecycle messages. */
  logger?: Logger;
  /** `--parent-pid` (default `process.pid`): the sidecar exits when that process is gone. */
  parentPid?: number;
  /** `--poll-interval` of the sidecar: a duration string (`"5s"`) or milliseconds. Omitted when unset. */
  pollInterval?: string | number;
  /** Lines kept for {@link Sidecar.recentOutput}. Default 64. */
  outputLines?: number;
  /** Bytes (UTF-8) kept for {@link Sidecar.recentOutput}, oldest lines dropped first. Default 128 KiB. */
  outputBytes?: number;
  /** Longest output line kept or logged; longer lines are cut and marked `… [truncated]`. Default 8 KiB. */
  maxLineBytes?: number;
  /**
   * Watch the socket's directory during `waitReady` and probe as soon as the
   * socket file appears (inotify through `fs.watch`). Default true; the probe
   * schedule alone is used when false or when the directory cannot be watched.
   */
  watchSocket?: boolean;
}

interface Child {
  proc: ResultPromise;
  pid: number;
  exit: Promise<ExitInfo>;
  exitInfo: ExitInfo | null;
  shutdown: Promise<void> | null;
  /** The process "exit" hook that kills the group if this process exits first. */
  exitHook: () => void;
}

const JS_FILE = /\.(?:c|m)?js$/;
const STALE_PROBE_TIMEOUT_MS = 1000;
const KILL_WAIT_MS = 5000;

/**
 * Handle on one sidecar child process at a time (docs/protocol.md). Structurally a
 * `@recall/supervisor` `Spawner`: `spawn`, `waitReady`, `wait`, `shutdown`.
 * The child runs in its own process group, so `shutdown` reaches whatever it
 * forked.
 */
export class Sidecar {
  readonly #o: Readonly<Required<Omit<SidecarOptions, "pollInterval">> & { pollInterval: string | undefined }>;
  readonly #ring: OutputRing;
  #child: Child | null = null;

  constructor(options: SidecarOptions) {
    const o = { __proto__: null, ...options } as SidecarOptions;
    this.#o = Object.freeze({
      socketPath: o.socketPath,
      bundleRoot: o.bundleRoot,
      binary: o.binary,
      extraArgs: Object.freeze([...(o.extraArgs ?? [])]),
      env: sidecarEnv(o.env ?? process.env),
      logger: o.logger ?? noopLogger,
      parentPid: o.parentPid ?? process.pid,
      pollInterval: o.pollInterval === undefined ? undefined : typeof o.pollInterval === "number" ? `${o.pollInterval}ms` : o.pollInterval,
      outputLines: o.outputLines ?? 64,
      outputBytes: o.outputBytes ?? 128 * 1024,
      maxLineBytes: o.maxLineBytes ?? 8 * 1024,
      watchSocket: o.watchSocket ?? true,
    });
    this.#ring = new OutputRing(this.#o.outputLines, this.#o.outputBytes);
  }

  /** Pid of the running child (the process-group leader), or null when none runs. */
  get pid(): number | null {
    const c = this.#child;
    return c && c.exitInfo === null ? c.pid : null;
  }

  /** The last output lines (stdout and stderr, in arrival order) of the children spawned by this handle. */
  recentOutput(): string[] {
    return this.#ring.lines();
  }

  /** The command line `spawn` runs: `[file, ...args]`. */
  command(): { file: string; args: string[] } {
    const o = this.#o;
    const serve = ["serve", "--socket", o.socketPath, "--bundle-root", o.bundleRoot, "--parent-pid", String(o.parentPid)];
    if (o.pollInterval !== undefined) serve.push("--poll-interval", o.pollInterval);
    const args = [...o.extraArgs, ...serve];
    return JS_FILE.test(o.binary) ? { file: process.execPath, args: [o.binary, ...args] } : { file: o.binary, args };
  }

  /**
   * Starts the child in its own process group. Before that, a socket file
   * nobody answers on is removed; one something answers on is left alone.
   * Resolves once the process exists (not when it is ready: see {@link waitReady}).
   * @throws SidecarError with `reason` `socket_in_use` (a live server holds the socket),
   *   `binary_missing` (the binary is gone), `exec_error` (not executable, spawn failed,
   *   aborted, or a child of this handle still runs).
   */
  async spawn(signal?: AbortSignal): Promise<void> {
    const o = this.#o;
    if (this.#child && (this.#child.exitInfo === null || groupHasLiveMembers(this.#child.pid))) {
      throw new SidecarError("SIDECAR_ALREADY_RUNNING", "a sidecar spawned by this handle is still running; shut it down first", {
        reason: "exec_error",
      });
    }
    this.#child = null;
    throwIfAborted(signal);
    await this.#checkBinary();
    const state = await socketState(o.socketPath, STALE_PROBE_TIMEOUT_MS);
    if (state === "live") {
      throw new SidecarError("SIDECAR_SOCKET_IN_USE", `another sidecar already answers on ${o.socketPath}`, { reason: "socket_in_use" });
    }
    if (state === "not_socket") {
      throw new SidecarError("SIDECAR_EXEC_ERROR", `${o.socketPath} exists and is not a socket`, { reason: "exec_error" });
    }
    if (state === "stale") {
      o.logger.info({ socket: o.socketPath }, "removing stale sidecar socket");
      await unlinkQuietly(o.socketPath);
    }
    // The sidecar creates it too (0700); creating it here lets waitReady watch it from the start.
    await mkdir(dirname(o.socketPath), { recursive: true, mode: 0o700 }).catch(() => undefined);
    throwIfAborted(signal);

    const { file, args } = this.command();
    const proc = execa(file, args, {
      // Own process group (pgid = pid), so shutdown reaches whatever the sidecar forks.
      detached: true,
      // execa skips `cleanup` for detached children; the sidecar's --parent-pid watch and
      // the exit hook below stand in for it.
      cleanup: true,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      buffer: false,
      reject: false,
      // Only the scrubbed environment: execa would otherwise merge in process.env.
      extendEnv: false,
      env: o.env,
    });
    let exitInfo: ExitInfo | null = null;
    const exit = new Promise<ExitInfo>((resolve) =>
      proc.once("exit", (code, sig) => {
        exitInfo = { code, signal: sig };
        resolve(exitInfo);
      }),
    );
    // "spawn", else execa's result, which carries the typed error (ENOENT, EACCES, ...).
    const failed = await once(proc, "spawn").then(
      () => null,
      () => proc,
    );
    if (failed !== null) {
      const code = failed.code;
      throw new SidecarError("SIDECAR_EXEC_ERROR", `cannot run ${file}: ${code ?? failed.shortMessage}`, {
        reason: code === "ENOENT" ? "binary_missing" : "exec_error",
        cause: failed.cause ?? failed,
      });
    }
    const pid = proc.pid!;
    const killGroupOnExit = () => {
      if (child.exitInfo === null || groupHasLiveMembers(pid)) signalGroup(pid, "SIGKILL");
    };
    const child: Child = { proc, pid, exit, exitInfo, shutdown: null, exitHook: killGroupOnExit };
    // execa's promise settles only once the pipes close too, which a grandchild holding
    // them can delay: the reaping of the leader ("exit") is what wait() reports.
    void proc.then(
      () => undefined,
      () => undefined,
    );
    // Stand-in for execa's `cleanup` (which it skips for detached children), by hand
    // because it must reach the whole group.
    process.on("exit", killGroupOnExit);
    void exit.then((info) => {
      child.exitInfo = info;
      o.logger.info({ pid, code: info.code, signal: info.signal }, "sidecar exited");
      if (!groupHasLiveMembers(pid)) process.removeListener("exit", killGroupOnExit);
    });
    proc.on("error", (e) => o.logger.warn({ pid, err: e.message }, "sidecar process error"));
    for (const [stream, readable] of [
      ["stdout", proc.stdout],
      ["stderr", proc.stderr],
    ] as const) {
      if (!readable) continue;
      const lines = new BoundedLineSplitter(o.maxLineBytes, (line) => {
        this.#ring.push(line);
        o.logger.info({ pid, stream, line }, "sidecar output");
      });
      readable.on("data", (chunk: Buffer) => lines.write(chunk));
      readable.once("end", () => lines.end());
      readable.on("error", () => undefined);
    }
    this.#child = child;
    o.logger.info({ pid, file, args }, "sidecar spawned");
    if (signal?.aborted) {
      // aborted while starting: do not leave a child the caller does not know about
      await this.shutdown(0);
      throwIfAborted(signal);
    }
  }

  /**
   * Waits until `/health` says the child is operational (ready, or alive
   * without a bundle). Probes 5, 10, 20, 40, 80, 160 ms apart, then every
   * 250 ms, and at once whenever the socket file appears. Never throws:
   * - `{ok: true, detail: {health}}`;
   * - `exited` with `exit` as soon as the child exits (or when none was spawned);
   * - at `ceilingMs`: `incompatible` (+ `sub_code`) when the last health said so,
   *   `health_failed` when the socket only ever gave unparseable answers,
   *   else `timeout` with `detail.last_health` (the last Health seen, or null);
   * - `timeout` with `detail.aborted` when `signal` aborts.
   */
  async waitReady(signal: AbortSignal | undefined, ceilingMs: number): Promise<ReadyResult> {
    const child = this.#child;
    if (!child) return { ok: false, reason: "exited", exit: { code: null, signal: null }, detail: { message: "no child spawned" } };
    const socketPath = this.#o.socketPath;
    const deadline = performance.now() + Math.max(0, ceilingMs);
    let lastHealth: Health | null = null;
    let lastError: { class: string; code: string; message: string } | null = null;
    let answered = false;

    let wake: (() => void) | null = null;
    let socketAppeared = false;
    const poke = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    let onAbortResolve: (v: "aborted") => void = () => undefined;
    const aborted = new Promise<"aborted">((r) => (onAbortResolve = r));
    const onAbort = () => {
      onAbortResolve("aborted");
      poke();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    void child.exit.then(poke);
    let watcher: FSWatcher | null = null;
    if (this.#o.watchSocket) {
      try {
        watcher = watch(dirname(socketPath), { persistent: false }, (_event, name) => {
          if (name === basename(socketPath)) {
            socketAppeared = true;
            poke();
          }
        });
        watcher.on("error", () => undefined);
      } catch (_e) {
        watcher = null; // no directory yet, or no inotify: the schedule alone still works
      }
    }

    const exited = (): ReadyResult => ({ ok: false, reason: "exited", exit: child.exitInfo!, detail: { last_health: lastHealth } });
    try {
      for (let i = 0; ; i++) {
        if (child.exitInfo) return exited();
        if (signal?.aborted) return { ok: false, reason: "timeout", detail: { aborted: true, last_health: lastHealth } };
        const remaining = deadline - performance.now();
        if (remaining <= 0) break;
        if (!socketAppeared) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              wake = null;
              resolve();
            }, Math.min(probeDelay(i), remaining));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        if (socketAppeared) {
          // The socket was just bound: probe now, and restart the fast schedule after it.
          socketAppeared = false;
          i = -1;
        }
        if (child.exitInfo) return exited();
        if (signal?.aborted) continue;
        const timeoutMs = Math.min(1000, Math.max(50, deadline - performance.now()));
        const r = await Promise.race([probeHealth(socketPath, timeoutMs), child.exit.then(() => null), aborted]);
        if (r === null) return exited();
        if (r === "aborted") continue;
        if (r.class === "ok") {
          answered = true;
          lastHealth = r.value;
          lastError = null;
          if (isOperational(r.value)) return { ok: true, detail: { health: r.value } };
        } else {
          if (r.class !== "unavailable") answered = true;
          lastError = { class: r.class, code: r.error.code, message: r.error.message };
        }
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      watcher?.close();
      wake = null;
    }
    if (lastHealth?.compatibility === "incompatible") {
      return {
        ok: false,
        reason: "incompatible",
        detail: {
          ...(lastHealth.error?.sub_code ? { sub_code: lastHealth.error.sub_code } : {}),
          ...(lastHealth.error ? { code: lastHealth.error.code, message: lastHealth.error.message } : {}),
          health: lastHealth,
        },
      };
    }
    if (answered && lastHealth === null && lastError && lastError.class !== "timeout") {
      return { ok: false, reason: "health_failed", detail: { last_health: null, last_error: lastError } };
    }
    return { ok: false, reason: "timeout", detail: { last_health: lastHealth, ...(lastError ? { last_error: lastError } : {}) } };
  }

  /** Resolves with `{code, signal}` once the current child is reaped; at once when none was spawned. */
  wait(): Promise<ExitInfo> {
    return this.#child?.exit ?? Promise.resolve({ code: null, signal: null });
  }

  /**
   * Stops the child's whole process group: SIGTERM, then SIGKILL after
   * `graceMs`, waits until no live member remains and the leader is reaped,
   * then removes the socket (unless something else now answers on it).
   * Idempotent (concurrent and repeated calls share one shutdown), safe while
   * `wait()` is pending, after the child exited on its own (stray
   * grandchildren are still killed), and when nothing was spawned. Never throws.
   */
  shutdown(graceMs: number): Promise<void> {
    const child = this.#child;
    if (!child) return Promise.resolve();
    child.shutdown ??= this.#shutdown(child, Math.max(0, graceMs));
    return child.shutdown;
  }

  async #shutdown(child: Child, graceMs: number): Promise<void> {
    const log = this.#o.logger;
    try {
      if (groupHasLiveMembers(child.pid)) {
        signalGroup(child.pid, "SIGTERM");
        if (!(await waitGroupGone(child, graceMs))) {
          log.warn({ pid: child.pid, grace_ms: graceMs }, "sidecar ignored SIGTERM: killing its process group");
          signalGroup(child.pid, "SIGKILL");
          if (!(await waitGroupGone(child, KILL_WAIT_MS))) log.error({ pid: child.pid }, "sidecar process group survived SIGKILL");
        }
      }
      if (child.exitInfo === null) await Promise.race([child.exit, delay(KILL_WAIT_MS)]);
    } catch (e) {
      log.warn({ pid: child.pid, err: e instanceof Error ? e.message : String(e) }, "sidecar shutdown error");
    }
    process.removeListener("exit", child.exitHook);
    child.proc.stdout?.destroy();
    child.proc.stderr?.destroy();
    try {
      if ((await socketState(this.#o.socketPath, 200)) === "stale") await unlinkQuietly(this.#o.socketPath);
    } catch (_e) {
      // never throw from shutdown
    }
  }

  async #checkBinary(): Promise<void> {
    const bin = this.#o.binary;
    try {
      await access(bin, JS_FILE.test(bin) ? constants.R_OK : constants.X_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        throw new BinaryMissingError(`sidecar binary ${bin} does not exist`, { tlmPath: bin, searched: [bin], cause: e });
      }
      throw new SidecarError("SIDECAR_EXEC_ERROR", `sidecar binary ${bin} is not executable (${code ?? "error"})`, {
        reason: "exec_error",
        cause: e,
      });
    }
  }
}

/** Polls until the leader is reaped and no live member of its group remains, or `ms` pass. */
async function waitGroupGone(child: Child, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  for (let step = 0; ; step++) {
    if (child.exitInfo !== null && !groupHasLiveMembers(child.pid)) return true;
    const left = until - performance.now();
    if (left <= 0) return false;
    const pause = delay(Math.min(step < 10 ? 5 : 25, left));
    await (child.exitInfo === null ? Promise.race([pause, child.exit]) : pause);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SidecarError("SIDECAR_ABORTED", "spawn aborted", { reason: "exec_error", cause: signal.reason });
}
