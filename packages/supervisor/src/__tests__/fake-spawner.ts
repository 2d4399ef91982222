import type { ExitInfo, ReadyResult, Spawner } from "../types";
import type { FakeClock } from "./fake-clock";

/** How one fake child behaves. */
export interface ChildScript {
  /** Virtual ms spawn takes (ignoring its signal). */
  spawnAfterMs?: number;
  /** Throw from spawn with this reason (`null`: a plain Error without reason). */
  spawnThrows?: string | null;
  /** Virtual ms until waitReady answers. */
  readyAfterMs?: number;
  /** What waitReady answers (default ok). */
  ready?: ReadyResult;
  /** waitReady never answers and ignores its signal. */
  readyHangs?: boolean;
  /** After ready, exit after this many virtual ms (default: never). */
  exitAfterMs?: number;
  exit?: ExitInfo;
}

export type SpawnerEvent =
  | { type: "spawn"; child: number; t: number }
  | { type: "waitReady"; child: number; t: number; ceilingMs: number }
  | { type: "shutdown"; child: number; t: number; graceMs: number };

/** A scripted Spawner in virtual time; the last script repeats forever. */
export class FakeSpawner implements Spawner {
  readonly events: SpawnerEvent[] = [];
  child = 0;
  #exitResolve: ((e: ExitInfo) => void) | null = null;
  #exitP: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  #alive = false;

  constructor(
    private readonly clock: FakeClock,
    private readonly scripts: ChildScript[],
  ) {}

  get alive(): boolean {
    return this.#alive;
  }

  #script(): ChildScript {
    return this.scripts[Math.min(this.child - 1, this.scripts.length - 1)] ?? {};
  }

  spawns(): number {
    return this.events.filter((e) => e.type === "spawn").length;
  }

  async spawn(_signal: AbortSignal): Promise<void> {
    if (this.#alive) throw new Error("FakeSpawner: spawn while a child is alive (not shut down)");
    this.child++;
    this.events.push({ type: "spawn", child: this.child, t: this.clock.now() });
    const s = this.#script();
    if (s.spawnAfterMs) await this.clock.timer(s.spawnAfterMs);
    if (s.spawnThrows !== undefined) {
      throw Object.assign(new Error(`spawn failed: ${s.spawnThrows}`), s.spawnThrows === null ? {} : { reason: s.spawnThrows });
    }
    this.#alive = true;
    this.#exitP = new Promise<ExitInfo>((r) => (this.#exitResolve = r));
  }

  async waitReady(signal: AbortSignal, ceilingMs: number): Promise<ReadyResult> {
    this.events.push({ type: "waitReady", child: this.child, t: this.clock.now(), ceilingMs });
    const s = this.#script();
    if (s.readyHangs) return new Promise<ReadyResult>(() => undefined);
    try {
      await this.clock.timer(s.readyAfterMs ?? 0, signal);
    } catch (_e) {
      return { ok: false, reason: "timeout" };
    }
    const r = s.ready ?? { ok: true };
    if (!r.ok && r.reason === "exited") this.#exit(r.exit ?? { code: 1, signal: null });
    if (r.ok && s.exitAfterMs !== undefined) {
      const me = this.child;
      void this.clock.timer(s.exitAfterMs).then(() => {
        if (this.child === me) this.#exit(s.exit ?? { code: null, signal: "SIGKILL" });
      });
    }
    return r;
  }

  wait(): Promise<ExitInfo> {
    return this.#exitP;
  }

  async shutdown(graceMs: number): Promise<void> {
    this.events.push({ type: "shutdown", child: this.child, t: this.clock.now(), graceMs });
    this.#exit({ code: null, signal: "SIGTERM" });
  }

  #exit(e: ExitInfo): void {
    this.#alive = false;
    this.#exitResolve?.(e);
    this.#exitResolve = null;
  }
}
