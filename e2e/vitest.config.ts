import { defineConfig } from "vitest/config";

// End-to-end suites run real daemons and sidecars: one file at a time, so
// they do not fight each other for the machine's two cores.
export default defineConfig({
  test: {
    name: "@recall/e2e",
    include: ["test/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: process.env.E2E_SOAK ? 1_800_000 : 180_000,
    hookTimeout: 120_000,
  },
});
