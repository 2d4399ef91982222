import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { SOCKET_PATH_MAX_BYTES, controlSocketPath, type RecallConfig } from "@recall/config";
import { Service, checkBundleRoot, checkPrivateDir, serviceOptionsFromConfig, type PrivateDirResult } from "@recall/service";
import { ControlServer } from "./control-server";
import { DaemonError } from "./errors";
import { createAuditSink, type AuditSink, type Logger } from "./logging";
import { DaemonMetrics } from "./metrics";

/** Options of {@link Daemon}. */
export interface DaemonOptions {
  config: RecallConfig;
  /** `spawn` (default) runs the sidecar; `attach` only connects to one. */
  mode?: "spawn" | "attach";
  logger: Logger;
  /** Audit sink (default: `{audit: true, event, ...}` lines through `logger`). */
  audit?: AuditSink;
  version: string;
  /** Register prom-client's default process metrics (default true). */
  defaultMetrics?: boolean;
}

/** What `POST /pull` and SIGHUP return: the service's `pullNow()` result. */
export type DaemonPullResult = Awaited<ReturnType<Service["pullNow"]>>;

/**
 * recalld without the process around it: a `Service` built from the config,
 * its metrics, and the control socket. `start()` binds the control socket
 * first (refusing when another daemon answers on it), then starts the
 * service; `stop()` stops the service and removes the socket.
 */
export class Daemon {
  readonly service: Service;
  readonly metrics: DaemonMetrics;
  readonly control: ControlServer;
  readonly controlSocketPath: string;
  readonly #opts: Readonly<DaemonOptions>;
  #stopping: Promise<void> | null = null;
  #started = false;

  constructor(opts: DaemonOptions) {
    this.#opts = Object.freeze({ __proto__: null, ...opts });
    const { config, logger } = opts;
    this.controlSocketPath = controlSocketPath(config);
    this.metrics = new DaemonMetrics({ defaultMetrics: opts.defaultMetrics ?? true });
    const audit = opts.audit ?? createAuditSink(logger);
    this.service = new Service(serviceOptionsFromConfig(config, { mode: opts.mode ?? "spawn", version: opts.version }), {
      audit,
      logger,
      hooks: {
        onPull: (o, m) => this.metrics.recordPull(o.outcome, m.durationMs, m.bytes),
        onQuery: (cls, ms) => this.metrics.recordQuery(cls, ms),
      },
    });
    this.metrics.setSnapshotSource(() => this.service.snapshot());
    this.control = new ControlServer({
      socketPath: this.controlSocketPath,
      target: { snapshot: () => this.service.snapshot(), pullNow: () => this.pull("control"), query: (i, o) => this.service.query(i, o) },
      metrics: this.metrics,
      logger,
    });
  }

  /**
   * Refuses unsafe directories, binds the control socket, then starts the
   * service (which never throws). Rejects with a `DaemonError`:
   * `DAEMON_UNSAFE_DIR` (exit 2) when the socket directory or the bundle root
   * is not private (see {@link checkDirs}), `DAEMON_ALREADY_RUNNING` when
   * another daemon answers on the control socket, `DAEMON_SOCKET_PATH_TOO_LONG`,
   * `DAEMON_CONTROL_SOCKET` when the socket cannot be bound.
   */
  async start(): Promise<void> {
    const path = this.controlSocketPath;
    if (Buffer.byteLength(path) > SOCKET_PATH_MAX_BYTES) {
      throw new DaemonError(
        "DAEMON_SOCKET_PATH_TOO_LONG",
        `control socket path ${path} is ${Buffer.byteLength(path)} bytes, longer than the ${SOCKET_PATH_MAX_BYTES}-byte limit; shorten memory.socket_path`,
        { socketPath: path },
      );
    }
    await this.checkDirs();
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await this.control.listen();
    this.#started = true;
    if (this.#stopping) {
      // Stopped while binding: do not start the service; stop() may already have skipped the socket.
      await this.control.close();
      return;
    }
    const { config, logger } = this.#opts;
    logger.info(
      { provider: config.memory.provider, mode: this.#opts.mode ?? "spawn", control_socket: path,
        socket_path: config.memory.socket_path, bundle_root: config.memory.bundle_root, config_file: config.configFile },
      "recalld starting",
    );
    await this.service.start();
    const snap = this.service.snapshot();
    logger.info({ status: snap.status, reason: snap.reason }, "recalld started");
  }

  /**
   * Refuses to run on a directory others can tamper with, as ssh refuses key
   * files (docs/SECURITY.md): the socket directories (of the control socket
   * and of `memory.socket_path`) and, unless the provider is disabled, the
   * bundle root must pass `checkPrivateDir` / `checkBundleRoot` (the rule's
   * one home is `@recall/safe-fs`, shared with `tlm` and `recall doctor`).
   * Throws `DAEMON_UNSAFE_DIR` (exit 2) naming the problem and its fix.
   */
  async checkDirs(): Promise<void> {
    const { config } = this.#opts;
    const checks: [string, string, Promise<PrivateDirResult>][] = [];
    const socketDirs = [...new Set([dirname(this.controlSocketPath), dirname(config.memory.socket_path)])];
    for (const d of socketDirs) checks.push(["socket directory", "memory.socket_path", checkPrivateDir(d)]);
    if (config.memory.provider !== "disabled") {
      checks.push(["bundle root", "memory.bundle_root", checkBundleRoot(config.memory.bundle_root)]);
    }
    for (const [what, key, pending] of checks) {
      const r = await pending;
      if (r.ok) continue;
      throw new DaemonError(
        "DAEMON_UNSAFE_DIR",
        `refusing to start: the ${what} ${r.path} is unsafe: ${r.problem}. Fix: ${r.fix} (or set ${key} to a private directory)`,
      );
    }
  }

  /**
   * One pull now (cloud) or a re-read of `current` (local), logged; never
   * throws. `via` names the trigger in the log line (`control`, `SIGHUP`).
   */
  async pull(via: string): Promise<DaemonPullResult> {
    const { logger } = this.#opts;
    const started = performance.now();
    logger.info({ via }, "pull requested");
    const result = await this.service.pullNow();
    const ms = performance.now() - started;
    // The service's onPull hook reports cloud pulls only; local reloads and refusals are counted here.
    if (this.#opts.config.memory.provider !== "cloud" || result.outcome === "disabled") {
      this.metrics.recordPull(result.outcome, ms, 0);
    }
    logger.info({ via, ...result, duration_ms: Math.round(ms) }, "pull finished");
    return result;
  }

  /** Stops the service (sidecar down within the grace) and removes the control socket. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.service.stop();
      if (this.#started) await this.control.close();
      this.#opts.logger.info({}, "recalld stopped");
    })();
    return this.#stopping;
  }
}
