// The installed command: bin/airlock.js run as a child process, as users and scripts run it.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { airlockBin, scratchDirs } from "./helpers/cli-run.js";

const dirs = scratchDirs("bin");
afterAll(() => dirs.cleanup());

describe("bin/airlock.js", () => {
  it("prints usage for --help and exits 0", () => {
    const run = airlockBin(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: airlock/);
    expect(run.stdout).toMatch(/keygen/);
  });

  it("makes keys, a signed root and a signed bundle with relative paths, and inspects it as JSON", () => {
    const cwd = dirs.make();
    writeFileSync(join(cwd, "fw.bin"), "firmware image");
    for (const args of [
      ["keygen", "dev"],
      ["root", "create", "--root-key", "dev.pub", "--targets-key", "dev.pub", "--version", "1", "-o", "root.bin"],
      ["root", "sign", "--key", "dev", "root.bin"],
      ["bundle", "create", "-o", "b.bin", "--targets-version", "1", "--root", "root.bin", "app=fw.bin"],
      ["bundle", "sign", "--key", "dev", "b.bin"],
    ]) {
      const run = airlockBin(args, { cwd });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
    }
    const run = airlockBin(["bundle", "inspect", "--json", "b.bin"], { cwd });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { targets: { thresholdMet: boolean; files: Array<{ name: string; length: number }> } };
    expect(report.targets.thresholdMet).toBe(true);
    expect(report.targets.files).toMatchObject([{ name: "app", length: readFileSync(join(cwd, "fw.bin")).length }]);
  });

  it("exits 2 with one line on stderr for bad input and for bad usage", () => {
    const missing = airlockBin(["root", "inspect", "/nonexistent/root.bin"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^airlock: cannot read root metadata file \/nonexistent\/root\.bin: no such file or directory \(check the path\)\n$/);
    const usage = airlockBin(["bundle", "frobnicate"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
