import { readFileSync } from "node:fs";
import { main } from "./main";

// The `recall` process: keeps its static imports to the argument parser and
// help; each command's code (and its dependencies) is imported on use.
const controller = new AbortController();
let signals = 0;
const onSignal = (sig: NodeJS.Signals) => {
  signals++;
  if (signals > 1) process.exit(130);
  controller.abort(new Error(`received ${sig}`));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
  version: version(),
});
// Pipes and files are written synchronously on Linux, so exiting now loses no output
// and does not wait for idle keep-alive sockets.
process.exit(code);
