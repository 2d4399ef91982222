import { tsupConfig } from "../../tools/tsup.base";

// fast-check is a devDependency of this private package (the consumers' tests resolve it from the
// workspace root): keep it external instead of inlining a second copy.
export default tsupConfig({ external: ["fast-check"] });
