// A minimal sidecar for the client benchmark: node:http on a Unix socket, answering
// POST /query with a realistic ResponseEnvelope (10 results). Run as a child process.
import { createServer } from "node:http";

const sock = process.argv[2];
const results = Array.from({ length: 10 }, (_, i) => ({
  id: `mem-${String(i).padStart(4, "0")}`,
  text: `Decision ${i}: the deploy pipeline runs canary first, then the full fleet after 30 minutes of clean metrics; rollback is automatic on error-rate alerts. Owner: platform team.`,
  kind: i % 2 ? "decision" : "fact",
  entities: ["deploy", "canary", "platform"],
  created_at: "2026-11-20T10:00:00Z",
  source_ref: `notes/deploy.md#${i}`,
  score: 12.5 - i,
}));
const envelope = JSON.stringify({ source: "sidecar", bundle_id: "20261126T080000Z", took_ms: 0.31, truncated: false, evidence_quality: "indexed", results });
const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(envelope) };

const server = createServer((req, res) => {
  req.on("data", () => undefined);
  req.on("end", () => {
    res.writeHead(200, headers);
    res.end(envelope);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(sock, () => process.send?.({ ready: true, bytes: Buffer.byteLength(envelope) }));
process.on("disconnect", () => process.exit(0));
