// The socket floor for the tlm benches: a node:http server on a Unix socket that parses each request body as JSON
// and answers with a fixed envelope. stdin: a JSON array of envelope texts; the request header `x-canned: <i>` picks
// one (default the first). Whatever latency the same client sees here is the machine's and Node's, not tlm's.
// Prints "ready" once listening; exits on SIGTERM.
import { createServer } from "node:http";

const socket = process.argv[2];
const envelopes = JSON.parse(await new Promise((resolve) => {
  const parts = [];
  process.stdin.on("data", (c) => parts.push(c));
  process.stdin.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
}));
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const body = envelopes[Number(req.headers["x-canned"] ?? 0)] ?? envelopes[0];
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
    res.end(body);
  });
});
server.listen(socket, () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
