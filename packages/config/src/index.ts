export { loadConfig, loadConfigWithSources } from "./load";
export type { LoadConfigOptions, ConfigWithSources } from "./load";
export type { RecallConfig, MemoryConfig, CloudConfig } from "./config-types";
export { configSchema, expectedOf } from "./schema";
export type { SchemaContext, ParsedConfig } from "./schema";
export { CONFIG_KEYS, CONFIG_KEY_MAP, CONFIG_SECTIONS, MAX_DURATION_MS } from "./keys";
export type { ConfigKeyInfo, ConfigKeyType } from "./keys";
export { ConfigError, CONFIG_ERROR_CODES } from "./errors";
export { formatSource } from "./source";
export type { ConfigSource } from "./source";
export { MAX_CONFIG_BYTES, MAX_FLOW_DEPTH } from "./yaml-file";
export type { ConfigErrorCode, ConfigIssue, ConfigErrorOptions } from "./errors";
export { parseDuration, tryParseDuration, formatDuration, DURATION_EXPECTED } from "./duration";
export { parseSize, tryParseSize, formatSize, SIZE_EXPECTED } from "./size";
export {
  controlSocketPath,
  defaultConfigPath,
  resolveConfigPath,
  findProjectConfig,
  PROJECT_CONFIG_PATH,
  defaultSocketPath,
  defaultBundleRoot,
  expandPath,
  homeDir,
  xdgDir,
  SOCKET_PATH_MAX_BYTES,
  CONTROL_SOCKET_NAME,
} from "./paths";
export type { ConfigLocation, ConfigVia, Env, ExpandResult } from "./paths";
export { redact, redactUrl, tenantFingerprint, REDACTED } from "./redact";
export { didYouMean, editDistance } from "./suggest";
