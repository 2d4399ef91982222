import { appConfig } from "../../tools/tsup.base";

export default appConfig({ entry: ["src/index.ts", "src/cli.ts"] });
