// The @recall/config README example, run by registry-check in a project that installed
// the package from the throwaway registry. Prints one JSON line for the test to check.
import { ConfigError, loadConfig, redact } from "@recall/config";
const env = { HOME: process.cwd(), RECALL_MEMORY_CLIENT_REQUEST_TIMEOUT: "3s" };
const config = loadConfig({ file: "config.yaml", env, flags: { socket_path: process.cwd() + "/run/memory.sock" } });
const shown = JSON.stringify(redact(config));
let err = null;
try { loadConfig({ file: "bad.yaml", env: { HOME: process.cwd() } }); }
catch (e) { if (e instanceof ConfigError) err = { code: e.code, hasExitCode: "exitCode" in e, message: e.message }; else throw e; }
console.log(JSON.stringify({ provider: config.memory.provider, socket: config.memory.socket_path,
  timeout: config.memory.client_request_timeout_ms, leaked: shown.includes("sk-registry-check-secret"), err }));
