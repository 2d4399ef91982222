import {
  checkManifestPolicy,
  isValidPublicKey,
  parseManifestJson,
  safeExtract,
  verifyManifest,
  type Manifest,
} from "@recall/bundle";
import { tenantFingerprint } from "@recall/config";
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { listOption } from "../args";
import { loadCliConfig } from "../config-loader";
import { CliError, EXIT, UsageError } from "../errors";
import { hintFor } from "../explain";
import { locateManifest } from "../fs-util";
import { formatBytes, formatDuration, safeText } from "../output";
import type { CommandContext } from "../command-context";
import { marks } from "../symbols";

interface Check {
  name: string;
  ok: boolean | null; // null = not checked
  detail: string;
  reason?: string;
  fix?: string;
}

async function trustedKeys(ctx: CommandContext, configured: readonly string[]): Promise<{ keys: string[]; from: string }> {
  const keys = [...listOption(ctx.args.values, "pubkey")];
  for (const f of listOption(ctx.args.values, "pubkey-file")) {
    const text = await readFile(resolve(ctx.cwd, f), "utf8").catch(() => {
      throw new UsageError(`--pubkey-file ${f}: cannot read it`, "pass the .pub file written by `recall bundle keygen`");
    });
    keys.push(text.trim());
  }
  for (const k of keys) {
    if (!isValidPublicKey(k)) throw new UsageError(`"${k.slice(0, 60)}" is not a base64 Ed25519 public key (32 raw bytes)`, "use the content of the .pub file written by `recall bundle keygen`");
  }
  if (keys.length) return { keys, from: "command line" };
  return { keys: [...configured], from: "memory.bundle_public_keys" };
}

/** `recall bundle verify PUBLISH_DIR|MANIFEST [--pubkey B64]… [--pubkey-file F]…` */
export async function run(ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  const config = loadCliConfig(ctx);
  const target = resolve(ctx.cwd, ctx.args.positionals[0]!);
  const loc = await locateManifest(target);
  if (!loc) throw new CliError("NO_MANIFEST", `no manifest.json at ${target}`, { exitCode: EXIT.usage, hint: "pass a publish directory (manifest.json + archive) or the manifest file" });
  const { keys, from } = await trustedKeys(ctx, config.memory.bundle_public_keys);

  const checks: Check[] = [];
  const fail = (name: string, reason: string, detail: string) => checks.push({ name, ok: false, detail, reason, ...(hintFor(reason) ? { fix: hintFor(reason)! } : {}) });
  let manifest: Manifest | null = null;

  const parsed = parseManifestJson(await readFile(loc.manifestPath));
  if (!parsed.ok) fail("manifest", parsed.rejection.reason, parsed.rejection.message);
  else {
    manifest = parsed.manifest;
    checks.push({ name: "manifest", ok: true, detail: `format 1, bundle ${manifest.bundle_id}, schema ${manifest.schema_version}, ${manifest.files.length} file(s)` });
  }

  let policyOk = false;
  if (manifest) {
    const v = verifyManifest(manifest, keys);
    if (!v.ok) fail("signature", v.rejection.reason, v.rejection.message);
    else if (v.keyid === null) {
      const n = manifest.signatures?.length ?? 0;
      checks.push({ name: "signature", ok: null, detail: `not checked: no trusted key (--pubkey, --pubkey-file or ${from})${n ? `; ${n} signature(s) present` : "; unsigned"}` });
    } else checks.push({ name: "signature", ok: true, detail: `valid, by keyid ${v.keyid} (trusted via ${from})` });

    if (v.ok) {
      const tenant = config.memory.api_key ? tenantFingerprint(config.memory.api_key) : undefined;
      const p = checkManifestPolicy(manifest, {
        publicKeys: keys,
        schemaRange: config.memory.bundle_schema_range,
        now: new Date(),
        ...(tenant ? { tenant } : {}),
      });
      if (!p.ok) fail("policy", p.rejection.reason, p.rejection.message);
      else {
        policyOk = true;
        const exp = manifest.expires_at ? `expires in ${formatDuration(Date.parse(manifest.expires_at) - Date.now())}` : "no expiry";
        checks.push({ name: "policy", ok: true, detail: `schema ${manifest.schema_version} in ${config.memory.bundle_schema_range}, ${exp}${manifest.tenant ? `, tenant ${manifest.tenant}${tenant ? " (ours)" : ""}` : ""}` });
      }
    }
  }

  if (manifest && policyOk) {
    const archive = join(loc.dir, manifest.archive.path);
    const st = await stat(archive).catch(() => null);
    if (!st?.isFile()) fail("archive", "not_found", `${manifest.archive.path} is missing next to the manifest`);
    else {
      const tmp = await mkdtemp(join(tmpdir(), "recall-verify-"));
      try {
        const r = await safeExtract(createReadStream(archive), {
          dest: join(tmp, "x"),
          manifest,
          maxBytes: config.memory.bundle_max_bytes,
          maxUnpackedBytes: config.memory.bundle_max_unpacked_bytes,
          signal: ctx.signal,
        });
        if (!r.ok) {
          const archiveLevel = r.rejection.reason.startsWith("archive_") || r.rejection.reason === "corrupt_archive";
          fail(archiveLevel ? "archive" : "contents", r.rejection.reason, r.rejection.message);
        } else {
          checks.push({ name: "archive", ok: true, detail: `${manifest.archive.path}, ${formatBytes(r.archiveBytes)}, size and sha256 match` });
          checks.push({ name: "contents", ok: true, detail: `${r.files} file(s), ${formatBytes(r.unpackedBytes)} unpacked, every path, size and sha256 match` });
        }
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
  }

  const valid = checks.every((c) => c.ok !== false);
  if (out.json) {
    out.printJson({ valid, manifest_path: loc.manifestPath, bundle_id: manifest?.bundle_id ?? null, checks });
    return valid ? EXIT.ok : EXIT.error;
  }
  const s = out.style;
  const m = marks(s, ctx.env);
  for (const c of checks) {
    out.line(`${c.ok === true ? m.ok : c.ok === false ? m.fail : m.warn} ${c.name.padEnd(9)}  ${c.ok === false ? `${s.red(safeText(c.reason ?? ""))}: ${safeText(c.detail)}` : safeText(c.detail)}`);
    if (c.fix) out.line(`  ${s.dim("fix:")} ${safeText(c.fix)}`);
  }
  out.line(valid ? s.green(s.bold("valid")) : s.red(s.bold("INVALID: do not install this bundle")));
  return valid ? EXIT.ok : EXIT.error;
}
