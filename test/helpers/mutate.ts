// Bundle mutations for the fuzzer (fast-check arbitraries): bit flips, truncations, splices from
// another valid bundle, and duplication of whole protobuf fields at the top level or inside the
// signed targets metadata. Every mutation is a plain function of its drawn numbers, so fast-check
// shrinks and replays failures exactly.
import fc from "fast-check";
import protobuf from "protobufjs";
import { encodeBundle, parseBundle, signBytes, type SigningKey } from "../../tools/format/index.js";

/** [start, end) of each top-level field of a protobuf message, in order. */
export function fieldSpans(bytes: Uint8Array): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const reader = protobuf.Reader.create(bytes);
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const tag = reader.uint32();
      reader.skipType(tag & 7);
      spans.push([start, reader.pos]);
    }
  } catch {
    // a malformed tail ends the list: mutations only need the fields that do parse
  }
  return spans;
}

export type Mutation =
  | { kind: "flip"; flips: Array<[number, number]> }
  | { kind: "truncate"; at: number }
  | { kind: "splice"; from: number; length: number; to: number; replace: boolean }
  | { kind: "duplicate"; field: number; to: number }
  | { kind: "set"; at: number; value: number };

export function applyMutation(bundle: Uint8Array, donor: Uint8Array, m: Mutation): Uint8Array {
  const len = bundle.length;
  // A copy, never a view: Buffer's slice() shares memory and would corrupt the original.
  const copy = () => new Uint8Array(bundle);
  switch (m.kind) {
    case "flip": {
      const out = copy();
      for (const [pos, bit] of m.flips) out[pos % len]! ^= 1 << bit;
      return out;
    }
    case "truncate":
      return copy().subarray(0, m.at % len);
    case "set": {
      const out = copy();
      out[m.at % len] = m.value;
      return out;
    }
    case "splice": {
      const from = m.from % donor.length;
      const piece = donor.subarray(from, Math.min(donor.length, from + m.length));
      const to = m.to % (len + 1);
      const rest = m.replace ? Math.min(len, to + piece.length) : to;
      return Buffer.concat([bundle.subarray(0, to), piece, bundle.subarray(rest)]);
    }
    case "duplicate": {
      const spans = fieldSpans(bundle);
      if (spans.length === 0) return copy();
      const [start, end] = spans[m.field % spans.length]!;
      const boundaries = [0, ...spans.map((s) => s[1])];
      const to = boundaries[m.to % boundaries.length]!;
      return Buffer.concat([bundle.subarray(0, to), bundle.subarray(start, end), bundle.subarray(to)]);
    }
  }
}

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("flip" as const),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x7f, 0x80, 0xff) }),
  fc.record({
    kind: fc.constant("splice" as const),
    from: fc.nat(),
    length: fc.integer({ min: 1, max: 600 }),
    to: fc.nat(),
    replace: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("duplicate" as const), field: fc.nat(), to: fc.nat() }),
);

/** One to three mutations in a row. */
export const mutationsArbitrary = fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 });

/**
 * Duplicates one field of the signed targets metadata and, when `signer` is given, signs the
 * result again with it: the signature is then valid, so only the agent's refusal of duplicate
 * fields and keys stands between the bundle and the device (the parser differential TUF and
 * Pigweed's lax parsers leave open).
 */
export function duplicateInTargets(
  bundle: Uint8Array,
  field: number,
  to: number,
  signer?: SigningKey,
): Uint8Array {
  const parsed = parseBundle(bundle);
  const serialized = applyMutation(parsed.targetsSerialized, parsed.targetsSerialized, { kind: "duplicate", field, to });
  const signatures = signer ? [{ keyId: signer.keyId, sig: signBytes(signer, serialized) }] : parsed.targetsSigned.signatures ?? [];
  return encodeBundle(parsed.root?.signed, { serializedTargetsMetadata: serialized, signatures }, parsed.payloads);
}
