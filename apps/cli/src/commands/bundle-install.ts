import { SidecarClient } from "@recall/client";
import { tenantFingerprint } from "@recall/config";
import { installLocal } from "@recall/puller";
import { resolve } from "node:path";
import { loadCliConfig } from "../config-loader";
import { CliError, EXIT } from "../errors";
import { hintFor } from "../explain";
import type { CommandContext } from "../command-context";
import { safeText } from "../output";
import { marks } from "../symbols";

/** `recall bundle install ARCHIVE_OR_DIR [--allow-rollback]` */
export async function run(ctx: CommandContext): Promise<number> {
  const { args, out } = ctx;
  const config = loadCliConfig(ctx);
  const mem = config.memory;
  const src = resolve(ctx.cwd, args.positionals[0]!);
  const outcome = await installLocal(src, {
    bundleRoot: mem.bundle_root,
    socketPath: mem.socket_path,
    publicKeys: mem.bundle_public_keys,
    schemaRange: mem.bundle_schema_range,
    retain: mem.bundle_retain,
    maxBytes: mem.bundle_max_bytes,
    maxUnpackedBytes: mem.bundle_max_unpacked_bytes,
    ...(mem.api_key ? { tenant: tenantFingerprint(mem.api_key) } : {}),
    allowRollback: args.values["allow-rollback"] === true,
    signal: ctx.signal,
  });

  // installLocal already asked the sidecar to reload; confirm what it serves now.
  let serving: { bundle_id: string | null; ready: boolean } | null = null;
  if (outcome.outcome === "installed" || outcome.outcome === "unchanged") {
    const client = new SidecarClient({ socketPath: mem.socket_path, requestTimeoutMs: mem.client_request_timeout_ms });
    try {
      let h = await client.health();
      if (h.class === "ok" && outcome.outcome === "installed" && h.value.bundle_id !== outcome.bundle_id) {
        await client.reload();
        h = await client.health();
      }
      if (h.class === "ok") serving = { bundle_id: h.value.bundle_id, ready: h.value.ready };
    } finally {
      await client.close();
    }
  }

  const exit =
    outcome.outcome === "installed" || outcome.outcome === "unchanged" ? EXIT.ok : outcome.outcome === "busy" ? EXIT.unavailable : EXIT.error;
  if (out.json) {
    out.printJson({ ...outcome, bundle_root: mem.bundle_root, sidecar: serving });
    return exit;
  }
  const s = out.style;
  const m = marks(s, ctx.env);
  switch (outcome.outcome) {
    case "installed":
      out.line(`${m.ok} installed ${s.bold(safeText(outcome.bundle_id))} ${s.dim(`(schema ${safeText(outcome.schema_version)})`)} into ${safeText(mem.bundle_root)}`);
      break;
    case "unchanged":
      out.line(`${m.ok} already installed: nothing to do`);
      break;
    case "busy":
      throw new CliError("BUSY", "another pull or install holds the bundle lock", { exitCode: EXIT.unavailable, hint: "try again in a moment" });
    case "rejected":
      throw new CliError("BUNDLE_REJECTED", `bundle rejected: ${outcome.reason}${outcome.path ? ` (${outcome.path})` : ""}; nothing was installed`, {
        ...(hintFor(outcome.reason) ? { hint: hintFor(outcome.reason)! } : {}),
      });
    case "failed":
      throw new CliError("INSTALL_FAILED", `install failed (${outcome.reason}): ${outcome.message}`, {
        ...(hintFor(outcome.reason) ? { hint: hintFor(outcome.reason)! } : {}),
      });
    default:
      throw new CliError("INSTALL_FAILED", `unexpected outcome ${outcome.outcome}`);
  }
  if (serving) out.line(`  sidecar  serving ${s.bold(safeText(serving.bundle_id ?? "nothing"))}${serving.ready ? "" : s.yellow(" (not ready)")}`);
  else out.line(s.dim(`  no sidecar answers on ${safeText(mem.socket_path)}: it loads the bundle when it starts (recalld, or npm start)`));
  return exit;
}
