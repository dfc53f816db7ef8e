/**
 * Errors a user can act on. The CLI prints `message` as one line and exits with code 2;
 * anything else is a bug and prints a stack trace with exit code 1.
 */
export class InputError extends Error {
  constructor(
    readonly parameter: string,
    detail: string,
    /** The detail is the whole message (no "--parameter:" prefix), e.g. for a stray argument. */
    whole = false,
  ) {
    super(whole ? detail : `--${parameter}: ${detail}`);
    this.name = 'InputError';
  }
}

/** A computation that left the finite numbers (overflow, NaN), with the layer where it happened. */
export class NumericalError extends Error {
  constructor(
    message: string,
    readonly layer?: number,
  ) {
    super(message);
    this.name = 'NumericalError';
  }
}
