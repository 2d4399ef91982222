// A small, separate client process for the socket part of the tlm benches.
//
// Why a process of its own: the bench process holds the whole generated corpus
// (hundreds of MB); its garbage collections landed inside the timed requests
// and showed up as socket p99 that tlm never spent. A real caller (the CLI, an
// agent's client) is a small process, so this is what the socket figures mean.
//
// Input (stdin, JSON): { socket, floorSocket?, rounds: [{ name, warmup, bodies: [string], canned?: number }] }
// Output (stdout, JSON): { [name]: { latencies_ms, took_ms, floor_ms, first_ms, first_retrieval, first_body } }
// Each round sends its bodies one at a time over one keep-alive connection; the first `warmup` requests of a round
// are sent but not timed. `took_ms` is tlm's own figure from each envelope (its time from request to answer).
// With `floorSocket` (bench/canned-server.mjs), every request also goes there, right before or right after
// (alternating), with `x-canned: <canned>`: the floor is measured under the same machine state as each tlm request.
import { Agent, request } from "node:http";

function post(agent, socketPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method: "POST", path: "/query", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`status ${res.statusCode}: ${Buffer.concat(chunks)}`))));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function timed(fn) {
  const t = performance.now();
  const answer = await fn();
  return [performance.now() - t, answer];
}

const input = JSON.parse(await new Promise((resolve) => {
  const parts = [];
  process.stdin.on("data", (c) => parts.push(c));
  process.stdin.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
}));
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const floorAgent = new Agent({ keepAlive: true, maxSockets: 1 });
const out = {};
for (const round of input.rounds) {
  const latencies = [];
  const took = [];
  const floor = [];
  let first = NaN;
  let firstRetrieval;
  let firstBody;
  const warmup = round.warmup ?? input.warmup ?? 0;
  const toFloor = (body) => timed(() => post(floorAgent, input.floorSocket, body, { "x-canned": String(round.canned ?? 0) }));
  for (let i = 0; i < round.bodies.length + warmup; i++) {
    const body = round.bodies[i % round.bodies.length];
    let floorMs = NaN;
    if (input.floorSocket && i % 2 === 0) [floorMs] = await toFloor(body);
    const [ms, answer] = await timed(() => post(agent, input.socket, body));
    if (input.floorSocket && i % 2 === 1) [floorMs] = await toFloor(body);
    if (i === 0) { first = ms; firstBody = answer.toString("utf8"); firstRetrieval = JSON.parse(firstBody).retrieval; }
    if (i >= warmup) {
      latencies.push(ms);
      took.push(JSON.parse(answer.toString("utf8")).took_ms);
      if (input.floorSocket) floor.push(floorMs);
    }
  }
  out[round.name] = { latencies_ms: latencies, took_ms: took, floor_ms: floor, first_ms: first, first_retrieval: firstRetrieval, first_body: firstBody };
}
agent.destroy();
floorAgent.destroy();
process.stdout.write(JSON.stringify(out));
