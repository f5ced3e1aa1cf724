// Option parsers shared by the verbs: commander reports their errors as usage errors (exit 2).
import { InvalidArgumentError } from "commander";

/** A whole decimal number (no sign, no exponent, no hex); range checks happen in the library. */
export function integer(text: string): number {
  if (!/^\d{1,10}$/.test(text)) throw new InvalidArgumentError("expected a whole number such as 1");
  return Number(text);
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
