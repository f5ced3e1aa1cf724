// `send` over a serial port: tools/link/serial.ts through serialport 13's SerialPort API, with
// serialport's mock binding (SerialPortMock, @serialport/binding-mock) in place of a UART driver. The mock port's writes go to a simulated
// link device and the device's frames come back as received bytes, so every byte crosses the
// serialport stream in both directions. Also: a missing port is named with the fix.
import { describe, expect, it } from "vitest";
import { SerialPortMock } from "serialport";
import { createHash } from "node:crypto";
import { loadBoard, LinkedDevice } from "../host-sim/index.js";
import { openSerial, sendBundle, ConnectError, type SerialPortFactory } from "../tools/link/index.js";
import { cast, makeBundle } from "./helpers/fixtures.js";
import { manufacture } from "./helpers/device.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("send over a serial port (serialport + binding-mock)", () => {
  it("installs a bundle through the serial stream", async () => {
    const board = loadBoard("nrf52840");
    const c = cast();
    const flash = await manufacture(board, c.rootV1, { app: new Uint8Array(4000).fill(1) });
    const image = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 13) & 0xff);
    const bundle = makeBundle({ targetsVersion: 2, payloads: { app: image }, signers: [c.devTargets] });
    SerialPortMock.binding.createPort("/dev/ttyAIRLOCK0", { echo: false, record: false });

    let port: SerialPortMock | undefined;
    const makePort: SerialPortFactory = (options) => (port = new SerialPortMock(options));
    let deviceOut: (frame: Uint8Array) => void = () => {};
    const device = new LinkedDevice(flash, board, (frame) => deviceOut(frame), { autoConfirm: true });
    await device.powerOn();
    // The device's main loop, in real time.
    let last = performance.now();
    const loop = setInterval(() => {
      const now = performance.now();
      const result = device.step(Math.round(now - last));
      last = now;
      if (result === "off" && !device.powered) void device.powerOn();
    }, 1);
    try {
      const connect = async () => {
        const link = await openSerial("/dev/ttyAIRLOCK0", 115200, makePort);
        const binding = port!.port as unknown as { write(b: Buffer): Promise<void>; emitData(b: Buffer): void };
        // What the host writes reaches the device; what the device sends arrives as received data.
        const write = binding.write.bind(binding);
        binding.write = async (b: Buffer) => {
          await write(b);
          device.receive(new Uint8Array(b));
        };
        deviceOut = (frame) => binding.emitData(Buffer.from(frame));
        return link;
      };
      const report = await sendBundle({ connect, bundle, filename: "serial.bundle", pollMs: 20 });
      expect(report).toMatchObject({ result: "SUCCESS", bytesSent: bundle.length });
      expect(device.bootInfo().images.app).toBe(sha(image));
    } finally {
      clearInterval(loop);
      SerialPortMock.binding.reset();
    }
  }, 60_000);

  it("names a serial port that does not exist", async () => {
    const err = await openSerial("/dev/ttyNOPE", 115200, (o) => new SerialPortMock(o)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as Error).message).toContain("/dev/ttyNOPE");
  });
});
