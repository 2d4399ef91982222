// Runs Verdaccio on 127.0.0.1 and an OS-chosen port, prints {"port":N} on one
// line of stdout once listening, and closes on SIGTERM/SIGINT or when the
// parent (argv[3]) is gone, so a crashed test run never leaves it behind.
import { runServer } from "verdaccio";

const [configPath, parentPid] = process.argv.slice(2);
const app = await runServer(configPath);
const server = app.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
const stop = () => {
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
if (parentPid) {
  setInterval(() => {
    try {
      process.kill(Number(parentPid), 0);
    } catch {
      stop();
    }
  }, 500).unref();
}
