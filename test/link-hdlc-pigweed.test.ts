// pw_hdlc framing against Pigweed's own test vectors, for the host codec (tools/link/hdlc.ts):
//  - pw_hdlc/encoder_test.cc (literal CRC-32 values, address 123)
//  - pw_hdlc/py/decode_test.py (TEST_CASES: byte streams and the frames and errors expected)
// Expected FCS values in the Python-derived cases come from zlib's CRC-32, as the Python tests use
// zlib.crc32, so the encoder under test does not check itself. The decoder must return exactly
// Pigweed's frames; where Pigweed reports a bad FCS it must count one too.
import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32Table, encodeUiFrame, HdlcDecoder, type HdlcFrame } from "../tools/link/index.js";
import { loadBoard, LinkedDevice } from "../host-sim/index.js";
import { cast } from "./helpers/fixtures.js";
import { manufacture } from "./helpers/device.js";

const zcrc = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32 ?? crc32Table;
const b = (...parts: (string | number[] | Uint8Array)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? [...Buffer.from(p, "latin1")] : [...p])));
const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const fcs = (data: Uint8Array) => le32(zcrc(data));
const withFcs = (data: Uint8Array) => b(data, fcs(data));
const FLAG = [0x7e];

// decode_test.py's _encode, written out here with BigInt addresses so 2**100 can be encoded.
function pyEncodeAddress(address: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    out.push(Number(address & 0x7fn) << 1);
    address >>= 7n;
    if (address === 0n) break;
  }
  out[out.length - 1]! |= 1;
  return out;
}
function pyEncode(address: number | bigint, control: number, data: Uint8Array | string): Uint8Array {
  const frame = b(pyEncodeAddress(BigInt(address)), [control], typeof data === "string" ? b(data) : data);
  const body = b(frame, fcs(frame));
  const escaped: number[] = [];
  for (const byte of body) {
    if (byte === 0x7d) escaped.push(0x7d, 0x5d);
    else if (byte === 0x7e) escaped.push(0x7d, 0x5e);
    else escaped.push(byte);
  }
  return b(FLAG, escaped, FLAG);
}

describe("encodeUiFrame: pw_hdlc/encoder_test.cc", () => {
  const A = 123; // kAddress; kEncodedAddress = (123 << 1) | 1 = 0xf7
  it("EmptyPayload", () => expect(encodeUiFrame(A, b(""))).toEqual(b(FLAG, [0xf7, 0x03], le32(0x832d343f), FLAG)));
  it("OneBytePayload", () => expect(encodeUiFrame(A, b("A"))).toEqual(b(FLAG, [0xf7, 0x03], "A", le32(0x653c9e82), FLAG)));
  it("OneBytePayload_Escape0x7d", () =>
    expect(encodeUiFrame(A, b([0x7d]))).toEqual(b(FLAG, [0xf7, 0x03, 0x7d, 0x5d], le32(0x4a53e205), FLAG)));
  it("OneBytePayload_Escape0x7E", () =>
    expect(encodeUiFrame(A, b([0x7e]))).toEqual(b(FLAG, [0xf7, 0x03, 0x7d, 0x5e], le32(0xd35ab3bf), FLAG)));
  it("AddressNeedsEscaping", () =>
    expect(encodeUiFrame(0x7d >> 1, b("A"))).toEqual(b(FLAG, [0x7d, 0x5d, 0x03], "A", le32(0x899e00d4), FLAG)));
  it("Crc32NeedsEscaping", () =>
    expect(encodeUiFrame(A, b("aa"))).toEqual(b(FLAG, [0xf7, 0x03], "aa", [0x73, 0x44, 0xe0, 0x7d, 0x5e], FLAG)));
  it("MultiplePayloads", () =>
    expect(b(encodeUiFrame(A, b("ABC")), encodeUiFrame(A, b("DEF")))).toEqual(
      b(FLAG, [0xf7, 0x03], "ABC", le32(0x72410ee4), FLAG, FLAG, [0xf7, 0x03], "DEF", le32(0x4ba1ae47), FLAG),
    ));
});

type DropReason = "framing" | "bad-fcs" | "bad-address";
type Event = { address: number; control: number; payload: string } | DropReason;

/** Feeds `data` one byte at a time; the frames that come out, in order. */
function decodeFrames(data: Uint8Array): Event[] {
  const decoder = new HdlcDecoder();
  return [...data].flatMap((byte) => decoder.push(b([byte])).map(show));
}
const show = (f: HdlcFrame): Event => ({ address: f.address, control: f.control, payload: Buffer.from(f.payload).toString("latin1") });
const ok = (address: number, control: number, payload: string): Event => ({ address, control, payload });
const FRAMING: DropReason = "framing";
const FCS: DropReason = "bad-fcs";
const ADDR: DropReason = "bad-address";
const rep = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);
const cat = (...parts: Uint8Array[]) => b(...parts);

// pw_hdlc/py/decode_test.py TEST_CASES, in its order; the raw-data column is not modelled.
const PARTIAL = fcs(b("\x0ACmsg\x5e"));
const CASES: [string, Uint8Array, Event[]][] = [
  ["Empty payload", pyEncode(0, 0, ""), [ok(0, 0, "")]],
  ["Empty payload 55", pyEncode(55, 0x99, ""), [ok(55, 0x99, "")]],
  ["Empty payload x3", cat(...rep(3, pyEncode(55, 0x99, ""))), rep(3, ok(55, 0x99, ""))],
  ["One-byte payload \\0", pyEncode(0, 0, "\0"), [ok(0, 0, "\0")]],
  ["One-byte payload A", pyEncode(123, 0, "A"), [ok(123, 0, "A")]],
  ["Multi-byte payload", pyEncode(0, 0, "Hello, world!"), [ok(0, 0, "Hello, world!")]],
  ["Multi-byte zeros", pyEncode(123, 0, "\0\0\x01\0\0"), [ok(123, 0, "\0\0\x01\0\0")]],
  ["Escaped ~", pyEncode(1, 2, "~"), [ok(1, 2, "~")]],
  ["Escaped }", pyEncode(1, 2, "}"), [ok(1, 2, "}")]],
  ["Escaped ~ then }", cat(pyEncode(1, 2, "~"), pyEncode(1, 2, "}")), [ok(1, 2, "~"), ok(1, 2, "}")]],
  ["Escaped address 7E", pyEncode(0x7e, 0, "A"), [ok(0x7e, 0, "A")]],
  ["Escaped address 7D", pyEncode(0x7d, 0, "B"), [ok(0x7d, 0, "B")]],
  ["Escaped control 7E", pyEncode(0, 0x7e, "C"), [ok(0, 0x7e, "C")]],
  ["Escaped control 7D", pyEncode(0, 0x7d, "D"), [ok(0, 0x7d, "D")]],
  ["Escaped address and control 1", pyEncode(0x7e, 0x7d, "E"), [ok(0x7e, 0x7d, "E")]],
  ["Escaped address and control 2", pyEncode(0x7d, 0x7e, "F"), [ok(0x7d, 0x7e, "F")]],
  ["Escaped address and control 3", pyEncode(0x7e, 0x7e, "~"), [ok(0x7e, 0x7e, "~")]],
  ["Multibyte address 128", pyEncode(128, 0, "big address"), [ok(128, 0, "big address")]],
  ["Multibyte address 2^32-1", pyEncode(0xffffffff, 0, "\0\0\x01\0\0"), [ok(0xffffffff, 0, "\0\0\x01\0\0")]],
  ["Frames separated by single flag", cat(pyEncode(0, 0, "A").subarray(0, -1), pyEncode(1, 2, "123")), [ok(0, 0, "A"), ok(1, 2, "123")]],
  ["Three frames sharing flags", cat(...rep(3, pyEncode(0xff, 0, "Yo").subarray(0, -1)), b("~")), rep(3, ok(0xff, 0, "Yo"))],
  ["~~", b("~~"), [FRAMING]],
  ["~ x10", b("~".repeat(10)), rep(5, FRAMING)],
  ["~~ frame ~x5", cat(b("~~"), pyEncode(1, 2, "3"), b("~~~~~")), [FRAMING, ok(1, 2, "3"), FRAMING, FRAMING]],
  ["~x10 frame ~x3 frame", cat(b("~".repeat(10)), pyEncode(1, 2, ":O"), b("~~~"), pyEncode(3, 4, ":P")),
    [...rep(5, FRAMING), ok(1, 2, ":O"), FRAMING, FRAMING, ok(3, 4, ":P")]],
  ["Cannot escape flag", b("~\xAA}~\xab\x00Hello", fcs(b("\xab\0Hello")), "~"), [FRAMING, ok(0x55, 0, "Hello")]],
  ["Escaped flag", b("~\x0ACmsg}~", PARTIAL, "~"), [FRAMING, FRAMING]],
  ["Frame too short 1", b("~1~"), [FRAMING]],
  ["Frame too short 2", b("~12~"), [FRAMING]],
  ["Frame too short 5", b("~12345~"), [FRAMING]],
  ["Multibyte address too long", pyEncode(2n ** 100n, 0, "too long"), [ADDR]],
  ["Incorrect FCS 1", b("~123456~"), [FCS]],
  ["Incorrect FCS 2", b("~\x01\x02msg\xff\xff\xff\xff~"), [FCS]],
  ["Incorrect FCS then frame", cat(pyEncode(0xa, 0xb, "???").subarray(0, -2), pyEncode(1, 2, "def")), [FCS, ok(1, 2, "def")]],
  ["Invalid escape in address", b("~}}\0", fcs(b("\x5d\0")), "~"), [FRAMING]],
  ["Invalid escape in control", b("~\0}}", fcs(b("\0\x5d")), "~"), [FRAMING]],
  ["Invalid escape in data", b("~\0\x01}}", fcs(b("\0\x01\x5d")), "~"), [FRAMING]],
  ["Ends with escape 1", b("~}~"), [FRAMING]],
  ["Ends with escape 2", b("~\x01}~"), [FRAMING]],
  ["Ends with escape 3", b("~\x01\x02abc}~"), [FRAMING]],
  ["Ends with escape 4", b("~\x01\x02abcd}~"), [FRAMING]],
  ["Ends with escape 5", b("~\x01\x02abcd1234}~"), [FRAMING]],
  ["Inter-frame escapes 1", b("~}~}~"), [FRAMING, FRAMING]],
  ["Inter-frame escapes 2", b("~}}~}}~"), [FRAMING, FRAMING]],
  ["Data before first flag", b("\0\x01", fcs(b("\0\x01"))), []],
  ["Data before first flag, then flag", b("\0\x01", fcs(b("\0\x01")), "~"), [FRAMING]],
  ["No frame until flag 1", pyEncode(1, 2, "3").subarray(0, -1), []],
  ["No frame until flag 2", cat(b("~"), pyEncode(1, 2, "3").subarray(1, -1), pyEncode(1, 2, "3").subarray(1, -1)), []],
  ["Only flag and escape can be escaped 1", cat(b("~}\0"), pyEncode(1, 2, "3")), [FRAMING, ok(1, 2, "3")]],
  ["Only flag and escape can be escaped 2", cat(b("~1234}a"), pyEncode(1, 2, "3")), [FRAMING, ok(1, 2, "3")]],
  ["Hello?~", b("Hello?~"), [FRAMING]],
  ["~~Hel}}lo~", b("~~Hel}}lo~"), [FRAMING, FRAMING]],
  ["Hello?~~~~~", b("Hello?~~~~~"), [FRAMING, FRAMING, FRAMING]],
  ["~~~~Hello?~~~~~", b("~~~~Hello?~~~~~"), [FRAMING, FRAMING, FCS, FRAMING, FRAMING]],
  ["Hello?~~Goodbye~", b("Hello?~~Goodbye~"), [FRAMING, FCS]],
  ["Log text, frame, log text", cat(b("Hi~ this is a log message\r\n"), pyEncode(0, 0, ""), b("More log messages!\r\n")), [FRAMING, FCS, ok(0, 0, "")]],
  ["Log text only", b("Hi~ this is a log message\r\n"), [FRAMING]],
  ["~Hi~ frame text", cat(b("~Hi~"), pyEncode(1, 2, "def"), b(" How are you?")), [FRAMING, ok(1, 2, "def")]],
];

describe("HdlcDecoder: pw_hdlc/py/decode_test.py TEST_CASES", () => {
  for (const [name, data, expected] of CASES) {
    it(name, () => {
      const frames = expected.filter((e) => typeof e !== "string");
      expect(decodeFrames(data)).toEqual(frames);
      const decoder = new HdlcDecoder();
      expect(decoder.push(data).map(show)).toEqual(frames);
      expect(decoder.stats.frames).toBe(frames.length);
      expect(decoder.stats.badFcs).toBe(expected.filter((e) => e === FCS).length);
      const errors = expected.length - frames.length;
      const dropped = decoder.stats.badFcs + decoder.stats.tooShort + decoder.stats.tooLong + decoder.stats.outsideBytes;
      if (errors > 0) expect(dropped, "Pigweed reports an error here: something must be counted").toBeGreaterThan(0);
    });
  }
});

describe("the device's decoder (build/agent-link.wasm) on the same TEST_CASES", () => {
  it("finds Pigweed's frames and counts its bad FCSs, case by case", async () => {
    const board = loadBoard("nrf52840");
    const flash = await manufacture(board, cast().rootV1, { app: new Uint8Array(1000).fill(1) });
    for (const [name, data, expected] of CASES) {
      // A fresh power-on per case: nothing carries over from the case before.
      const device = new LinkedDevice(flash.clone(), board, () => {});
      await device.powerOn();
      device.receive(data);
      const c = device.counters();
      const frames = expected.filter((e) => typeof e !== "string").length;
      // Valid frames: UI frames for the RPC address are "frames"; the vectors' other addresses
      // and control bytes land in "otherAddress" (dropped there, after their FCS checked out).
      expect(c.frames + c.otherAddress, name).toBe(frames);
      expect(c.badFcs, name).toBe(expected.filter((e) => e === FCS).length);
      if (expected.length > frames) expect(c.badFcs + c.tooShort + c.tooLong + c.outsideBytes, name).toBeGreaterThan(0);
    }
  });
});
