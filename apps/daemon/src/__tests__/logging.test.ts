import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createAuditSink, createDaemonLogger, scrubSecrets } from "../logging";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

const KEY = "sk-live-5f1d2c3b4a";

describe("scrubSecrets", () => {
  it("removes every occurrence of each secret, raw or JSON-escaped", () => {
    const quoted = 'k"ey\\with-escapes';
    const text = `a ${KEY} b ${KEY} ${JSON.stringify(quoted)}`;
    const out = scrubSecrets(text, [KEY, quoted]);
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(JSON.stringify(quoted).slice(1, -1));
    expect(out.match(/\[REDACTED\]/g)).toHaveLength(3);
  });

  it("ignores secrets too short to scrub without mangling the line", () => {
    expect(scrubSecrets("abc abc", ["abc"])).toBe("abc abc");
  });
});

describe("createDaemonLogger", () => {
  it("writes JSON lines and never the key, whatever field or message carries it", () => {
    const { lines, stream } = capture();
    const log = createDaemonLogger({ level: "debug", destination: stream, secrets: [KEY] });
    log.info({ api_key: KEY, memory: { api_key: KEY } }, "with fields");
    log.error({ err: new Error(`upstream said ${KEY}`) }, `message ${KEY}`);
    log.debug({ headers: { "x-api-key": KEY } }, "headers");
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).not.toContain(KEY);
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, name: "recalld", msg: "with fields", api_key: "[REDACTED]" });
  });

  it("honours the level", () => {
    const { lines, stream } = capture();
    const log = createDaemonLogger({ level: "warn", destination: stream });
    log.info({}, "hidden");
    log.warn({}, "shown");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["shown"]);
  });
});

describe("createAuditSink", () => {
  it("logs each event as {audit: true, event, ...fields}, the event name winning over a field", () => {
    const { lines, stream } = capture();
    const audit = createAuditSink(createDaemonLogger({ level: "info", destination: stream }));
    audit.log("memory_bundle_installed", { bundle_id: "b1", schema_version: "1.0.0", event: "spoofed", audit: false });
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ audit: true, event: "memory_bundle_installed", bundle_id: "b1", schema_version: "1.0.0" });
  });
});
