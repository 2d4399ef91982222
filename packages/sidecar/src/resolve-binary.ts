import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BinaryMissingError } from "./errors";

/** Where the binary came from. */
export type BinarySource = "tlm_path" | "PATH" | "bundled";

/** Outcome of {@link resolveBinary}. */
export type ResolveBinaryResult =
  | { ok: true; path: string; source: BinarySource }
  | { ok: false; error: BinaryMissingError };

/** Test seams of {@link resolveBinary}. */
export interface ResolveBinaryOptions {
  /**
   * Finds `@recall/tlm/package.json` and returns its absolute path, or null.
   * Default: `import.meta.resolve` from this package, falling back to `require.resolve`.
   */
  resolveBundledPackageJson?: () => string | null;
}

/**
 * Finds the sidecar binary (docs/config.md, `tlm_path`): `tlmPath` when set — an absolute (or
 * `./relative`) path must exist and be an executable file, a bare name is
 * looked up on `env.PATH`; otherwise `tlm` on `env.PATH`; otherwise the
 * reference `tlm` shipped with the optional peer `@recall/tlm` (its
 * `package.json` `bin.tlm`). Never throws: not found → `{ok: false, error: BinaryMissingError}`.
 */
export function resolveBinary(
  tlmPath?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: ResolveBinaryOptions = {},
): ResolveBinaryResult {
  const searched: string[] = [];
  const wanted = tlmPath?.trim() ?? "";
  if (wanted !== "") {
    if (wanted.includes("/")) {
      const abs = isAbsolute(wanted) ? wanted : resolve(wanted);
      searched.push(abs);
      if (isExecutableFile(abs)) return { ok: true, path: abs, source: "tlm_path" };
      return missing(`tlm_path ${abs} does not exist or is not an executable file`, wanted, searched);
    }
    const found = lookPath(wanted, env, searched);
    if (found) return { ok: true, path: found, source: "tlm_path" };
    return missing(`tlm_path "${wanted}" was not found on PATH`, wanted, searched);
  }
  const onPath = lookPath("tlm", env, searched);
  if (onPath) return { ok: true, path: onPath, source: "PATH" };
  const bundled = bundledTlm(options.resolveBundledPackageJson ?? defaultResolvePackageJson, searched);
  if (bundled) return { ok: true, path: bundled, source: "bundled" };
  return missing("no tlm binary: not on PATH and @recall/tlm is not installed (set memory.tlm_path)", undefined, searched);
}

function missing(message: string, tlmPath: string | undefined, searched: string[]): ResolveBinaryResult {
  return { ok: false, error: new BinaryMissingError(message, { ...(tlmPath === undefined ? {} : { tlmPath }), searched }) };
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch (_e) {
    return false;
  }
}

function lookPath(name: string, env: Readonly<Record<string, string | undefined>>, searched: string[]): string | null {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    searched.push(candidate);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function defaultResolvePackageJson(): string | null {
  try {
    if (typeof import.meta.resolve === "function") return fileURLToPath(import.meta.resolve("@recall/tlm/package.json"));
  } catch (_e) {
    // fall through to require.resolve (e.g. loaders without import.meta.resolve)
  }
  try {
    return createRequire(import.meta.url).resolve("@recall/tlm/package.json");
  } catch (_e) {
    return null;
  }
}

function bundledTlm(resolvePackageJson: () => string | null, searched: string[]): string | null {
  searched.push("@recall/tlm");
  let pkgJson: string | null;
  try {
    pkgJson = resolvePackageJson();
  } catch (_e) {
    pkgJson = null;
  }
  if (!pkgJson) return null;
  try {
    const pkg = JSON.parse(readFileSync(pkgJson, "utf8")) as { bin?: string | Record<string, string> };
    const rel = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.tlm;
    if (!rel) return null;
    const bin = resolve(dirname(pkgJson), rel);
    searched.push(bin);
    return statSync(bin).isFile() ? bin : null;
  } catch (_e) {
    return null;
  }
}
