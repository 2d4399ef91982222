import { describeErrorCatalogue } from "@recall/test-utils";
import { CLIENT_ERROR_CODES, SIDECAR_CLIENT_ERROR_CODES } from "../index";

describeErrorCatalogue({
  name: "SIDECAR_CLIENT_ERROR_CODES and CLIENT_ERROR_CODES",
  codes: [...Object.keys(SIDECAR_CLIENT_ERROR_CODES), ...Object.values(CLIENT_ERROR_CODES)],
  readme: new URL("../../README.md", import.meta.url),
});
