// A small, separate client process for the socket part of the tlm benches.
//
// Why a process of its own: the bench process holds the whole generated corpus
// (hundreds of MB); its garbage collections landed inside the timed requests
// and showed up as socket p99 that tlm never spent. A real caller (the CLI, an
// agent's client) is a small process, so this is what the socket figures mean.
//
// Input (stdin, JSON): { socket, warmup, rounds: [{ name, bodies: [string] }] }
// Output (stdout, JSON): { [name]: { latencies_ms: number[], first_ms: number, first_retrieval: string, first_body: string } }
// Each round sends its bodies one at a time over one keep-alive connection;
// the first `warmup` requests of a round are sent but not timed.
import { Agent, request } from "node:http";

function post(agent, socketPath, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method: "POST", path: "/query", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
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

const input = JSON.parse(await new Promise((resolve) => {
  const parts = [];
  process.stdin.on("data", (c) => parts.push(c));
  process.stdin.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
}));
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const out = {};
for (const round of input.rounds) {
  const latencies = [];
  let first = NaN;
  let firstRetrieval;
  let firstBody;
  const warmup = round.warmup ?? input.warmup ?? 0;
  for (let i = 0; i < round.bodies.length + warmup; i++) {
    const body = round.bodies[i % round.bodies.length];
    const t = performance.now();
    const answer = await post(agent, input.socket, body);
    const ms = performance.now() - t;
    if (i === 0) { first = ms; firstBody = answer.toString("utf8"); firstRetrieval = JSON.parse(firstBody).retrieval; }
    if (i >= warmup) latencies.push(ms);
  }
  out[round.name] = { latencies_ms: latencies, first_ms: first, first_retrieval: firstRetrieval, first_body: firstBody };
}
agent.destroy();
process.stdout.write(JSON.stringify(out));
