import { generateKeyPair } from "@recall/bundle";
import { mkdir, open, rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { strOption } from "../args";
import { CliError, EXIT } from "../errors";
import type { CommandContext } from "../command-context";
import { marks } from "../symbols";

async function writeNew(path: string, data: string, mode: number): Promise<void> {
  const fh = await open(path, "wx", mode).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EEXIST") {
      throw new CliError("KEY_EXISTS", `${path} already exists; not overwriting a key`, { hint: "choose another --out PREFIX, or remove the old files first" });
    }
    throw e;
  });
  try {
    await fh.writeFile(data);
    await fh.chmod(mode); // the umask may have narrowed or widened nothing; make it exact
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** `recall bundle keygen [--out PREFIX]` */
export async function run(ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  const prefix = resolve(ctx.cwd, strOption(ctx.args.values, "out") ?? "recall-signing");
  const keyFile = `${prefix}.key`;
  const pubFile = `${prefix}.pub`;
  await mkdir(dirname(prefix), { recursive: true });
  const kp = generateKeyPair();
  await writeNew(keyFile, kp.privateKeyPem, 0o600);
  try {
    await writeNew(pubFile, `${kp.publicKey}\n`, 0o644);
  } catch (e) {
    await rm(keyFile, { force: true });
    throw e;
  }
  if (out.json) {
    out.printJson({ keyid: kp.keyid, public_key: kp.publicKey, private_key_file: keyFile, public_key_file: pubFile });
    return EXIT.ok;
  }
  const s = out.style;
  const m = marks(s, ctx.env);
  out.line(`${m.ok} wrote ${keyFile} ${s.dim("(private key, mode 0600: keep it secret, use it with --sign-key)")}`);
  out.line(`${m.ok} wrote ${pubFile} ${s.dim("(public key)")}`);
  out.line(`  keyid       ${s.bold(kp.keyid)}`);
  out.line(`  public key  ${kp.publicKey}`);
  out.line("");
  out.line(s.dim("Trust it on every machine that pulls these bundles:"));
  out.line(`  memory:\n    bundle_public_keys: ["${kp.publicKey}"]`);
  return EXIT.ok;
}
