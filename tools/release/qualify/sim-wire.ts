// sim-wire: the factory device in a device file, served on a local TCP port by the server behind
// `airlock sim serve` (the link variant of the agent, Pigweed's HDLC/RPC/transfer wire), as
// firmware that confirms a trial image once its self-test passes; the bundle goes out with the
// client behind `airlock send`. The device must reboot into the new images by itself, and after
// the server stops, a power-on from the device file must run them, confirmed, with the bundle's
// targets as its manifest.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimDevice, loadDevice, saveDevice, serveDevice } from "../../../host-sim/index.js";
import { SendError, connectTcp, sendBundle } from "../../link/index.js";
import type { BoardCheck } from "./check.js";
import { differences, manufacture, manifestDifferences, type BoardPlan } from "./plan.js";

/** How long the device may take to come back from the reboot into the update. */
const REBOOT_TIMEOUT_MS = 60_000;

export async function simWireSuite(plan: BoardPlan, check: BoardCheck, say: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "airlock-qualify-wire-"));
  const path = join(dir, "device.flash");
  try {
    saveDevice(path, { board: plan.board, flash: await manufacture(plan), counters: {} });
    const boots: string[] = [];
    const server = await serveDevice({ flash: path, host: "127.0.0.1", port: 0, autoConfirm: true, log: (line) => boots.push(line) });
    let rebooted: Promise<void> | undefined;
    try {
      const { host, port } = server.address;
      say(`device served on ${host}:${port}; sending ${plan.bundle.length} bytes`);
      rebooted = untilLine(boots, /^rebooted into the update/, REBOOT_TIMEOUT_MS);
      rebooted.catch(() => {}); // awaited below once the send has succeeded
      let report;
      try {
        report = await sendBundle({ connect: () => connectTcp(host, port), bundle: plan.bundle, filename: "qualify.bundle" });
      } catch (err) {
        if (err instanceof SendError) check.fail(`the wire install failed (${err.code}${err.agentError ? `, ${err.agentError}` : ""}): ${err.message}`);
        throw err;
      }
      check.expect("the device reports the update FINISHED with SUCCESS over the wire", report.state === "FINISHED" && report.result === "SUCCESS" ? [] : [`${report.state} ${report.result}`]);
      check.figure("bundleBytes", report.bundleBytes);
      check.figure("bytesSent", report.bytesSent);
      check.figure("resumes", report.resumes);
      check.figure("sendMs", Math.round(report.durationMs));
      await rebooted;
      check.expect("the device rebooted into the update by itself", []);
    } finally {
      await server.close();
    }
    const image = loadDevice(path);
    const device = new SimDevice(image.flash, image.board);
    const info = await device.powerOn();
    check.expect("a power-on from the device file runs the new images, confirmed by the device", [
      ...(info.trial ? ["still on trial"] : []),
      ...differences(plan, image.flash, info, plan.new),
    ]);
    check.expect("the device's manifest equals the bundle's targets metadata", manifestDifferences(plan, device));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves once a line matching `pattern` is in `lines` (which the server's log appends to). */
function untilLine(lines: string[], pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const look = () => {
      if (lines.some((l) => pattern.test(l))) return resolve();
      if (Date.now() > deadline) return reject(new Error(`the device did not come back from the reboot into the update within ${timeoutMs / 1000} s; it logged: ${lines.join(" / ")}`));
      setTimeout(look, 20);
    };
    look();
  });
}
