// A byte link to one device: a TCP socket, a serial port, or a test's fault-injecting pipe.
export interface ByteLink {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Called once when the link ends (the peer closed it, an error, or close()). */
  onClose(listener: (reason: Error | undefined) => void): void;
  close(): void;
  /** Where the link goes, for messages ("127.0.0.1:33000", "/dev/ttyACM0"). */
  readonly description: string;
}

export class LinkClosedError extends Error {
  constructor(readonly link: string, readonly reason?: Error) {
    super(`the link to ${link} closed${reason ? `: ${reason.message}` : ""}`);
    this.name = "LinkClosedError";
  }
}
