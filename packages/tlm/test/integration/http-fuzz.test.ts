import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "node:net";
import fc from "fast-check";
import { ErrorBody } from "@recall/protocol";
import { call, type TlmChild, serveExamples } from "./harness";
import { rssBytes } from "./raw-http";

// Raw HTTP/1.1 fuzz of tlm's own HTTP handling, over its Unix socket: random methods, paths, headers, bodies,
// framings, pipelining, half-closed and aborted connections. Property: tlm never answers 5xx, every 4xx carries an
// ErrorBody, the process stays alive, /health answers after every case, and memory stays bounded.
// FC_SEED picks the seed (printed on failure); FUZZ_RUNS (default 150) sets the length, e.g. FUZZ_RUNS=20000 for a long run.
// (e2e/test/protocol-fuzz.test.ts fuzzes the client/daemon side end to end; this stays at the sidecar's HTTP layer.)

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const runs = Number(process.env.FUZZ_RUNS ?? 150);
let sock: string;
let tlm: TlmChild | undefined;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ sock, tlm, stop } = await serveExamples());
});

afterAll(async () => {
  await stop?.();
});

interface Resp { status: number; contentType: string; body: Buffer }

/** Splits what the server sent into responses (content-length framed, as tlm always answers). */
function parseResponses(raw: Buffer, heads: boolean[]): Resp[] {
  const out: Resp[] = [];
  let at = 0;
  for (let i = 0; at < raw.length;) {
    const end = raw.indexOf("\r\n\r\n", at);
    if (end < 0) break;
    const head = raw.subarray(at, end).toString("latin1");
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
    const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const contentType = /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1] ?? "";
    const bodyLen = heads[i] ? 0 : len;
    out.push({ status, contentType, body: raw.subarray(end + 4, end + 4 + bodyLen) });
    if (status !== 100) i++;
    at = end + 4 + bodyLen;
  }
  return out;
}

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const method = fc.oneof(fc.constantFrom("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"), token);
const path = fc.oneof(
  fc.constantFrom("/health", "/query", "/metrics", "/bundle/reload", "/", "*", "/query?x=1", "/health#x", "//query", "/../../etc/passwd", "/%00", "/query/"),
  fc.string({ maxLength: 40 }).map((s) => `/${encodeURIComponent(s)}`),
  fc.stringMatching(/^[\x21-\x7e]{0,30}$/),
);
const intent = fc.record({
  text: fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom("", "jwt", "a".repeat(2001), "\"*:()^-", "NEAR(a b)")),
  kinds: fc.option(fc.array(fc.constantFrom("fact", "decision", "note", "bogus"), { maxLength: 6 }), { nil: undefined }),
  entities: fc.option(fc.array(fc.string({ maxLength: 10 }), { maxLength: 40 }), { nil: undefined }),
  limit: fc.option(fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double()), { nil: undefined }),
  budget_ms: fc.option(fc.integer({ min: -1, max: 6000 }), { nil: undefined }),
  since: fc.option(fc.constantFrom("2024-01-01", "yesterday", "2024-13-45T99:99:99Z"), { nil: undefined }),
}, { requiredKeys: [] });
const body = fc.oneof(
  intent.map((i) => Buffer.from(JSON.stringify(i))),
  fc.json().map((j) => Buffer.from(j)),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => Buffer.from("[".repeat(n) + "]".repeat(n))),
  fc.constant(Buffer.alloc(0)),
);
const header = fc.oneof(
  fc.tuple(token, fc.stringMatching(/^[\x20-\x7e]{0,40}$/)),
  fc.tuple(fc.constantFrom("content-type"), fc.constantFrom("application/json", "text/plain", "application/json; charset=latin1", "multipart/form-data; boundary=x", "")),
  fc.tuple(fc.constantFrom("expect"), fc.constantFrom("100-continue", "200-ok")),
  fc.tuple(fc.constantFrom("content-encoding"), fc.constantFrom("gzip", "br")),
);
type Framing = "length" | "wrong-length" | "chunked" | "bad-chunked" | "none" | "both";
const request = fc.record({
  method, path, body, headers: fc.array(header, { maxLength: 8 }),
  framing: fc.constantFrom<Framing>("length", "wrong-length", "chunked", "bad-chunked", "none", "both"),
  delta: fc.integer({ min: -20, max: 20 }),
  version: fc.constantFrom("HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1x"),
});
type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

/** Raw bytes of one request; `close` adds `connection: close` so the server ends the exchange by itself. */
function encode(r: Req, close: boolean): Buffer {
  const lines = [`${r.method} ${r.path} ${r.version}`, "host: tlm"];
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
  let payload = r.body;
  if (r.framing === "length" || r.framing === "both") lines.push(`content-length: ${r.body.length}`);
  if (r.framing === "wrong-length") lines.push(`content-length: ${Math.max(0, r.body.length + r.delta)}`);
  if (r.framing === "chunked" || r.framing === "both" || r.framing === "bad-chunked") {
    lines.push("transfer-encoding: chunked");
    const parts: Buffer[] = [];
    for (let i = 0; i < r.body.length; i += 7) {
      const piece = r.body.subarray(i, i + 7);
      parts.push(Buffer.from(`${r.framing === "bad-chunked" ? "zz" : piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n"));
    }
    parts.push(Buffer.from("0\r\n\r\n"));
    payload = Buffer.concat(parts);
  }
  if (close) lines.push("connection: close");
  return Buffer.concat([Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1"), payload]);
}

type Ending = "close-header" | "half-close" | "abort";

/** Sends the requests and collects what came back until the server closes (or, for `abort`, cuts the connection itself). */
function exchange(bytes: Buffer, ending: Ending, abortAt: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(sock);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { s.destroy(); reject(new Error("tlm neither answered nor closed within 30 s")); }, 30_000);
    const done = () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); };
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("error", () => undefined);
    s.on("close", done);
    s.once("connect", () => {
      if (ending === "abort") { s.write(bytes.subarray(0, abortAt % (bytes.length + 1)), () => s.destroy()); return; }
      s.write(bytes);
      if (ending === "half-close") s.end();
    });
  });
}

describe("tlm HTTP fuzz", () => {
  it(`never 5xx, 4xx always with an ErrorBody, alive and healthy after every case (seed ${seed}, ${runs} runs)`, async () => {
    const pid = tlm!.child.pid!;
    const before = await rssBytes(pid);
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 3 }), fc.constantFrom<Ending>("close-header", "half-close", "abort"), fc.nat(),
        async (reqs, ending, abortAt) => {
          const bytes = Buffer.concat(reqs.map((r, i) => encode(r, ending === "close-header" && i === reqs.length - 1)));
          const raw = await exchange(bytes, ending, abortAt);
          // 100 Continue (an `expect: 100-continue` request) is an interim answer, not a response of its own.
          const responses = parseResponses(raw, reqs.map((r) => r.method === "HEAD")).filter((r) => r.status !== 100);
          for (const [i, res] of responses.entries()) {
            expect(res.status, raw.toString("latin1").slice(0, 400)).toBeGreaterThanOrEqual(200);
            expect(res.status, raw.toString("latin1").slice(0, 400)).toBeLessThan(500);
            if (res.status >= 400 && reqs[i]?.method !== "HEAD") {
              expect(res.contentType).toBe("application/json");
              expect(ErrorBody.safeParse(JSON.parse(res.body.toString("utf8"))).success).toBe(true);
            }
          }
          expect(tlm!.child.exitCode).toBeNull();
          expect((await call(sock, "GET", "/health")).status).toBe(200);
        }),
      { seed, numRuns: runs, endOnFailure: true },
    );
    expect((await rssBytes(pid)) - before).toBeLessThan(300 * 1024 * 1024);
  }, Math.max(60_000, runs * 30)); // a long FUZZ_RUNS run gets a test timeout to match
});
