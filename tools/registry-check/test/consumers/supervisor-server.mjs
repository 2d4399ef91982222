// The README's supervised server: answers GET /health on a Unix socket. The
// first instance (no `<socket>.ran` marker yet) exits with code 1 right after
// its first answer, so the supervisor has a real crash to restart.
import { createServer } from "node:http";
import { existsSync, writeFileSync } from "node:fs";

const socketPath = process.argv[2];
const first = !existsSync(`${socketPath}.ran`);
writeFileSync(`${socketPath}.ran`, "");
const server = createServer((req, res) => {
  res.writeHead(req.url === "/health" ? 200 : 404).end("{}");
  if (first) res.on("finish", () => process.exit(1));
});
server.listen(socketPath);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
