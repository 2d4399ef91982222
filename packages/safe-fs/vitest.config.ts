import { vitestConfig } from "../../tools/vitest.base";

export default vitestConfig("@recall/safe-fs", {
  // Mocks node:crypto.
  isolated: ["src/__tests__/atomic-write.test.ts"],
});
