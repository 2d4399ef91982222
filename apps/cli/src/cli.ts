import { readFileSync } from "node:fs";
import { main } from "./main";

// The `recall` process: keeps its static imports to the argument parser and
// help; each command's code (and its dependencies) is imported on use.
// SIGINT/SIGTERM handlers are installed only when a command asks for the
// abort signal (serve, pull, install, --spawn): a plain query keeps Node's
// default (exit at once) and skips the set-up cost.
let controller: AbortController | null = null;
function abortSignal(): AbortSignal {
  if (controller) return controller.signal;
  const c = new AbortController();
  controller = c;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(130);
    c.abort(new Error(`received ${sig}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return c.signal;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  get stderr() {
    return process.stderr;
  },
  env: process.env,
  cwd: process.cwd(),
  get signal() {
    return abortSignal();
  },
  version: version(),
});
// Pipes and files are written synchronously on Linux, so exiting now loses no output
// and does not wait for idle keep-alive sockets.
process.exit(code);
