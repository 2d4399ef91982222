import { tsupConfig } from "../../tools/tsup.base";

// fast-check and vitest are the consumers' (resolved from the workspace root): keep them external
// instead of inlining a second copy (a second vitest would not see the running test).
export default tsupConfig({ external: ["fast-check", "vitest"] });
