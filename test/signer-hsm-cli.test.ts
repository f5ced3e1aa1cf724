// `airlock signer hsm keygen|list` on a throwaway SoftHSM 2 token: the key pair is made on the
// token, only its public key comes out (and the signing service then signs with the same key
// ID), the PIN never comes from an argument, and mistakes exit 2 with the fix.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Pkcs11Signer } from "../tools/signer/index.js";
import { hex, loadPublicKey, verifyBytes } from "../tools/format/index.js";
import { airlock } from "./helpers/cli-run.js";
import { createSoftHsm, softHsmAvailable, type SoftHsm } from "./helpers/softhsm.js";

const available = softHsmAvailable();

describe.skipIf(!available)("airlock signer hsm", () => {
  let hsm: SoftHsm;
  let pinFile: string;
  const PIN = "2468-user";
  beforeAll(() => {
    hsm = createSoftHsm();
    hsm.initToken("cli-token", PIN);
    pinFile = hsm.pinFile("pin", PIN);
  });
  afterAll(() => hsm?.remove());
  const tokenArgs = () => ["--module", hsm.module, "--token", "cli-token", "--pin-file", pinFile];

  it("keygen makes the pair on the token and writes its public key; the signer signs with that key ID", async () => {
    for (const type of ["ed25519", "p256"] as const) {
      const out = join(hsm.dir, `targets-${type}.pub`);
      const r = await airlock("signer", "hsm", "keygen", ...tokenArgs(), "--label", `targets-${type}`, "--type", type, "-o", out, "--json");
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as { keyId: string; type: string; id: string };
      expect(readFileSync(out, "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      expect(readFileSync(out, "utf8")).not.toMatch(/PRIVATE/);
      const publicKey = loadPublicKey(out);
      expect(publicKey.type).toBe(type);
      expect(report.keyId).toBe(hex(publicKey.keyId));
      const signer = await Pkcs11Signer.open({ module: hsm.module, token: "cli-token", pin: { file: pinFile }, label: `targets-${type}` });
      try {
        expect(hex(signer.publicKey.keyId)).toBe(report.keyId);
        const message = new TextEncoder().encode("targets metadata");
        expect(verifyBytes(publicKey.raw, message, await signer.sign(message))).toBe(true);
      } finally {
        signer.close();
      }
    }
  });

  it("list shows the module's tokens, and a token's key pairs with their key IDs", async () => {
    const tokens = await airlock("signer", "hsm", "list", "--module", hsm.module, "--json");
    expect(JSON.parse(tokens.stdout)).toEqual({ module: hsm.module, tokens: ["cli-token"] });
    const keys = await airlock("signer", "hsm", "list", ...tokenArgs());
    expect(keys.code).toBe(0);
    expect(keys.stdout).toContain(`targets-ed25519  ed25519  CKA_ID `);
    expect(keys.stdout).toContain(`key ID ${hex(loadPublicKey(join(hsm.dir, "targets-p256.pub")).keyId)}`);
  });

  it("exits 2 with the fix for a used label, a missing PIN source, a PIN argument and a loose PIN file", async () => {
    const out = join(hsm.dir, "again.pub");
    const again = await airlock("signer", "hsm", "keygen", ...tokenArgs(), "--label", "targets-p256", "-o", out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds 2 object\(s\) labelled "targets-p256"; choose another --label/);
    const noPin = await airlock("signer", "hsm", "keygen", "--module", hsm.module, "--token", "cli-token", "--label", "x", "-o", out);
    expect(noPin.code).toBe(2);
    expect(noPin.stderr).toMatch(/give --pin-file FILE .* or --pin-env VARIABLE/);
    const pinArg = await airlock("signer", "hsm", "keygen", ...tokenArgs(), "--pin", PIN, "--label", "x", "-o", out);
    expect(pinArg.code).toBe(2);
    expect(pinArg.stderr).toMatch(/unknown option '--pin'/);
    const loose = hsm.pinFile("loose", PIN, 0o644);
    const looseRun = await airlock("signer", "hsm", "list", "--module", hsm.module, "--token", "cli-token", "--pin-file", loose);
    expect(looseRun.code).toBe(2);
    expect(looseRun.stderr).toContain(`restrict it with \`chmod 600 ${loose}\``);
    const wrongToken = await airlock("signer", "hsm", "list", "--module", hsm.module, "--token", "nope", "--pin-file", pinFile);
    expect(wrongToken.code).toBe(2);
    expect(wrongToken.stderr).toMatch(/no token labelled "nope" .*tokens present: "cli-token"/);
  });

  it("has --help", async () => {
    const help = await airlock("signer", "hsm", "keygen", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--pin-file <file>[\s\S]*--pin-env <variable>/);
  });
});
