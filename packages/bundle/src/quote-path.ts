// JSON.stringify escapes C0 controls but not DEL, C1 or bidirectional overrides.
const UNSAFE_FOR_TERMINALS = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Renders an untrusted path for a message: quoted, escaped (C0, DEL, C1, bidi controls), bounded. */
export function quotePath(p: string): string {
  return JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}…` : p).replace(
    UNSAFE_FOR_TERMINALS,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
