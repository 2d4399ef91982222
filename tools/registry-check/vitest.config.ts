import { defineConfig } from "vitest/config";

// Like tools/vitest.base.ts, with room for npm installs through a throwaway registry
// on a shared 2-core machine.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "@recall/registry-check:unit",
          include: ["src/**/__tests__/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "@recall/registry-check:integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 240_000,
          hookTimeout: 300_000,
        },
      },
    ],
    passWithNoTests: false,
  },
});
