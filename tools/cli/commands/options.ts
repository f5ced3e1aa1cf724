// Option parsers shared by the verbs: commander reports their errors as usage errors (exit 2).
import { InvalidArgumentError } from "commander";

/** The largest value of the metadata's uint32 versions and thresholds. */
const MAX_U32 = 0xffff_ffff;

/** A whole decimal number (no sign, no exponent, no hex) that fits 32 bits; finer checks happen in the library. */
export function integer(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError("expected a whole number such as 1");
  if (text.length > 10 || Number(text) > MAX_U32) throw new InvalidArgumentError(`out of range: at most ${MAX_U32} (versions and thresholds are 32-bit)`);
  return Number(text);
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** HOST:PORT for a TCP endpoint (an IPv6 host in brackets: [::1]:PORT). */
export function tcpAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new InvalidArgumentError("expected HOST:PORT such as 127.0.0.1:33000 (port 0..65535)");
  return { host: match[1] ?? match[2]!, port };
}
