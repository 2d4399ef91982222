import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { makeOutput } from "../output";
import { ProgressBar } from "../progress";

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const s = Object.assign(new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) }), { isTTY, columns: 80 });
  return { s, chunks };
}

describe("ProgressBar", () => {
  it("renders phase, bar, percent, bytes/total and rate", () => {
    const f = ProgressBar.frame({ phase: "download", bytes: 512 * 1024, total: 1024 * 1024 }, 1000, 100);
    expect(f).toContain("downloading");
    expect(f).toContain(" 50%");
    expect(f).toContain("512 KiB / 1.0 MiB");
    expect(f).toContain("512 KiB/s");
    expect(ProgressBar.frame({ phase: "install", bytes: 0, total: 0 }, 0, 80)).toContain("installing");
  });

  it("draws on a TTY only, throttled by the clock, and clears its line", () => {
    let now = 0;
    const tty = sink(true);
    const out = makeOutput({ stdout: tty.s, stderr: tty.s, env: { NO_COLOR: "1" }, noColor: false, json: false });
    const bar = new ProgressBar(out, { now: () => now });
    bar.update({ phase: "download", bytes: 1, total: 100 });
    now = 10;
    bar.update({ phase: "download", bytes: 2, total: 100 }); // throttled
    now = 200;
    bar.update({ phase: "download", bytes: 100, total: 100 });
    bar.done();
    expect(tty.chunks).toHaveLength(3);
    expect(tty.chunks[2]).toBe("\r\u001b[2K");

    const pipe = sink(false);
    const bar2 = new ProgressBar(makeOutput({ stdout: pipe.s, stderr: pipe.s, env: {}, noColor: false, json: false }));
    bar2.update({ phase: "download", bytes: 1, total: 2 });
    bar2.done();
    expect(pipe.chunks).toEqual([]);
  });
});
