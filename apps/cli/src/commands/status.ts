import { probeHealth, type Health } from "@recall/client";
import { controlSocketPath } from "@recall/config";
import { readBundleState } from "@recall/puller";
import { lstat } from "node:fs/promises";
import { loadCliConfig } from "../config-loader";
import { controlRequest } from "../control-client";
import { EXIT } from "../errors";
import { fixForReason, START_COMMANDS } from "../fixes";
import { formatAge, safeText as t, table } from "../output";
import type { CommandContext } from "../command-context";
import { marks } from "../symbols";

/** The daemon's `/status` body (docs/status.md). */
interface DaemonStatus {
  version: string;
  provider: string;
  mode: string;
  status: string;
  reason: string | null;
  detail: Record<string, unknown>;
  sidecar: { pid: number | null; restarts: number; ready_since: string | null };
  bundle: { bundle_id: string | null; schema_version: string | null; installed_at: string | null; expires_at?: string | null; expired?: boolean };
  last_pull: { at: string | null; outcome: string | null; error: string | null };
}

function isDaemonStatus(v: unknown): v is DaemonStatus {
  return typeof v === "object" && v !== null && typeof (v as DaemonStatus).status === "string" && typeof (v as DaemonStatus).sidecar === "object";
}

/** `recall status [--json]` */
export async function run(ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  const config = loadCliConfig(ctx);
  const mem = config.memory;
  const control = controlSocketPath(config);
  const fixCtx = { provider: mem.provider, socketPath: mem.socket_path };
  const s = out.style;
  const m = marks(s, ctx.env);
  const when = (iso: string | null) => (iso ? `${t(iso)} (${t(formatAge(iso))})` : "never");

  const d = await controlRequest(control, "GET", "/status", { timeoutMs: 2000, signal: ctx.signal });
  if (d.ok && d.status === 200 && isDaemonStatus(d.body)) {
    const st = d.body;
    const ready = st.status === "ready";
    const fix = ready ? undefined : fixForReason(st.reason ?? (st.status === "disabled" ? "disabled" : undefined), fixCtx);
    if (out.json) {
      out.printJson({ source: "daemon", ready, status: st.status, reason: st.reason, ...(fix ? { fix } : {}), control_socket: control, daemon: st });
      return ready ? EXIT.ok : EXIT.unavailable;
    }
    const colour = ready ? s.green : st.status === "initializing" ? s.yellow : s.red;
    out.line(`${ready ? m.ok : m.fail} memory ${colour(s.bold(t(st.status)))}${st.reason ? ` ${s.dim(`(${t(st.reason)})`)}` : ""}`);
    const rows = [
      ["  daemon", `recalld ${t(String(st.version))}, ${t(String(st.mode))} mode, provider ${t(String(st.provider))}  ${s.dim(t(control))}`],
      ["  sidecar", st.sidecar.pid ? `pid ${st.sidecar.pid}, ready since ${when(st.sidecar.ready_since)}, ${st.sidecar.restarts} restart(s)` : `not running${st.sidecar.restarts ? `, ${st.sidecar.restarts} restart(s)` : ""}`],
      ["  bundle", st.bundle.bundle_id ? `${s.bold(t(st.bundle.bundle_id))} (schema ${t(st.bundle.schema_version ?? "?")}), installed ${when(st.bundle.installed_at)}` : s.yellow("none installed")],
    ];
    // an expired bundle is still served (docs/status.md): say so, with what to do
    if (st.bundle.expired) rows.push(["  expiry", s.yellow(`expired ${when(st.bundle.expires_at ?? null)}; still served until a newer bundle is published and pulled`)]);
    if (st.provider === "cloud" || st.last_pull.at) {
      rows.push(["  last pull", st.last_pull.at ? `${when(st.last_pull.at)}: ${t(String(st.last_pull.outcome))}${st.last_pull.error ? s.red(` (${t(String(st.last_pull.error))})`) : ""}` : "never"]);
    }
    const detail = Object.entries(st.detail ?? {}).filter(([, v]) => v !== undefined && v !== null);
    if (detail.length) rows.push(["  detail", detail.map(([k, v]) => t(`${k}=${typeof v === "object" ? JSON.stringify(v) : String(v as string | number | boolean)}`)).join(" ")]);
    for (const l of table(rows)) out.line(l);
    if (fix) out.line(`  ${s.bold("fix:")} ${t(fix)}`);
    return ready ? EXIT.ok : EXIT.unavailable;
  }

  // No daemon: is a sidecar answering on its own (recalld elsewhere, --attach setups, tests)?
  const h = await probeHealth(mem.socket_path, 1000);
  if (h.class === "ok") {
    const health: Health = h.value;
    const reason = health.ready ? null : health.compatibility === "unknown" ? "no_bundle" : (health.error?.sub_code ?? health.error?.code ?? "incompatible");
    const fix = health.ready ? undefined : health.compatibility === "incompatible" ? `${health.error?.message ?? "the bundle cannot be served"}: ${fixForReason("binary_too_old", fixCtx)}` : fixForReason(reason, fixCtx);
    if (out.json) {
      out.printJson({ source: "sidecar", ready: health.ready, status: health.ready ? "ready" : "unavailable", reason, ...(fix ? { fix } : {}), control_socket: control, health });
      return health.ready ? EXIT.ok : EXIT.unavailable;
    }
    out.line(`${health.ready ? m.ok : m.fail} memory ${health.ready ? s.green(s.bold("ready")) : s.red(s.bold("not ready"))}${reason ? ` ${s.dim(`(${t(reason)})`)}` : ""} ${s.dim("— sidecar answering, no recalld")}`);
    for (const l of table([
      ["  sidecar", `pid ${health.pid}, up ${Math.round(health.uptime_s)}s, protocol ${health.protocol}, supports schema ${t(health.supported_schema)}  ${s.dim(t(mem.socket_path))}`],
      ["  bundle", health.bundle_id ? `${s.bold(t(health.bundle_id))} (schema ${t(health.schema_version ?? "?")}), ${health.compatibility}` : s.yellow("none installed")],
    ])) out.line(l);
    if (fix) out.line(`  ${s.bold("fix:")} ${t(fix)}`);
    return health.ready ? EXIT.ok : EXIT.unavailable;
  }

  // Nothing answers.
  const installed = await readBundleState(mem.bundle_root).catch(() => null);
  const stale = await lstat(mem.socket_path).then((x) => x.isSocket()).catch(() => false);
  const fix = mem.provider === "disabled" ? fixForReason("disabled", fixCtx)! : `start it: ${START_COMMANDS}`;
  if (out.json) {
    out.printJson({
      source: "none",
      ready: false,
      status: mem.provider === "disabled" ? "disabled" : "not_running",
      reason: mem.provider === "disabled" ? "provider_disabled" : "not_running",
      fix,
      socket: mem.socket_path,
      control_socket: control,
      stale_socket: stale,
      installed_bundle: installed?.current ?? null,
    });
    return EXIT.unavailable;
  }
  out.line(`${m.fail} memory ${s.red(s.bold(mem.provider === "disabled" ? "disabled" : "not running"))} ${s.dim(`(provider ${mem.provider})`)}`);
  for (const l of table([
    ["  daemon", `nothing answers on ${t(control)}`],
    ["  sidecar", `nothing answers on ${t(mem.socket_path)}${stale ? s.yellow(" (a stale socket file is left there; it is removed on start)") : ""}`],
    ["  bundle", installed?.current ? `${t(installed.current.bundle_id)} (schema ${t(installed.current.schema_version)}) installed in ${t(mem.bundle_root)}` : s.yellow(`none installed in ${t(mem.bundle_root)}`)],
  ])) out.line(l);
  out.line(`  ${s.bold("fix:")} ${t(fix)}`);
  return EXIT.unavailable;
}
