import { isValidPublicKey, keyIdOf } from "@recall/bundle";
import { probeHealth } from "@recall/client";
import { controlSocketPath, redactUrl, SOCKET_PATH_MAX_BYTES, tenantFingerprint, type RecallConfig } from "@recall/config";
import { readBundleState } from "@recall/puller";
import { checkPrivateDir, octalMode } from "@recall/safe-fs";
import { realParts } from "@recall/service";
import { access, constants, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { loadCliConfig } from "../config-loader";
import { controlRequest } from "../control-client";
import { EXIT } from "../errors";
import { START_COMMANDS } from "../fixes";
import type { CommandContext } from "../command-context";
import { safeText } from "../output";
import { marks } from "../symbols";

/** One doctor check: `ok`, `warn` (works, but look) or `fail` (exit 1). */
export interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  fix?: string;
}

/**
 * A socket directory or the bundle root, judged by recall's one directory rule
 * (`checkPrivateDir` from `@recall/safe-fs`: the rule recalld and tlm refuse
 * to start on), so doctor fails exactly where they would and prints their fix.
 * A missing directory under safe parents is a warning: it is created 0700.
 */
async function dirCheck(name: string, dir: string, createdBy: string): Promise<Check> {
  const verdict = await checkPrivateDir(dir);
  if (!verdict.ok) return { name, status: "fail", detail: verdict.problem, fix: verdict.fix };
  const st = await stat(dir).catch((e: NodeJS.ErrnoException) => e);
  if (st instanceof Error) {
    if (st.code === "ENOENT") return { name, status: "warn", detail: `${dir} does not exist yet`, fix: `it is created (0700) by ${createdBy}; or: mkdir -m 700 -p ${dir}` };
    return { name, status: "fail", detail: `${dir}: ${st.code}`, fix: `check the permissions of ${dirname(dir)}` };
  }
  return { name, status: "ok", detail: `${dir} (${octalMode(st.mode)})` };
}

async function runChecks(config: RecallConfig, ctx: CommandContext): Promise<Check[]> {
  const mem = config.memory;
  const checks: Check[] = [];
  const push = (c: Check) => checks.push(c);

  push({ name: "config", status: "ok", detail: config.configFile ? `loaded ${config.configFile}` : "no config file; defaults + env" });

  if (mem.provider === "disabled") push({ name: "provider", status: "warn", detail: "disabled: memory is off", fix: "set memory.provider: local (or cloud)" });
  else push({ name: "provider", status: "ok", detail: mem.provider === "local" ? "local (bundles via `recall bundle install`)" : "cloud (bundles pulled from memory.endpoint)" });

  const bin = realParts.resolveBinary(mem.tlm_path);
  if (bin.ok) push({ name: "tlm binary", status: "ok", detail: bin.path });
  else push({ name: "tlm binary", status: "fail", detail: bin.error.message, fix: "set memory.tlm_path to the tlm executable, or put `tlm` on PATH" });

  const sockBytes = Buffer.byteLength(mem.socket_path);
  if (sockBytes > SOCKET_PATH_MAX_BYTES) {
    push({ name: "socket path", status: "fail", detail: `${mem.socket_path} is ${sockBytes} bytes (max ${SOCKET_PATH_MAX_BYTES})`, fix: "set memory.socket_path to a shorter path, e.g. $XDG_RUNTIME_DIR/recall/memory.sock" });
  } else {
    const c = await dirCheck("socket dir", dirname(mem.socket_path), "the sidecar on its first start");
    push({ ...c, detail: `${c.detail}; socket path ${sockBytes}/${SOCKET_PATH_MAX_BYTES} bytes` });
  }

  const root = await dirCheck("bundle root", mem.bundle_root, "the first install or pull");
  const installed = await readBundleState(mem.bundle_root).catch(() => ({ current: null, state: null }));
  const get = mem.provider === "cloud" ? "`recall pull`" : "`recall bundle install DIR`";
  if (root.status === "ok" && !installed.current) push({ name: "bundle root", status: "fail", detail: `${mem.bundle_root}: no valid current bundle`, fix: `install one: ${get}` });
  else if (root.status === "ok") push({ ...root, detail: `${root.detail}, current → ${installed.current!.bundle_id} (schema ${installed.current!.schema_version})` });
  else if (root.status === "warn") push({ ...root, status: "fail", fix: `install a bundle: ${get}` });
  else push(root);

  const statePath = join(mem.bundle_root, "state.json");
  const stateExists = await access(statePath, constants.F_OK).then(() => true, () => false);
  if (!stateExists) push({ name: "state.json", status: mem.provider === "cloud" ? "warn" : "ok", detail: "none yet (written by the first install or pull)" });
  else if (installed.state === null) push({ name: "state.json", status: "fail", detail: `${statePath} is unreadable or corrupt`, fix: `remove it (the next pull rewrites it): rm ${statePath}` });
  else {
    const lp = installed.state.last_pull;
    push({ name: "state.json", status: "ok", detail: `highest ${installed.state.highest_bundle_id ?? "none"}${lp ? `, last pull ${lp.at}: ${lp.outcome}` : ""}` });
  }

  const keys = mem.bundle_public_keys;
  const bad = keys.filter((k) => !isValidPublicKey(k));
  if (bad.length) push({ name: "signing keys", status: "fail", detail: `${bad.length} of ${keys.length} memory.bundle_public_keys are not base64 Ed25519 keys`, fix: "use the content of the .pub files written by `recall bundle keygen`" });
  else if (keys.length === 0) push({ name: "signing keys", status: mem.provider === "cloud" ? "warn" : "ok", detail: "none configured: bundle signatures are not checked", ...(mem.provider === "cloud" ? { fix: "add the publisher's public key to memory.bundle_public_keys" } : {}) });
  else push({ name: "signing keys", status: "ok", detail: `${keys.length} trusted (keyid ${keys.map(keyIdOf).join(", ")})` });

  if (mem.provider === "cloud") {
    const problems: string[] = [];
    let detail = "";
    if (!mem.endpoint) problems.push("memory.endpoint is empty");
    else {
      try {
        const u = new URL(mem.endpoint);
        const loop = ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname) || u.hostname.startsWith("127.");
        if (u.protocol === "http:" && !loop && !mem.allow_insecure_http) problems.push("plain http to a non-loopback host");
        detail = redactUrl(mem.endpoint);
      } catch {
        problems.push("memory.endpoint is not a URL");
      }
    }
    if (!mem.api_key) problems.push("memory.api_key is empty");
    else detail += `${detail ? ", " : ""}key fp:${tenantFingerprint(mem.api_key)}`;
    if (problems.length) push({ name: "cloud", status: "fail", detail: problems.join("; "), fix: "set memory.endpoint (https) and memory.api_key (or RECALL_MEMORY_API_KEY)" });
    else push({ name: "cloud", status: "ok", detail });
  } else {
    push({ name: "cloud", status: "ok", detail: "not used (local mode)" });
  }

  const control = controlSocketPath(config);
  const d = await controlRequest(control, "GET", "/status", { timeoutMs: 2000, signal: ctx.signal });
  if (d.ok && d.status === 200) {
    const st = d.body as { version?: string; status?: string; reason?: string | null };
    const good = st.status === "ready";
    push({ name: "daemon", status: good ? "ok" : "fail", detail: `recalld ${st.version ?? "?"} answers: ${st.status}${st.reason ? ` (${st.reason})` : ""}`, ...(good ? {} : { fix: "run `recall status` for the reason and its fix" }) });
  } else {
    const h = await probeHealth(mem.socket_path, 1000);
    if (h.class === "ok") push({ name: "daemon", status: "warn", detail: `no recalld on ${control}, but a sidecar answers on ${mem.socket_path} (${h.value.ready ? "ready" : "not ready"})`, fix: "fine for --attach setups; otherwise start recalld" });
    else push({ name: "daemon", status: "fail", detail: `nothing answers on ${control}`, fix: `start it: ${START_COMMANDS}` });
  }
  return checks;
}

/** `recall doctor [--json]` */
export async function run(ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  let checks: Check[];
  try {
    checks = await runChecks(loadCliConfig(ctx), ctx);
  } catch (e) {
    const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
    if (!(e instanceof Error) || typeof code !== "string" || !code.startsWith("CONFIG_")) throw e;
    checks = [{ name: "config", status: "fail", detail: e.message, fix: "fix the value named above; `recall config --help`" }];
  }
  const ok = checks.every((c) => c.status !== "fail");
  if (out.json) {
    out.printJson({ ok, checks });
    return ok ? EXIT.ok : EXIT.error;
  }
  const s = out.style;
  const m = marks(s, ctx.env);
  const w = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) {
    const mark = c.status === "ok" ? m.ok : c.status === "warn" ? m.warn : m.fail;
    out.line(`${mark} ${c.name.padEnd(w)}  ${c.detail.split("\n").map(safeText).join("\n    ")}`);
    if (c.fix && c.status !== "ok") out.line(`  ${" ".repeat(w)}  ${s.dim("fix:")} ${safeText(c.fix)}`);
  }
  const fails = checks.filter((c) => c.status === "fail").length;
  const warns = checks.filter((c) => c.status === "warn").length;
  out.line(ok ? s.green(`all checks passed${warns ? ` (${warns} warning${warns > 1 ? "s" : ""})` : ""}`) : s.red(`${fails} check${fails > 1 ? "s" : ""} failed`));
  return ok ? EXIT.ok : EXIT.error;
}
