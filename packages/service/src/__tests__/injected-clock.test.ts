import { readFile, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ServiceCore } from "../service-core";
import { ManualClock, fakeParts, options, recorder, until } from "./fakes";

// The service's unit tests run on the injected clock, not wall time (issue 13).
const here = dirname(fileURLToPath(import.meta.url));
const SELF = "injected-clock.test.ts";

/** Wall-time and real-timer uses a unit test must not make. */
const FORBIDDEN = [/\bsetTimeout\s*\(/, /\bsetInterval\s*\(/, /\bDate\.now\s*\(/, /\brealClock\b/, /timers\/promises/, /useRealTimers/];

async function unitTestSources(): Promise<{ file: string; text: string }[]> {
  const files = (await readdir(here)).filter((f) => f.endsWith(".ts") && f !== SELF);
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(join(here, file), "utf8") })));
}

/** The argument text of every `new ServiceCore(...)` in `text` (balanced parentheses). */
function constructions(text: string): string[] {
  const out: string[] = [];
  for (let at = text.indexOf("new ServiceCore("); at !== -1; at = text.indexOf("new ServiceCore(", at + 1)) {
    let depth = 0;
    let end = at + "new ServiceCore".length;
    for (; end < text.length; end++) {
      if (text[end] === "(") depth++;
      if (text[end] === ")" && --depth === 0) break;
    }
    out.push(text.slice(at, end + 1));
  }
  return out;
}

describe("unit tests run on the injected clock", () => {
  it("no unit test file uses wall time or real timers", async () => {
    const sources = await unitTestSources();
    expect(sources.length).toBeGreaterThanOrEqual(6);
    const hits = sources.flatMap(({ file, text }) => FORBIDDEN.filter((re) => re.test(text)).map((re) => `${file}: ${re.source}`));
    expect(hits).toEqual([]);
  });

  it("every ServiceCore a unit test builds gets a clock", async () => {
    const built = (await unitTestSources()).flatMap(({ file, text }) => constructions(text).map((c) => ({ file, c })));
    expect(built.length).toBeGreaterThanOrEqual(4);
    expect(built.filter(({ c }) => !/\bclock\b/.test(c)).map(({ file, c }) => `${file}: ${c}`)).toEqual([]);
  });

  it("the service's sleeps end only when the manual clock moves", async () => {
    const { parts, made } = fakeParts();
    const clock = new ManualClock();
    made.client.healthAnswer = { class: "unavailable", error: { code: "socket_missing", message: "no socket" } };
    const svc = new ServiceCore(options({ mode: "attach", attachProbeIntervalMs: 60_000 }), { parts, clock, ...recorder() });
    try {
      await svc.start();
      await until(() => clock.pending === 1, "the probe loop asleep");
      const probes = made.client.calls.health;
      // Many event-loop turns pass; a real 60 s timer could not fire in them, and nothing else wakes the loop.
      await until(() => false, "nothing", 200).catch(() => {});
      expect(made.client.calls.health).toBe(probes);
      clock.advance(60_000);
      await until(() => made.client.calls.health === probes + 1, "the next probe");
    } finally {
      await svc.stop();
    }
  });
});
