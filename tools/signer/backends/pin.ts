// Where a token's PIN comes from: a file only its owner can read, or an environment variable the
// config names. Never a command-line argument: those show in `ps` and shell history. The PIN is
// returned to the caller that logs in and is never part of an error message or a log line.
import { readFileSync, statSync } from "node:fs";
import { InputError } from "../../format/index.js";

export type PinSource = { file: string } | { env: string };

/** Permission bits for group and others: any of them on a PIN file lets other users at the PIN. */
const GROUP_OTHER_BITS = 0o077;

export function describePinSource(source: PinSource): string {
  return "file" in source ? `PIN file ${source.file}` : `PIN variable ${source.env}`;
}

export function readPin(source: PinSource): string {
  if ("env" in source) {
    const pin = process.env[source.env];
    if (!pin) throw new InputError(`the environment variable ${source.env} that should hold the token PIN is ${pin === undefined ? "not set" : "empty"}; set it before starting airlock`);
    return pin;
  }
  const { file } = source;
  let mode: number;
  let text: string;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new InputError(`cannot read the PIN file ${file} (${code}); write the PIN to it and \`chmod 600 ${file}\``);
  }
  if (mode & GROUP_OTHER_BITS) {
    throw new InputError(
      `the PIN file ${file} is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(3, "0")}); restrict it with \`chmod 600 ${file}\``,
    );
  }
  // `echo PIN > file` leaves one line ending; the PIN itself is what comes before it.
  const pin = text.replace(/\r?\n$/, "");
  if (!pin) throw new InputError(`the PIN file ${file} is empty; write the token's user PIN to it`);
  if (/[\r\n]/.test(pin)) throw new InputError(`the PIN file ${file} holds more than one line; it should hold the PIN alone`);
  return pin;
}
