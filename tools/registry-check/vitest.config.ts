import { vitestConfig } from "../vitest.base";

export default vitestConfig("@recall/registry-check");
