import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import { ErrorBody, Health, ResponseEnvelope } from "@recall/protocol";
import { call, type TlmChild, serveExamples } from "./harness";
import { jsonBodies, peakRssBytes, rawConnection, rssBytes, statuses } from "./raw-http";

// The real binary with its default caps (64 KiB body, 16 KiB head, 5 s head timeout, 10 s request timeout, 128 connections).
const MAX_BODY = 64 * 1024;
let sock: string;
let tlm: TlmChild | undefined;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ sock, tlm, stop } = await serveExamples());
});

afterAll(async () => {
  await stop?.();
});

async function healthy(): Promise<void> {
  const a = await call(sock, "GET", "/health");
  expect(a.status).toBe(200);
  expect(Health.parse(a.json()).ready).toBe(true);
}

/** Every response in `raw` is a 4xx with an ErrorBody. */
function expectErrorBodies(raw: string, status: number): void {
  expect(statuses(raw)).toEqual([status]);
  const [body] = jsonBodies(raw);
  expect(ErrorBody.safeParse(body).success, raw.slice(0, 300)).toBe(true);
}

/** The largest legal intent, every character JSON-escaped: it must fit under the body cap. */
function worstLegalIntentJson(): string {
  const esc = (n: number) => "\\u00e9".repeat(n);
  return `{"text":"${esc(2000)}","kinds":["fact","decision","preference","episode","note"],` +
    `"entities":[${Array.from({ length: 32 }, () => `"${esc(200)}"`).join(",")}],` +
    `"since":"2000-01-01T00:00:00.000+00:00","until":"2099-12-31T23:59:59.999+00:00","limit":100,"budget_ms":5000}`;
}

describe("tlm HTTP caps", () => {
  it("accepts the largest legal intent, fully escaped (it fits under the body cap)", async () => {
    const body = worstLegalIntentJson();
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_BODY);
    const a = await call(sock, "POST", "/query", body);
    expect(a.status, a.text.slice(0, 200)).toBe(200);
    ResponseEnvelope.parse(a.json());
  });

  it("a declared body over the cap: 413 with an ErrorBody at once (the client still writing reads it), then closed", async () => {
    for (let i = 0; i < 10; i++) {
      const r = await rawConnection(sock, (s) => {
        s.write(`POST /query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${100 * 1024 * 1024}\r\n\r\n`);
        s.write(Buffer.alloc(64 * 1024, 0x20));
      });
      expect(r.closedByServer).toBe(true);
      expectErrorBodies(r.received, 413);
      expect((jsonBodies(r.received)[0] as ErrorBody).error.code).toBe("payload_too_large");
    }
    await healthy();
  });

  it("an endless chunked body: 413 once the cap is crossed, then the server stops reading and closes", async () => {
    const r = await rawConnection(sock, (s: Socket, state) => {
      s.write("POST /query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
      const chunk = `${(4096).toString(16)}\r\n${"a".repeat(4096)}\r\n`;
      const pump = () => {
        // Write until the server closes; the written total shows how far it read.
        while (!state.closed && state.written < 256 * 1024 * 1024) {
          state.written += 4096;
          if (!s.write(chunk)) { s.once("drain", pump); return; }
        }
      };
      pump();
    });
    expect(r.closedByServer).toBe(true);
    // A writer that never stops may hit EPIPE before it reads the 413 (the server stopped reading): either is a refusal.
    if (r.error === undefined) expectErrorBodies(r.received, 413);
    else expect(["EPIPE", "ECONNRESET"]).toContain(r.error);
    // Closed long before the client's 256 MiB were written.
    expect(r.written).toBeLessThan(64 * 1024 * 1024);
    await healthy();
  });

  it("a chunked body just over the cap (no length declared): 413 with an ErrorBody, counted while streaming", async () => {
    const r = await rawConnection(sock, (s) => {
      const chunk = `${(1024).toString(16)}\r\n${"a".repeat(1024)}\r\n`;
      s.write("POST /query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n" + chunk.repeat(70));
    });
    expect(r.closedByServer).toBe(true);
    expectErrorBodies(r.received, 413);
    await healthy();
  });

  it("a head over 16 KiB: 431 with an ErrorBody", async () => {
    const r = await rawConnection(sock, (s) => s.write(`GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(32 * 1024)}\r\n\r\n`));
    expect(r.closedByServer).toBe(true);
    expectErrorBodies(r.received, 431);
    await healthy();
  });

  it("a head with a thousand headers (under 16 KiB) is answered; the extra headers are ignored", async () => {
    const headers = Array.from({ length: 1000 }, (_, i) => `h${i}: v`).join("\r\n");
    const r = await rawConnection(sock, (s) => s.write(`GET /health HTTP/1.1\r\nhost: x\r\n${headers}\r\nconnection: close\r\n\r\n`));
    expect(statuses(r.received)).toEqual([200]);
  });

  it("slowloris: a head trickled a byte at a time, an idle connection and a trickled body are all cut (408)", async () => {
    const trickleHead = rawConnection(sock, (s, state) => {
      s.write("GET /health HTTP/1.1\r\nhost: x\r\n");
      const t = setInterval(() => { if (state.closed) clearInterval(t); else s.write("x-a: b\r\n"); }, 200);
    }, 40_000);
    const idle = rawConnection(sock, () => undefined, 40_000);
    const trickleBody = rawConnection(sock, (s, state) => {
      s.write("POST /query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 60000\r\n\r\n");
      const t = setInterval(() => { if (state.closed) clearInterval(t); else s.write(" "); }, 200);
    }, 40_000);
    const [a, b, c] = await Promise.all([trickleHead, idle, trickleBody]);
    for (const r of [a, b, c]) expect(r.closedByServer).toBe(true);
    expectErrorBodies(a.received, 408);
    expect(b.received === "" || statuses(b.received)[0] === 408).toBe(true);
    expectErrorBodies(c.received, 408);
    await healthy();
  });

  it("pipelined requests are all answered, in order", async () => {
    const n = 200;
    const one = "GET /health HTTP/1.1\r\nhost: x\r\n\r\n";
    const r = await rawConnection(sock, (s) => {
      s.write(one.repeat(n - 1) + "GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    });
    expect(statuses(r.received)).toEqual(Array.from({ length: n }, () => 200));
  });

  it("a body in more than 4096 pieces (one-byte chunks): 413 with an ErrorBody, without reading the rest", async () => {
    const body = JSON.stringify({ text: "jwt ".repeat(500).trim(), entities: ["x".repeat(200), "y".repeat(200)], limit: 3 }).padEnd(5000, " ");
    const r = await rawConnection(sock, (s) => {
      let out = "POST /query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
      for (const ch of body) out += `1\r\n${ch}\r\n`;
      s.write(out + "0\r\n\r\n");
    });
    expect(r.closedByServer).toBe(true);
    expectErrorBodies(r.received, 413);
    expect((jsonBodies(r.received)[0] as ErrorBody).error.message).toMatch(/more than 4096 pieces/);
    await healthy();
  });

  it("a valid intent sent as 2000 one-byte chunks is answered", async () => {
    const body = JSON.stringify({ text: `JWT signing key ${"jwt ".repeat(495)}`.trim(), limit: 3 });
    expect(body.length).toBeGreaterThan(2000);
    const r = await rawConnection(sock, (s) => {
      let out = "POST /query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
      for (const ch of body) out += `1\r\n${ch}\r\n`;
      s.write(out + "0\r\n\r\n");
    });
    expect(statuses(r.received)).toEqual([200]);
    expect(ResponseEnvelope.parse(jsonBodies(r.received)[0]).results.length).toBeGreaterThan(0);
  });

  it("the connection cap: connections over 128 are dropped at once (logged), and the server answers once they go", async () => {
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 150; i++) {
        const s = connect(sock);
        s.on("error", () => undefined);
        sockets.push(s);
      }
      // The server logs each connection it drops at the cap.
      await expect.poll(() => (tlm!.stderr().match(/"event":"connection_dropped"/g) ?? []).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(150 - 128);
    } finally {
      for (const s of sockets) s.destroy();
    }
    // Once they are gone the server answers again (the cap frees as connections close).
    await expect.poll(async () => (await call(sock, "GET", "/health").catch(() => ({ status: 0 }))).status, { timeout: 20_000 }).toBe(200);
  });
});

describe("tlm HTTP cost at the caps (wide margins, no timing asserts beyond 20 s)", () => {
  it("worst shapes at the caps finish with bounded memory growth", async () => {
    const pid = tlm!.child.pid!;
    const before = await rssBytes(pid);
    const started = Date.now();
    const nested = "[".repeat(MAX_BODY / 2 - 1) + "]".repeat(MAX_BODY / 2 - 1);
    const nestedObj = `{"text":${"[".repeat(MAX_BODY / 2 - 20)}${"]".repeat(MAX_BODY / 2 - 20)}}`;
    const oneToken = JSON.stringify({ text: Array.from({ length: 666 }, () => "jwt").join(" ").slice(0, 2000), limit: 100 });
    const entities = JSON.stringify({ text: "signing key", entities: Array.from({ length: 32 }, (_, i) => `${"e".repeat(197)}${String(i).padStart(3, "0")}`) });
    for (let round = 0; round < 20; round++) {
      const answers = await Promise.all([
        call(sock, "POST", "/query", nested),
        call(sock, "POST", "/query", nestedObj),
        call(sock, "POST", "/query", oneToken),
        call(sock, "POST", "/query", entities),
        call(sock, "POST", "/query", worstLegalIntentJson()),
      ]);
      expect(answers.map((a) => a.status)).toEqual([400, 400, 200, 200, 200]);
    }
    expect(Date.now() - started).toBeLessThan(20_000);
    const after = await rssBytes(pid);
    expect(after - before).toBeLessThan(300 * 1024 * 1024);
    expect(await peakRssBytes(pid)).toBeLessThan(before + 300 * 1024 * 1024);
    await healthy();
  });
});
