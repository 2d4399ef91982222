/** The real clock (`Date.now` and an abortable `setTimeout`) has one home: `@recall/ports`. */
export { realClock } from "@recall/ports";
