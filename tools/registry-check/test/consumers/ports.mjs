// The @recall/ports README example (retry.mjs: the README's TypeScript, transpiled as is), run by
// registry-check in a project that installed the package from the throwaway registry.
// Prints one JSON line for the test to check.
import { noopAudit, noopLogger, realClock } from "@recall/ports";
import { retry } from "./retry.mjs";

// Injected seams: a clock whose sleep returns at once (advancing time), a logger and an audit sink that record.
let t = 1_000;
const slept = [];
const clock = { now: () => t, sleep: async (ms) => { slept.push(ms); t += ms; } };
const warned = [];
const logger = { debug() {}, info() {}, warn: (obj, msg) => warned.push({ obj, msg }), error() {} };
const events = [];
const audit = { log: (event, fields) => events.push({ event, fields }) };
let calls = 0;
const value = await retry(async () => {
  if (++calls < 3) throw new TypeError("upstream said: key sk-registry-check-secret is wrong");
  return "done";
}, 5, { clock, logger, audit });

// The defaults: realClock really sleeps, noopLogger / noopAudit drop; the last error comes out.
let tries = 0;
const exhausted = await retry(async () => {
  tries++;
  throw new RangeError("always");
}, 2).then(() => null, (e) => e.name);

// An abort while realClock sleeps rejects with signal.reason itself (aborted once the sleep has started).
const ac = new AbortController();
const reason = new Error("caller stopped");
const aborted = await retry(async () => {
  setImmediate(() => ac.abort(reason));
  throw new Error("fails once");
}, 5, { signal: ac.signal }).then(() => "resolved", (e) => (e === reason ? "signal.reason" : String(e)));

console.log(JSON.stringify({
  value,
  calls,
  slept,
  warned: warned.map((w) => [w.msg, w.obj.attempt]),
  events,
  leaked: JSON.stringify({ warned, events }).includes("sk-registry-check-secret"),
  exhausted,
  tries,
  aborted,
  defaults: {
    frozen: [noopLogger, noopAudit, realClock].every((o) => Object.isFrozen(o)),
    dropped: noopLogger.error({ x: 1 }, "m") === undefined && noopAudit.log("e", {}) === undefined,
    now: Math.abs(realClock.now() - Date.now()) < 60_000,
  },
}));
