import { defineConfig } from "tsup";
import { INLINE_ALL_BUT_NATIVE, NATIVE_EXTERNALS, libraryOptions } from "../../tools/tsup.base";

// The library (dist/index.js) and the ESM CLI module (dist/cli.js) as every package builds them, plus the
// `tlm` executable as one CommonJS file (dist/bin/tlm.cjs) with its pure-JS dependencies inlined: bin/tlm.js
// require()s it, so a cold `tlm serve` neither starts Node's ESM loader nor resolves a dozen modules
// (docs/BENCHMARKS.md, cold start). better-sqlite3 is native and stays outside. Whitespace and syntax are minified.
export default defineConfig([
  libraryOptions({ entry: ["src/index.ts", "src/cli.ts"], clean: ["!bin/**"] }),
  {
    entry: { tlm: "src/cli.ts" },
    outDir: "dist/bin",
    format: ["cjs"],
    outExtension: () => ({ js: ".cjs" }),
    target: "node20",
    platform: "node",
    dts: false,
    sourcemap: true,
    clean: true,
    splitting: false,
    shims: true,
    noExternal: INLINE_ALL_BUT_NATIVE,
    external: [...NATIVE_EXTERNALS],
    // Less text to parse on every cold start; names are kept, so stack traces stay readable (and the source map maps them).
    esbuildOptions(o) {
      o.minifyWhitespace = true;
      o.minifySyntax = true;
    },
  },
]);
