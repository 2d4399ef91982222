import type { Manifest } from "@recall/bundle";
import { resolve } from "node:path";
import type { CommandContext } from "./command-context";
import { shortPath } from "./fs-util";
import { formatBytes } from "./output";

/** Human summary lines of a manifest, shared by `recall bundle pack` and `recall bundle sign`. */
export function describeManifest(m: Manifest, ctx: Pick<CommandContext, "out" | "cwd">, dir: string): string[] {
  const s = ctx.out.style;
  const rel = (p: string) => shortPath(ctx.cwd, resolve(dir, p));
  const sigs = m.signatures ?? [];
  return [
    `  bundle_id  ${s.bold(m.bundle_id)}   schema ${m.schema_version}`,
    `  archive    ${rel(m.archive.path)}  ${s.dim(`${formatBytes(m.archive.size)}, sha256 ${m.archive.sha256.slice(0, 16)}…`)}`,
    `  files      ${m.files.length} ${s.dim(`(${m.files.slice(0, 3).map((f) => f.path).join(", ")}${m.files.length > 3 ? ", …" : ""})`)}`,
    `  created    ${m.created_at}${m.expires_at ? `   expires ${m.expires_at}` : ""}${m.tenant ? `   tenant ${m.tenant}` : ""}`,
    `  signed     ${sigs.length ? sigs.map((x) => `keyid ${x.keyid}`).join(", ") : s.yellow("no (sign with --sign-key or `recall bundle sign`)")}`,
  ];
}
