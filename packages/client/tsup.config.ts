import { tsupConfig } from "../../tools/tsup.base";

export default tsupConfig({ entry: ["src/index.ts", "src/lite.ts"], splitting: true });
