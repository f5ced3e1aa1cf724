// A ByteLink over TCP (node:net): `airlock sim serve`, or a board's UART bridged to a socket.
import { connect } from "node:net";
import type { ByteLink } from "./byte-link.js";

export class ConnectError extends Error {}

export function connectTcp(host: string, port: number, timeoutMs = 5000): Promise<ByteLink> {
  const description = `${host}:${port}`;
  return new Promise<ByteLink>((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectError(`no device at ${description}: the connection timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ConnectError(err.code === "ECONNREFUSED"
        ? `no device at ${description}: nothing listens there (start one with \`airlock sim serve --flash DEV --tcp ${description}\`)`
        : `cannot reach ${description}: ${err.message}`));
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      const closeListeners: ((reason: Error | undefined) => void)[] = [];
      let failure: Error | undefined;
      socket.on("error", (err) => (failure = err));
      socket.on("close", () => closeListeners.forEach((l) => l(failure)));
      resolve({
        description,
        write: (bytes) => void socket.write(bytes),
        onData: (listener) => void socket.on("data", (b: Buffer) => listener(new Uint8Array(b.buffer, b.byteOffset, b.length))),
        onClose: (listener) => void closeListeners.push(listener),
        close: () => void socket.destroy(),
      });
    });
  });
}
