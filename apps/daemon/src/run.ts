import type { Writable } from "node:stream";
import type { DestinationStream } from "pino";
import { ConfigError, loadConfig, type RecallConfig } from "@recall/config";
import { parseDaemonArgs, USAGE } from "./args";
import { Daemon } from "./daemon";
import type { DaemonError } from "./errors";
import { exitCodeOf } from "./exit-codes";
import { createDaemonLogger, scrubSecrets } from "./logging";
import { VERSION } from "./version";

/** Environment variables that may hold an API key; removed from the daemon's environment once read. */
export const SECRET_ENV_VARS = ["RECALL_MEMORY_API_KEY", "RECALL_CLOUD_API_KEY"] as const;

/** Where {@link runDaemon} reads and writes; defaults to the current process. */
export interface DaemonIo {
  env?: NodeJS.ProcessEnv;
  stdout?: Writable;
  stderr?: Writable;
  /** Receives SIGTERM/SIGINT/SIGHUP and the fatal-error events (default: `process`). */
  signals?: Pick<NodeJS.Process, "on" | "off">;
  /** Where the JSON log lines go (default: stdout, written synchronously). */
  logStream?: DestinationStream;
}

/**
 * Runs `recalld` with `argv` (without node and the script) until it is told
 * to stop, and resolves with the exit code: 0 after a graceful stop, 1 on
 * an error (another daemon running, a fatal error, a stop that overran the
 * grace), 2 on a usage or configuration error. Never rejects.
 */
export async function runDaemon(argv: readonly string[], io: DaemonIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const signals = io.signals ?? process;
  const envSecrets = SECRET_ENV_VARS.map((k) => env[k] ?? "").filter(Boolean);
  const fail = (message: string, code: number) => {
    stderr.write(`recalld: ${scrubSecrets(message, envSecrets)}\n`);
    return code;
  };

  const parsed = parseDaemonArgs(argv);
  if (!parsed.ok) return fail(`${parsed.message}\nTry 'recalld --help'.`, 2);
  const args = parsed.value;
  if (args.help) {
    stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    stdout.write(`recalld ${VERSION}\n`);
    return 0;
  }

  let config: RecallConfig;
  try {
    config = loadConfig({ ...(args.config === undefined ? {} : { file: args.config }), env });
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message, exitCodeOf(err));
    return fail(`cannot load the configuration: ${(err as Error).message}`, 1);
  }
  // The key now lives in the config only: no child can inherit it from our environment.
  for (const k of SECRET_ENV_VARS) delete env[k];
  const secrets = [...new Set([...envSecrets, config.memory.api_key, config.cloud.api_key].filter(Boolean))];
  const logger = createDaemonLogger({ level: args.logLevel, secrets, ...(io.logStream ? { destination: io.logStream } : {}) });

  let daemon: Daemon;
  try {
    daemon = new Daemon({ config, mode: args.attach ? "attach" : "spawn", logger, version: VERSION });
  } catch (err) {
    logger.error({ err }, "cannot build the service");
    return fail(`cannot build the service: ${(err as Error).message}`, 1);
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const graceMs = config.memory.sidecar_shutdown_grace_ms;
    const handlers: [string, (...a: never[]) => void][] = [];
    const on = (event: string, fn: (...a: never[]) => void) => {
      handlers.push([event, fn]);
      signals.on(event as never, fn as never);
    };
    const finish = (code: number) => {
      for (const [event, fn] of handlers) signals.off(event, fn as never);
      resolve(code);
    };
    const shutdown = (why: string, code: number) => {
      if (stopping) {
        logger.info({ why }, "already stopping");
        return;
      }
      stopping = true;
      logger.info({ why, grace_ms: graceMs }, "stopping");
      const watchdog = setTimeout(() => {
        logger.error({ why, limit_ms: graceMs + 1000 }, "graceful stop overran the grace; exiting anyway");
        void daemon.control.close().finally(() => finish(1));
      }, graceMs + 1000);
      daemon.stop().then(
        () => {
          clearTimeout(watchdog);
          finish(code);
        },
        (err: unknown) => {
          clearTimeout(watchdog);
          logger.error({ err }, "stop failed");
          finish(1);
        },
      );
    };

    on("SIGTERM", () => shutdown("SIGTERM", 0));
    on("SIGINT", () => shutdown("SIGINT", 0));
    on("SIGHUP", () => {
      if (!stopping) void daemon.pull("SIGHUP");
    });
    on("uncaughtException", (err: Error) => {
      logger.error({ err }, "uncaught exception");
      shutdown("uncaughtException", 1);
    });
    on("unhandledRejection", (reason: unknown) => {
      logger.error({ err: reason }, "unhandled rejection");
      shutdown("unhandledRejection", 1);
    });

    daemon.start().catch((err: unknown) => {
      if (stopping) return;
      stopping = true;
      const code = exitCodeOf(err);
      logger.error({ err, code: (err as DaemonError).code }, "cannot start");
      stderr.write(`recalld: ${scrubSecrets((err as Error).message, secrets)}\n`);
      void daemon.stop().finally(() => finish(code));
    });
  });
}
