/** Process exit codes of `recall` (docs/exit-codes.md). */
export const EXIT = Object.freeze({
  ok: 0,
  error: 1,
  usage: 2,
  unavailable: 3,
} as const);
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
