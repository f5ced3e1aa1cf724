// The demo's devices on a wire (`sim serve`: the same protocol a board speaks on its UART). A
// developer's board takes the internal release with the dev tools (`send --from`: the channel's
// signed index checked, the bundle checked against it, then Pigweed's pw_rpc/pw_transfer); the
// lab's bench board joins the fleet through `fleet gateway`, which checks in for it.
import { startService, type Service } from "./services.js";
import { announce, run, runJson } from "./steps.js";

export interface WireDemo {
  at: (name: string) => string;
  board: string;
  product: string;
  hardwareId: string;
  /** The factory image (relative to the demo directory). */
  v1: string;
}

/** Provisions a board with the factory image and puts it on a TCP "UART". */
export async function startWireDevice(demo: WireDemo, name: string, what: string): Promise<Service> {
  await run(`provision the ${what} (default board) with the root and firmware v1`, ["sim", "init", "--flash", demo.at(`${name}.flash`), "--board", demo.board, "--root", demo.at("root.bin"), `app=${demo.at(demo.v1)}`, "--force"]);
  announce(`put the ${what} on a wire: Pigweed's pw_hdlc/pw_rpc/pw_transfer over TCP, firmware that confirms itself once healthy`);
  return startService(what, ["sim", "serve", "--flash", demo.at(`${name}.flash`), "--tcp", "127.0.0.1:0", "--auto-confirm"]);
}

/** The dev tools' local update: the internal channel's current release, sent over the wire. */
export async function localUpdate(demo: WireDemo, repositoryUrl: string, device: Service): Promise<void> {
  const tcp = `127.0.0.1:${device.port}`;
  await runJson<{ result: string; state: string; bundleBytes: number }>(
    "update the dev board over the wire from the internal channel (index and bundle checked first)",
    ["send", "--from", repositoryUrl, "--channel", "internal", "--release-key", demo.at("release.pub"), "--product", demo.product, "--hardware", demo.hardwareId, "--state", demo.at("dev-board-index-state.json"), "--tcp", tcp, "--json"],
    (r) => `${r.state} ${r.result}, ${r.bundleBytes} bytes`,
    false,
  );
  await runJson<{ slot: string; trial: boolean; targetsVersion: number }>("ask the dev board what it runs", ["device", "info", "--tcp", tcp, "--json"], (i) => `slot ${i.slot.toUpperCase()}, targets v${i.targetsVersion}${i.trial ? " on trial" : ", confirmed"}`, false);
}
