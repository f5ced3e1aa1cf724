// The agent's state and result numbers are Pigweed's, read from the vendored bundled_update.proto
// (HEAD), so a status crossing the wire means the same to Pigweed's tools and to airlock's.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { UPDATE_STATES, UPDATE_RESULTS, STATE, RESULT } from "../host-sim/index.js";

const PROTO = fileURLToPath(new URL("../proto/pigweed/pw_software_update/bundled_update.proto", import.meta.url));

function enumOf(message: string): Record<string, number> {
  // parse() needs no imports resolved: the enums are declared in this file.
  const parsed = protobuf.parse(readFileSync(PROTO, "utf8"), { keepCase: true });
  return parsed.root.lookupEnum(`pw.software_update.${message}.Enum`).values;
}

describe("BundledUpdate numbers", () => {
  it("states are Pigweed's (INSTALLING is APPLYING)", () => {
    const pigweed = enumOf("BundledUpdateState");
    const ours = Object.fromEntries(UPDATE_STATES.map((name, n) => [name === "INSTALLING" ? "APPLYING" : name, n]));
    expect(ours).toEqual(pigweed);
    expect(STATE.FINISHED).toBe(pigweed.FINISHED);
    expect(STATE.INSTALLING).toBe(pigweed.APPLYING);
  });

  it("results are Pigweed's", () => {
    const pigweed = enumOf("BundledUpdateResult");
    expect(Object.fromEntries(UPDATE_RESULTS.map((name, n) => [name, n]))).toEqual(pigweed);
    for (const [name, n] of Object.entries(RESULT)) expect(n, name).toBe(pigweed[name]);
  });
});
