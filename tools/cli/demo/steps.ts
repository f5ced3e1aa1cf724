// The demo's steps: each is a real `airlock` command run in this process, printed as the command
// line a user would type, followed by what it reported. A failing step ends the demo with its
// exit code and the command's own message.
import { captureIo, processIo } from "../io.js";
import { main } from "../main.js";

let step = 0;

/** Prints a numbered step's title and, when given, the command line it runs. */
export function announce(title: string, command?: string[]): void {
  step += 1;
  console.log(`\n[${step}] ${title}${command ? `\n$ airlock ${command.join(" ")}` : ""}`);
}

/** Runs one airlock command, echoing it; the command's own output goes to the terminal. */
export async function run(title: string, args: string[]): Promise<void> {
  announce(title, args);
  const code = await main(args, processIo());
  if (code !== 0) throw new Error(`step ${step} failed with exit code ${code}; see the message above`);
}

/** Runs a --json airlock command and returns its object, echoing a one-line summary. */
export async function runJson<T>(title: string, args: string[], summary: (value: T) => string, echo = true): Promise<T> {
  announce(title, args);
  const io = captureIo();
  const code = await main(args, io);
  process.stderr.write(io.stderr());
  if (code !== 0) throw new Error(`step ${step} failed with exit code ${code}; see the message above`);
  const value = JSON.parse(io.stdout()) as T;
  if (echo) console.log(io.stdout().trimEnd());
  console.log(`-> ${summary(value)}`);
  return value;
}

/** Runs a --json airlock command quietly (for polling) and returns its object. */
export async function query<T>(args: string[]): Promise<T> {
  const io = captureIo();
  const code = await main(args, io);
  if (code !== 0) throw new Error(`airlock ${args.join(" ")} failed with exit code ${code}: ${io.stderr().trim()}`);
  return JSON.parse(io.stdout()) as T;
}
