import { readFile, stat } from "node:fs/promises";
import { CliError } from "./errors";

/**
 * Reads a private key file for signing (`recall bundle pack --sign-key`, `recall bundle sign`).
 * A missing path or one that is not a regular file throws `CliError` `KEY_MISSING`.
 */
export async function readSignKey(path: string): Promise<string> {
  const st = await stat(path).catch(() => null);
  if (!st?.isFile()) throw new CliError("KEY_MISSING", `signing key ${path} not found`, { hint: "create one with `recall bundle keygen --out PREFIX`" });
  return readFile(path, "utf8");
}
