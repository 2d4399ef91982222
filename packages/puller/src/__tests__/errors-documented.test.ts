import { describeErrorCatalogue } from "@recall/test-utils";
import { PULLER_ERROR_CODES } from "../index";

describeErrorCatalogue({ name: "PULLER_ERROR_CODES", codes: Object.keys(PULLER_ERROR_CODES), readme: new URL("../../README.md", import.meta.url), minCellLength: 3 });
