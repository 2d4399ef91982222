import { createServer, type Server, type ServerResponse } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { envelopeProblem, postQuery } from "../sidecar-http";

const envelope = { source: "sidecar", bundle_id: "b1", took_ms: 0.3, truncated: false, evidence_quality: "indexed", results: [{ id: "m1", text: "t", kind: "fact", entities: ["e"], created_at: "2026-01-01T00:00:00Z", score: 1.5 }] };

describe("postQuery over a real Unix socket", () => {
  let dir: string;
  let server: Server | undefined;
  let reply: (body: string, res: ServerResponse) => void = () => {};
  const sock = () => join(dir, "s.sock");
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "rqh-"));
  });
  afterEach(async () => {
    if (server) await new Promise<void>((r) => { server!.closeAllConnections(); server!.close(() => r()); });
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });
  async function listen(): Promise<void> {
    server = createServer((req, res) => {
      let b = "";
      req.on("data", (c) => (b += c));
      req.on("end", () => reply(b, res));
    });
    await new Promise<void>((r) => server!.listen(sock(), r));
  }
  const send = (status: number, body: unknown) => (_b: string, res: ServerResponse) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };

  it("classifies a missing socket and a plain file as unavailable", async () => {
    expect(await postQuery(sock(), { text: "x" }, { timeoutMs: 2000 })).toMatchObject({ class: "unavailable", error: { code: "socket_missing" } });
    await writeFile(sock(), "");
    const r = await postQuery(sock(), { text: "x" }, { timeoutMs: 2000 });
    expect(r.class).toBe("unavailable");
  });

  it("returns the envelope and passes the intent through", async () => {
    let got = "";
    reply = (b, res) => {
      got = b;
      send(200, envelope)(b, res);
    };
    await listen();
    expect(await postQuery(sock(), { text: "hello", limit: 2 }, { timeoutMs: 5000 })).toEqual({ class: "ok", envelope });
    expect(JSON.parse(got)).toEqual({ text: "hello", limit: 2 });
  });

  it("maps statuses like SidecarClient (SPEC §2)", async () => {
    await listen();
    const cases: [number, unknown, string, string][] = [
      [400, { error: { code: "bad_request", message: "text: too long" } }, "bad_request", "bad_request"],
      [503, { error: { code: "no_bundle", message: "none" } }, "unavailable", "no_bundle"],
      [503, { error: { code: "incompatible_bundle", message: "schema" } }, "incompatible", "incompatible_bundle"],
      [409, { error: { code: "reload_in_progress", message: "busy" } }, "busy", "reload_in_progress"],
      [500, { error: { code: "internal", message: "boom" } }, "internal", "unexpected_status"],
      [200, "not json", "internal", "bad_response"],
      [200, { ...envelope, results: [{ id: 1 }] }, "internal", "bad_response"],
    ];
    for (const [status, body, cls, code] of cases) {
      reply = send(status, body);
      expect(await postQuery(sock(), { text: "x" }, { timeoutMs: 5000 }), `${status} ${JSON.stringify(body)}`).toMatchObject({ class: cls, error: { code } });
    }
  });

  it("gives up at the deadline with timeout", async () => {
    reply = () => {}; // never answers
    await listen();
    expect(await postQuery(sock(), { text: "x" }, { timeoutMs: 100 })).toMatchObject({ class: "timeout", error: { code: "deadline_exceeded" } });
  });
});

describe("envelopeProblem", () => {
  it("accepts a valid envelope and names the first bad field", () => {
    expect(envelopeProblem(envelope)).toBeNull();
    expect(envelopeProblem({ ...envelope, took_ms: "1" })).toBe("took_ms");
    expect(envelopeProblem({ ...envelope, results: [{ ...envelope.results[0], entities: [1] }] })).toBe("results.0.entities");
    expect(envelopeProblem(null)).toBe("(body)");
  });
});
