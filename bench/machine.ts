// What the benchmark ran on: ratios only mean something next to the machine that produced them.
import os from "node:os";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

export interface Machine { cpu: string; cores: number; node: string; openssl: string; shaNi: boolean | undefined }

export function describeMachine(): Machine {
  let flags = "";
  try {
    flags = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags")) ?? "";
  } catch { /* not Linux: SHA-NI presence unknown */ }
  let openssl = "not installed";
  try {
    openssl = execFileSync("openssl", ["version"], { encoding: "utf8" }).trim();
  } catch { /* reported below */ }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.cpus().length,
    node: `${process.version} (OpenSSL ${process.versions.openssl}, V8 ${process.versions.v8})`,
    openssl,
    shaNi: flags ? /\bsha_ni\b/.test(flags) : undefined,
  };
}
