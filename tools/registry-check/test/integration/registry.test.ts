import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PUBLISHED,
  WORKSPACE,
  consumerEnv,
  installConsumer,
  installPublishDir,
  installedRecallPackages,
  packageJson,
  removeTree,
  run,
  runExample,
  socketRequest,
  startChild,
  startPrebuildMirror,
  startRegistry,
  writeUserconfig,
  type Registry,
} from "../../src/harness";

/**
 * Publishes every @recall package with `nx release publish` to a throwaway
 * Verdaccio, then, for each package, installs it alone into an empty project
 * outside the workspace and runs its README example there against real parts:
 * a real `tlm` (itself installed from the registry), a real supervised child,
 * a real loopback HTTP bundle endpoint.
 */

const UPLINK = process.env.RECALL_REGISTRY_UPLINK ?? "https://registry.npmjs.org/";
const BUNDLE_ID = "20261126T080000Z";

let work = "";
let registry: Registry | null = null;
let mirror: Awaited<ReturnType<typeof startPrebuildMirror>> | null = null;
let env: NodeJS.ProcessEnv = {};
const stops: (() => Promise<void>)[] = [];

const version = (short: string) => packageJson(short).version;
const spec = (short: string) => `@recall/${short}@${version(short)}`;

beforeAll(async () => {
  // Short base: socket paths under it stay far below the 107-byte limit.
  work = await mkdtemp(join(tmpdir(), "rc-"));
  registry = await startRegistry(join(work, "registry"), UPLINK);
  mirror = await startPrebuildMirror(join(work, "mirror"));
  const userconfig = join(work, "npmrc");
  await writeUserconfig(userconfig, registry.url);
  env = consumerEnv({ userconfig, cache: join(work, "npm-cache"), mirror: mirror.url });
  // The release tooling itself publishes: nx runs each package's nx-release-publish (npm publish) against the registry.
  await run(
    "npx",
    ["nx", "release", "publish", "--registry", registry.url, "--projects", PUBLISHED.map((p) => `@recall/${p}`).join(","), "--verbose"],
    { cwd: WORKSPACE, env: { ...env, NX_DAEMON: "false", NX_NO_CLOUD: "true", NX_SKIP_NX_CACHE: "true" }, timeoutMs: 240_000 },
  );
}, 300_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await registry?.stop();
  await mirror?.close();
  await removeTree(work);
});

/** Installs `specs` into a fresh consumer and checks that only the package and its own @recall dependencies came, from the registry. */
async function consumer(name: string, specs: string[]): Promise<string> {
  const dir = await installConsumer(join(work, "consumers", name), specs, env);
  for (const p of await installedRecallPackages(dir)) {
    expect(p.real.startsWith(WORKSPACE), `${p.name} resolved into the workspace`).toBe(false);
    expect(p.version).toBe(version(p.name.slice("@recall/".length)));
  }
  return dir;
}

function recallClosure(short: string): string[] {
  const seen = new Set<string>();
  const visit = (s: string) => {
    if (seen.has(s)) return;
    seen.add(s);
    for (const dep of Object.keys(packageJson(s).dependencies ?? {})) {
      if (dep.startsWith("@recall/")) visit(dep.slice("@recall/".length));
    }
  };
  visit(short);
  return [...seen].map((s) => `@recall/${s}`).sort();
}

// tlm, installed once from the registry, serves the other packages' examples.
let tlmDir: Promise<string> | null = null;
const tlmConsumer = () => (tlmDir ??= consumer("tlm", [spec("tlm")]));
const tlmBin = async () => join(await tlmConsumer(), "node_modules/.bin/tlm");

const keys = (() => {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicB64: (publicKey.export({ type: "spki", format: "der" }) as Buffer).subarray(-32).toString("base64"),
  };
})();

// `tlm bundle build` (from the installed tlm) of twelve example memories, signed.
let published: Promise<string> | null = null;
const publishDir = () =>
  (published ??= (async () => {
    const dir = await tlmConsumer();
    const lines = readFileSync(join(WORKSPACE, "examples/memories.jsonl"), "utf8").trim().split("\n").slice(0, 12);
    await writeFile(join(dir, "memories.jsonl"), `${lines.join("\n")}\n`);
    await writeFile(join(dir, "sign.pem"), keys.privatePem, { mode: 0o600 });
    await run("npx", ["tlm", "bundle", "build", "--from", "memories.jsonl", "--out", "publish", "--bundle-id", BUNDLE_ID, "--sign-key", "sign.pem"], {
      cwd: dir,
      env,
      timeoutMs: 60_000,
    });
    return join(dir, "publish");
  })());

// A `tlm serve` on an installed copy of that bundle.
let server: Promise<{ socketPath: string; bundleRoot: string }> | null = null;
const tlmServer = () =>
  (server ??= (async () => {
    const root = join(work, "served");
    const bundleRoot = join(root, "bundles");
    const socketPath = join(root, "run", "memory.sock");
    await mkdir(bundleRoot, { recursive: true });
    await installPublishDir(await publishDir(), bundleRoot);
    const child = startChild(await tlmBin(), ["serve", "--socket", socketPath, "--bundle-root", bundleRoot], root, env);
    stops.push(child.stop);
    await expect
      .poll(async () => (await socketRequest(socketPath, "/health").catch(() => ({ status: 0 }))).status, { timeout: 30_000, interval: 100 })
      .toBe(200);
    return { socketPath, bundleRoot };
  })());

const QUERY = "PostgreSQL CockroachDB migration risk";

describe("every package is published with the release tooling", () => {
  it.each(PUBLISHED.map((p) => [p]))("@recall/%s is on the registry at its workspace version", async (short) => {
    const r = await run("npm", ["view", spec(short), "version", "dist.tarball"], { cwd: work, env });
    expect(r.stdout).toContain(version(short));
    expect(r.stdout).toContain(registry!.url.replace(/\/$/, ""));
  });
});

describe("each package, installed alone outside the workspace, runs its README example", () => {
  it("@recall/tlm: npx tlm bundle build, then tlm serve answers a query over its socket", async () => {
    const dir = await tlmConsumer();
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(recallClosure("tlm"));
    // The native module came from the workspace-built prebuild, not a compile.
    expect(mirror!.served().length).toBeGreaterThanOrEqual(1);
    const pub = await publishDir();
    const manifest = JSON.parse(readFileSync(join(pub, "manifest.json"), "utf8")) as { bundle_id: string; signatures?: unknown[] };
    expect(manifest.bundle_id).toBe(BUNDLE_ID);
    expect(manifest.signatures).toHaveLength(1);
    const { socketPath } = await tlmServer();
    const r = await socketRequest(socketPath, "/query", { text: QUERY, limit: 3 });
    expect(r.status).toBe(200);
    const ids = (r.json as { results: { id: string }[] }).results.map((m) => m.id);
    expect(ids).toContain("mem-001");
  });

  it("@recall/protocol: parses a query intent and turns a bad one into a 400 body", async () => {
    const dir = await consumer("protocol", [spec("protocol")]);
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(["@recall/protocol"]);
    const out = await runExample<{ ok: boolean; limit: number; bad: { status: number; code: string; hasIssues: boolean } }>(
      dir,
      "example.mjs",
      `import { parseQueryIntent } from "@recall/protocol";
const reply = (status, body) => ({ status, code: body.error.code, hasIssues: Array.isArray(body.error.issues) && body.error.issues.length > 0 });
const good = parseQueryIntent(JSON.parse('{"text":"how do we deploy?","kinds":["decision"],"limit":5}'));
const r = parseQueryIntent(JSON.parse('{"text":"","surprise":1}'));
let bad = null;
if (!r.ok) bad = reply(400, { error: { code: "bad_request", message: r.message, issues: r.issues } });
console.log(JSON.stringify({ ok: good.ok, limit: good.ok ? good.value.limit : -1, bad }));
`,
      [],
      env,
    );
    expect(out).toEqual({ ok: true, limit: 5, bad: { status: 400, code: "bad_request", hasIssues: true } });
  });

  it("@recall/config: loads file < env < flags, redacts the key, and names the key and line of a bad value", async () => {
    const dir = await consumer("config", [spec("config")]);
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(["@recall/config"]);
    await writeFile(join(dir, "config.yaml"), "memory:\n  provider: cloud\n  endpoint: https://memory.example.com\n  api_key: sk-registry-check-secret\n");
    await writeFile(join(dir, "bad.yaml"), "memory:\n  provider: local\n  client_request_timeout: 5\n");
    const out = await runExample<{ provider: string; socket: string; timeout: number; leaked: boolean; err: { code: string; exitCode: number; message: string } | null }>(
      dir,
      "example.mjs",
      `import { ConfigError, loadConfig, redact } from "@recall/config";
const env = { HOME: process.cwd(), RECALL_MEMORY_CLIENT_REQUEST_TIMEOUT: "3s" };
const config = loadConfig({ file: "config.yaml", env, flags: { socket_path: process.cwd() + "/run/memory.sock" } });
const shown = JSON.stringify(redact(config));
let err = null;
try { loadConfig({ file: "bad.yaml", env: { HOME: process.cwd() } }); }
catch (e) { if (e instanceof ConfigError) err = { code: e.code, exitCode: e.exitCode, message: e.message }; else throw e; }
console.log(JSON.stringify({ provider: config.memory.provider, socket: config.memory.socket_path,
  timeout: config.memory.client_request_timeout_ms, leaked: shown.includes("sk-registry-check-secret"), err }));
`,
      [],
      env,
    );
    expect(out.provider).toBe("cloud");
    expect(out.socket).toBe(join(dir, "run/memory.sock"));
    expect(out.timeout).toBe(3000);
    expect(out.leaked).toBe(false);
    expect(out.err?.code).toBe("CONFIG_INVALID");
    expect(out.err?.exitCode).toBeGreaterThan(0);
    expect(out.err?.message).toContain("client_request_timeout");
    expect(out.err?.message).toContain("bad.yaml:3");
  });

  it("@recall/bundle: keygen, pack + sign, parse, policy, safe extract; a tampered manifest is bad_signature", async () => {
    const dir = await consumer("bundle", [spec("bundle")]);
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(recallClosure("bundle"));
    await mkdir(join(dir, "build"), { recursive: true });
    await writeFile(join(dir, "build/memories.db"), Buffer.alloc(64 * 1024, 7));
    const out = await runExample<{ policy: boolean; extracted: boolean; size: number; tampered: string | null }>(
      dir,
      "example.mjs",
      `import { createReadStream } from "node:fs";
import { readFile, stat, mkdir } from "node:fs/promises";
import { checkManifestPolicy, generateKeyPair, pack, parseManifestJson, safeExtract } from "@recall/bundle";

const { publicKey, privateKeyPem } = generateKeyPair();
const expiresAt = new Date(Date.now() + 30 * 86400_000).toISOString().replace(/\\.\\d+Z$/, "Z");
await pack("./build", { outDir: "./publish", bundleId: "${BUNDLE_ID}", schemaVersion: "1.0.0", expiresAt, signKeyPem: privateKeyPem });

const raw = await readFile("./publish/manifest.json");
const parsed = parseManifestJson(raw);
if (!parsed.ok) throw parsed.rejection;
const policy = checkManifestPolicy(parsed.manifest, { publicKeys: [publicKey], schemaRange: "^1.0.0", now: new Date() });
if (!policy.ok) throw policy.rejection;
await mkdir("./root/staging", { recursive: true });
const r = await safeExtract(createReadStream("./publish/" + parsed.manifest.archive.path), {
  dest: "./root/staging/${BUNDLE_ID}", manifest: parsed.manifest, maxBytes: 2 * 2 ** 30, maxUnpackedBytes: 8 * 2 ** 30,
});
if (!r.ok) throw new Error(r.rejection.reason);
const size = (await stat("./root/staging/${BUNDLE_ID}/memories.db")).size;

const evil = JSON.parse(raw.toString());
evil.schema_version = "1.0.1";
const p2 = parseManifestJson(Buffer.from(JSON.stringify(evil)));
const t = p2.ok ? checkManifestPolicy(p2.manifest, { publicKeys: [publicKey], schemaRange: "^1.0.0", now: new Date() }) : p2;
console.log(JSON.stringify({ policy: policy.ok, extracted: r.ok, size, tampered: t.ok ? null : t.rejection.reason }));
`,
      [],
      env,
    );
    expect(out).toEqual({ policy: true, extracted: true, size: 64 * 1024, tampered: "bad_signature" });
  });

  it("@recall/client: queries a real tlm (installed from the registry) and gets a typed unavailable when nothing listens", async () => {
    const { socketPath } = await tlmServer();
    const dir = await consumer("client", [spec("client")]);
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(recallClosure("client"));
    const out = await runExample<{ cls: string; ids: string[]; missing: string }>(
      dir,
      "example.mjs",
      `import { SidecarClient } from "@recall/client";
const [socketPath, text, nowhere] = process.argv.slice(2);
const client = new SidecarClient({ socketPath, requestTimeoutMs: 2000 });
const r = await client.query({ text, limit: 5 });
const ids = r.class === "ok" ? r.value.results.map((m) => m.id) : [];
await client.close();
const down = new SidecarClient({ socketPath: nowhere, requestTimeoutMs: 2000 });
const u = await down.query({ text });
await down.close();
console.log(JSON.stringify({ cls: r.class, ids, missing: u.class }));
`,
      [socketPath, QUERY, join(dir, "nobody.sock")],
      env,
    );
    expect(out.cls).toBe("ok");
    expect(out.ids).toContain("mem-001");
    expect(out.missing).toBe("unavailable");
  });

  it("@recall/supervisor: supervises a real child that crashes once, restarts it, stops it on abort", async () => {
    const dir = await consumer("supervisor", [spec("supervisor")]);
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(["@recall/supervisor"]);
    // The README's server: answers GET /health on a Unix socket. The first instance exits (code 1) right after its first answer.
    await writeFile(
      join(dir, "server.mjs"),
      `import { createServer } from "node:http";
import { existsSync, writeFileSync } from "node:fs";
const socketPath = process.argv[2];
const first = !existsSync(socketPath + ".ran");
writeFileSync(socketPath + ".ran", "");
const server = createServer((req, res) => {
  res.writeHead(req.url === "/health" ? 200 : 404).end("{}");
  if (first) res.on("finish", () => process.exit(1));
});
server.listen(socketPath);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`,
    );
    const readme = readFileSync(join(WORKSPACE, "packages/supervisor/README.md"), "utf8");
    const spawnerTs = /```ts\n(import \{ spawn, type ChildProcess \}[\s\S]*?)```/.exec(readme)?.[1];
    expect(spawnerTs, "the README's Spawner example").toBeDefined();
    // The README's Spawner, as plain JavaScript: drop the type import and annotations.
    const spawnerJs = spawnerTs!
      .replace(/, type ChildProcess/, "")
      .replace(/^import type .*$/m, "")
      .replace(/\(script: string, socketPath: string\): Spawner/, "(script, socketPath)")
      .replace(/let child: ChildProcess \| null = null;/, "let child = null;")
      .replace(/let exited: Promise<ExitInfo> =/, "let exited =")
      .replace(/new Promise<boolean>/, "new Promise")
      .replace(/let exit: ExitInfo \| null = null;/, "let exit = null;");
    expect(spawnerJs).not.toMatch(/: (ExitInfo|Spawner|ChildProcess|string)\b/);
    await writeFile(join(dir, "spawner.mjs"), spawnerJs);
    const socketPath = join(dir, "app.sock");
    const out = await runExample<{ outcome: string; readies: number[]; exits: (number | null)[]; socketLeft: boolean }>(
      dir,
      "example.mjs",
      `import { existsSync } from "node:fs";
import { Supervisor } from "@recall/supervisor";
import { httpSocketSpawner } from "./spawner.mjs";
const socketPath = process.argv[2];
const readies = [];
const exits = [];
const ac = new AbortController();
const sup = new Supervisor(httpSocketSpawner("./server.mjs", socketPath), {
  maxAttempts: 5,
  backoff: { initialMs: 50, maxMs: 200, factor: 2, jitter: 0 },
  onReady: ({ restarts }) => { readies.push(restarts); if (readies.length === 2) ac.abort(); },
  onExit: (exit) => exits.push(exit.code),
  onDegraded: () => ac.abort(),
});
const outcome = await sup.run(ac.signal);
console.log(JSON.stringify({ outcome, readies, exits, socketLeft: existsSync(socketPath) }));
`,
      [socketPath],
      env,
    );
    expect(out.outcome).toBe("stopped");
    expect(out.readies).toHaveLength(2);
    expect(out.exits[0]).toBe(1);
    expect(out.socketLeft).toBe(false);
  });

  it("@recall/sidecar: resolves and spawns a real tlm, waits for ready, shuts it down", async () => {
    const bin = await tlmBin();
    const { bundleRoot } = await tlmServer();
    const dir = await consumer("sidecar", [spec("sidecar")]);
    // The optional peer @recall/tlm is not pulled in: the binary is given explicitly.
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(recallClosure("sidecar"));
    const socketPath = join(dir, "run", "memory.sock");
    const out = await runExample<{ resolved: boolean; ready: boolean; health: number; socketLeft: boolean }>(
      dir,
      "example.mjs",
      `import { existsSync } from "node:fs";
import { request } from "node:http";
import { Sidecar, resolveBinary } from "@recall/sidecar";
const [tlmPath, socketPath, bundleRoot] = process.argv.slice(2);
const bin = resolveBinary(tlmPath);
if (!bin.ok) throw bin.error;
const sidecar = new Sidecar({ socketPath, bundleRoot, binary: bin.path });
await sidecar.spawn();
const r = await sidecar.waitReady(undefined, 30_000);
if (!r.ok) console.error(r.reason, sidecar.recentOutput());
const health = await new Promise((done) => request({ socketPath, path: "/health" }, (res) => { res.resume(); done(res.statusCode); })
  .on("error", () => done(0)).end());
await sidecar.shutdown(2000);
console.log(JSON.stringify({ resolved: bin.ok, ready: r.ok, health, socketLeft: existsSync(socketPath) }));
`,
      [bin, socketPath, bundleRoot],
      env,
    );
    expect(out).toEqual({ resolved: true, ready: true, health: 200, socketLeft: false });
  });

  it("@recall/puller: pulls a signed bundle from a real loopback HTTP endpoint, installs it, then sees it unchanged", async () => {
    const pub = await publishDir();
    const apiKey = "registry-check-key";
    const seenKeys: (string | undefined)[] = [];
    const endpoint: Server = createServer((req, res) => {
      seenKeys.push(req.headers["x-api-key"] as string | undefined);
      if (req.headers["x-api-key"] !== apiKey) return void res.writeHead(401).end();
      const name = (req.url ?? "").replace(/^\/api\/v1\/memory\/bundle\//, "");
      const file = name === "manifest" ? join(pub, "manifest.json") : join(pub, name);
      if (name.includes("/") || !existsSync(file)) return void res.writeHead(404).end();
      const body = readFileSync(file);
      const etag = name === "manifest" ? `"m-${body.length}"` : undefined;
      if (etag && req.headers["if-none-match"] === etag) return void res.writeHead(304, { etag }).end();
      res.writeHead(200, { "content-length": body.length, ...(etag ? { etag } : {}) }).end(body);
    });
    await new Promise<void>((r) => endpoint.listen(0, "127.0.0.1", r));
    stops.push(() => new Promise<void>((r) => (endpoint.closeAllConnections(), endpoint.close(() => r()))));
    const url = `http://127.0.0.1:${(endpoint.address() as { port: number }).port}`;
    const dir = await consumer("puller", [spec("puller")]);
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(recallClosure("puller"));
    const bundleRoot = join(dir, "bundles");
    const out = await runExample<{ first: { outcome: string; bundle_id?: string }; second: { outcome: string }; wrongKey: { outcome: string; reason?: string } }>(
      dir,
      "example.mjs",
      `import { Puller } from "@recall/puller";
const [endpoint, apiKey, bundleRoot, pub, otherPub] = process.argv.slice(2);
const puller = new Puller({ endpoint, apiKey, bundleRoot, publicKeys: [pub] });
const first = await puller.tick({ onProgress: () => {} });
const second = await puller.tick();
const wrongKey = await new Puller({ endpoint, apiKey, bundleRoot: bundleRoot + "-other", publicKeys: [otherPub] }).tick();
console.log(JSON.stringify({ first, second, wrongKey }));
`,
      [url, apiKey, bundleRoot, keys.publicB64, Buffer.alloc(32, 9).toString("base64")],
      env,
    );
    expect(out.first).toMatchObject({ outcome: "installed", bundle_id: BUNDLE_ID });
    expect(out.second.outcome).toBe("unchanged");
    expect(out.wrongKey).toMatchObject({ outcome: "rejected", reason: "bad_signature" });
    expect(await readlink(join(bundleRoot, "current"))).toContain(BUNDLE_ID);
    expect(existsSync(join(bundleRoot, "current", "memories.db"))).toBe(true);
    expect(seenKeys.every((k) => k === apiKey)).toBe(true);
  });

  it("@recall/service: starts in local mode on a real tlm, answers a query, reports ready, stops", async () => {
    const bin = await tlmBin();
    const { bundleRoot } = await tlmServer();
    // The README's example imports @recall/config next to @recall/service (a logger too; any pino-shaped object does).
    const dir = await consumer("service", [spec("service"), spec("config")]);
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(
      [...new Set([...recallClosure("service"), "@recall/config"])].sort(),
    );
    const socketPath = join(dir, "run", "memory.sock");
    await writeFile(
      join(dir, "config.yaml"),
      `memory:\n  provider: local\n  socket_path: ${JSON.stringify(socketPath)}\n  bundle_root: ${JSON.stringify(bundleRoot)}\n  tlm_path: ${JSON.stringify(bin)}\n`,
    );
    const out = await runExample<{ started: string; cls: string; ids: string[]; stopped: string; audit: string[] }>(
      dir,
      "example.mjs",
      `import { loadConfig } from "@recall/config";
import { Service, serviceOptionsFromConfig } from "@recall/service";
const noop = () => {};
const logger = { debug: noop, info: noop, warn: noop, error: noop };
const audit = [];
const config = loadConfig({ file: "config.yaml", env: { HOME: process.cwd() } });
const service = new Service(serviceOptionsFromConfig(config, { version: "1.0.0" }), { logger, audit: { log: (event) => audit.push(event) } });
await service.start();
const deadline = Date.now() + 30_000;
while (service.snapshot().status !== "ready" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
const started = service.snapshot().status;
const r = await service.query({ text: process.argv[2], limit: 5 }, { timeoutMs: 5000 });
await service.stop();
console.log(JSON.stringify({ started, cls: r.class, ids: r.class === "ok" ? r.envelope.results.map((m) => m.id) : [], stopped: service.snapshot().status, audit }));
`,
      [QUERY],
      env,
    );
    expect(out.started).toBe("ready");
    expect(out.cls).toBe("ok");
    expect(out.ids).toContain("mem-001");
    expect(out.stopped).not.toBe("ready");
    expect(existsSync(socketPath)).toBe(false);
  });
});
