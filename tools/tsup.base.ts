import { defineConfig, type Options } from "tsup";

/**
 * The one tsup configuration every package uses: ESM for Node 20 with
 * declarations and source maps. Kept in one place so that replacing tsup
 * (in maintenance) touches this file only.
 */
export function tsupConfig(overrides: Partial<Options> = {}) {
  return defineConfig({
    entry: ["src/index.ts"],
    format: ["esm"],
    target: "node20",
    platform: "node",
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    ...overrides,
  });
}
