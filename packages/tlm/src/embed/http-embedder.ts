import { type Embedder, normalise } from "./embedder";
import { TlmError } from "../errors";

/** Options of {@link HttpEmbedder}. */
export interface HttpEmbedderOptions {
  /** Base URL (`http://127.0.0.1:11434`) or the full `.../v1/embeddings` URL of an OpenAI-compatible server. */
  url: string;
  /** Model name sent as `model`; the embedder id is `openai-compatible:<model>`. */
  model: string;
  /** Per-request timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /** Largest accepted response body. Default 64 MiB. */
  maxResponseBytes?: number;
}

/** The id an endpoint embedder records in bundles: `openai-compatible:<model>`. */
export function httpEmbedderId(model: string): string {
  return `openai-compatible:${model}`;
}

/** Resolves the embeddings URL: a URL already ending in `/embeddings` is used as is, else `/v1/embeddings` is appended. */
export function embeddingsUrl(url: string): URL {
  const u = new URL(url);
  if (!/\/embeddings\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, "")}/v1/embeddings`;
  return u;
}

async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) throw new Error(`response larger than ${max} bytes`);
  if (!res.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new Error(`response larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * An embedder behind an OpenAI-compatible `POST /v1/embeddings` (Ollama,
 * llama.cpp server, vLLM...): `{model, input: [texts]}` → `{data: [{index,
 * embedding}]}`. Sends no credentials. Rejects with `TlmError`
 * `TLM_EMBEDDER_UNAVAILABLE` on a network error, timeout, non-2xx status or a
 * malformed answer (the message never carries the texts).
 */
export class HttpEmbedder implements Embedder {
  readonly id: string;
  private readonly url: URL;
  private readonly model: string;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(options: HttpEmbedderOptions) {
    const opts = Object.freeze({ __proto__: null, ...options }) as HttpEmbedderOptions;
    this.url = embeddingsUrl(opts.url);
    this.model = opts.model;
    this.id = httpEmbedderId(opts.model);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxBytes = opts.maxResponseBytes ?? 64 * 1024 * 1024;
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let text: string;
    let status: number;
    try {
      const res = await fetch(this.url, {
        method: "POST", signal: both, redirect: "error",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ model: this.model, input: texts }),
      });
      status = res.status;
      text = await readCapped(res, this.maxBytes);
    } catch (cause) {
      const why = timeout.aborted ? `timed out after ${this.timeoutMs} ms` : signal?.aborted ? "aborted" : (cause as Error).message;
      throw new TlmError("TLM_EMBEDDER_UNAVAILABLE", `embedding endpoint ${this.url.origin}: ${why}`, { cause });
    }
    if (status < 200 || status > 299) throw new TlmError("TLM_EMBEDDER_UNAVAILABLE", `embedding endpoint ${this.url.origin} answered ${status}`);
    return parseEmbeddings(text, texts.length, this.url.origin);
  }
}

/** Validates an OpenAI-style embeddings answer for `n` inputs: same length everywhere, finite numbers; unit-normalised. */
export function parseEmbeddings(body: string, n: number, origin = "endpoint"): Float32Array[] {
  const bad = (why: string): TlmError => new TlmError("TLM_EMBEDDER_UNAVAILABLE", `embedding endpoint ${origin}: ${why}`);
  let json: unknown;
  try { json = JSON.parse(body); } catch { throw bad("answer is not JSON"); }
  const data = (json as { data?: unknown }).data;
  if (!Array.isArray(data) || data.length !== n) throw bad(`expected ${n} embeddings`);
  const out: Float32Array[] = new Array<Float32Array>(n);
  let dims = -1;
  data.forEach((item: unknown, i) => {
    const { embedding, index } = (item ?? {}) as { embedding?: unknown; index?: unknown };
    const at = typeof index === "number" && Number.isInteger(index) ? index : i;
    if (at < 0 || at >= n || out[at] !== undefined) throw bad("embedding indexes are not 0..n-1");
    if (!Array.isArray(embedding) || embedding.length === 0 || embedding.length > 4096) throw bad("embedding is not an array of 1..4096 numbers");
    if (dims !== -1 && embedding.length !== dims) throw bad("embeddings differ in length");
    dims = embedding.length;
    const v = new Float32Array(dims);
    for (let d = 0; d < dims; d++) {
      const x = embedding[d] as unknown;
      if (typeof x !== "number" || !Number.isFinite(x)) throw bad("embedding holds a non-finite value");
      v[d] = x;
    }
    out[at] = normalise(v);
  });
  return out;
}
