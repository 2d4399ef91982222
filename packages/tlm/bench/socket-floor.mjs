// Runs the bench's socket rounds against bench/canned-server.mjs (one fixed envelope, same client process):
// the floor that tlm's socket figures are read against, measured in the same run.
import { execa } from "execa";
import { fileURLToPath } from "node:url";

const CLIENT = fileURLToPath(new URL("./socket-client.mjs", import.meta.url));
const SERVER = fileURLToPath(new URL("./canned-server.mjs", import.meta.url));

/** Sends `rounds` (see socket-client.mjs) to `socket` from a separate small client process. */
export async function socketClient(socket, rounds) {
  const { stdout } = await execa(process.execPath, [CLIENT], { input: JSON.stringify({ socket, rounds }) });
  return JSON.parse(stdout);
}

/** The same `rounds` against a canned server answering `envelopeText` on `socket`: latencies per round. */
export async function socketFloor(socket, rounds, envelopeText) {
  const server = execa(process.execPath, [SERVER, socket], { input: envelopeText, cleanup: true, reject: false });
  try {
    await new Promise((resolve, reject) => {
      server.stdout.on("data", (d) => { if (String(d).includes("ready")) resolve(); });
      server.once("exit", (code) => reject(new Error(`canned server exited (${code})`)));
    });
    return await socketClient(socket, rounds);
  } finally {
    server.kill("SIGTERM");
    await server;
  }
}
