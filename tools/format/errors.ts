// The three ways an airlock command can fail, each with its exit code from DESIGN.md's CLI
// contract. Every message is one line that names the cause and the fix.

/** Base class: a failure the CLI reports as one line on stderr with this exit code. */
export class AirlockError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 | 3,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Exit 2: bad usage or bad input (missing file, wrong key type, malformed metadata...). */
export class InputError extends AirlockError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Exit 1: the input was understood and refused (a bundle the device rejects, a failed check). */
export class RejectedError extends AirlockError {
  constructor(
    message: string,
    /** The agent's named error code when the device itself refused, e.g. "ERR_TARGETS_ROLLBACK". */
    readonly code?: string,
  ) {
    super(message, 1);
  }
}

/** Exit 3: a simulated power cut interrupted the command; the device file holds the flash as cut. */
export class PowerCutInterrupt extends AirlockError {
  constructor(message: string) {
    super(message, 3);
  }
}
