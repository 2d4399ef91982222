// Runs the bench's socket rounds (see socket-client.mjs) from a separate small client process, against tlm and,
// interleaved request by request, against bench/canned-server.mjs answering the same envelopes: the floor that tlm's
// socket figures are read against, measured under the same machine state.
import { execa } from "execa";
import { fileURLToPath } from "node:url";

const CLIENT = fileURLToPath(new URL("./socket-client.mjs", import.meta.url));
const SERVER = fileURLToPath(new URL("./canned-server.mjs", import.meta.url));

/** Sends `rounds` to `socket` only: per round, latencies, tlm's took_ms and the first answer. */
export async function socketClient(socket, rounds) {
  const { stdout } = await execa(process.execPath, [CLIENT], { input: JSON.stringify({ socket, rounds }) });
  return JSON.parse(stdout);
}

/**
 * Sends `rounds` to tlm on `socket` and, alternating before/after each request, the same body to a canned server on
 * `floorSocket` that answers the envelope tlm gave for that round's first body: per round `latencies_ms`, `took_ms`
 * and `floor_ms`.
 */
export async function socketPaired(socket, floorSocket, rounds) {
  const firsts = await socketClient(socket, rounds.map((r) => ({ name: r.name, warmup: 0, bodies: [r.bodies[0]] })));
  const envelopes = rounds.map((r) => firsts[r.name].first_body);
  const server = execa(process.execPath, [SERVER, floorSocket], { input: JSON.stringify(envelopes), cleanup: true, reject: false });
  try {
    await new Promise((resolve, reject) => {
      server.stdout.on("data", (d) => { if (String(d).includes("ready")) resolve(); });
      server.once("exit", (code) => reject(new Error(`canned server exited (${code})`)));
    });
    const { stdout } = await execa(process.execPath, [CLIENT], {
      input: JSON.stringify({ socket, floorSocket, rounds: rounds.map((r, i) => ({ ...r, canned: i })) }),
    });
    return JSON.parse(stdout);
  } finally {
    server.kill("SIGTERM");
    await server;
  }
}
