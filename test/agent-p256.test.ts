// ECDSA P-256 in the agent's TUF checks: a root may list P-256 keys (Pigweed's keyval, key IDs as
// keys.py computes them), thresholds may mix P-256 and Ed25519 keys, rotation works across key
// types, and a root about to be trusted may not list a P-256 "key" off the curve (ERR_KEY_WEAK).
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { loadBoard } from "../host-sim/index.js";
import { keyIdOf, type PublicKey } from "../tools/format/index.js";
import { cast, makeBundle, makeRoot, p256Key } from "./helpers/fixtures.js";
import { manufacture, powerOn, codeName } from "./helpers/device.js";

const board = loadBoard("nrf52840");
const v1 = new Uint8Array(5000).fill(1);
const v2 = Uint8Array.from({ length: 9000 }, (_, i) => (i * 5) & 0xff);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function installs(root: Uint8Array, bundle: Uint8Array): Promise<string> {
  const flash = await manufacture(board, root, { app: v1 });
  const session = await powerOn(board, flash);
  const rc = await session.update(bundle);
  if (rc !== 0) return codeName(rc);
  const after = await powerOn(board, flash);
  return after.report.images.app === sha(v2) ? "installed" : "wrong image";
}

describe("P-256 keys in root and targets metadata", () => {
  it("a P-256-only root and a bundle signed with P-256 install; another P-256 key's signature does not", async () => {
    const root = p256Key(), targets = p256Key(), stranger = p256Key();
    const trusted = makeRoot({ rootKeys: [root], targetsKeys: [targets], version: 1 });
    expect(await installs(trusted, makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [targets] }))).toBe("installed");
    expect(await installs(trusted, makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [stranger] }))).toBe("ERR_TARGETS_NOT_SIGNED");
  });

  it("a threshold of 2 mixing a P-256 and an Ed25519 key needs both", async () => {
    const c = cast();
    const p = p256Key();
    const trusted = makeRoot({ rootKeys: [c.devRoot], targetsKeys: [p, c.devTargets], targetsThreshold: 2, version: 1 });
    expect(await installs(trusted, makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [p, c.devTargets] }))).toBe("installed");
    expect(await installs(trusted, makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [p] }))).toBe("ERR_TARGETS_NOT_SIGNED");
    expect(await installs(trusted, makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [c.devTargets] }))).toBe("ERR_TARGETS_NOT_SIGNED");
  });

  it("rotates from an Ed25519 root to a P-256 one (signed by old and new root keys)", async () => {
    const c = cast();
    const newRoot = p256Key(), newTargets = p256Key();
    const rootV2 = makeRoot({ rootKeys: [newRoot], targetsKeys: [newTargets], version: 2, signers: [c.devRoot, newRoot] });
    const bundle = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [newTargets], root: rootV2 });
    expect(await installs(c.rootV1, bundle)).toBe("installed");
    // Without the new root key's own signature the rotation is refused.
    const unsigned = makeRoot({ rootKeys: [newRoot], targetsKeys: [newTargets], version: 2, signers: [c.devRoot] });
    expect(await installs(c.rootV1, makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [newTargets], root: unsigned }))).toMatch(/^ERR_/);
  });

  it("refuses a new root listing a P-256 point off the curve (ERR_KEY_WEAK)", async () => {
    const c = cast();
    const good = p256Key();
    const raw = Uint8Array.from(good.raw);
    raw[64] ^= 1; // y no longer satisfies the curve equation
    const offCurve: PublicKey = { type: "p256", raw, keyId: keyIdOf(raw, "p256") };
    const rootV2 = makeRoot({ rootKeys: [c.devRoot], targetsKeys: [offCurve as never, c.devTargets], version: 2, signers: [c.devRoot] });
    expect(await installs(c.rootV1, makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [c.devTargets], root: rootV2 }))).toBe("ERR_KEY_WEAK");
  });
});
