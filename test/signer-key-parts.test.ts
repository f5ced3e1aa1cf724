// The pieces of the PKCS#11 backend that need no token: where the PIN comes from (a file only its
// owner can read, or a named environment variable) and the DER a token describes EC keys with.
import { afterAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ED25519_OID_DER, P256_OID_DER, ecPointOf, keyTypeOfEcParams, rawPointOf, readPin } from "../tools/signer/index.js";

const dir = mkdtempSync(join(tmpdir(), "airlock-pin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pinFile(name: string, text: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe("token PIN sources", () => {
  it("reads a PIN file of mode 0600 or 0400, without its line ending", () => {
    expect(readPin({ file: pinFile("a", "1234\n", 0o600) })).toBe("1234");
    expect(readPin({ file: pinFile("b", "12 34\r\n", 0o400) })).toBe("12 34");
  });

  it.each([0o640, 0o604, 0o620, 0o602])("refuses a PIN file of mode %o, naming it and `chmod 600`", (mode) => {
    const path = pinFile(`loose-${mode.toString(8)}`, "1234\n", mode);
    expect(() => readPin({ file: path })).toThrow(`the PIN file ${path} is accessible by group or others (mode ${mode.toString(8)}); restrict it with \`chmod 600 ${path}\``);
  });

  it("refuses a missing, empty or many-line PIN file", () => {
    expect(() => readPin({ file: join(dir, "absent") })).toThrow(/cannot read the PIN file .*absent \(ENOENT\)/);
    expect(() => readPin({ file: pinFile("empty", "\n", 0o600) })).toThrow(/is empty/);
    expect(() => readPin({ file: pinFile("two", "1234\n5678\n", 0o600) })).toThrow(/more than one line/);
  });

  it("reads the environment variable the config names, and says when it is unset or empty", () => {
    process.env.AIRLOCK_PIN_PART_TEST = "s3cret";
    expect(readPin({ env: "AIRLOCK_PIN_PART_TEST" })).toBe("s3cret");
    process.env.AIRLOCK_PIN_PART_TEST = "";
    expect(() => readPin({ env: "AIRLOCK_PIN_PART_TEST" })).toThrow("the environment variable AIRLOCK_PIN_PART_TEST that should hold the token PIN is empty");
    delete process.env.AIRLOCK_PIN_PART_TEST;
    expect(() => readPin({ env: "AIRLOCK_PIN_PART_TEST" })).toThrow(/is not set/);
  });
});

describe("CKA_EC_PARAMS and CKA_EC_POINT", () => {
  it("names Ed25519 by OID 1.3.101.112 or PrintableString edwards25519, P-256 by OID 1.2.840.10045.3.1.7", () => {
    expect(Buffer.from(ED25519_OID_DER).toString("hex")).toBe("06032b6570");
    expect(Buffer.from(P256_OID_DER).toString("hex")).toBe("06082a8648ce3d030107");
    expect(keyTypeOfEcParams(ED25519_OID_DER)).toBe("ed25519");
    expect(keyTypeOfEcParams(P256_OID_DER)).toBe("p256");
    expect(keyTypeOfEcParams(Uint8Array.of(0x13, 12, ...Buffer.from("edwards25519")))).toBe("ed25519");
  });

  it("refuses other curves and malformed DER", () => {
    expect(keyTypeOfEcParams(Uint8Array.of(0x06, 5, 0x2b, 0x81, 0x04, 0x00, 0x22))).toBeUndefined(); // secp384r1
    expect(keyTypeOfEcParams(Uint8Array.of(0x06, 3, 0x2b, 0x65, 0x71))).toBeUndefined(); // Ed448
    expect(keyTypeOfEcParams(Uint8Array.of(0x13, 10, ...Buffer.from("edwards448")))).toBeUndefined();
    expect(keyTypeOfEcParams(Uint8Array.of(0x06, 3, 0x2b, 0x65, 0x70, 0x00))).toBeUndefined(); // trailing byte
  });

  it("unwraps the OCTET STRING around the point and checks its size for the key type", () => {
    const ed = new Uint8Array(32).fill(7);
    const p = Uint8Array.of(4, ...new Uint8Array(64).fill(9));
    expect(rawPointOf(ecPointOf(ed), "ed25519")).toEqual(ed);
    expect(rawPointOf(ecPointOf(p), "p256")).toEqual(p);
    expect(rawPointOf(Uint8Array.of(0x04, 0x81, 65, ...p), "p256")).toEqual(p); // long-form length
    expect(rawPointOf(ed, "ed25519")).toBeUndefined(); // not wrapped
    expect(rawPointOf(ecPointOf(p), "ed25519")).toBeUndefined();
    expect(rawPointOf(ecPointOf(Uint8Array.of(3, ...p.subarray(1, 33))), "p256")).toBeUndefined(); // compressed
  });
});
