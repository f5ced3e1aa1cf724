// An independent decoder for cross-checks: `protoc --decode` (Debian's protobuf-compiler) on our
// .proto files, and a reader for the text format it prints.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const PROTO_DIR = fileURLToPath(new URL("../../proto/", import.meta.url));

/** A decoded message: each field name maps to its values in order (repeated fields, map entries). */
export interface TextMessage {
  [field: string]: TextValue[];
}
/** A scalar is its token text (numbers, enum names, true/false) or, for quoted values, the raw bytes. */
export type TextValue = string | Buffer | TextMessage;

/** Decodes `bytes` as pw.software_update.`type` with protoc and parses the text it prints. */
export function protocDecode(type: string, bytes: Uint8Array): TextMessage {
  const text = execFileSync(
    "protoc",
    [`-I${PROTO_DIR}`, "-I/usr/include", `--decode=pw.software_update.${type}`, "update_bundle.proto"],
    { input: bytes, cwd: PROTO_DIR, maxBuffer: 64 << 20 },
  ).toString("latin1");
  const parser = new TextFormatReader(text);
  return parser.message(true);
}

/** The one value of a field that must occur exactly once. */
export function one(message: TextMessage, field: string): TextValue {
  const values = message[field] ?? [];
  if (values.length !== 1) throw new Error(`expected one ${field}, found ${values.length}`);
  return values[0]!;
}
export function msg(message: TextMessage, field: string): TextMessage {
  const value = one(message, field);
  if (typeof value === "string" || Buffer.isBuffer(value)) throw new Error(`${field} is not a message`);
  return value;
}
export function bytes(message: TextMessage, field: string): Buffer {
  const value = one(message, field);
  if (!Buffer.isBuffer(value)) throw new Error(`${field} is not a quoted value`);
  return value;
}
export function token(message: TextMessage, field: string): string {
  const value = one(message, field);
  if (typeof value !== "string") throw new Error(`${field} is not a scalar token`);
  return value;
}
export function messages(message: TextMessage, field: string): TextMessage[] {
  return (message[field] ?? []).map((value) => {
    if (typeof value === "string" || Buffer.isBuffer(value)) throw new Error(`${field} is not a message`);
    return value;
  });
}

// protoc's text format: `name: scalar`, `name: "quoted"`, `name { ... }`. The text is read as
// latin1 so each character is one byte of the output.
class TextFormatReader {
  private at = 0;
  constructor(private readonly text: string) {}

  message(topLevel: boolean): TextMessage {
    const fields: TextMessage = {};
    for (;;) {
      this.skipSpace();
      if (this.at >= this.text.length) {
        if (!topLevel) throw new Error("unterminated message");
        return fields;
      }
      if (this.text[this.at] === "}") {
        if (topLevel) throw new Error("unbalanced }");
        this.at++;
        return fields;
      }
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.at))?.[0];
      if (!name) throw new Error(`unexpected text at ${this.at}: ${this.text.slice(this.at, this.at + 20)}`);
      this.at += name.length;
      this.skipSpace();
      let value: TextValue;
      if (this.text[this.at] === "{") {
        this.at++;
        value = this.message(false);
      } else {
        if (this.text[this.at] !== ":") throw new Error(`expected : after ${name}`);
        this.at++;
        this.skipSpace();
        value = this.text[this.at] === '"' ? this.quoted() : this.scalar();
      }
      (fields[name] ??= []).push(value);
    }
  }

  private scalar(): string {
    const token = /^[^\s{}]+/.exec(this.text.slice(this.at))?.[0];
    if (!token) throw new Error(`expected a value at ${this.at}`);
    this.at += token.length;
    return token;
  }

  private quoted(): Buffer {
    const out: number[] = [];
    this.at++; // opening quote
    for (;;) {
      const c = this.text[this.at++];
      if (c === undefined) throw new Error("unterminated string");
      if (c === '"') return Buffer.from(out);
      if (c !== "\\") {
        out.push(c.charCodeAt(0));
        continue;
      }
      const e = this.text[this.at++]!;
      const simple: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, "\\": 92 };
      if (e in simple) out.push(simple[e]!);
      else if (/[0-7]/.test(e)) {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(this.text[this.at] ?? "")) digits += this.text[this.at++];
        out.push(parseInt(digits, 8));
      } else if (e === "x") {
        let digits = "";
        while (digits.length < 2 && /[0-9a-fA-F]/.test(this.text[this.at] ?? "")) digits += this.text[this.at++];
        out.push(parseInt(digits, 16));
      } else throw new Error(`unknown escape \\${e}`);
    }
  }

  private skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at++;
  }
}
