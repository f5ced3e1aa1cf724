// `npm start`: the README's main job, end to end on the default simulated board. Makes keys and
// a root, provisions a factory-fresh device with firmware v1, builds and signs v2, verifies it
// with the device's own agent, updates, lets the new image confirm itself, and power-cycles once
// more to show it stays. Every step is a real `airlock` command (run in this process), printed
// as the command line a user would type, followed by what it reported.
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { captureIo, processIo } from "./io.js";
import { main } from "./main.js";

// Relative paths, so every command line printed is one the user can paste.
const OUT = "demo-out";
const at = (name: string) => join(OUT, name);

interface BootJson {
  slot: string;
  trial: boolean;
  rootVersion: number;
  targetsVersion: number;
  images: Record<string, string>;
}

let step = 0;

/** Runs one airlock command, echoing it; the command's own output goes to the terminal. */
async function run(title: string, args: string[]): Promise<void> {
  step += 1;
  console.log(`\n[${step}] ${title}\n$ airlock ${args.join(" ")}`);
  const code = await main(args, processIo());
  if (code !== 0) throw new Error(`step ${step} failed with exit code ${code}; see the message above`);
}

/** Runs a --json airlock command and returns its object, echoing its JSON and a one-line summary. */
async function runJson<T>(title: string, args: string[], summary: (value: T) => string): Promise<T> {
  step += 1;
  console.log(`\n[${step}] ${title}\n$ airlock ${args.join(" ")}`);
  const io = captureIo();
  const code = await main(args, io);
  process.stderr.write(io.stderr());
  if (code !== 0) throw new Error(`step ${step} failed with exit code ${code}; see the message above`);
  const value = JSON.parse(io.stdout()) as T;
  console.log(io.stdout().trimEnd());
  console.log(`-> ${summary(value)}`);
  return value;
}

const describeBoot = (boot: BootJson) =>
  `running slot ${boot.slot.toUpperCase()}${boot.trial ? " (trial: not yet confirmed)" : ""}, root v${boot.rootVersion}, targets v${boot.targetsVersion}, app sha256 ${boot.images.app}`;

/** A recognizable, deterministic firmware image of `bytes` bytes. */
function firmware(label: string, bytes: number): Buffer {
  const image = Buffer.alloc(bytes);
  const text = Buffer.from(`${label}\n`);
  for (let at = 0; at < bytes; at += text.length) text.copy(image, at);
  return image;
}

async function demo(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const v1 = firmware("airlock demo firmware v1", 64 * 1024);
  const v2 = firmware("airlock demo firmware v2 with a fix", 80 * 1024);
  writeFileSync(at("firmware-v1.bin"), v1);
  writeFileSync(at("firmware-v2.bin"), v2);
  const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");
  console.log(`airlock demo: files go to ${OUT}/\nfirmware v1 sha256 ${sha(v1)}\nfirmware v2 sha256 ${sha(v2)}`);

  await run("make a root key (signs root metadata)", ["keygen", at("root-key"), "--force"]);
  await run("make a targets key (signs releases)", ["keygen", at("targets-key"), "--force"]);
  await run("create root metadata v1 naming both keys", ["root", "create", "--root-key", at("root-key.pub"), "--targets-key", at("targets-key.pub"), "--version", "1", "-o", at("root.bin")]);
  await run("sign the root with the root key", ["root", "sign", "--key", at("root-key"), at("root.bin")]);
  await run("provision a factory-fresh device (default board) with the root and firmware v1", ["sim", "init", "--flash", at("device.flash"), "--root", at("root.bin"), `app=${at("firmware-v1.bin")}`]);
  const before = await runJson<BootJson>("power it on", ["sim", "boot", "--flash", at("device.flash"), "--json"], describeBoot);

  await run("build the v2 bundle", ["bundle", "create", "-o", at("update-v2.bundle"), "--targets-version", "2", `app=${at("firmware-v2.bin")}`]);
  await run("sign it with the targets key", ["bundle", "sign", "--key", at("targets-key"), at("update-v2.bundle")]);
  await run("inspect it", ["bundle", "inspect", "--root", at("root.bin"), at("update-v2.bundle")]);
  await run("verify it with the device's own agent against the trusted root", ["bundle", "verify", "--trusted-root", at("root.bin"), at("update-v2.bundle")]);
  await run("send it to the device: transfer, verify, apply, reboot into v2 on trial", ["sim", "update", "--flash", at("device.flash"), at("update-v2.bundle")]);
  // No power cycle here: one before confirm() would revert to v1, which is what trial boot is for.
  await run("v2 is running on trial; it checks itself and confirms", ["sim", "confirm", "--flash", at("device.flash")]);
  const after = await runJson<BootJson>("power-cycle: v2 stays", ["sim", "boot", "--flash", at("device.flash"), "--json"], describeBoot);

  console.log(
    [
      "",
      "summary",
      `  before: slot ${before.slot.toUpperCase()}, app ${before.images.app} (v1: ${before.images.app === sha(v1) ? "yes" : "NO"})`,
      `  after:  slot ${after.slot.toUpperCase()}, app ${after.images.app} (v2: ${after.images.app === sha(v2) ? "yes" : "NO"}), confirmed: ${after.trial ? "NO" : "yes"}`,
    ].join("\n"),
  );
  if (before.images.app !== sha(v1) || after.images.app !== sha(v2) || after.trial) {
    throw new Error("the device does not run what the demo installed; this is a bug, please report it");
  }
}

demo().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
