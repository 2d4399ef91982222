import type { ReadEntry } from "tar";

/**
 * Feeds a tar entry's data to `onChunk` one chunk at a time, pausing the entry
 * (hence the parser, hence the whole pipeline) while `onChunk` works. Settles
 * when the entry ends, or as soon as `stop` aborts and no chunk is in hand;
 * rejects with the entry's stream error or `onChunk`'s rejection (always an `Error`).
 */
export function drainEntry(entry: ReadEntry, stop: AbortSignal, onChunk: (chunk: Buffer) => Promise<void>): Promise<void> {
  return new Promise<void>((resolveDrain, rejectDrain) => {
    let busy = false;
    let ended = false;
    let settled = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      entry.removeListener("data", onData);
      entry.removeListener("end", onEnd);
      entry.removeListener("error", onError);
      stop.removeEventListener("abort", onStop);
      if (err) rejectDrain(err instanceof Error ? err : new Error("entry stream failed", { cause: err }));
      else resolveDrain();
    };
    const onData = (chunk: Buffer): void => {
      busy = true;
      entry.pause();
      onChunk(chunk).then(
        () => {
          busy = false;
          if (stop.aborted) settle();
          else if (ended) settle();
          else entry.resume();
        },
        (err: unknown) => settle(err),
      );
    };
    const onEnd = (): void => {
      ended = true;
      if (!busy) settle();
    };
    const onError = (err: unknown): void => settle(err);
    const onStop = (): void => {
      if (!busy) settle();
    };
    // 'end' and 'error' first: adding a 'data' listener makes a Minipass
    // stream flow at once, and it may end synchronously.
    entry.on("end", onEnd);
    entry.on("error", onError);
    if (stop.aborted) return settle();
    stop.addEventListener("abort", onStop, { once: true });
    entry.on("data", onData);
  });
}
