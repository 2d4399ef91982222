export { main, reportError } from "./main";
export type { MainIo } from "./main";
export { startBundleServer, manifestEtag, etagMatches, BUNDLE_API_PREFIX } from "./bundle-server";
export type { BundleServer, BundleServerOptions, AccessLogEntry } from "./bundle-server";
export { parseArgs, GLOBAL_OPTIONS } from "./args";
export type { CommandSpec, OptionSpec, PositionalSpec, ParsedArgs } from "./args";
export { CliError, UsageError, EXIT, CLI_ERROR_CODES } from "./errors";
export type { ExitCode, CliErrorCode } from "./errors";
