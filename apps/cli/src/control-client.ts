import { request } from "node:http";

/** Result of one request to recalld's control socket. */
export type ControlResult =
  | { ok: true; status: number; body: unknown }
  | { ok: false; reason: "absent" | "refused" | "timeout" | "error"; message: string };

/**
 * One HTTP request to recalld's control socket (`daemon.sock`). Never throws:
 * no socket file is `absent`, nobody listening is `refused`, no answer within
 * `timeoutMs` is `timeout`. `body` is the parsed JSON (or the text when not JSON).
 */
export function controlRequest(
  socketPath: string,
  method: "GET" | "POST",
  path: string,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<ControlResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ControlResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request(
      { socketPath, path, method, agent: false, headers: method === "POST" ? { "content-length": "0" } : {}, ...(opts.signal ? { signal: opts.signal } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (e) => finish({ ok: false, reason: "error", message: e.message }));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          finish({ ok: true, status: res.statusCode ?? 0, body });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, reason: "timeout", message: `no answer within ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    req.on("error", (e: NodeJS.ErrnoException) => {
      const reason = e.code === "ENOENT" ? "absent" : e.code === "ECONNREFUSED" ? "refused" : "error";
      finish({ ok: false, reason, message: e.code ?? e.message });
    });
    req.end();
  });
}
