/**
 * The pino-compatible logger subset every recall package accepts: a pino
 * logger fits as is, and so does any object with these four methods.
 * `obj` carries structured fields, `msg` the human sentence.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/** A logger that drops everything: the default of every library that takes a `logger`. */
export const noopLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
