import { BUNDLE_ID_RE, pack } from "@recall/bundle";
import { tryParseDuration } from "@recall/config";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { strOption } from "../args";
import { CliError, EXIT, UsageError } from "../errors";
import { shortPath } from "../fs-util";
import type { CommandContext } from "../command-context";
import { describeManifest } from "../manifest-summary";
import { readSignKey } from "../signing-key";
import { marks } from "../symbols";

/** `YYYYMMDDTHHMMSSZ` of `d` (UTC): the default bundle id, sorting in publication order. */
export function utcBundleId(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}

/** `recall bundle pack DIR --out OUT [--bundle-id ID] [--schema-version V] [--sign-key F] [--expires-in D] [--tenant T]` */
export async function run(ctx: CommandContext): Promise<number> {
  const { args, out } = ctx;
  const src = resolve(ctx.cwd, args.positionals[0]!);
  const outOpt = strOption(args.values, "out");
  if (!outOpt) throw new UsageError("--out is required", "e.g. --out publish/ (the directory to upload or serve)");
  const bundleId = strOption(args.values, "bundle-id") ?? utcBundleId(new Date());
  if (!BUNDLE_ID_RE.test(bundleId)) {
    throw new UsageError(`--bundle-id "${bundleId}" is not a valid bundle id`, "use letters, digits, . _ - (max 64, not starting with . _ -), sorting in publication order, e.g. 20261126T080000Z");
  }
  const schemaVersion = strOption(args.values, "schema-version") ?? "1.0.0";
  let expiresAt: Date | undefined;
  const expiresIn = strOption(args.values, "expires-in");
  if (expiresIn !== undefined) {
    const ms = tryParseDuration(expiresIn);
    if (ms === null || ms <= 0) throw new UsageError(`--expires-in "${expiresIn}" is not a duration`, "e.g. 30d, 24h, 90m");
    expiresAt = new Date(Date.now() + ms);
  }
  const tenant = strOption(args.values, "tenant");
  const keyPath = strOption(args.values, "sign-key");
  const signKeyPem = keyPath === undefined ? undefined : await readSignKey(resolve(ctx.cwd, keyPath));
  const st = await stat(src).catch(() => null);
  if (!st?.isDirectory()) throw new CliError("NOT_A_DIRECTORY", `${src} is not a directory`, { exitCode: EXIT.usage, hint: "pass the directory holding the bundle files (e.g. memories.db)" });

  const outDir = resolve(ctx.cwd, outOpt);
  const r = await pack(src, {
    outDir,
    bundleId,
    schemaVersion,
    ...(expiresAt ? { expiresAt } : {}),
    ...(tenant !== undefined ? { tenant } : {}),
    ...(signKeyPem !== undefined ? { signKeyPem } : {}),
  });
  if (out.json) {
    out.printJson({ manifest_path: r.manifestPath, archive_path: r.archivePath, manifest: r.manifest });
    return EXIT.ok;
  }
  const m = marks(out.style, ctx.env);
  out.line(`${m.ok} packed ${shortPath(ctx.cwd, src)} → ${shortPath(ctx.cwd, outDir)}/`);
  for (const l of describeManifest(r.manifest, ctx, outDir)) out.line(l);
  return EXIT.ok;
}
