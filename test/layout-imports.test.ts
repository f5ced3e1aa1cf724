// DESIGN.md's host layout, checked on the source: one folder per concern, each folder reached only
// through its index.ts, and imports pointing down the list (cli, fleet, release, signer, build, store, link, host-sim, format), never up.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Host folders from top to bottom: a folder may import only folders after it. */
const ORDER = [
  "tools/cli", "tools/fleet", "tools/release", "tools/signer", "tools/build", "tools/store", "tools/link",
  "host-sim", "tools/format", "assembly",
];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

function folderOf(path: string): string | undefined {
  return ORDER.find((folder) => path === folder || path.startsWith(`${folder}/`));
}

interface Edge { from: string; to: string }

function importsOf(file: string): Edge[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const edges: Edge[] = [];
  for (const match of text.matchAll(/(?:from|import\()\s*"(\.[^"]+)"/g)) {
    const target = relative(ROOT, resolve(ROOT, dirname(file), match[1]!)).replace(/\.js$/, ".ts");
    edges.push({ from: file, to: target });
  }
  return edges;
}

const hostFiles = ["tools", "host-sim"].flatMap(sources);
const edges = hostFiles.flatMap(importsOf);

describe("host layout", () => {
  it("puts every host source in a folder of the layout", () => {
    expect(hostFiles.filter((file) => folderOf(file) === undefined)).toEqual([]);
  });

  it("imports only folders below, never above or sideways", () => {
    const upward = edges.filter(({ from, to }) => {
      const a = ORDER.indexOf(folderOf(from)!);
      const b = ORDER.indexOf(folderOf(to) ?? "");
      return b !== -1 && b < a;
    });
    expect(upward).toEqual([]);
  });

  it("reaches another tools folder or host-sim only through its index.ts", () => {
    const internal = edges.filter(({ from, to }) => {
      const target = folderOf(to);
      if (target === undefined || target === "assembly" || target === folderOf(from)) return false;
      return to !== `${target}/index.ts`;
    });
    expect(internal).toEqual([]);
  });

  it("keeps the test helpers in one folder", () => {
    expect(readdirSync(join(ROOT, "test")).filter((name) => statSync(join(ROOT, "test", name)).isDirectory()).sort())
      .toEqual(["helpers", "vectors"]);
  });
});
