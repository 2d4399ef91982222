// The @recall/supervisor README example, run by registry-check in a project that installed
// the package from the throwaway registry. Prints one JSON line for the test to check.
import { existsSync } from "node:fs";
import { Supervisor } from "@recall/supervisor";
import { httpSocketSpawner } from "./spawner.mjs";
const socketPath = process.argv[2];
const readies = [];
const exits = [];
const ac = new AbortController();
const sup = new Supervisor(httpSocketSpawner("./server.mjs", socketPath), {
  maxAttempts: 5,
  backoff: { initialMs: 50, maxMs: 200, factor: 2, jitter: 0 },
  onReady: ({ restarts }) => { readies.push(restarts); if (readies.length === 2) ac.abort(); },
  onExit: (exit) => exits.push(exit.code),
  onDegraded: () => ac.abort(),
});
const outcome = await sup.run(ac.signal);
console.log(JSON.stringify({ outcome, readies, exits, socketLeft: existsSync(socketPath) }));
