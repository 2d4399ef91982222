import { describeErrorCatalogue } from "@recall/test-utils";
import { CONFIG_ERROR_CODES } from "../index";

describeErrorCatalogue({ name: "CONFIG_ERROR_CODES", codes: Object.keys(CONFIG_ERROR_CODES), readme: new URL("../../README.md", import.meta.url) });
