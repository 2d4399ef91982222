import { createServer, type Server, type ServerResponse } from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recall, sandbox, type RunResult, type Sandbox } from "./harness";

// `recall query` runs from dist/fast/query.cjs when its config is cached, and
// from the full CLI otherwise. Both must print exactly the same thing for
// every answer a sidecar can give; the fast path must not start the ESM
// loader (NODE_DEBUG=esm would show dist/cli.js being loaded).

type Answer = (res: ServerResponse) => void;
const send = (status: number, body: unknown) => (res: ServerResponse) => {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
};
const envelope = (text: string) => ({
  source: "sidecar",
  bundle_id: "b\u001b]0;title\u0007",
  took_ms: 0.5,
  truncated: false,
  evidence_quality: "indexed",
  results: [{ id: "m1\u009b2J", text, kind: "decision", entities: ["e\u202eil", "x\ny"], created_at: "2026-01-02T00:00:00Z", source_ref: "s\u007f", score: 2 }],
});
const ANSWERS: Record<string, Answer> = {
  ok: send(200, envelope("plain text")),
  "ok with escapes in every field": send(200, envelope("evil \u001b[2J\u001b]0;pwned\u0007 text \u2028 next")),
  "no results": send(200, { ...envelope("x"), results: [] }),
  "503 no_bundle": send(503, { error: { code: "no_bundle", message: "none" } }),
  "503 incompatible with an escape": send(503, { error: { code: "incompatible_bundle", message: "schema \u001b]0;x\u0007 9" } }),
  "400": send(400, { error: { code: "bad_request", message: "text: too long" } }),
  "500": send(500, { error: { code: "internal", message: "boom \u009b" } }),
  "garbage 200": send(200, "<html>"),
  "bad envelope": send(200, { ...envelope("x"), evidence_quality: "vibes" }),
};

let sb: Sandbox;
let server: Server;
let answer: Answer = ANSWERS.ok!;

beforeAll(async () => {
  sb = await sandbox();
  await mkdir(dirname(sb.socket), { recursive: true });
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => answer(res));
  });
  await new Promise<void>((r) => server.listen(sb.socket, r));
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await sb.cleanup();
});

const FAST = { NODE_DEBUG: "esm" };
const FULL = { RECALL_CLI_NO_CACHE: "1" };
const masked = (r: RunResult) => ({
  code: r.code,
  stdout: r.stdout.replace(/\d+ ms total/, "N ms total"),
  stderr: r.stderr.split("\n").filter((l) => !/^ESM \d+:/.test(l)).join("\n"),
});

describe("the fast query path", () => {
  it("the first query misses the config cache: the full CLI answers and writes it", async () => {
    answer = ANSWERS.ok!;
    const first = await recall(sb, ["query", "x"], { env: FAST });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("dist/cli.js");
  });

  // One test per answer (six CLI runs each): all of them in one test took 36 s of a 60 s timeout on a loaded machine.
  it.each(Object.keys(ANSWERS))("then prints exactly what the full CLI prints for the answer %s, in text and JSON, without loading the ESM CLI", async (name) => {
    answer = ANSWERS[name]!;
    for (const extra of [[], ["--json"], ["--limit", "3", "--kind", "decision"]]) {
      const fast = await recall(sb, ["query", "x", ...extra], { env: FAST });
      const full = await recall(sb, ["query", "x", ...extra], { env: FULL });
      expect(fast.stderr, `${name} ${extra.join(" ")}: fast path`).not.toContain("dist/cli.js");
      expect(masked(fast), `${name} ${extra.join(" ")}`).toEqual(masked(full));
      // nothing from the sidecar acts on a terminal
      // eslint-disable-next-line no-control-regex
      expect(fast.stdout + masked(fast).stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
      if (extra[0] === "--json") expect(() => JSON.parse(fast.stdout) as unknown).not.toThrow();
    }
  });

  it("global options before the command take the fast path too", async () => {
    answer = ANSWERS.ok!;
    const r = await recall(sb, ["--json", "query", "x"], { env: FAST });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("dist/cli.js");
    expect((r.json as { results: unknown[] }).results).toHaveLength(1);
  });

  it("declines to the full CLI for --help, --spawn-less usage errors and typos, keeping did-you-mean and exit 2", async () => {
    const help = await recall(sb, ["query", "--help"], { env: FAST });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("recall query TEXT");
    const typo = await recall(sb, ["query", "x", "--limt", "3"], { env: FAST });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("did you mean --limit?");
    expect(typo.stderr).toContain("dist/cli.js");
    const bad = await recall(sb, ["query", "x", "--limit", "0"]);
    expect(bad.code).toBe(2);
  });

  it("a project .recall/config.yaml appearing above the working directory invalidates the cached config", async () => {
    answer = ANSWERS.ok!;
    const cwd = join(sb.dir, "proj", "sub");
    await mkdir(cwd, { recursive: true });
    // the socket comes from the XDG config file (an empty variable is ignored), the same env every run
    const env = { ...FAST, RECALL_MEMORY_SOCKET_PATH: "" };
    await mkdir(join(sb.dir, "config", "recall"), { recursive: true });
    await writeFile(join(sb.dir, "config", "recall", "config.yaml"), `memory:\n  socket_path: ${sb.socket}\n`);
    expect((await recall(sb, ["query", "x"], { cwd, env })).code).toBe(0);
    const cached = await recall(sb, ["query", "x"], { cwd, env });
    expect(cached.code).toBe(0);
    expect(cached.stderr).not.toContain("dist/cli.js");
    const other = join(sb.dir, "other.sock");
    await mkdir(join(sb.dir, "proj", ".recall"), { recursive: true });
    await writeFile(join(sb.dir, "proj", ".recall", "config.yaml"), `memory:\n  socket_path: ${other}\n`);
    const r = await recall(sb, ["query", "x"], { cwd, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`nothing answers on ${other}`);
    const shown = await recall(sb, ["config", "--json"], { cwd, env });
    expect(shown.json).toMatchObject({ config_file: join(sb.dir, "proj", ".recall", "config.yaml"), config_file_via: "project" });
  });
});
