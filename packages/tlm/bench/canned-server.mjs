// The socket floor for the tlm benches: a node:http server on a Unix socket that parses each request body as JSON
// and answers with one fixed envelope (stdin: the envelope's JSON text). Whatever latency the same client sees here
// is the machine's and Node's, not tlm's. Prints "ready" once listening; exits on SIGTERM.
import { createServer } from "node:http";

const socket = process.argv[2];
const body = await new Promise((resolve) => {
  const parts = [];
  process.stdin.on("data", (c) => parts.push(c));
  process.stdin.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
});
const length = String(Buffer.byteLength(body));
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    JSON.parse(Buffer.concat(chunks).toString("utf8"));
    res.writeHead(200, { "content-type": "application/json", "content-length": length });
    res.end(body);
  });
});
server.listen(socket, () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
