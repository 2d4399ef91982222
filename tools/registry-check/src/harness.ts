import { spawn, type ChildProcess } from "node:child_process";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, readdir, realpath, rm, stat, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The workspace root (this file is tools/registry-check/src/harness.ts). */
export const WORKSPACE = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");

/** The packages published and installed one by one (the apps are private and bundled). */
export const PUBLISHED = [
  "ports",
  "protocol",
  "safe-fs",
  "config",
  "bundle",
  "client",
  "supervisor",
  "sidecar",
  "puller",
  "service",
  "tlm",
] as const;

/** A package directory of the workspace by its short name. */
export function packageDir(short: string): string {
  return join(WORKSPACE, "packages", short);
}

/** The name and version in a workspace package's package.json. */
export function packageJson(short: string): { name: string; version: string; dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(packageDir(short), "package.json"), "utf8"));
}

/** What a finished command printed. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; rejects with its output when it exits non-zero or outlives `timeoutMs`. */
export function run(
  file: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; allowFailure?: boolean },
): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      stderr += `\n[registry-check] killed after ${opts.timeoutMs} ms`;
    }, opts.timeoutMs ?? 180_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const r = { code, signal, stdout, stderr };
      if ((code !== 0 || signal) && !opts.allowFailure) {
        fail(new Error(`${file} ${args.join(" ")} (in ${opts.cwd}) exited ${code ?? signal}\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`));
      } else {
        done(r);
      }
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/**
 * The environment for npm and for examples run in a consumer project: the
 * caller's environment without anything npm or Nx set for the workspace run
 * (`npm_*`, `NX_*`, `INIT_CWD`, `NODE_PATH`), plus a per-run userconfig (the
 * throwaway registry and a fake token for it), cache and prebuild mirror.
 * `~/.npmrc` is never read or written.
 */
export function consumerEnv(o: { userconfig: string; cache: string; mirror?: string; extra?: NodeJS.ProcessEnv }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|nx_|init_cwd$|node_path$|node_options$|vitest|tinypool)/i.test(k)) continue;
    env[k] = v;
  }
  env.npm_config_userconfig = o.userconfig;
  env.npm_config_cache = o.cache;
  env.npm_config_audit = "false";
  env.npm_config_fund = "false";
  env.npm_config_update_notifier = "false";
  env.npm_config_loglevel = "warn";
  if (o.mirror) env.npm_config_better_sqlite3_binary_host = o.mirror;
  const gypi = join(WORKSPACE, "node_modules/better-sqlite3/build/config.gypi");
  // When the mirror cannot serve the resolved version, node-gyp compiles with the headers the workspace used.
  const nodedir = existsSync(gypi) ? /"nodedir": "([^"]+)"/.exec(readFileSync(gypi, "utf8"))?.[1] : undefined;
  if (nodedir && existsSync(join(nodedir, "include/node/node.h"))) env.npm_config_nodedir = nodedir;
  return { ...env, ...o.extra };
}

/** A running throwaway Verdaccio. */
export interface Registry {
  url: string;
  /** Verdaccio's stdout and stderr so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts Verdaccio in a child process with its config and storage under
 * `dir`, on 127.0.0.1 and a free port: `@recall/*` is served only from its
 * own storage (never proxied: whatever the public registry holds under that
 * scope is never installed), everything else is proxied to `uplink`.
 */
export async function startRegistry(dir: string, uplink: string): Promise<Registry> {
  await mkdir(join(dir, "storage"), { recursive: true });
  const config = join(dir, "config.yaml");
  await writeFile(
    config,
    [
      `storage: ${JSON.stringify(join(dir, "storage"))}`,
      `plugins: ${JSON.stringify(join(dir, "plugins"))}`,
      "web:",
      "  enable: false",
      "auth:",
      "  htpasswd:",
      `    file: ${JSON.stringify(join(dir, "htpasswd"))}`,
      "    max_users: -1",
      "uplinks:",
      "  npmjs:",
      `    url: ${JSON.stringify(uplink)}`,
      "    timeout: 60s",
      "    maxage: 30m",
      "packages:",
      "  '@recall/*':",
      "    access: $all",
      "    publish: $all",
      "    unpublish: $all",
      "  '**':",
      "    access: $all",
      "    publish: $authenticated",
      "    proxy: npmjs",
      "middlewares:",
      "  audit:",
      "    enabled: false",
      "log: { type: stdout, format: json, level: warn }",
      "",
    ].join("\n"),
  );
  const child = spawn(process.execPath, [join(WORKSPACE, "tools/registry-check/src/verdaccio-child.mjs"), config, String(process.pid)], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`verdaccio did not listen within 60 s:\n${out}`)), 60_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) {
        clearTimeout(timer);
        done(Number(m[1]));
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`verdaccio exited ${code ?? signal} before listening:\n${out}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Writes a userconfig that points npm at the registry with a fake token (Verdaccio lets anyone publish `@recall/*`). */
export async function writeUserconfig(path: string, registryUrl: string): Promise<void> {
  const host = registryUrl.replace(/^https?:/, "");
  await writeFile(path, `registry=${registryUrl}\n${host}:_authToken=throwaway-local-token\n`, { mode: 0o600 });
}

/**
 * Serves the workspace's compiled better-sqlite3 as a prebuild-install mirror
 * (`<host>/v<version>/better-sqlite3-v<version>-node-v<abi>-<platform>-<arch>.tar.gz`),
 * so consumers install `@recall/tlm` without a 1-minute native compile and
 * without GitHub. Only the workspace's exact version is served; any other
 * request is a 404 and prebuild-install falls back to compiling.
 */
export async function startPrebuildMirror(dir: string): Promise<{ url: string; served: () => string[]; close(): Promise<void> }> {
  const pkgDir = join(WORKSPACE, "node_modules/better-sqlite3");
  const version = (JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { version: string }).version;
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tarball = join(dir, name);
  await mkdir(join(dir, "build/Release"), { recursive: true });
  await run("cp", [join(pkgDir, "build/Release/better_sqlite3.node"), join(dir, "build/Release/")], { cwd: dir, env: process.env });
  await run("tar", ["-czf", tarball, "build/Release/better_sqlite3.node"], { cwd: dir, env: process.env });
  const served: string[] = [];
  const server: Server = createServer((req, res) => {
    if (req.url === `/v${version}/${name}`) {
      served.push(req.url);
      res.writeHead(200, { "content-type": "application/gzip" });
      createReadStream(tarball).pipe(res);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    served: () => served,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** An empty project outside the workspace with `specs` installed from the registry. */
export async function installConsumer(dir: string, specs: string[], env: NodeJS.ProcessEnv): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), `${JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2)}\n`);
  await run("npm", ["install", "--no-audit", "--no-fund", ...specs], { cwd: dir, env, timeoutMs: 240_000 });
  return dir;
}

/** The `@recall/*` packages in a consumer's node_modules, with their versions and real paths. */
export async function installedRecallPackages(dir: string): Promise<{ name: string; version: string; real: string }[]> {
  const scope = join(dir, "node_modules/@recall");
  if (!existsSync(scope)) return [];
  const out: { name: string; version: string; real: string }[] = [];
  for (const entry of (await readdir(scope)).sort()) {
    const p = join(scope, entry);
    const pkg = JSON.parse(readFileSync(join(p, "package.json"), "utf8")) as { name: string; version: string };
    out.push({ name: pkg.name, version: pkg.version, real: await realpath(p) });
  }
  return out;
}

/** The README examples run inside consumers (test/consumers, a directory of plain .mjs files). */
export const EXAMPLES_DIR = join(WORKSPACE, "tools/registry-check/test/consumers");

/** Copies `test/consumers/<file>` into a consumer, runs it with `node` there and parses its last stdout line as JSON. */
export async function runExample<T>(dir: string, file: string, args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  await copyFile(join(EXAMPLES_DIR, file), join(dir, file));
  const r = await run(process.execPath, [file, ...args], { cwd: dir, env, timeoutMs: 60_000 });
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** GET/POST over a Unix socket (what `curl --unix-socket` does); resolves status and parsed JSON. */
export function socketRequest(socketPath: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((done, fail) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        path,
        method: payload === undefined ? "GET" : "POST",
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        timeout: 5000,
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => {
          try {
            done({ status: res.statusCode ?? 0, json: JSON.parse(text) });
          } catch (err) {
            fail(err);
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", fail);
    req.end(payload);
  });
}

/** Unpacks a publish dir's archive into `<root>/bundles/<id>` and points `current` at it (what the puller does, by hand). */
export async function installPublishDir(publishDir: string, bundleRoot: string): Promise<string> {
  const manifest = JSON.parse(readFileSync(join(publishDir, "manifest.json"), "utf8")) as { bundle_id: string; archive: { path: string } };
  const dest = join(bundleRoot, "bundles", manifest.bundle_id);
  await mkdir(dest, { recursive: true });
  await run("tar", ["-xzf", join(publishDir, manifest.archive.path), "-C", dest], { cwd: publishDir, env: process.env });
  await writeFile(join(dest, "manifest.json"), readFileSync(join(publishDir, "manifest.json")));
  await run("ln", ["-sfn", join("bundles", manifest.bundle_id), join(bundleRoot, "current")], { cwd: bundleRoot, env: process.env });
  return manifest.bundle_id;
}

/** A long-running child (a `tlm serve`) that is killed with its group by `stop()`. */
export function startChild(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; stop(): Promise<void> } {
  const child = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child, "SIGTERM");
        const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Removes a directory tree, ignoring what is already gone. */
export async function removeTree(dir: string): Promise<void> {
  if (dir && (await stat(dir).catch(() => null))) await rm(dir, { recursive: true, force: true });
}
