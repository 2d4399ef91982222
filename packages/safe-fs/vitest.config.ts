import { vitestConfig } from "../../tools/vitest.base";

export default vitestConfig("@recall/safe-fs");
