import type { AuditSink, Logger } from "@recall/ports";
import pino, { type DestinationStream, type Logger as PinoLogger } from "pino";
import type { LogLevel } from "./args";

/** The logger and audit-sink seams every recall package accepts have one home: `@recall/ports`. */
export type { AuditSink, Logger };

/** Options of {@link createDaemonLogger}. */
export interface DaemonLoggerOptions {
  level: LogLevel;
  /** Where the JSON lines go (default: stdout, written synchronously so nothing is lost on exit). */
  destination?: DestinationStream;
  /** Strings that must never reach a log line (API keys); each occurrence becomes `[REDACTED]`. */
  secrets?: readonly string[];
}

/** Field paths whose values are always censored, whatever they hold. */
const REDACT_PATHS = [
  "api_key", "apiKey", "*.api_key", "*.apiKey", "*.*.api_key", "*.*.apiKey",
  "headers[\"x-api-key\"]", "*.headers[\"x-api-key\"]",
];

/**
 * Replaces every occurrence of each secret (at least 4 characters long, in
 * its raw and JSON-escaped forms) with `[REDACTED]`.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
      out = out.split(form).join("[REDACTED]");
    }
  }
  return out;
}

/**
 * The daemon's pino logger: JSON lines on stdout, `api_key`-like fields
 * censored, and every configured secret scrubbed from the final line, so a
 * key carried by an error message or a child's output still never reaches
 * the log.
 */
export function createDaemonLogger(opts: DaemonLoggerOptions): PinoLogger {
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 4);
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: opts.level,
      // No `pid` in the base: the sidecar's lines carry the child's `pid`, and a line must not hold the key twice.
      base: { name: "recalld" },
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      ...(secrets.length > 0 ? { hooks: { streamWrite: (s: string) => scrubSecrets(s, secrets) } } : {}),
    },
    destination,
  );
}

/**
 * An audit sink writing each event as one info line
 * `{audit: true, event, ...fields}` through `logger`.
 */
export function createAuditSink(logger: Logger): AuditSink {
  return {
    log(event, fields) {
      logger.info({ ...fields, audit: true, event }, event);
    },
  };
}
