import { parseArgs } from "node:util";

/** Log levels accepted by `--log-level` (pino's). */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The parsed command line of `recalld`. */
export interface DaemonArgs {
  /** `--config FILE`: the YAML config file (else `$RECALL_CONFIG`, else the XDG default). */
  config?: string;
  /** `--attach`: never spawn; attach to a sidecar already serving `socket_path`. */
  attach: boolean;
  /** `--log-level L` (default `info`). */
  logLevel: LogLevel;
  help: boolean;
  version: boolean;
}

/** Result of {@link parseDaemonArgs}: the arguments, or a one-line usage error. */
export type ParseArgsResult = { ok: true; value: DaemonArgs } | { ok: false; message: string };

/** The `--help` text. */
export const USAGE = `Usage: recalld [--config FILE] [--attach] [--log-level LEVEL]

The recall daemon: keeps the memory sidecar alive (or attaches to one), pulls
bundles in cloud mode, and serves a control socket (daemon.sock, next to
memory.socket_path) with GET /status, GET /metrics and POST /pull.
Runs in the foreground; JSON logs (pino) on stdout.

Options:
  --config FILE      config file (default: $RECALL_CONFIG, else
                     $XDG_CONFIG_HOME/recall/config.yaml)
  --attach           do not spawn the sidecar: attach to the one serving
                     memory.socket_path
  --log-level LEVEL  ${LOG_LEVELS.join(", ")} (default: info)
  --help             show this help and exit
  --version          print the version and exit

Signals: SIGTERM/SIGINT stop gracefully; SIGHUP pulls now (cloud) or re-reads
the installed bundle (local).
Exit codes: 0 stopped cleanly, 1 error (e.g. another recalld is running),
2 usage or configuration error.
`;

/**
 * Parses recalld's argv (without the node and script entries). Never throws:
 * unknown options, missing values and bad levels return `{ok: false}`.
 */
export function parseDaemonArgs(argv: readonly string[]): ParseArgsResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: "string" },
        attach: { type: "boolean" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    }));
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const level = (values["log-level"] as string | undefined) ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    return { ok: false, message: `--log-level: expected one of ${LOG_LEVELS.join(", ")}, found "${level}"` };
  }
  const config = values.config as string | undefined;
  if (config !== undefined && config.length === 0) {
    return { ok: false, message: "--config: expected a file path, found an empty string" };
  }
  const value: DaemonArgs = {
    attach: values.attach === true,
    logLevel: level as LogLevel,
    help: values.help === true,
    version: values.version === true,
  };
  if (config !== undefined) value.config = config;
  return { ok: true, value };
}
