import { parseManifestJson, signManifest } from "@recall/bundle";
import { writeFileAtomic } from "@recall/safe-fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { strOption } from "../args";
import { CliError, EXIT, UsageError } from "../errors";
import { locateManifest, shortPath } from "../fs-util";
import type { CommandContext } from "../command-context";
import { describeManifest } from "../manifest-summary";
import { readSignKey } from "../signing-key";
import { marks } from "../symbols";

/** `recall bundle sign PUBLISH_DIR --key F` */
export async function run(ctx: CommandContext): Promise<number> {
  const { args, out } = ctx;
  const keyOpt = strOption(args.values, "key");
  if (!keyOpt) throw new UsageError("--key is required", "the private key PEM written by `recall bundle keygen`");
  const target = resolve(ctx.cwd, args.positionals[0]!);
  const loc = await locateManifest(target);
  if (!loc) throw new CliError("NO_MANIFEST", `no manifest.json at ${target}`, { exitCode: EXIT.usage, hint: "pass a publish directory written by `recall bundle pack` or `tlm bundle build`" });
  const pem = await readSignKey(resolve(ctx.cwd, keyOpt));
  const parsed = parseManifestJson(await readFile(loc.manifestPath));
  if (!parsed.ok) throw new CliError("BAD_MANIFEST", parsed.rejection.message, { hint: "rebuild it with `recall bundle pack`" });
  const signed = signManifest(parsed.manifest, pem);
  await writeFileAtomic(loc.manifestPath, `${JSON.stringify(signed, null, 2)}\n`, 0o644);
  const sig = signed.signatures?.at(-1);
  if (out.json) {
    out.printJson({ manifest_path: loc.manifestPath, keyid: sig?.keyid ?? null, signatures: signed.signatures?.length ?? 0 });
    return EXIT.ok;
  }
  const m = marks(out.style, ctx.env);
  out.line(`${m.ok} signed ${shortPath(ctx.cwd, loc.manifestPath)} with keyid ${out.style.bold(sig?.keyid ?? "?")}`);
  for (const l of describeManifest(signed, ctx, loc.dir)) out.line(l);
  return EXIT.ok;
}
