import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { Puller, realClock, readBundleState, type Clock } from "../../src/index";
import { capture, makeBundle, removeTree, startEndpoint, tempDir } from "../helpers";

let base: string;
let root: string;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  base = await tempDir("manifest-");
  root = join(base, "root");
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  await removeTree(base);
});

/** A raw TCP server on 127.0.0.1 that answers every connection with `respond`. */
async function rawServer(respond: (sock: Socket) => void): Promise<string> {
  const socks = new Set<Socket>();
  const server: Server = createNetServer((sock) => {
    socks.add(sock);
    sock.on("close", () => socks.delete(sock));
    sock.on("error", () => {});
    sock.once("data", () => respond(sock));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(async () => {
    for (const s of socks) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("the manifest response is bounded", () => {
  it("huge response headers fail the pull (network), without buffering them", async () => {
    let sent = 0;
    const url = await rawServer((sock) => {
      sock.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n");
      // 8 MiB of headers, written as fast as the client reads them
      const line = `x-pad: ${"a".repeat(1000)}\r\n`;
      const pump = () => {
        while (sent < 8 * 1024 * 1024) {
          sent += line.length;
          if (!sock.write(line)) return void sock.once("drain", pump);
        }
        sock.end("\r\n{}");
      };
      pump();
    });
    const rss0 = process.memoryUsage().rss;
    const o = await new Puller({ endpoint: url, apiKey: "k", bundleRoot: root, manifestTimeoutMs: 20_000 }).tick();
    expect(o).toMatchObject({ outcome: "failed", reason: "network" });
    expect((o as { message: string }).message).toMatch(/HEADERS_OVERFLOW|network error/);
    expect(sent).toBeLessThan(8 * 1024 * 1024); // cut off well before the end
    expect(process.memoryUsage().rss - rss0).toBeLessThan(300 * 1024 * 1024);
  });

  it("a server that trickles the manifest body is cut off by the manifest deadline (per-chunk timeouts never fire)", async () => {
    const timers = new Set<NodeJS.Timeout>();
    closers.push(async () => timers.forEach(clearInterval));
    const url = await rawServer((sock) => {
      sock.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{");
      const t = setInterval(() => (sock.destroyed ? clearInterval(t) : sock.write(" ")), 50);
      timers.add(t);
    });
    const o = await new Puller({ endpoint: url, apiKey: "k", bundleRoot: root, manifestTimeoutMs: 1500 }).tick();
    expect(o).toMatchObject({ outcome: "failed", reason: "timeout" });
  });

  it("a server that trickles the headers is cut off by the manifest deadline", async () => {
    const timers = new Set<NodeJS.Timeout>();
    closers.push(async () => timers.forEach(clearInterval));
    const url = await rawServer((sock) => {
      sock.write("HTTP/1.1 200 OK\r\n");
      let i = 0;
      const t = setInterval(() => (sock.destroyed ? clearInterval(t) : sock.write(`x-${i++}: y\r\n`)), 50);
      timers.add(t);
    });
    const o = await new Puller({ endpoint: url, apiKey: "k", bundleRoot: root, manifestTimeoutMs: 1500 }).tick();
    expect(o).toMatchObject({ outcome: "failed", reason: "timeout" });
  });

  it("the 1 MiB manifest cap is counted while streaming, whatever Content-Length claims", async () => {
    const url = await rawServer((sock) => {
      sock.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let n = 0;
      const pump = () => {
        while (n++ < 4096) {
          if (!sock.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`)) return void sock.once("drain", pump);
        }
        sock.end("0\r\n\r\n");
      };
      pump();
    });
    const o = await new Puller({ endpoint: url, apiKey: "k", bundleRoot: root }).tick();
    expect(o).toMatchObject({ outcome: "failed", reason: "manifest_too_large" });
  });
});

describe("expiry of what is installed", () => {
  it("a 304 for an expired installed bundle is unchanged + expired (still installed), with a warning", async () => {
    const t0 = Date.parse("2026-11-26T08:00:00Z");
    let now = t0;
    const clock: Clock = { now: () => now, sleep: realClock.sleep };
    const expiresAt = "2026-11-26T09:00:00Z";
    const ep = await startEndpoint(await makeBundle(base, "b1", { expiresAt }));
    closers.push(() => ep.close());
    const cap = capture();
    const p = new Puller({ endpoint: ep.url, apiKey: "k-0123456789", bundleRoot: root, clock, logger: cap.logger, audit: cap.audit });
    expect(await p.tick()).toMatchObject({ outcome: "installed", bundle_id: "b1" });
    expect(await p.tick()).toEqual({ outcome: "unchanged" }); // 304, not expired yet
    now = Date.parse(expiresAt) + 1;
    expect(await p.tick()).toEqual({ outcome: "unchanged", expired: true, expires_at: expiresAt });
    expect(ep.requests.at(-1)!.headers["if-none-match"]).toBeDefined(); // it really was the 304 path
    expect(cap.lines.some((l) => l.includes("installed bundle has expired"))).toBe(true);
    expect((await readBundleState(root)).current).toMatchObject({ bundle_id: "b1", expires_at: expiresAt });
  });
});

describe("https → http redirects", () => {
  it("are refused, even to loopback and with allowInsecureHttp; nothing is fetched over http", async () => {
    // a real TLS endpoint with a throwaway self-signed certificate
    const key = join(base, "key.pem");
    const cert = join(base, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const plain = await startEndpoint(await makeBundle(base, "b1"));
    closers.push(() => plain.close());
    const tls = createHttpsServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
      res.writeHead(302, { location: `${plain.url}${req.url}` }).end();
    });
    await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise<void>((r) => { tls.closeAllConnections(); tls.close(() => r()); }));
    const previous = getGlobalDispatcher();
    const agent = new Agent({ connect: { ca: await readFile(cert) } });
    setGlobalDispatcher(agent);
    closers.push(async () => {
      setGlobalDispatcher(previous);
      await agent.close();
    });
    const endpoint = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
    for (const allowInsecureHttp of [false, true]) {
      const o = await new Puller({ endpoint, apiKey: "k-0123456789", bundleRoot: root, allowInsecureHttp }).tick();
      expect(o).toMatchObject({ outcome: "failed", reason: "insecure_url", message: "redirect from https to http refused" });
    }
    expect(plain.requests).toEqual([]);
  });
});
