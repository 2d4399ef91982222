export {
  BUNDLE_PREFIX,
  manifestEtag,
  publishBundle,
  startBundleEndpoint,
  type ArchiveMode,
  type BundleEndpoint,
  type BundleEndpointOptions,
  type EndpointFaults,
  type EndpointRequest,
  type EndpointSource,
  type ServedBundle,
} from "./bundle-endpoint";
export { FC_SEED, assertProperty, fcParams, fuzzRuns, seededFailureMessage } from "./fc";
export { makeDir, makeTempDir, removeTempDirs, removeTree, type TempDir } from "./temp-dir";
export { readmeErrorRows } from "./errors-table";
export { describeErrorCatalogue, type ErrorCatalogueOptions } from "./errors-catalogue";
export { waitFor, type WaitForOptions } from "./wait";
