import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importedPackages } from "../../src/declared-deps";
import {
  EXAMPLES_DIR,
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
    ["nx", "release", "publish", "--registry", registry.url, "--projects", PUBLISHED.map((p) => `@recall/${p}`).join(","), "--parallel", "4", "--verbose"],
    { cwd: WORKSPACE, env: { ...env, NX_DAEMON: "false", NX_NO_CLOUD: "true", NX_SKIP_NX_CACHE: "true" }, timeoutMs: 240_000 },
  );
  for (const [name] of CONSUMERS) void consumerOf(name);
}, 300_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await registry?.stop();
  await mirror?.close();
  await removeTree(work);
});

const installs = new Map<string, Promise<string>>();

/**
 * Installs `specs` into a fresh consumer (once per name; the installs start
 * together right after publishing) and checks that every @recall package in
 * it came from the registry at its workspace version, none from the workspace.
 */
function consumer(name: string, specs: string[]): Promise<string> {
  let p = installs.get(name);
  if (!p) {
    p = (async () => {
      const dir = await installConsumer(join(work, "consumers", name), specs, env);
      for (const pkg of await installedRecallPackages(dir)) {
        if (pkg.real.startsWith(WORKSPACE)) throw new Error(`${pkg.name} resolved into the workspace: ${pkg.real}`);
        const want = version(pkg.name.slice("@recall/".length));
        if (pkg.version !== want) throw new Error(`${pkg.name}@${pkg.version} installed, ${want} published`);
      }
      return dir;
    })();
    // Awaited by its test; a failure is reported there, not as an unhandled rejection.
    p.catch(() => undefined);
    installs.set(name, p);
  }
  return p;
}

/** The consumers whose packages are known before the tests run, installed side by side. */
const CONSUMERS: [string, string[]][] = [
  ["tlm", ["tlm"]],
  ["ports", ["ports"]],
  ["protocol", ["protocol"]],
  ["safe-fs", ["safe-fs"]],
  ["config", ["config"]],
  ["bundle", ["bundle"]],
  ["client", ["client"]],
  ["sidecar", ["sidecar"]],
  ["puller", ["puller"]],
  ["service", ["service", "config"]],
];

function consumerOf(name: string): Promise<string> {
  const specs = CONSUMERS.find(([n]) => n === name)![1];
  return consumer(name, specs.map(spec));
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
const tlmConsumer = () => (tlmDir ??= consumerOf("tlm"));
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
    const child = startChild(await tlmBin(), ["serve", "--socket", socketPath, "--bundle-root", bundleRoot, "--parent-pid", String(process.pid)], root, env);
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

  it("@recall/ports: the README's retry() runs on injected seams and on the defaults; an abort mid-sleep rejects with signal.reason", async () => {
    // The README's example, transpiled to JavaScript as is.
    const readme = readFileSync(join(WORKSPACE, "packages/ports/README.md"), "utf8");
    const retryTs = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes("export async function retry"));
    expect(retryTs, "the README's retry example").toBeDefined();
    expect([...importedPackages(retryTs!)]).toEqual(["@recall/ports"]);
    const dir = await consumerOf("ports");
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(["@recall/ports"]);
    const retryJs = ts.transpileModule(retryTs!, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    }).outputText;
    await writeFile(join(dir, "retry.mjs"), retryJs);
    const out = await runExample<Record<string, unknown>>(dir, "ports.mjs", [], env);
    expect(out).toEqual({
      value: "done",
      calls: 3,
      slept: [100, 200],
      warned: [["retrying", 1], ["retrying", 2]],
      events: [
        { event: "retry_scheduled", fields: { attempt: 1, elapsed_ms: 0 } },
        { event: "retry_scheduled", fields: { attempt: 2, elapsed_ms: 100 } },
      ],
      leaked: false,
      exhausted: "RangeError",
      tries: 2,
      aborted: "signal.reason",
      defaults: { frozen: true, dropped: true, now: true },
    });
  });

  it("@recall/protocol: parses a query intent and turns a bad one into a 400 body", async () => {
    const dir = await consumerOf("protocol");
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(["@recall/protocol"]);
    const out = await runExample<{ ok: boolean; limit: number; bad: { status: number; code: string; hasIssues: boolean } }>(
      dir,
      "protocol.mjs",
      [],
      env,
    );
    expect(out).toEqual({ ok: true, limit: 5, bad: { status: 400, code: "bad_request", hasIssues: true } });
  });

  it("@recall/safe-fs: judges a private and a shared directory, writes atomically 0600, refuses a removal through a symlink", async () => {
    const dir = await consumerOf("safe-fs");
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(["@recall/safe-fs"]);
    // The README's example, as is: it makes ./state, judges it, writes state.json and prints it.
    const readme = readFileSync(join(WORKSPACE, "packages/safe-fs/README.md"), "utf8");
    const example = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes("checkPrivateDir(dir)"));
    expect(example, "the README's example").toBeDefined();
    expect([...importedPackages(example!)]).toEqual(["@recall/safe-fs"]);
    await writeFile(join(dir, "readme-example.mjs"), example!);
    const r = await run(process.execPath, ["readme-example.mjs"], { cwd: dir, env, timeoutMs: 60_000 });
    expect(JSON.parse(r.stdout.trim())).toEqual({ n: 1 });
    // The refusals the README describes, on the same install.
    const out = await runExample<{ ok: boolean; written: unknown; mode: number; shared: { ok: boolean; fix: string }; escape: string | null }>(
      dir,
      "safe-fs.mjs",
      [],
      env,
    );
    expect(out).toEqual({ ok: true, written: { n: 1 }, mode: 0o600, shared: { ok: false, fix: `chmod 700 ${join(dir, "shared")}` }, escape: "SAFE_FS_LINK_ESCAPE" });
  });

  it("@recall/config: loads file < env < flags, redacts the key, and names the key and line of a bad value", async () => {
    const dir = await consumerOf("config");
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(recallClosure("config"));
    await writeFile(join(dir, "config.yaml"), "memory:\n  provider: cloud\n  endpoint: https://memory.example.com\n  api_key: sk-registry-check-secret\n");
    await writeFile(join(dir, "bad.yaml"), "memory:\n  provider: local\n  client_request_timeout: 5\n");
    const out = await runExample<{ provider: string; socket: string; timeout: number; leaked: boolean; err: { code: string; hasExitCode: boolean; message: string } | null }>(
      dir,
      "config.mjs",
      [],
      env,
    );
    expect(out.provider).toBe("cloud");
    expect(out.socket).toBe(join(dir, "run/memory.sock"));
    expect(out.timeout).toBe(3000);
    expect(out.leaked).toBe(false);
    expect(out.err?.code).toBe("CONFIG_INVALID");
    expect(out.err?.hasExitCode).toBe(false); // the app picks the exit status (docs/exit-codes.md), not the library
    expect(out.err?.message).toContain("client_request_timeout");
    expect(out.err?.message).toContain("bad.yaml:3");
  });

  it("@recall/bundle: keygen, pack + sign, parse, policy, safe extract; a tampered manifest is bad_signature", async () => {
    const dir = await consumerOf("bundle");
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(recallClosure("bundle"));
    await mkdir(join(dir, "build"), { recursive: true });
    await writeFile(join(dir, "build/memories.db"), Buffer.alloc(64 * 1024, 7));
    const out = await runExample<{ policy: boolean; extracted: boolean; size: number; tampered: string | null }>(
      dir,
      "bundle.mjs",
      [BUNDLE_ID],
      env,
    );
    expect(out).toEqual({ policy: true, extracted: true, size: 64 * 1024, tampered: "bad_signature" });
  });

  it("@recall/client: queries a real tlm (installed from the registry) and gets a typed unavailable when nothing listens", async () => {
    const { socketPath } = await tlmServer();
    const dir = await consumerOf("client");
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(recallClosure("client"));
    const out = await runExample<{ cls: string; ids: string[]; missing: string }>(
      dir,
      "client.mjs",
      [socketPath, QUERY, join(dir, "nobody.sock")],
      env,
    );
    expect(out.cls).toBe("ok");
    expect(out.ids).toContain("mem-001");
    expect(out.missing).toBe("unavailable");
  });

  it("@recall/supervisor: supervises a real child that crashes once, restarts it, stops it on abort", async () => {
    // The README's Spawner, transpiled to JavaScript as is; whatever else it imports (execa) is installed next to it, as the README says.
    const readme = readFileSync(join(WORKSPACE, "packages/supervisor/README.md"), "utf8");
    const spawnerTs = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes("export function httpSocketSpawner"));
    expect(spawnerTs, "the README's Spawner example").toBeDefined();
    const extra = [...importedPackages(spawnerTs!)].filter((n) => !n.startsWith("@recall/"));
    const dir = await consumer("supervisor", [spec("supervisor"), ...extra]);
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(recallClosure("supervisor"));
    const spawnerJs = ts.transpileModule(spawnerTs!, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    }).outputText;
    await writeFile(join(dir, "spawner.mjs"), spawnerJs);
    await copyFile(join(EXAMPLES_DIR, "supervisor-server.mjs"), join(dir, "server.mjs"));
    const socketPath = join(dir, "app.sock");
    const out = await runExample<{ outcome: string; readies: number[]; exits: (number | null)[]; socketLeft: boolean }>(
      dir,
      "supervisor.mjs",
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
    const dir = await consumerOf("sidecar");
    // The optional peer @recall/tlm is not pulled in: the binary is given explicitly.
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(recallClosure("sidecar"));
    const socketPath = join(dir, "run", "memory.sock");
    const out = await runExample<{ resolved: boolean; ready: boolean; health: number; socketLeft: boolean }>(
      dir,
      "sidecar.mjs",
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
    const dir = await consumerOf("puller");
    expect((await installedRecallPackages(dir)).map((p) => p.name)).toEqual(recallClosure("puller"));
    const bundleRoot = join(dir, "bundles");
    const out = await runExample<{ first: { outcome: string; bundle_id?: string }; second: { outcome: string }; wrongKey: { outcome: string; reason?: string } }>(
      dir,
      "puller.mjs",
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
    const dir = await consumerOf("service");
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
      "service.mjs",
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
