import { appConfig } from "../../tools/tsup.base";

export default appConfig({ entry: ["src/index.ts", "src/cli.ts"], fastEntry: { query: "src/fast-query.ts" } });
