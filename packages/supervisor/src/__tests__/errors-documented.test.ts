import { describeErrorCatalogue } from "@recall/test-utils";
import { SUPERVISOR_ERROR_CODES } from "../index";

describeErrorCatalogue({ name: "SUPERVISOR_ERROR_CODES", codes: Object.keys(SUPERVISOR_ERROR_CODES), readme: new URL("../../README.md", import.meta.url), minCellLength: 3 });
