import { connect, type Socket } from "node:net";
import { readFile } from "node:fs/promises";

/** What a raw connection saw: the bytes the server sent, whether it closed, and how much we managed to write. */
export interface RawResult { received: string; closedByServer: boolean; written: number; error?: string }

/** The status codes of every HTTP response head in `raw`, in order. */
export function statuses(raw: string): number[] {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

/** The JSON bodies of every response in `raw` (content-length framed). */
export function jsonBodies(raw: string): unknown[] {
  const out: unknown[] = [];
  let rest = raw;
  for (;;) {
    const head = rest.indexOf("\r\n\r\n");
    if (head < 0) return out;
    const len = /content-length: (\d+)/i.exec(rest.slice(0, head));
    const n = len ? Number(len[1]) : 0;
    const body = rest.slice(head + 4, head + 4 + n);
    if (/content-type: application\/json/i.test(rest.slice(0, head))) out.push(JSON.parse(body));
    rest = rest.slice(head + 4 + n);
  }
}

/**
 * Opens a raw connection to `socketPath`, lets `drive` write to it, and resolves
 * when the server closes it or `ms` pass (then it is destroyed and
 * `closedByServer` is false). Never rejects on socket errors: EPIPE (the server
 * closed while we were still writing) is a close, with `error` set.
 */
export function rawConnection(socketPath: string, drive: (s: Socket, state: { written: number; closed: boolean }) => void, ms = 30_000): Promise<RawResult> {
  return new Promise((resolve) => {
    const s = connect(socketPath);
    const chunks: Buffer[] = [];
    const state = { written: 0, closed: false };
    let done = false;
    let error: string | undefined;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      state.closed = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ received: Buffer.concat(chunks).toString("latin1"), closedByServer, written: state.written, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(false), ms);
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("end", () => finish(true));
    s.on("close", () => finish(true));
    s.on("error", (e: NodeJS.ErrnoException) => { error = e.code ?? e.message; finish(true); });
    s.once("connect", () => drive(s, state));
  });
}

/** Resident set size of a process, in bytes (Linux /proc). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb ? Number(kb[1]) * 1024 : 0;
}

/** Peak resident set size of a process so far, in bytes (Linux /proc VmHWM). */
export async function peakRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = /VmHWM:\s+(\d+) kB/.exec(status);
  return kb ? Number(kb[1]) * 1024 : 0;
}
