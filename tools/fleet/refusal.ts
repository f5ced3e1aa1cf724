// A request the service understood and refused, with its HTTP status and a stable code for
// clients (the device agent, the console, the CLI), and a message that names the fix.
export class Refusal extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 502,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "Refusal";
  }
}
