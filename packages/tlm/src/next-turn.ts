/** Resolves on the next turn of the event loop (after pending I/O): what a warm-up awaits between two slices of work. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
