import { createRequire } from "node:module";

/** recalld's version, from its package.json (read from `src/` and `dist/` alike). */
export const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
