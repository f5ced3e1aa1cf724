// Roots that list small-order or non-canonically encoded Ed25519 keys are refused when they would
// become trusted (provisioning, rotation): RFC 8032 verification accepts signatures under such
// keys that anyone can forge. @noble/ed25519 is the oracle for which encodings are small order.
import * as noble from "@noble/ed25519";
import { describe, expect, it } from "vitest";
import { ERR_KEY_WEAK } from "../assembly/status.js";
import { loadBoard } from "../host-sim/boards.js";
import { AgentError } from "../host-sim/index.js";
import { keyIdOf, type PublicKey } from "../tools/format/index.js";
import { cast, image, makeBundle, makeRoot } from "./helpers/fixtures.js";
import { manufacture, powerOn } from "./helpers/device.js";

const hex = (text: string) => Uint8Array.from(Buffer.from(text, "hex"));
const weak = (raw: Uint8Array): PublicKey => ({ type: "ed25519", raw, keyId: keyIdOf(raw, "ed25519") });

// The eight small-order points (canonical encodings), and encodings with y >= p.
const SMALL_ORDER = [
  "0100000000000000000000000000000000000000000000000000000000000000", // identity
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2 (y = -1)
  "0000000000000000000000000000000000000000000000000000000000000000", // order 4
  "0000000000000000000000000000000000000000000000000000000000000080", // order 4
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
];
const NON_CANONICAL = [
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p (0)
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p + 1 (1)
  "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = 2^255 - 1
];
const board = loadBoard("nrf52840");
const people = cast();

describe("the oracle agrees these are the small-order points", () => {
  it.each(SMALL_ORDER)("%s has small order (@noble/ed25519)", (encoding) => {
    expect(noble.Point.fromBytes(hex(encoding)).isSmallOrder()).toBe(true);
  });
});

describe("provisioning refuses a root listing a weak key", () => {
  for (const [what, encodings] of [["small-order", SMALL_ORDER], ["non-canonical", NON_CANONICAL]] as const) {
    it.each(encodings)(`${what} %s as a targets key: ERR_KEY_WEAK`, async (encoding) => {
      const root = makeRoot({ rootKeys: [people.devRoot], targetsKeys: [people.devTargets, weak(hex(encoding)) as never], version: 1 });
      const refused = await manufacture(board, root, { app: image("v1", 2000) }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(AgentError);
      expect((refused as AgentError).code).toBe(ERR_KEY_WEAK);
    });
  }

  it("accepts the same root shape with sound keys (the check is not refusing everything)", async () => {
    await manufacture(board, makeRoot({ rootKeys: [people.devRoot], targetsKeys: [people.devTargets], version: 1 }), { app: image("v1", 2000) });
  });
});

describe("rotation refuses a new root listing a weak key, the device unchanged", () => {
  it.each([SMALL_ORDER[4]!, NON_CANONICAL[1]!])("%s as a root key of the new root: ERR_KEY_WEAK", async (encoding) => {
    const flash = await manufacture(board, people.rootV1, { app: image("v1", 2000) });
    const rootV2 = makeRoot({ rootKeys: [people.prodRoot, weak(hex(encoding)) as never], targetsKeys: [people.prodTargets], version: 2, signers: [people.devRoot, people.prodRoot] });
    const session = await powerOn(board, flash);
    const before = session.report;
    const bundle = makeBundle({ targetsVersion: 2, payloads: { app: image("v2", 2000) }, signers: [people.prodTargets], root: rootV2 });
    expect(await session.update(bundle)).toBe(ERR_KEY_WEAK);
    expect((await powerOn(board, flash)).report).toEqual(before);
  });
});
