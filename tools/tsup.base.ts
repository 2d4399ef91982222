import { defineConfig, type Options } from "tsup";

/**
 * The one tsup configuration every package uses: ESM for Node 20 with
 * declarations and source maps. Kept in one place so that replacing tsup
 * (in maintenance) touches this file only.
 */
export function tsupConfig(overrides: Partial<Options> = {}) {
  return defineConfig(libraryOptions(overrides));
}

/** {@link tsupConfig}'s options, for a package that builds more than one output (e.g. `tlm`'s executable). */
export function libraryOptions(overrides: Partial<Options> = {}): Options {
  return {
    entry: ["src/index.ts"],
    format: ["esm"],
    target: "node20",
    platform: "node",
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    ...overrides,
  };
}

/** Native modules (and the packages shipping a binary resolved at run time) stay outside app bundles. */
export const NATIVE_EXTERNALS = ["better-sqlite3", "@recall/tlm"];

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
/**
 * What a bundled executable inlines: every bare import except {@link NATIVE_EXTERNALS}.
 * (tsup's `noExternal` wins over `external`, so the natives are excluded here, not only listed there.)
 */
export const INLINE_ALL_BUT_NATIVE: RegExp[] = [
  new RegExp(`^(?!(${NATIVE_EXTERNALS.map(escapeRe).join("|")})(/|$))[^./]`),
];

/**
 * An app (`recall`, `recalld`) as a self-contained bundle: workspace
 * packages and pure-JS dependencies are inlined, only native modules stay
 * outside, cold code goes to lazy chunks (ESM splitting). `fastEntry`, when
 * given, is built apart as one CommonJS file in `dist/fast/` with everything
 * inlined: a bin can `require()` it without starting Node's ESM loader.
 */
export function appConfig(opts: { entry: string[]; fastEntry?: Record<string, string> }) {
  const inline: Options["noExternal"] = INLINE_ALL_BUT_NATIVE;
  const external = [...NATIVE_EXTERNALS];
  const configs: Options[] = [
    {
      entry: opts.entry,
      format: ["esm"],
      target: "node20",
      platform: "node",
      dts: true,
      sourcemap: true,
      // dist/fast is the other build's output
      clean: ["!fast/**"],
      splitting: true,
      noExternal: inline,
      external,
      // bundled CommonJS dependencies (pino, semver, …) call require(): give ESM chunks one
      banner: { js: 'import { createRequire as __recallCreateRequire } from "node:module"; const require = __recallCreateRequire(import.meta.url);' },
    },
  ];
  if (opts.fastEntry) {
    configs.push({
      entry: opts.fastEntry,
      outDir: "dist/fast",
      format: ["cjs"],
      target: "node20",
      platform: "node",
      dts: false,
      sourcemap: false,
      clean: true,
      splitting: false,
      noExternal: inline,
      external,
    });
  }
  return defineConfig(configs);
}
