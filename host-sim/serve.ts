// `airlock sim serve`: a simulated device that speaks Pigweed's wire protocol over TCP, the way a
// board speaks it over its UART. The device file is the device's flash: the serve loop saves it
// at every boot and whenever the device has gone quiet after flash work, so other `sim` verbs
// (and a later serve) see what a power cut, reset or update left. The device keeps running
// across the connections that come and go, across resets and power cuts: a host that
// reconnects finds it where it was, as a real device would be.
import { createServer, type Server, type Socket } from "node:net";
import { LinkedDevice, type BootReason } from "./linked-device.js";
import { loadDevice, saveDevice, DeviceFileError } from "./device-file.js";
import type { BootInfo } from "./device.js";
import type { PowerCutMode } from "./flash.js";

export interface ServeOptions {
  /** The device file (made by `sim init`). */
  flash: string;
  host: string;
  /** 0 = any free port (the address is in the handle). */
  port: number;
  /** Cut power during the N-th program/erase operation after start (1-based), once. */
  powerCutAt?: number;
  powerCutMode?: PowerCutMode;
  /** Firmware that passes its self-test confirms a trial image at boot. */
  autoConfirm?: boolean;
  /** How long the device stays off after a power cut or before a reboot completes. */
  offMs?: number;
  log?(line: string): void;
}

export interface ServeHandle {
  address: { host: string; port: number };
  device: LinkedDevice;
  /** A reset from the host side (reset pin or watchdog): off, then booted from flash. */
  reset(): Promise<BootInfo>;
  /** Power goes out now and comes back after offMs. */
  powerCut(): void;
  /** Stops listening, saves the device file. */
  close(): Promise<void>;
}

const RUNNING = "running";
/** The device file is saved once the device has done no work and received nothing for this long. */
const SAVE_WHEN_QUIET_MS = 300;

export class ServeError extends Error {}

/** Starts a simulated device on host:port; resolves once it listens and has booted. */
export async function serveDevice(options: ServeOptions): Promise<ServeHandle> {
  let image;
  try {
    image = loadDevice(options.flash);
  } catch (err) {
    if (err instanceof DeviceFileError) throw new ServeError(err.message);
    throw err;
  }
  const log = options.log ?? (() => {});
  const offMs = options.offMs ?? 100;
  let client: Socket | undefined;
  let dirty = false;
  let closed = false;

  const save = () => {
    saveDevice(options.flash, { board: image.board, flash: image.flash, counters: { ...image.counters, [RUNNING]: device.powered ? 1 : 0 } });
    dirty = false;
  };
  const describe = (info: BootInfo) =>
    `slot ${info.slot.toUpperCase()}${info.trial ? " on trial" : ""}, root v${info.rootVersion}, targets v${info.targetsVersion}`;
  const onBoot = (info: BootInfo, reason: BootReason) => {
    log(`${reason === "power-on" ? "booted" : reason === "reset" ? "reset, booted" : "rebooted into the update"}: ${describe(info)}`);
    save();
  };
  const device = new LinkedDevice(image.flash, image.board, (frame) => client?.write(frame), {
    autoConfirm: options.autoConfirm,
    onBoot,
  });
  if (options.powerCutAt !== undefined) image.flash.arm({ atOp: options.powerCutAt, mode: options.powerCutMode ?? "before" });

  // After power went out (an armed cut, a reboot into an update), the device comes back by itself.
  let restarting = false;
  const comeBack = () => {
    // One power-on at a time: while one boots (slowly, on a loaded machine) the device is off,
    // and asking again would reset it the moment it came up.
    if (restarting || closed || device.booting || device.powered) return;
    restarting = true;
    log(`the device is off; it powers on again in ${offMs} ms`);
    setTimeout(() => {
      restarting = false;
      if (closed || device.booting || device.powered) return;
      device.powerOn().catch((err: unknown) => {
        // A power cut armed for the boot itself, or a boot that failed: try again, as power
        // that comes back does; say so each time.
        log(`power-on failed: ${(err as Error).message}`);
        comeBack();
      });
    }, offMs);
  };

  // The main loop: ticks the link's timers, advances verify/install, saves when quiet.
  let last = performance.now();
  let quietSince = last;
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    timer = undefined;
    if (closed) return;
    const now = performance.now();
    const elapsed = Math.max(0, Math.round(now - last));
    last = now;
    // Work in slices of a few ms, as a main loop between other tasks does, then let I/O in.
    let result = device.step(elapsed);
    const sliceEnd = now + 4;
    while (result === "busy" && performance.now() < sliceEnd) result = device.step(0);
    if (result === "busy") dirty = true;
    if (result !== "idle") quietSince = now;
    if (result === "off") {
      if (!device.powered) comeBack();
    } else if (result === "idle" && dirty && now - quietSince >= SAVE_WHEN_QUIET_MS) {
      save(); // a whole-flash write with fsync: only once the device has gone quiet
    }
    if (result === "busy") {
      timer = undefined;
      setImmediate(loop);
    } else {
      timer = setTimeout(loop, 5);
    }
  };

  await device.powerOn("power-on");
  const server: Server = createServer((socket) => {
    // One host at a time: a new connection replaces the old one (a host that crashed and came back).
    if (client) client.destroy();
    client = socket;
    socket.setNoDelay(true);
    device.linkReset();
    log(`host connected from ${socket.remoteAddress}:${socket.remotePort}`);
    socket.on("data", (bytes: Buffer) => {
      device.receive(bytes);
      dirty = true;
      quietSince = performance.now();
      if (!device.powered) comeBack();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (client === socket) client = undefined;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new ServeError(err.code === "EADDRINUSE"
        ? `${options.host}:${options.port} is in use: pick another --tcp port (or 0 for any free one)`
        : `cannot listen on ${options.host}:${options.port}: ${err.message}`)));
    server.listen(options.port, options.host, () => resolve());
  });
  const bound = server.address();
  const address = { host: options.host, port: typeof bound === "object" && bound ? bound.port : options.port };
  loop();

  return {
    address,
    device,
    async reset() {
      const info = await device.reset();
      return info;
    },
    powerCut() {
      device.cut();
      comeBack();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      client?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      save();
    },
  };
}
