import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import { SidecarClient, type ClientResult } from "../../src/index";
import { CLIENT_ERROR_CODES, queryOnce } from "../../src/lite";
import { envelope, goodHandler, httpSidecar, json, rawSidecar, socketDir } from "../fixtures/fake-sidecar";

// One outcome table: for every sidecar behaviour, the CLI's one-shot call
// (`@recall/client/lite`, node:net, no undici) and SidecarClient (undici)
// return the same class and code.

let tmp: ReturnType<typeof socketDir>;
const cleanups: (() => unknown)[] = [];
beforeEach(() => {
  tmp = socketDir();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  tmp.cleanup();
});

type Behaviour =
  | { http: (req: IncomingMessage, body: string, res: ServerResponse) => void }
  | { raw: (s: Socket, d: Buffer) => void }
  | { file: true }
  | { none: true };

const big = { ...envelope("x"), results: Array.from({ length: 400 }, (_, i) => ({ ...envelope("x").results[0]!, id: `m${i}` })) };
const rawAnswer = (status: string, headers: string, body: string) => (s: Socket) => void s.end(`HTTP/1.1 ${status}\r\n${headers}\r\n${body}`);

const CASES: [string, Behaviour, string, string | null][] = [
  ["a good answer", { http: goodHandler }, "ok", null],
  ["a chunked good answer", { http: (_q, _b, res) => { res.writeHead(200, { "content-type": "application/json" }); const t = JSON.stringify(envelope("x")); res.write(t.slice(0, 7)); res.end(t.slice(7)); } }, "ok", null],
  ["400 with issues", { http: (_q, _b, res) => json(res, 400, { error: { code: "bad_request", message: "text", issues: [{ path: ["text"] }] } }) }, "bad_request", "bad_request"],
  ["400 not JSON", { http: (_q, _b, res) => { res.writeHead(400); res.end("nope"); } }, "bad_request", "bad_request"],
  ["503 no_bundle", { http: (_q, _b, res) => json(res, 503, { error: { code: "no_bundle", message: "none" } }) }, "unavailable", "no_bundle"],
  ["503 incompatible_bundle", { http: (_q, _b, res) => json(res, 503, { error: { code: "incompatible_bundle", message: "old", sub_code: "corrupt" } }) }, "incompatible", "incompatible_bundle"],
  ["503 another code", { http: (_q, _b, res) => json(res, 503, { error: { code: "overloaded", message: "x" } }) }, "internal", CLIENT_ERROR_CODES.unexpectedStatus],
  ["409", { http: (_q, _b, res) => json(res, 409, { error: { code: "reload_in_progress", message: "busy" } }) }, "busy", "reload_in_progress"],
  ["500", { http: (_q, _b, res) => json(res, 500, { error: { code: "internal", message: "boom" } }) }, "internal", CLIENT_ERROR_CODES.unexpectedStatus],
  ["204", { http: (_q, _b, res) => { res.writeHead(204); res.end(); } }, "internal", CLIENT_ERROR_CODES.unexpectedStatus],
  ["200 failing the envelope schema", { http: (_q, _b, res) => json(res, 200, { ...envelope("x"), evidence_quality: "vibes" }) }, "internal", CLIENT_ERROR_CODES.badResponse],
  ["200 negative took_ms", { http: (_q, _b, res) => json(res, 200, { ...envelope("x"), took_ms: -1 }) }, "internal", CLIENT_ERROR_CODES.badResponse],
  ["200 not JSON", { raw: rawAnswer("200 OK", "content-length: 5\r\n", "\u0000\u0001\u0002\u0003\u0004") }, "internal", CLIENT_ERROR_CODES.badResponse],
  ["garbage instead of HTTP (HPE)", { raw: (s) => void s.write("garbage garbage garbage\r\n\r\n") }, "internal", CLIENT_ERROR_CODES.badResponse],
  ["a bad Content-Length (HPE)", { raw: rawAnswer("200 OK", "content-length: banana\r\n", "{}") }, "internal", CLIENT_ERROR_CODES.badResponse],
  ["a bad chunk size (HPE)", { raw: rawAnswer("200 OK", "transfer-encoding: chunked\r\n", "zz\r\n{}\r\n0\r\n\r\n") }, "internal", CLIENT_ERROR_CODES.badResponse],
  ["half a body, then close", { raw: rawAnswer("200 OK", "content-length: 1000\r\n", "{\"source\":") }, "internal", CLIENT_ERROR_CODES.badResponse],
  ["closed before any answer", { raw: (s) => void s.destroy() }, "unavailable", CLIENT_ERROR_CODES.connectionClosed],
  ["never answers", { raw: () => undefined }, "timeout", CLIENT_ERROR_CODES.deadlineExceeded],
  ["headers, then silence", { raw: (s) => void s.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{") }, "timeout", CLIENT_ERROR_CODES.deadlineExceeded],
  ["an answer over the size cap", { http: (_q, _b, res) => json(res, 200, big) }, "internal", CLIENT_ERROR_CODES.responseTooLarge],
  ["a regular file at the socket path", { file: true }, "unavailable", CLIENT_ERROR_CODES.connectionRefused],
  ["no socket at all", { none: true }, "unavailable", CLIENT_ERROR_CODES.socketMissing],
];

async function serve(b: Behaviour): Promise<void> {
  if ("http" in b) {
    const s = await httpSidecar(tmp.sock, b.http);
    cleanups.push(() => s.close());
  } else if ("raw" in b) {
    const s = await rawSidecar(tmp.sock, b.raw);
    cleanups.push(() => s.close());
  } else if ("file" in b) writeFileSync(tmp.sock, "not a socket");
}

function summary(r: ClientResult<unknown>): [string, string | null] {
  return [r.class, r.class === "ok" ? null : r.error.code];
}

describe("queryOnce and SidecarClient share one outcome table", () => {
  for (const [name, behaviour, cls, code] of CASES) {
    it(`${name} → ${cls}${code ? `/${code}` : ""}`, async () => {
      await serve(behaviour);
      const opts = { timeoutMs: 300, maxResponseBytes: 16 * 1024 };
      const once = await queryOnce(tmp.sock, { text: "x" }, opts);
      const c = new SidecarClient({ socketPath: tmp.sock, requestTimeoutMs: 300, maxResponseBytes: 16 * 1024 });
      cleanups.push(() => c.close());
      const pooled = await c.query({ text: "x" });
      const expected: [string, string | null] = [cls, code];
      // a regular file refuses connections on Linux (ECONNREFUSED); both must agree whichever code the kernel picks
      if ("file" in behaviour) {
        expect(once.class).toBe("unavailable");
        expect(summary(once)).toEqual(summary(pooled));
        return;
      }
      expect(summary(once), "one-shot").toEqual(expected);
      expect(summary(pooled), "SidecarClient").toEqual(expected);
      if (once.class !== "ok" && pooled.class !== "ok" && code !== CLIENT_ERROR_CODES.responseTooLarge) expect(once.error.status).toBe(pooled.error.status);
      if (once.class === "ok" && pooled.class === "ok") expect(once.value).toEqual(pooled.value);
    });
  }

  it("sends one well-formed POST /query with the intent as JSON", async () => {
    const s = await httpSidecar(tmp.sock, goodHandler);
    cleanups.push(() => s.close());
    const intent = { text: "héllo \u2028 \"quoted\"", kinds: ["decision"], limit: 3 };
    const r = await queryOnce(tmp.sock, intent, { timeoutMs: 5000 });
    expect(r.class).toBe("ok");
    expect(s.requests).toEqual([{ method: "POST", url: "/query", body: JSON.stringify(intent) }]);
  });

  it("skips a 1xx interim answer and reads the final one", async () => {
    const s = await rawSidecar(tmp.sock, (sock) => {
      const t = JSON.stringify(envelope("x"));
      sock.end(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(t)}\r\n\r\n${t}`);
    });
    cleanups.push(() => s.close());
    const r = await queryOnce(tmp.sock, { text: "x" }, { timeoutMs: 5000 });
    expect(r.class === "ok" && r.value).toEqual(envelope("x"));
  });

  it("an aborted call returns timeout/aborted before its deadline", async () => {
    const s = await rawSidecar(tmp.sock, () => undefined);
    cleanups.push(() => s.close());
    const ac = new AbortController();
    const p = queryOnce(tmp.sock, { text: "x" }, { timeoutMs: 60_000, signal: ac.signal });
    ac.abort();
    const r = await p;
    expect(summary(r)).toEqual(["timeout", CLIENT_ERROR_CODES.aborted]);
  });
});
