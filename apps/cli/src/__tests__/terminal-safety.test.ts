import { Writable } from "node:stream";
import fc from "fast-check";
import { fcParams } from "@recall/test-utils";
import { describe, expect, it } from "vitest";
import { makeOutput, safeJson, safeLine, safeText } from "../output";
import { queryFailure } from "../query-outcome";
import { renderResults, type EnvelopeLike } from "../render-results";
import { reportError } from "../report-error";

// Everything printed is data from outside (memory text, entities, source_ref,
// ids, bundle ids, sidecar messages): whatever the bytes, the output holds no
// C0 control but the layout's newline, no DEL, no C1, no ESC but our own colour
// sequences, no line separators and no bidi overrides.

// Seeded from FC_SEED; a failure names the seed to replay with.
const runs = fcParams({ numRuns: 200 });

const nasty = fc.constantFrom(
  "\u001b]0;pwned\u0007",
  "\u001b[2J\u001b[H",
  "\u001b[8m",
  "\u009b31m",
  "\u0090q\u009c",
  "\u007f",
  "\r",
  "\n",
  "\t",
  "\u0000",
  "\u2028",
  "\u2029",
  "\u202e",
  "\u2066",
  "\u2069",
  "evil\u001b[31m",
);
const text = fc.array(fc.oneof(fc.string({ unit: "binary" }), nasty, fc.string()), { maxLength: 6 }).map((xs) => xs.join(""));

// C0 but \n, DEL, C1, U+2028/2029, bidi embeddings/overrides/isolates
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const OWN_SGR = /\u001b\[(?:1|2|22|31|32|33|35|36|39)m/g;

function capture(opts: { color: boolean; json: boolean; tty?: boolean }) {
  let stdout = "";
  let stderr = "";
  const sink = (f: (s: string) => void) => Object.assign(new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) }), { isTTY: opts.tty ?? false, columns: 60 });
  const out = makeOutput({
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    env: opts.color ? { FORCE_COLOR: "1" } : { NO_COLOR: "1" },
    noColor: !opts.color,
    json: opts.json,
  });
  return { out, get stdout() { return stdout; }, get stderr() { return stderr; } };
}

function assertSafe(printed: string, color: boolean): void {
  const stripped = color ? printed.replace(OWN_SGR, "") : printed;
  expect(stripped).not.toMatch(FORBIDDEN);
  expect(stripped).not.toContain("\u001b");
}

const envelope = fc.record({
  source: fc.constantFrom("sidecar", "fallback"),
  bundle_id: fc.oneof(fc.constant(null), text),
  took_ms: fc.double({ min: 0, max: 1e4, noNaN: true }),
  truncated: fc.boolean(),
  evidence_quality: fc.constantFrom("indexed", "text_search"),
  fallback_reason: text,
  results: fc.array(
    fc.record({ id: text, text, kind: fc.oneof(fc.constantFrom("fact", "note", "__proto__", "constructor"), text), entities: fc.array(text, { maxLength: 3 }), created_at: text, source_ref: text, score: fc.double({ min: -10, max: 10, noNaN: true }) }),
    { maxLength: 4 },
  ),
}) as fc.Arbitrary<EnvelopeLike>;

describe("terminal safety", () => {
  it("rendered results are safe for any memory text, entity, source_ref, id, kind and bundle id (colour on or off, TTY or pipe)", () => {
    fc.assert(
      fc.property(envelope, text, fc.boolean(), fc.boolean(), (env, query, color, tty) => {
        const c = capture({ color, json: false, tty });
        for (const l of renderResults(env, c.out, { query, elapsedMs: 1 })) c.out.line(l);
        assertSafe(c.stdout, color);
        // every result is still one line of text and one line of metadata
        if (env.results.length) expect(c.stdout.split("\n").length).toBe(env.results.length * 2 + 2);
      }),
      runs,
    );
  });

  it("--json output escapes DEL, C1, U+2028/9 and bidi controls and still parses to the same value", () => {
    fc.assert(
      fc.property(envelope, (env) => {
        const c = capture({ color: false, json: true });
        c.out.printJson(env);
        assertSafe(c.stdout.replace(/\n/g, ""), false);
        expect(JSON.parse(c.stdout)).toEqual(JSON.parse(JSON.stringify(env)));
      }),
      runs,
    );
    expect(safeJson({ a: "\u007f\u0085\u2028\u202e" })).toBe('{"a":"\\u007f\\u0085\\u2028\\u202e"}');
  });

  it("error messages and hints embedding a sidecar's message are safe, in text and in JSON", () => {
    fc.assert(
      fc.property(text, fc.constantFrom("internal", "busy", "incompatible", "bad_request") as fc.Arbitrary<"internal">, text, fc.boolean(), (message, cls, sock, json) => {
        const c = capture({ color: true, json });
        const code = reportError(queryFailure({ class: cls, error: { code: "x", message } }, { provider: "local", socket_path: sock, client_request_timeout_ms: 5 }, false), c.out);
        expect([1, 2, 3]).toContain(code);
        assertSafe(c.stderr + c.stdout.replace(/\n/g, ""), true);
        if (json) expect(typeof (JSON.parse(c.stdout) as { error: { message: unknown } }).error.message).toBe("string");
      }),
      runs,
    );
  });

  it("a rejected entry's raw name cannot retitle the terminal (recall pull / bundle install messages)", () => {
    const c = capture({ color: false, json: false });
    reportError(new Error("bundle rejected: unsafe_path (\u001b]0;owned\u0007../../etc)"), c.out);
    expect(c.stderr).toContain("\\u001b]0;owned\\u0007../../etc");
    assertSafe(c.stderr, false);
  });

  it("safeText escapes, safeLine keeps only our colours, printable text passes unchanged", () => {
    expect(safeText("a\u001b[31mb\nc\td")).toBe("a\\u001b[31mb\\u000ac\\u0009d");
    expect(safeLine("\u001b[31mred\u001b[39m \u001b[8mhidden\u001b[0m \u001b]0;t\u0007")).toBe("\u001b[31mred\u001b[39m \\u001b[8mhidden\\u001b[0m \\u001b]0;t\\u0007");
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        if (!FORBIDDEN.test(s) && !s.includes("\n")) expect(safeText(s)).toBe(s);
      }),
      runs,
    );
  });
});
