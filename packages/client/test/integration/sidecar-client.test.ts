import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { once } from "node:events";
import { execa } from "execa";
import { CLIENT_ERROR_CODES, SidecarClient, SidecarClientError, probeHealth, type ClientResult } from "../../src/index";
import { HEALTH, envelope, goodHandler, httpSidecar, json, rawSidecar, socketDir, type FakeHttp, type FakeRaw } from "../fixtures/fake-sidecar";

let tmp: ReturnType<typeof socketDir>;
const cleanups: (() => unknown)[] = [];

beforeEach(() => {
  tmp = socketDir();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  tmp.cleanup();
});

function client(opts: Partial<ConstructorParameters<typeof SidecarClient>[0]> = {}): SidecarClient {
  const c = new SidecarClient({ socketPath: tmp.sock, ...opts });
  cleanups.push(() => c.close());
  return c;
}
async function http(handler = goodHandler): Promise<FakeHttp> {
  const s = await httpSidecar(tmp.sock, handler);
  cleanups.push(() => s.close());
  return s;
}
async function raw(onData: Parameters<typeof rawSidecar>[1]): Promise<FakeRaw> {
  const s = await rawSidecar(tmp.sock, onData);
  cleanups.push(() => s.close());
  return s;
}
function expectFailure(r: ClientResult<unknown>, cls: string, code: string): void {
  expect(r.class).toBe(cls);
  if (r.class === "ok") throw new Error("expected a failure");
  expect(r.error.code).toBe(code);
  expect(typeof r.error.message).toBe("string");
}

describe("ok answers", () => {
  it("health, query and reload return validated values and send the right requests", async () => {
    const s = await http();
    const c = client();
    const h = await c.health();
    expect(h).toEqual({ class: "ok", value: HEALTH, status: 200 });
    const q = await c.query({ text: "deploy", limit: 3 });
    expect(q).toEqual({ class: "ok", value: envelope("deploy"), status: 200 });
    const r = await c.reload();
    expect(r).toEqual({ class: "ok", value: { bundle_id: "20261126T080000Z", changed: true }, status: 200 });
    expect(s.requests.map((x) => `${x.method} ${x.url}`)).toEqual(["GET /health", "POST /query", "POST /bundle/reload"]);
    expect(JSON.parse(s.requests[1]?.body ?? "")).toEqual({ text: "deploy", limit: 3 });
  });

  it("reuses kept-alive connections for sequential calls", async () => {
    const s = await http();
    const seen = new Set<unknown>();
    s.server.on("connection", (sock) => seen.add(sock));
    const c = client();
    for (let i = 0; i < 20; i++) expect((await c.query({ text: `q${i}` })).class).toBe("ok");
    // undici may open a second connection for a non-idempotent POST; never one per call
    expect(seen.size).toBeLessThanOrEqual(2);
  });
});

describe("error statuses map to classes (docs/protocol.md)", () => {
  const cases: [string, number, unknown, "health" | "query" | "reload", string, string][] = [
    ["400", 400, { error: { code: "bad_request", message: "text: too short", issues: [{ path: ["text"], message: "too short" }] } }, "query", "bad_request", "bad_request"],
    ["400 without a JSON body", 400, "nope", "query", "bad_request", "bad_request"],
    ["503 no_bundle", 503, { error: { code: "no_bundle", message: "no bundle installed" } }, "query", "unavailable", "no_bundle"],
    ["503 incompatible_bundle", 503, { error: { code: "incompatible_bundle", message: "schema 2.0.0", sub_code: "version_out_of_range" } }, "query", "incompatible", "incompatible_bundle"],
    ["422 incompatible_bundle", 422, { error: { code: "incompatible_bundle", message: "old bundle keeps serving" } }, "reload", "incompatible", "incompatible_bundle"],
    ["409", 409, { error: { code: "reload_in_progress", message: "busy" } }, "reload", "busy", "reload_in_progress"],
    ["500", 500, { error: { code: "internal", message: "boom" } }, "query", "internal", CLIENT_ERROR_CODES.unexpectedStatus],
    ["404", 404, { error: { code: "not_found", message: "no route" } }, "health", "internal", CLIENT_ERROR_CODES.unexpectedStatus],
    ["503 with another code", 503, { error: { code: "overloaded", message: "x" } }, "query", "internal", CLIENT_ERROR_CODES.unexpectedStatus],
    ["503 not JSON", 503, "<html>", "query", "internal", CLIENT_ERROR_CODES.unexpectedStatus],
    ["200 failing the schema", 200, { ...HEALTH, protocol: 2 }, "health", "internal", CLIENT_ERROR_CODES.badResponse],
    ["200 envelope failing the schema", 200, { results: "none" }, "query", "internal", CLIENT_ERROR_CODES.badResponse],
    ["200 not JSON", 200, "{not json", "reload", "internal", CLIENT_ERROR_CODES.badResponse],
    ["204", 204, undefined, "query", "internal", CLIENT_ERROR_CODES.unexpectedStatus],
  ];
  for (const [name, status, body, call, cls, code] of cases) {
    it(`${name} → ${cls} (${code})`, async () => {
      await http((_req, _body, res) => {
        if (body === undefined) {
          res.writeHead(status);
          res.end();
        } else if (typeof body === "string") {
          res.writeHead(status, { "content-type": "text/plain" });
          res.end(body);
        } else json(res, status, body);
      });
      const c = client();
      const r = call === "health" ? await c.health() : call === "reload" ? await c.reload() : await c.query({ text: "x" });
      expectFailure(r, cls, code);
      if (r.class !== "ok") expect(r.error.status).toBe(status);
      if (name === "400" && r.class !== "ok") expect(r.error.issues).toEqual([{ path: ["text"], message: "too short" }]);
      if (name === "503 incompatible_bundle" && r.class !== "ok") expect(r.error.sub_code).toBe("version_out_of_range");
      if (name === "200 failing the schema" && r.class !== "ok") {
        expect(r.error.issues?.length).toBeGreaterThan(0);
        expect(r.error.message).toContain("protocol");
      }
    });
  }
});

describe("transport failures", () => {
  it("a missing socket is unavailable/socket_missing", async () => {
    const r = await client().query({ text: "x" });
    expectFailure(r, "unavailable", CLIENT_ERROR_CODES.socketMissing);
  });

  it("a stale socket file (its process SIGKILLed) is unavailable/connection_refused", async () => {
    const child = execa(
      process.execPath,
      ["-e", `require("net").createServer().listen(${JSON.stringify(tmp.sock)}, () => process.stdout.write("up"))`],
      { stdio: ["ignore", "pipe", "inherit"], buffer: false, cleanup: true, reject: false },
    );
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    const [chunk] = (await once(child.stdout, "data")) as [Buffer];
    expect(chunk.toString()).toBe("up");
    child.kill("SIGKILL");
    await once(child, "exit");
    const r = await client().health();
    expectFailure(r, "unavailable", CLIENT_ERROR_CODES.connectionRefused);
  });

  it("a regular file where the socket should be is unavailable", async () => {
    writeFileSync(tmp.sock, "not a socket");
    const r = await client().health();
    expect(r.class).toBe("unavailable");
  });

  it("a server that accepts and never answers ends at the deadline with timeout", async () => {
    let got = 0;
    await raw(() => {
      got++;
    });
    const c = client({ requestTimeoutMs: 150 });
    const r = await c.query({ text: "x" });
    expectFailure(r, "timeout", CLIENT_ERROR_CODES.deadlineExceeded);
    expect(got).toBeGreaterThan(0);
    // a per-call deadline overrides the client's
    expectFailure(await c.health({ timeoutMs: 50 }), "timeout", CLIENT_ERROR_CODES.deadlineExceeded);
  });

  it("calls still queued in the pool (all connections stuck) also end at their deadline", async () => {
    await raw(() => undefined);
    const c = client({ connections: 1, requestTimeoutMs: 150 });
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => c.query({ text: `q${i}` })));
    for (const r of results) expectFailure(r, "timeout", CLIENT_ERROR_CODES.deadlineExceeded);
  });

  it("headers then half a body, then silence, ends at the deadline", async () => {
    await raw((s) => {
      s.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"protocol\":1,");
    });
    const r = await client({ requestTimeoutMs: 150 }).health();
    expectFailure(r, "timeout", CLIENT_ERROR_CODES.deadlineExceeded);
  });

  it("headers then half a body, then a close, is internal/bad_response", async () => {
    await raw((s) => {
      s.end("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"protocol\":1,");
    });
    const r = await client().health();
    expectFailure(r, "internal", CLIENT_ERROR_CODES.badResponse);
  });

  it("garbage instead of HTTP is internal/bad_response", async () => {
    await raw((s) => {
      s.write("garbage garbage garbage\r\n\r\n");
    });
    const r = await client().query({ text: "x" });
    expectFailure(r, "internal", CLIENT_ERROR_CODES.badResponse);
  });

  it("garbage JSON with a 200 is internal/bad_response", async () => {
    await raw((s) => {
      s.write("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n\u0000\u0001\u0002\u0003\u0004");
    });
    expectFailure(await client().query({ text: "x" }), "internal", CLIENT_ERROR_CODES.badResponse);
  });

  it("a connection closed before any answer is unavailable/connection_closed", async () => {
    await raw((s) => {
      s.destroy();
    });
    expectFailure(await client().reload(), "unavailable", CLIENT_ERROR_CODES.connectionClosed);
  });

  it("health and query retry once when a connection closes before answering; reload does not", async () => {
    let connections = 0;
    await raw((s) => {
      connections++;
      // the first request on every odd connection dies unanswered, like a kept-alive socket closed by a restart
      if (connections % 2 === 1) {
        s.destroy();
        return;
      }
      const body = JSON.stringify(HEALTH);
      s.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      s.end();
    });
    const c = client();
    expect((await c.health()).class).toBe("ok");
    expect(connections).toBe(2);
    expectFailure(await c.reload(), "unavailable", CLIENT_ERROR_CODES.connectionClosed);
    expect(connections).toBe(3);
  });

  it("an answer over maxResponseBytes is internal/response_too_large, with or without Content-Length", async () => {
    const big = { ...envelope("x"), results: Array.from({ length: 200 }, (_, i) => ({ ...envelope("x").results[0]!, id: `m${i}` })) };
    await http((req, _b, res) => {
      if (req.url === "/health") return json(res, 200, big);
      res.writeHead(200, { "content-type": "application/json" }); // chunked
      res.write(JSON.stringify(big).slice(0, 5000));
      res.end(JSON.stringify(big).slice(5000));
    });
    const c = client({ maxResponseBytes: 4096 });
    expectFailure(await c.health(), "internal", CLIENT_ERROR_CODES.responseTooLarge);
    expectFailure(await c.query({ text: "x" }), "internal", CLIENT_ERROR_CODES.responseTooLarge);
  });
});

describe("abort", () => {
  it("aborting a call in flight returns timeout/aborted promptly, before the deadline", async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((r) => (arrived = r));
    await raw(() => arrived());
    const c = client({ requestTimeoutMs: 60_000 });
    const ac = new AbortController();
    const pending = c.query({ text: "x" }, { signal: ac.signal });
    await requestArrived;
    ac.abort();
    // the deadline is a minute away and the test's own timeout far less: resolving at all proves promptness
    expectFailure(await pending, "timeout", CLIENT_ERROR_CODES.aborted);
  });

  it("an already aborted signal returns timeout/aborted without a request", async () => {
    const s = await http();
    const r = await client().health({ signal: AbortSignal.abort() });
    expectFailure(r, "timeout", CLIENT_ERROR_CODES.aborted);
    expect(s.requests).toHaveLength(0);
  });

  it("a signal that fires after the answer changes nothing", async () => {
    await http();
    const ac = new AbortController();
    const r = await client().health({ signal: ac.signal });
    ac.abort();
    expect(r.class).toBe("ok");
  });
});

describe("restarts, concurrency, close", () => {
  it("reconnects after the server restarts between calls", async () => {
    const first = await http();
    const c = client();
    expect((await c.query({ text: "before" })).class).toBe("ok");
    await first.close();
    expectFailure(await c.query({ text: "down" }), "unavailable", CLIENT_ERROR_CODES.socketMissing);
    const second = await http();
    expect(await c.query({ text: "after" })).toEqual({ class: "ok", value: envelope("after"), status: 200 });
    expect(second.requests.map((r) => (JSON.parse(r.body) as { text: string }).text)).toEqual(["after"]);
  });

  it("survives a restart with no failed call in between (stale kept-alive connection)", async () => {
    const c = client();
    for (let round = 0; round < 5; round++) {
      const s = await httpSidecar(tmp.sock, goodHandler);
      try {
        expect((await c.health()).class).toBe("ok");
        expect((await c.query({ text: `r${round}` })).class).toBe("ok");
      } finally {
        await s.close();
      }
    }
  });

  it("answers 1000 concurrent queries, each with its own answer", async () => {
    const s = await http();
    const c = client({ connections: 16 });
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => c.query({ text: `q${i}` }, { timeoutMs: 50_000 })));
    results.forEach((r, i) => {
      expect(r.class).toBe("ok");
      if (r.class === "ok") expect(r.value.results[0]?.text).toBe(`about q${i}`);
    });
    expect(s.requests).toHaveLength(1000);
  });

  it("close: idempotent; later calls are unavailable/client_closed; a call in flight still ends by its deadline", async () => {
    await raw(() => undefined);
    const c = new SidecarClient({ socketPath: tmp.sock, requestTimeoutMs: 200 });
    const inFlight = c.health();
    const closing = c.close();
    expect(c.close()).toBe(closing);
    expectFailure(await c.query({ text: "x" }), "unavailable", CLIENT_ERROR_CODES.clientClosed);
    expectFailure(await inFlight, "timeout", CLIENT_ERROR_CODES.deadlineExceeded);
    await closing;
  });
});

describe("programmer errors throw", () => {
  it("a missing socketPath or a bad timeout throws SidecarClientError", async () => {
    expect(() => new SidecarClient({ socketPath: "" })).toThrow(SidecarClientError);
    expect(() => new SidecarClient({} as never)).toThrow(/socketPath is required/);
    expect(() => new SidecarClient({ socketPath: tmp.sock, requestTimeoutMs: 0 })).toThrow(SidecarClientError);
    const c = client();
    await expect(c.health({ timeoutMs: -1 })).rejects.toThrow(SidecarClientError);
    // a Node timer longer than 2^31-1 ms fires at once: refused rather than silently wrong
    await expect(c.health({ timeoutMs: 2 ** 31 })).rejects.toThrow(SidecarClientError);
    await expect(probeHealth("", 100)).rejects.toThrow(SidecarClientError);
  });
});

describe("probeHealth", () => {
  it("answers ok, unavailable, or timeout, and keeps no connection", async () => {
    expectFailure(await probeHealth(tmp.sock, 500), "unavailable", CLIENT_ERROR_CODES.socketMissing);
    const s = await http();
    let open = 0;
    s.server.on("connection", (sock) => {
      open++;
      sock.on("close", () => open--);
    });
    expect(await probeHealth(tmp.sock, 2000)).toEqual({ class: "ok", value: HEALTH, status: 200 });
    await expect.poll(() => open, { timeout: 10_000, interval: 5, message: "every socket to close" }).toBe(0);
    expect(open).toBe(0);
    await s.close();
    await raw(() => undefined);
    expectFailure(await probeHealth(tmp.sock, 100), "timeout", CLIENT_ERROR_CODES.deadlineExceeded);
  });
});
