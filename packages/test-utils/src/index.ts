export {
  BUNDLE_PREFIX,
  manifestEtag,
  startBundleEndpoint,
  type ArchiveMode,
  type BundleEndpoint,
  type BundleEndpointOptions,
  type EndpointFaults,
  type EndpointRequest,
} from "./bundle-endpoint";
export { FC_SEED, assertProperty, fcParams, fuzzRuns, seededFailureMessage } from "./fc";
export { makeTempDir, removeTempDirs, removeTree, type TempDir } from "./temp-dir";
export { readmeErrorRows } from "./errors-table";
