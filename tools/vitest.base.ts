import { defineConfig } from "vitest/config";

/** Options of {@link vitestConfig}. */
export interface VitestOptions {
  /**
   * Test files that need a process of their own (globs from the package root): those that check what happens the
   * first time a module-level singleton is built (the shipped thesaurus, the word list), or that mock a module.
   * They run in a `<name>:isolated` project; every other file shares its worker's module cache.
   */
  isolated?: string[];
}

/**
 * Shared vitest configuration: a `unit` project (src/**\/__tests__) and an
 * `integration` project (test/integration) with generous timeouts, because
 * integration tests run real processes on a 2-core, noisy machine.
 *
 * Test files are not isolated from each other (`isolate: false`): a worker
 * imports the package's modules once for all the files it runs, instead of a
 * fresh process and a fresh import per file. That took `npm test`'s
 * heaviest package from 105 to 74 CPU-seconds; `npm test` is CPU-bound on
 * the 2-core machine it runs on. Files that need a fresh module state are
 * listed in `isolated`.
 */
export function vitestConfig(name: string, opts: VitestOptions = {}) {
  const isolated = opts.isolated ?? [];
  return defineConfig({
    test: {
      projects: [
        {
          test: {
            name: `${name}:unit`,
            include: ["src/**/__tests__/**/*.test.ts"],
            exclude: isolated,
            isolate: false,
            testTimeout: 20_000,
            // Some unit files build an index or a database in beforeAll (vitest's default hook deadline is 10 s).
            hookTimeout: 60_000,
          },
        },
        {
          test: {
            name: `${name}:integration`,
            include: ["test/integration/**/*.test.ts"],
            exclude: isolated,
            isolate: false,
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
        ...(isolated.length > 0
          ? [{
            test: {
              name: `${name}:isolated`,
              include: isolated,
              isolate: true,
              testTimeout: 60_000,
              hookTimeout: 60_000,
            },
          }]
          : []),
      ],
      passWithNoTests: false,
    },
  });
}
