import type { Style } from "./output";

/** ✓ / ✗ / ! marks, coloured when the style is. ASCII fallbacks when TERM is dumb. */
export function marks(st: Style, env: Record<string, string | undefined>): { ok: string; fail: string; warn: string; info: string } {
  const ascii = env.TERM === "dumb" || env.RECALL_ASCII === "1";
  return {
    ok: st.green(ascii ? "ok" : "✓"),
    fail: st.red(ascii ? "x" : "✗"),
    warn: st.yellow(ascii ? "!" : "!"),
    info: st.dim(ascii ? "-" : "·"),
  };
}
