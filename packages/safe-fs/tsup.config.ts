import { tsupConfig } from "../../tools/tsup.base";

export default tsupConfig();
