// The README tells a new user which Debian packages to install; .ci/run installs them on a fresh
// machine. The two lists must be the same, or one of them lies.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const ciRun = readFileSync(new URL("../.ci/run", import.meta.url), "utf8");
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

function ciPackages(): string[] {
  const block = /SYSTEM_PACKAGES=\(\n([\s\S]*?)\n\)/.exec(ciRun);
  if (!block) throw new Error(".ci/run has no SYSTEM_PACKAGES=( ... ) list");
  return block[1]!.split("\n").map((line) => line.trim()).filter(Boolean);
}

function readmePackages(): string[] {
  const lines = readme.split("\n").filter((line) => line.startsWith("apt-get install "));
  if (lines.length !== 1) throw new Error(`README.md should have one "apt-get install" line, has ${lines.length}`);
  return lines[0]!.slice("apt-get install ".length).trim().split(/\s+/);
}

describe("system packages", () => {
  it("README.md lists exactly the packages .ci/run installs", () => {
    expect(readmePackages().sort()).toEqual(ciPackages().sort());
  });

  it(".ci/run decides per package with dpkg, not by which commands exist", () => {
    expect(ciRun).toMatch(/dpkg -s "\$package"/);
    expect(ciRun).not.toMatch(/command -v/);
  });

  it("installs the include files protoc needs for google/protobuf/*.proto", () => {
    expect(ciPackages()).toContain("libprotobuf-dev");
  });
});
