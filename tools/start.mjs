#!/usr/bin/env node
// `npm start`: the embedded default. Builds the workspace, makes a demo bundle
// from examples/memories.jsonl (once), installs it into .recall/demo/bundles,
// writes .recall/demo/config.yaml (local mode) and runs recalld on it in the
// foreground. Once recalld is ready it prints one line: the query to try and
// the socket it serves. Ctrl-C stops everything; we exit with recalld's code.
//
// Environment:
//   RECALL_START_NO_BUILD=1    skip `nx run-many -t build` (tests; dist/ already built)
//   RECALL_START_DEMO_DIR=DIR  demo directory (default <repo>/.recall/demo)
//   RECALL_START_FROM=FILE     demo source (default <repo>/examples/memories.jsonl)
import { execa, ExecaError } from "execa";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { createHash } from "node:crypto";
import { tmpdir, userInfo } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DEMO = resolve(process.env.RECALL_START_DEMO_DIR || join(ROOT, ".recall", "demo"));
const SOURCE = resolve(process.env.RECALL_START_FROM || join(ROOT, "examples", "memories.jsonl"));
const PUBLISH = join(DEMO, "publish");
const BUNDLE_ROOT = join(DEMO, "bundles");
const CONFIG = join(DEMO, "config.yaml");
// <repo>/.recall/config.yaml (gitignored), only for the default demo dir: a test's demo elsewhere leaves the checkout alone.
const PROJECT_CONFIG = process.env.RECALL_START_DEMO_DIR ? null : join(ROOT, ".recall", "config.yaml");
const SOCKET_MAX_BYTES = 107;
const READY_DEADLINE_MS = 120_000;
// Queries that hit examples/memories.jsonl; the first that returns results is the one we suggest.
const DEMO_QUERIES = ["database migration", "postgres replica lag", "on-call rotation", "feature flags", "kafka"];

const say = (msg) => process.stderr.write(`npm start: ${msg}\n`);
const die = (msg, code = 1) => {
  say(msg);
  process.exit(code);
};

async function run(cmd, args, what) {
  try {
    // Their output goes to stderr: stdout is recalld's JSON log stream.
    await execa(cmd, args, { cwd: ROOT, stdin: "inherit", stdout: 2, stderr: 2, cleanup: true });
  } catch (err) {
    if (!(err instanceof ExecaError)) throw err;
    die(`${what} failed: ${err.shortMessage}`, err.exitCode || 1);
  }
}

async function build() {
  if (process.env.RECALL_START_NO_BUILD === "1") return;
  say("building (npx nx run-many -t build)…");
  await run("npx", ["nx", "run-many", "-t", "build", "--output-style=stream-without-prefixes"], "the build");
}

async function buildDemoBundle() {
  if (existsSync(join(PUBLISH, "manifest.json"))) return;
  if (!existsSync(SOURCE)) die(`demo source ${SOURCE} is missing`);
  await rm(PUBLISH, { recursive: true, force: true });
  await mkdir(DEMO, { recursive: true });
  say(`building the demo bundle from ${shown(SOURCE)}…`);
  await run(process.execPath, [join(ROOT, "packages/tlm/bin/tlm.js"), "bundle", "build", "--from", SOURCE, "--out", PUBLISH, "--embed"], "tlm bundle build");
}

async function installDemoBundle() {
  const puller = await import("@recall/puller");
  if (await puller.hasValidCurrent(BUNDLE_ROOT)) return;
  say(`installing the demo bundle into ${shown(BUNDLE_ROOT)}…`);
  const outcome = await puller.installLocal(PUBLISH, {
    bundleRoot: BUNDLE_ROOT,
    publicKeys: [],
    schemaRange: "^1.0.0",
    retain: 3,
    maxBytes: 2 * 1024 ** 3,
    maxUnpackedBytes: 8 * 1024 ** 3,
  });
  if (outcome.outcome !== "installed" && outcome.outcome !== "unchanged") {
    die(`installing the demo bundle failed: ${JSON.stringify(outcome)} (delete ${shown(DEMO)} to start over)`);
  }
}

/** The sidecar socket: .recall/demo/run/memory.sock, or a per-user dir under the temp dir when that is too long. */
function socketPath() {
  const local = join(DEMO, "run", "memory.sock");
  const longest = (p) => Math.max(Buffer.byteLength(p), Buffer.byteLength(join(dirname(p), "daemon.sock")));
  if (longest(local) <= SOCKET_MAX_BYTES) return local;
  const tag = createHash("sha256").update(DEMO).digest("hex").slice(0, 8);
  const short = join(tmpdir(), `recall-demo-${userInfo().uid}-${tag}`, "memory.sock");
  if (longest(short) > SOCKET_MAX_BYTES) die(`no socket path short enough: ${short}`);
  return short;
}

async function writeConfig(socket) {
  const yaml = [
    "# Written by `npm start` (tools/start.mjs) at every run: the demo, local mode.",
    "memory:",
    "  provider: local",
    `  socket_path: ${JSON.stringify(socket)}`,
    `  bundle_root: ${JSON.stringify(BUNDLE_ROOT)}`,
    "",
  ].join("\n");
  await writeFile(CONFIG, yaml, { mode: 0o600 });
  // The project-local config: `recall` and `recalld` find it from any directory of the checkout, no --config needed.
  if (PROJECT_CONFIG) await writeFile(PROJECT_CONFIG, yaml, { mode: 0o600 });
}

function request(socket, method, path, body) {
  return new Promise((resolveReq) => {
    const req = http.request({ socketPath: socket, method, path, agent: false, timeout: 2000, headers: body ? { "content-type": "application/json" } : {} }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        try {
          resolveReq({ status: res.statusCode, body: JSON.parse(text) });
        } catch {
          resolveReq(null);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolveReq(null));
    req.end(body);
  });
}

async function pickQuery(socket) {
  for (const text of DEMO_QUERIES) {
    const r = await request(socket, "POST", "/query", JSON.stringify({ text, limit: 1 }));
    if (r?.status === 200 && r.body.results?.length > 0) return text;
  }
  return DEMO_QUERIES[0];
}

function shown(p) {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : p;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  await build();
  await buildDemoBundle();
  await installDemoBundle();
  const socket = socketPath();
  await writeConfig(socket);
  const control = join(dirname(socket), "daemon.sock");

  // The demo is self-contained: RECALL_* settings of the caller's shell must not override its config.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("RECALL_")));
  const child = execa(process.execPath, [join(ROOT, "apps/daemon/bin/recalld.js"), "--config", CONFIG], {
    cwd: ROOT,
    env,
    extendEnv: false,
    stdio: "inherit",
    reject: false,
    // recalld dies with us; one that ignores a forwarded SIGTERM is SIGKILLed 10 s later
    cleanup: true,
    forceKillAfterDelay: 10_000,
  });
  let exited = false;
  const exit = new Promise((r) => child.on("exit", (code, signal) => {
    exited = true;
    r(code ?? (signal ? 128 + (signal === "SIGINT" ? 2 : 15) : 1));
  }));
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(sig, () => {
      if (!exited) child.kill(sig);
    });
  }

  const deadline = Date.now() + READY_DEADLINE_MS;
  let lastStatus = null;
  while (!exited && Date.now() < deadline) {
    const r = await request(control, "GET", "/status");
    const status = r?.body?.status;
    if (status === "ready") {
      const query = await pickQuery(socket);
      const cfg = shown(CONFIG);
      process.stderr.write(
        `\nrecall is ready: try  npx recall query ${JSON.stringify(query)}${PROJECT_CONFIG ? "" : ` --config ${cfg}`}   (sidecar socket ${socket}; Ctrl-C stops)\n\n`,
      );
      break;
    }
    if (status && status !== lastStatus && status !== "initializing") say(`recalld is ${status}${r.body.reason ? ` (${r.body.reason})` : ""}`);
    lastStatus = status ?? lastStatus;
    await sleep(200);
  }
  if (!exited && Date.now() >= deadline) say(`recalld is not ready after ${READY_DEADLINE_MS / 1000}s (last status: ${lastStatus}); see its logs above`);
  process.exitCode = await exit;
}

main().catch((err) => die(err?.stack ?? String(err)));
