import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { buildBundle } from "./build";
import { generateCorpus } from "./corpus";
import { parseDuration } from "./duration";
import { TlmError, UsageError } from "./errors";
import { exitCodeOf } from "./cli-exit";
import { jsonLineLogger } from "./logger";
import { startServer } from "./server";
import type { Embedder } from "./embed/embedder";
import { HttpEmbedder } from "./embed/http-embedder";
import { STATIC_EMBEDDER_ID, StaticWordEmbedder } from "./embed/static-embedder";

/** Checks an --embed-url: http(s), no credentials in it (they would end up in process listings). */
function embedUrl(value: string): string {
  let u: URL;
  try { u = new URL(value); } catch { throw new UsageError(`--embed-url: not a URL: ${JSON.stringify(value)}`); }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new UsageError("--embed-url: expected an http(s) URL");
  if (u.username || u.password) throw new UsageError("--embed-url: credentials in the URL are not accepted");
  return u.toString();
}

const MAIN_HELP = `tlm — the reference recall memory sidecar

Usage:
  tlm serve --socket S --bundle-root R [--parent-pid P] [--poll-interval 5s]
  tlm bundle build --from FILE.jsonl|DIR --out DIR [options]
  tlm --version

Global option (before the command): --log-level debug|info|warn|error

Run "tlm <command> --help" for a command's options.
Exit codes: 0 ok, 1 error, 2 usage or unsafe directory, 3 socket in use.
`;

const SERVE_HELP = `tlm serve — answer memory queries on a Unix socket (protocol 1)

Usage: tlm serve --socket S --bundle-root R [--parent-pid P] [--poll-interval 5s]

Options:
  --socket S          Unix socket path (≤ 107 bytes); missing dirs are created 0700, the socket is 0600
  --bundle-root R     bundle root; serves R/current/{manifest.json,memories.db}
  --parent-pid P      exit when process P is gone (checked every 500 ms)
  --poll-interval D   how often R/current is checked for a new target (default 5s; 0 disables)
  --integrity-check   run PRAGMA quick_check when opening a bundle's database
  --embed-url URL     OpenAI-compatible embeddings endpoint (e.g. http://127.0.0.1:11434) for query
                      texts of bundles built with the same --embed-model; on failure: lexical only
  --embed-model NAME  model name sent to --embed-url
  --embed-timeout D   longest wait for --embed-url per query (default 300ms; at most half the budget)
  --log-level L       debug|info|warn|error (default info); JSON lines on stderr
  -h, --help          this help

Routes: GET /health, POST /query, POST /bundle/reload, GET /metrics.
SIGTERM/SIGINT drain in-flight requests, unlink the socket and exit 0.
Exits 3 when a live server already answers on the socket.
Exits 2 when the socket directory or the bundle root (or a parent of either) is
owned by another user or writable by group/others; the message names the fix
(e.g. chmod 700 DIR). A bundle whose memories.db is not exactly what
"tlm bundle build" writes is refused as incompatible (sub_code corrupt).
HTTP caps: 64 KiB body (4096 pieces), 16 KiB head, 5 s to send the head,
10 s for the whole request, 128 connections (see README, "Hardening").
`;

const BUILD_HELP = `tlm bundle build — build a memory bundle into a publish directory

Usage: tlm bundle build (--from FILE.jsonl|DIR | --synthetic N) --out DIR [options]

Options:
  --from PATH          JSONL file ({id, text, kind, entities?, created_at, source_ref?} per line)
                       or a directory of Markdown files (one note per "##" section)
  --synthetic N        generate N synthetic memories instead (benchmarks); --seed S (default 1)
  --out DIR            publish directory: manifest.json + bundle-<id>.tar.gz
  --bundle-id ID       default: UTC time as YYYYMMDDTHHMMSSZ
  --schema-version V   default 1.0.0
  --sign-key FILE      Ed25519 private key (PKCS#8 PEM) to sign the manifest
  --expires-in D       e.g. 30d; sets expires_at
  --tenant T           tenant fingerprint to bind the bundle to
  --embed              ship memory vectors from the offline default embedder (${STATIC_EMBEDDER_ID}):
                       queries become hybrid (lexical + vector, fused); see the tlm README
  --embed-url URL      ship memory vectors from an OpenAI-compatible endpoint instead (with --embed-model)
  --embed-model NAME   model name sent to --embed-url; the manifest records openai-compatible:NAME
  --json               print the manifest summary as JSON
  -h, --help           this help
`;


function fail(e: unknown): never {
  if (e instanceof UsageError) {
    process.stderr.write(`tlm: ${e.message}\n(see tlm --help)\n`);
    process.exit(2);
  }
  const code = (e as { code?: unknown })?.code;
  process.stderr.write(`tlm: ${(e as Error)?.message ?? String(e)}${typeof code === "string" ? ` [${code}]` : ""}\n`);
  process.exit(exitCodeOf(e));
}

function parse<T extends Record<string, { type: "string" | "boolean"; short?: string }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function serve(args: string[]): Promise<void> {
  const v = parse(args, {
    socket: { type: "string" }, "bundle-root": { type: "string" }, "parent-pid": { type: "string" },
    "poll-interval": { type: "string" }, "log-level": { type: "string" }, "integrity-check": { type: "boolean" },
    "embed-url": { type: "string" }, "embed-model": { type: "string" }, "embed-timeout": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) { process.stdout.write(SERVE_HELP); return; }
  if (!v.socket || !v["bundle-root"]) throw new UsageError("serve needs --socket and --bundle-root");
  const poll = v["poll-interval"];
  const pollIntervalMs = poll === undefined ? 5000 : /^0(ms|s|m|h|d)?$/.test(poll) ? 0 : parseDuration(poll);
  if (pollIntervalMs === null) throw new UsageError(`--poll-interval: expected a duration like 5s, got ${JSON.stringify(v["poll-interval"])}`);
  const parentPid = v["parent-pid"] === undefined ? undefined : Number(v["parent-pid"]);
  if (parentPid !== undefined && !(Number.isInteger(parentPid) && parentPid > 0)) throw new UsageError("--parent-pid: expected a positive integer");
  const level = (v["log-level"] ?? "info") as "debug" | "info" | "warn" | "error";
  if (!["debug", "info", "warn", "error"].includes(level)) throw new UsageError("--log-level: expected debug|info|warn|error");
  const logger = jsonLineLogger((line) => process.stderr.write(line), level);
  if ((v["embed-url"] === undefined) !== (v["embed-model"] === undefined)) throw new UsageError("--embed-url and --embed-model go together");
  const embedTimeoutMs = v["embed-timeout"] === undefined ? undefined : parseDuration(v["embed-timeout"]);
  if (embedTimeoutMs === null) throw new UsageError(`--embed-timeout: expected a duration like 300ms, got ${JSON.stringify(v["embed-timeout"])}`);
  const vectors = {
    ...(v["embed-url"] ? { endpoint: { url: embedUrl(v["embed-url"]), model: v["embed-model"]! } } : {}),
    ...(embedTimeoutMs !== undefined ? { embedTimeoutMs } : {}),
  };

  const server = await startServer({ socketPath: v.socket, bundleRoot: v["bundle-root"], pollIntervalMs, logger,
    integrityCheck: v["integrity-check"] ?? false, vectors });
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: "shutdown", reason }, "shutting down");
    // Whatever happens while draining, the process is gone within 1 s.
    setTimeout(() => process.exit(0), 950).unref();
    server.close().then(() => process.exit(0), () => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  if (parentPid !== undefined) {
    setInterval(() => {
      try {
        process.kill(parentPid, 0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ESRCH") stop(`parent ${parentPid} is gone`);
      }
    }, 500).unref();
  }
}

async function bundleBuild(args: string[]): Promise<void> {
  const v = parse(args, {
    from: { type: "string" }, synthetic: { type: "string" }, seed: { type: "string" }, out: { type: "string" },
    "bundle-id": { type: "string" }, "schema-version": { type: "string" }, "sign-key": { type: "string" },
    "expires-in": { type: "string" }, tenant: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" },
    embed: { type: "boolean" }, "embed-url": { type: "string" }, "embed-model": { type: "string" },
  });
  if (v.help) { process.stdout.write(BUILD_HELP); return; }
  if ((v.from === undefined) === (v.synthetic === undefined)) throw new UsageError("bundle build needs exactly one of --from or --synthetic");
  if (!v.out) throw new UsageError("bundle build needs --out DIR");
  if ((v["embed-url"] === undefined) !== (v["embed-model"] === undefined)) throw new UsageError("--embed-url and --embed-model go together");
  if (v.embed && v["embed-url"]) throw new UsageError("give --embed or --embed-url, not both");
  let embedder: Embedder | undefined;
  if (v["embed-url"]) embedder = new HttpEmbedder({ url: embedUrl(v["embed-url"]), model: v["embed-model"]! });
  else if (v.embed) embedder = new StaticWordEmbedder();
  let expiresAt: Date | undefined;
  if (v["expires-in"] !== undefined) {
    const ms = parseDuration(v["expires-in"]);
    if (ms === null) throw new UsageError(`--expires-in: expected a duration like 30d, got ${JSON.stringify(v["expires-in"])}`);
    expiresAt = new Date(Date.now() + ms);
  }
  let records;
  if (v.synthetic !== undefined) {
    const n = Number(v.synthetic);
    const seed = Number(v.seed ?? 1);
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed)) throw new UsageError("--synthetic N and --seed S must be positive integers");
    records = generateCorpus(n, seed);
  }
  let signKeyPem: string | undefined;
  if (v["sign-key"] !== undefined) {
    try {
      signKeyPem = await readFile(v["sign-key"], "utf8");
    } catch (cause) {
      throw new TlmError("TLM_INVALID_INPUT", `cannot read --sign-key file: ${(cause as Error).message}`, { cause });
    }
  }
  const started = performance.now();
  const r = await buildBundle({
    outDir: v.out,
    ...(records ? { records } : { from: v.from! }),
    ...(v["bundle-id"] ? { bundleId: v["bundle-id"] } : {}),
    ...(v["schema-version"] ? { schemaVersion: v["schema-version"] } : {}),
    ...(signKeyPem ? { signKeyPem } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(v.tenant ? { tenant: v.tenant } : {}),
    ...(embedder ? { embedder } : {}),
  });
  const summary = {
    bundle_id: r.manifest.bundle_id, schema_version: r.manifest.schema_version, created_at: r.manifest.created_at,
    ...(r.manifest.expires_at ? { expires_at: r.manifest.expires_at } : {}),
    ...(r.manifest.tenant ? { tenant: r.manifest.tenant } : {}),
    memories: r.count, db_bytes: r.dbBytes, archive: r.manifest.archive,
    ...(r.vectors ? { vectors: r.vectors } : {}),
    signed_by: (r.manifest.signatures ?? []).map((s) => s.keyid),
    manifest_path: r.manifestPath, archive_path: r.archivePath,
    took_ms: Math.round(performance.now() - started),
  };
  if (v.json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  else {
    process.stdout.write(`built bundle ${summary.bundle_id} (schema ${summary.schema_version}): ${r.count} memories, ` +
      `db ${r.dbBytes} bytes${r.vectors ? ` (vectors ${r.vectors.bytes} bytes, ${r.vectors.embedder})` : ""}, archive ${r.manifest.archive.size} bytes${summary.signed_by.length ? `, signed by ${summary.signed_by.join(", ")}` : ""}\n` +
      `  ${r.manifestPath}\n  ${r.archivePath}\n`);
  }
}

/** Global options may come before the command (`tlm [--log-level L] serve ...`, as a supervisor's extra args). */
function splitGlobals(argv: string[]): { globals: string[]; rest: string[] } {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === "--log-level") { globals.push(a, argv[i + 1] ?? ""); i += 2; }
    else if (a.startsWith("--log-level=")) { globals.push(a); i += 1; }
    else break;
  }
  return { globals, rest: argv.slice(i) };
}

// This package's version: the nearest package.json named @recall/tlm up from this module (dist/ for the
// ESM build, dist/bin/ for the bundled executable, src/ in tests).
async function ownVersion(): Promise<string> {
  for (const rel of ["../package.json", "../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(await readFile(new URL(rel, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@recall/tlm" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not here: one level up
    }
  }
  return "unknown";
}

async function main(argv: string[]): Promise<void> {
  const { globals, rest: afterGlobals } = splitGlobals(argv);
  const [cmd, ...rest] = afterGlobals;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") { process.stdout.write(MAIN_HELP); return; }
  if (cmd === "--version") {
    process.stdout.write(`${await ownVersion()}\n`);
    return;
  }
  if (cmd === "serve") return serve([...globals, ...rest]);
  if (cmd === "bundle") {
    const [sub, ...args] = rest;
    if (sub === "build") return bundleBuild(args);
    if (sub === undefined || sub === "--help" || sub === "-h") { process.stdout.write("Usage: tlm bundle build --help\n"); return; }
    throw new UsageError(`unknown bundle command ${JSON.stringify(sub)}`);
  }
  throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
}

main(process.argv.slice(2)).catch(fail);
