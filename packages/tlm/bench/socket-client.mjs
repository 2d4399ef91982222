// A small, separate client process for the socket part of the tlm benches.
//
// Why a process of its own: the bench process holds the whole generated corpus
// (hundreds of MB); its garbage collections landed inside the timed requests
// and showed up as socket p99 that tlm never spent. A real caller (the CLI, an
// agent's client) is a small process, so this is what the socket figures mean.
//
// Why raw HTTP/1.1 over `node:net` rather than `node:http`: each request's bytes are built before the round, and an
// answer is read by its content-length without parsing it, so the client allocates almost nothing per request. With
// node:http's client (an agent, a parser, an IncomingMessage, a Buffer.concat and a JSON.parse per answer) the client
// itself ran a scavenge every ~150 requests (p50 2 ms, up to 9 ms), inside whichever request it fell in: tail latency
// that was the client's, not tlm's. The floor (below) is measured by this same client.
//
// Input (stdin, JSON): { socket, floorSocket?, rounds: [{ name, warmup, bodies: [string], canned?: number }] }
// Output (stdout, JSON): { [name]: { latencies_ms, took_ms, floor_ms, first_ms, first_retrieval, first_body } }
// Each round sends its bodies one at a time over one keep-alive connection; the first `warmup` requests of a round
// are sent but not timed. `took_ms` is tlm's own figure from each envelope (its time from request to answer).
// With `floorSocket` (bench/canned-server.mjs), every request also goes there, right before or right after
// (alternating), with `x-canned: <canned>`: the floor is measured under the same machine state as each tlm request.
import { connect } from "node:net";

const CRLF2 = Buffer.from("\r\n\r\n");
const TOOK = Buffer.from('"took_ms":');

/** The whole request, built once per body. */
function requestBytes(body, headers = {}) {
  const payload = Buffer.from(body, "utf8");
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  const head = `POST /query HTTP/1.1\r\nhost: tlm\r\ncontent-type: application/json\r\ncontent-length: ${payload.length}\r\n${extra}\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), payload]);
}

/**
 * One keep-alive HTTP/1.1 connection, one request at a time. `send(bytes)` resolves with the answer's body as a Buffer
 * (a view into the read buffer, valid until the next send); a status other than 200 or an answer without
 * content-length rejects.
 */
async function connection(socketPath) {
  let buf = Buffer.alloc(64 * 1024);
  let have = 0;
  let waiting = null;
  const fail = (e) => { if (waiting) { const w = waiting; waiting = null; w.reject(e); } };
  const onData = (nread, chunk) => {
    if (have + nread > buf.length) {
      const bigger = Buffer.alloc(Math.max(buf.length * 2, have + nread));
      buf.copy(bigger, 0, 0, have);
      buf = bigger;
    }
    chunk.copy(buf, have, 0, nread);
    have += nread;
    if (!waiting) return;
    const headEnd = buf.subarray(0, have).indexOf(CRLF2);
    if (headEnd < 0) return;
    const head = buf.toString("latin1", 0, headEnd);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) { fail(new Error(`answer without content-length: ${head.split("\r\n")[0]}`)); return; }
    const end = headEnd + 4 + Number(length[1]);
    if (have < end) return;
    const w = waiting;
    waiting = null;
    have = 0;
    const status = head.slice(9, 12);
    if (status !== "200") w.reject(new Error(`status ${status}: ${buf.toString("utf8", headEnd + 4, end)}`));
    else w.resolve(buf.subarray(headEnd + 4, end));
  };
  // Reads land in one reused buffer (`onread`): no Buffer is allocated per read.
  const socket = connect({ path: socketPath, onread: { buffer: Buffer.alloc(64 * 1024), callback: onData } });
  await new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
  socket.on("error", fail);
  socket.on("close", () => fail(new Error("connection closed")));
  return {
    send: (bytes) => new Promise((resolve, reject) => { waiting = { resolve, reject }; socket.write(bytes); }),
    close: () => socket.destroy(),
  };
}

/** tlm's `took_ms` from an envelope's bytes, without parsing the envelope. */
function tookMs(body) {
  const at = body.indexOf(TOOK);
  if (at < 0) return NaN;
  let end = at + TOOK.length;
  while (end < body.length && body[end] !== 0x2c && body[end] !== 0x7d) end++;
  return Number(body.toString("latin1", at + TOOK.length, end));
}

async function timed(conn, bytes) {
  const t = performance.now();
  const answer = await conn.send(bytes);
  return [performance.now() - t, answer];
}

const input = JSON.parse(await new Promise((resolve) => {
  const parts = [];
  process.stdin.on("data", (c) => parts.push(c));
  process.stdin.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
}));
const tlm = await connection(input.socket);
const floorConn = input.floorSocket ? await connection(input.floorSocket) : null;
const out = {};
try {
  for (const round of input.rounds) {
    const bodies = round.bodies.map((b) => requestBytes(b));
    const floorBodies = floorConn ? round.bodies.map((b) => requestBytes(b, { "x-canned": String(round.canned ?? 0) })) : [];
    const latencies = [];
    const took = [];
    const floor = [];
    let first = NaN;
    let firstRetrieval;
    let firstBody;
    const warmup = round.warmup ?? input.warmup ?? 0;
    for (let i = 0; i < bodies.length + warmup; i++) {
      const at = i % bodies.length;
      let floorMs = NaN;
      if (floorConn && i % 2 === 0) [floorMs] = await timed(floorConn, floorBodies[at]);
      const [ms, answer] = await timed(tlm, bodies[at]);
      const tookAnswer = tookMs(answer);
      if (i === 0) { first = ms; firstBody = answer.toString("utf8"); firstRetrieval = JSON.parse(firstBody).retrieval; }
      if (floorConn && i % 2 === 1) [floorMs] = await timed(floorConn, floorBodies[at]);
      if (i >= warmup) {
        latencies.push(ms);
        took.push(tookAnswer);
        if (floorConn) floor.push(floorMs);
      }
    }
    out[round.name] = { latencies_ms: latencies, took_ms: took, floor_ms: floor, first_ms: first, first_retrieval: firstRetrieval, first_body: firstBody };
  }
} finally {
  tlm.close();
  floorConn?.close();
}
process.stdout.write(JSON.stringify(out));
