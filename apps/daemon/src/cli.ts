import { runDaemon } from "./run";

// The recalld executable: run until stopped, then exit with the daemon's code.
runDaemon(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`recalld: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
