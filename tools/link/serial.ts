// A ByteLink over a serial port, through the maintained `serialport` package: a board's UART on a
// USB-serial adapter or a debug probe's virtual COM port. Tests pass @serialport/binding-mock.
import { SerialPort } from "serialport";
import type { ByteLink } from "./byte-link.js";
import { ConnectError } from "./tcp.js";

export const DEFAULT_BAUD = 115200;

/** What openSerial needs of a port: serialport's SerialPort, or its SerialPortMock in tests. */
export interface SerialPortLike {
  open(callback: (err: Error | null) => void): void;
  on(event: "data", listener: (data: Buffer) => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  write(data: Buffer): unknown;
  close(): unknown;
  readonly isOpen: boolean;
}
export type SerialPortFactory = (options: { path: string; baudRate: number; autoOpen: false }) => SerialPortLike;

const realPort: SerialPortFactory = (options) => new SerialPort(options);

export async function openSerial(path: string, baudRate = DEFAULT_BAUD, makePort: SerialPortFactory = realPort): Promise<ByteLink> {
  const port = makePort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err: Error | null) => {
      if (!err) return resolve();
      const text = err.message;
      reject(new ConnectError(/ENOENT|No such file/i.test(text)
        ? `no serial port at ${path}: check the cable and the device name (ls /dev/tty*)`
        : /EACCES|Permission denied/i.test(text)
          ? `cannot open ${path}: permission denied (add yourself to the dialout group, or check the port's permissions)`
          : `cannot open ${path}: ${text}`));
    }),
  );
  const closeListeners: ((reason: Error | undefined) => void)[] = [];
  let failure: Error | undefined;
  port.on("error", (err: Error) => (failure = err));
  port.on("close", () => closeListeners.forEach((l) => l(failure)));
  return {
    description: path,
    write: (bytes) => void port.write(Buffer.from(bytes)),
    onData: (listener) => void port.on("data", (b: Buffer) => listener(new Uint8Array(b.buffer, b.byteOffset, b.length))),
    onClose: (listener) => void closeListeners.push(listener),
    close: () => {
      if (port.isOpen) port.close();
    },
  };
}
