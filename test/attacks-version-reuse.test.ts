// One targets version means one firmware: at the installed version a bundle is accepted only as a
// repair re-install of exactly what runs; another firmware under that number is refused.
import { describe, expect, it } from "vitest";
import { ERR_TARGETS_VERSION_REUSED, OK } from "../assembly/status.js";
import { loadBoard } from "../host-sim/boards.js";
import { cast, image, makeBundle } from "./helpers/fixtures.js";
import { manufacture, powerOn } from "./helpers/device.js";

const board = loadBoard("nrf52840");
const people = cast();
const v1 = image("v1", 3000);
const userManifest = new TextEncoder().encode("config 1");

async function deviceAtVersion1() {
  const flash = await manufacture(board, people.rootV1, { app: v1 }); // targets version 1
  return { flash, session: await powerOn(board, flash) };
}
const bundleAt1 = (payloads: Record<string, Uint8Array>) => makeBundle({ targetsVersion: 1, payloads, signers: [people.devTargets] });

describe("a bundle at the installed targets version", () => {
  it("re-installs exactly what runs (a repair)", async () => {
    const { session } = await deviceAtVersion1();
    expect(await session.update(bundleAt1({ app: v1 }))).toBe(OK);
  });

  it.each([
    ["another image", { app: image("v1 rebuilt", 3000) }],
    ["the same image plus a user manifest", { app: v1, user_manifest: userManifest }],
    ["an image of another length", { app: image("v1", 3001) }],
  ])("is refused when it carries %s (ERR_TARGETS_VERSION_REUSED), the device unchanged", async (_what, payloads) => {
    const { flash, session } = await deviceAtVersion1();
    const before = session.report;
    expect(await session.update(bundleAt1(payloads))).toBe(ERR_TARGETS_VERSION_REUSED);
    expect((await powerOn(board, flash)).report).toEqual(before);
  });

  it("a higher version with the new image is accepted", async () => {
    const { session } = await deviceAtVersion1();
    expect(await session.update(makeBundle({ targetsVersion: 2, payloads: { app: image("v1 rebuilt", 3000) }, signers: [people.devTargets] }))).toBe(OK);
  });
});
