// The agent built per signature scheme (asconfig targets "ed25519", "p256" and "release" = both;
// assembly/crypto/schemes.ts): each variant installs what its scheme signs, refuses a root that
// lists a key of the scheme it lacks by name (ERR_KEY_TYPE_UNSUPPORTED) with the device left as it
// was, exports the same ABI, and carries none of the missing scheme's code. The variants are
// rebuilt here when older than the agent's sources, so the test always checks the current code.
import { beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadBoard } from "../host-sim/index.js";
import { AgentError, SimDevice } from "../host-sim/device.js";
import { NorFlash } from "../host-sim/flash.js";
import { instantiateAgent, AGENT_WASM_URL, AGENT_ED25519_WASM_URL, AGENT_P256_WASM_URL } from "../host-sim/agent-module.js";
import { refusingFlashPort } from "../host-sim/flash-port.js";
import { ERR_KEY_TYPE_UNSUPPORTED, OK } from "../assembly/status.js";
import type { SigningKey } from "../tools/format/index.js";
import { keyFromLabel, makeBundle, makeRoot, p256Key, sha256Hex } from "./helpers/fixtures.js";
import { manufacture, powerOn, codeName } from "./helpers/device.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const board = loadBoard("nrf52840");
const v1 = new Uint8Array(5000).fill(1);
const v2 = Uint8Array.from({ length: 9000 }, (_, i) => (i * 7) & 0xff);

/** The budget the README states for the default build (both schemes). */
const BOTH_MAX_BYTES = 48 * 1024;

type Scheme = "ed25519" | "p256";
interface Variant {
  name: string;
  target: string;
  wasm: URL;
  schemes: Scheme[];
}
const BOTH: Variant = { name: "both", target: "release", wasm: AGENT_WASM_URL, schemes: ["ed25519", "p256"] };
const ED25519: Variant = { name: "ed25519", target: "ed25519", wasm: AGENT_ED25519_WASM_URL, schemes: ["ed25519"] };
const P256: Variant = { name: "p256", target: "p256", wasm: AGENT_P256_WASM_URL, schemes: ["p256"] };
const VARIANTS = [BOTH, ED25519, P256];

const watOf = (v: Variant) => fileURLToPath(v.wasm).replace(/\.wasm$/, ".wat");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtAfter(path: string, time: number): boolean {
  try {
    return statSync(path).mtimeMs >= time;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const sources = Math.max(newestSource(join(root, "assembly")), statSync(join(root, "asconfig.json")).mtimeMs);
  // One after another: the machine that runs the suite may have only two cores.
  for (const v of VARIANTS) {
    if (builtAfter(fileURLToPath(v.wasm), sources) && builtAfter(watOf(v), sources)) continue;
    await promisify(execFile)(join(root, "node_modules/.bin/asc"), ["assembly/index.ts", "--target", v.target], { cwd: root });
  }
}, 120_000);

function keyOf(scheme: Scheme, label: string): SigningKey {
  return scheme === "ed25519" ? keyFromLabel(`variants ${label}`) : p256Key();
}

/** A trusted root v1 of `scheme` and a bundle of v2 signed by its targets key. */
function world(scheme: Scheme) {
  const rootKey = keyOf(scheme, "root"), targetsKey = keyOf(scheme, "targets");
  const rootV1 = makeRoot({ rootKeys: [rootKey], targetsKeys: [targetsKey], version: 1 });
  const bundle = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [targetsKey] });
  return { rootKey, rootV1, bundle };
}

/** A bundle that rotates `from`'s root to one of `to` keys and is signed by the new targets key. */
function rotatingBundle(from: ReturnType<typeof world>, to: Scheme): Uint8Array {
  const newRoot = keyOf(to, "new root"), newTargets = keyOf(to, "new targets");
  const rootV2 = makeRoot({ rootKeys: [newRoot], targetsKeys: [newTargets], version: 2, signers: [from.rootKey, newRoot] });
  return makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [newTargets], root: rootV2 });
}

for (const variant of VARIANTS) {
  const missing = (["ed25519", "p256"] as Scheme[]).filter((s) => !variant.schemes.includes(s));

  describe(`the ${variant.name} variant (${fileURLToPath(variant.wasm).slice(root.length)})`, () => {
    it.each(variant.schemes)("installs a bundle signed with %s keys", async (scheme) => {
      const w = world(scheme);
      const flash = await manufacture(board, w.rootV1, { app: v1 }, variant.wasm);
      expect(codeName(await (await powerOn(board, flash, variant.wasm)).update(w.bundle))).toBe("OK");
      const after = await powerOn(board, flash, variant.wasm);
      expect(after.report.images.app).toBe(sha256Hex(v2));
      expect(after.report.targetsVersion).toBe(2);
    });

    if (missing.length === 0) {
      it("rotates between the two key types in both directions", async () => {
        for (const [from, to] of [["ed25519", "p256"], ["p256", "ed25519"]] as Scheme[][]) {
          const w = world(from!);
          const flash = await manufacture(board, w.rootV1, { app: v1 }, variant.wasm);
          expect(codeName(await (await powerOn(board, flash, variant.wasm)).update(rotatingBundle(w, to!)))).toBe("OK");
          expect((await powerOn(board, flash, variant.wasm)).report.rootVersion).toBe(2);
        }
      });
    }

    it.each(missing)("refuses a bundle whose root and signature are %s (ERR_KEY_TYPE_UNSUPPORTED), device unchanged", async (scheme) => {
      const w = world(variant.schemes[0]!);
      const bundle = rotatingBundle(w, scheme);
      // The same bundle installs on the variant with both schemes: only the scheme is missing.
      const control = await manufacture(board, w.rootV1, { app: v1 }, BOTH.wasm);
      expect(codeName(await (await powerOn(board, control, BOTH.wasm)).update(bundle))).toBe("OK");

      const flash = await manufacture(board, w.rootV1, { app: v1 }, variant.wasm);
      const before = (await powerOn(board, flash, variant.wasm)).report;
      const session = await powerOn(board, flash, variant.wasm);
      expect(codeName(await session.update(bundle))).toBe("ERR_KEY_TYPE_UNSUPPORTED");
      expect(session.lastOutcome?.error).toBe(ERR_KEY_TYPE_UNSUPPORTED);
      const after = (await powerOn(board, flash, variant.wasm)).report;
      expect(after).toEqual(before);
      expect(after).toMatchObject({ rootVersion: 1, targetsVersion: 1, pending: false, images: { app: sha256Hex(v1) } });
    });

    it.each(missing)("refuses to be provisioned with a root of %s keys, and stays unprovisioned", async (scheme) => {
      const flash = new NorFlash(board.flash);
      const refused = await new SimDevice(flash, board, undefined, variant.wasm).provision(world(scheme).rootV1, { app: v1 }, { targetsVersion: 1 })
        .then(() => undefined, (e: unknown) => e);
      expect(refused).toBeInstanceOf(AgentError);
      expect((refused as AgentError).codeName).toBe("ERR_KEY_TYPE_UNSUPPORTED");
      const retry = world(variant.schemes[0]!);
      const booted = await new SimDevice(flash, board, undefined, variant.wasm).provision(retry.rootV1, { app: v1 }, { targetsVersion: 1 });
      expect(booted.rootVersion).toBe(1);
    });

    it("exports the same ABI as the default build; a missing scheme's calls answer ERR_KEY_TYPE_UNSUPPORTED", async () => {
      const names = (url: URL) => WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(url))).map((e) => `${e.kind} ${e.name}`);
      expect(names(variant.wasm)).toEqual(names(BOTH.wasm));
      const agent = await instantiateAgent(refusingFlashPort, variant.wasm);
      const x = agent.exports;
      // Garbage keys and signatures: a present scheme refuses them with its own code, never this one.
      const calls: Record<Scheme, number[]> = {
        ed25519: [x.ed25519_verify(0), x.ed25519_verify_init(), x.ed25519_verify_update(0), x.ed25519_verify_final()],
        p256: [x.p256_verify_digest()],
      };
      for (const scheme of ["ed25519", "p256"] as Scheme[]) {
        for (const rc of calls[scheme]) {
          if (missing.includes(scheme)) expect(rc).toBe(ERR_KEY_TYPE_UNSUPPORTED);
          else expect(rc).not.toBe(ERR_KEY_TYPE_UNSUPPORTED);
        }
      }
      // The hash surface stays whole in every variant.
      x.sha256_init();
      expect(x.sha256_final()).toBe(OK);
      expect(Buffer.from(agent.io().subarray(0, 32)).toString("hex")).toBe(sha256Hex(new Uint8Array(0)));
    });
  });
}

describe("variant sizes and contents", () => {
  const bytes = (v: Variant) => statSync(v.wasm).size;
  // Functions by their module: asc names each $assembly/<path>/<name>.
  const functions = (v: Variant) => [...readFileSync(watOf(v), "utf8").matchAll(/^ \(func \$assembly\/(\S+)/gm)].map((m) => m[1]!);
  const ED25519_MODULES = /^crypto\/(ed25519|field|point|scalar|base-table)\//;
  const P256_MODULES = /^crypto\/p256\//;

  it(`the default build (both schemes) stays within ${BOTH_MAX_BYTES} bytes; each single-scheme build is smaller`, () => {
    expect(bytes(BOTH)).toBeLessThanOrEqual(BOTH_MAX_BYTES);
    expect(bytes(ED25519)).toBeLessThan(bytes(BOTH));
    expect(bytes(P256)).toBeLessThan(bytes(BOTH));
  });

  it("a variant holds no function of the scheme it leaves out; the default build holds both", () => {
    expect(functions(BOTH).filter((f) => ED25519_MODULES.test(f)).length).toBeGreaterThan(5);
    expect(functions(BOTH).filter((f) => P256_MODULES.test(f)).length).toBeGreaterThan(5);
    expect(functions(ED25519).filter((f) => P256_MODULES.test(f))).toEqual([]);
    expect(functions(P256).filter((f) => ED25519_MODULES.test(f))).toEqual([]);
  });
});
