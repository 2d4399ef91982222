import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoundedLineSplitter, TRUNCATED_MARKER } from "../line-splitter";

function split(chunks: (string | Buffer)[], max: number): string[] {
  const out: string[] = [];
  const s = new BoundedLineSplitter(max, (l) => out.push(l));
  for (const c of chunks) s.write(Buffer.isBuffer(c) ? c : Buffer.from(c));
  s.end();
  return out;
}

const seed = process.env.FC_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FC_SEED);

describe("BoundedLineSplitter", () => {
  it("splits lines across chunk boundaries, drops \\r of CRLF, flushes an unterminated last line", () => {
    expect(split(["ab", "c\nde", "f\r\n\ng"], 100)).toEqual(["abc", "def", "", "g"]);
  });

  it("cuts a long line at the cap once, with a marker, and drops the rest up to its newline", () => {
    expect(split(["0123456789abc", "defgh\nnext\n"], 8)).toEqual([`01234567${TRUNCATED_MARKER}`, "next"]);
  });

  it("emits a long line as soon as it passes the cap, before any newline arrives", () => {
    const out: string[] = [];
    const s = new BoundedLineSplitter(4, (l) => out.push(l));
    s.write(Buffer.from("abcdef"));
    expect(out).toEqual([`abcd${TRUNCATED_MARKER}`]);
    s.write(Buffer.from("more and more without end"));
    s.end();
    expect(out).toEqual([`abcd${TRUNCATED_MARKER}`]);
  });

  it("never cuts a multi-byte character in half", () => {
    expect(split(["aaé€😀"], 3)).toEqual([`aa${TRUNCATED_MARKER}`]);
    expect(split(["é€😀"], 6)).toEqual([`é€${TRUNCATED_MARKER}`]);
    expect(split(["😀😀"], 7)).toEqual([`😀${TRUNCATED_MARKER}`]);
  });

  it("keeps a line of exactly the cap whole", () => {
    expect(split(["12345678\n"], 8)).toEqual(["12345678"]);
  });

  it("handles a 50 MiB line with no newline in bounded memory", () => {
    const out: string[] = [];
    const s = new BoundedLineSplitter(8192, (l) => out.push(l));
    const chunk = Buffer.alloc(64 * 1024, "x");
    for (let i = 0; i < 800; i++) s.write(chunk);
    s.end();
    expect(out).toEqual(["x".repeat(8192) + TRUNCATED_MARKER]);
  });

  it("property: short lines come back exactly; no line is longer than the cap plus the marker", () => {
    try {
      fc.assert(
        fc.property(
          fc.array(fc.string({ unit: fc.constantFrom("a", "b", "\n", "\r", "é", "€", "😀"), maxLength: 60 }), { maxLength: 8 }),
          fc.integer({ min: 1, max: 40 }),
          (chunks, max) => {
            const out = split(chunks, max);
            const text = chunks.join("");
            for (const line of out) {
              const body = line.endsWith(TRUNCATED_MARKER) ? line.slice(0, -TRUNCATED_MARKER.length) : line;
              expect(Buffer.byteLength(body)).toBeLessThanOrEqual(max);
            }
            const lines = text.split("\n");
            if (text.endsWith("\n")) lines.pop();
            const bare = lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
            if (lines.every((l) => Buffer.byteLength(l) <= max)) expect(out).toEqual(text === "" ? [] : bare);
            else expect(out.some((l) => l.endsWith(TRUNCATED_MARKER))).toBe(true);
          },
        ),
        { seed, numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
      );
    } catch (e) {
      throw new Error(`property failed with FC_SEED=${seed}: ${(e as Error).message}`, { cause: e });
    }
  });
});
