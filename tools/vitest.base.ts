import { defineConfig } from "vitest/config";

/**
 * Shared vitest configuration: a `unit` project (src/**\/__tests__) and an
 * `integration` project (test/integration) with generous timeouts, because
 * integration tests run real processes on a 2-core, noisy machine.
 */
export function vitestConfig(name: string) {
  return defineConfig({
    test: {
      projects: [
        {
          test: {
            name: `${name}:unit`,
            include: ["src/**/__tests__/**/*.test.ts"],
            testTimeout: 20_000,
          },
        },
        {
          test: {
            name: `${name}:integration`,
            include: ["test/integration/**/*.test.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
      ],
      passWithNoTests: false,
    },
  });
}
