// Outputs never lose data: every writer refuses an existing file without --force, nothing but a
// regular writable file is replaced, in-place signing is serialized by a lock, and interrupted
// writes leave no temporary files behind.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, truncateSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBundle, rewriteInPlace, writeAtomic } from "../tools/format/index.js";
import { airlock, BIN, scratchDirs, type CliRun } from "./helpers/cli-run.js";
import { firmware, World } from "./helpers/e2e-world.js";

const dirs = scratchDirs("cli-outputs");
afterAll(() => dirs.cleanup());
let w: World;
const at = (name: string) => w.at(name);

async function ok(...args: string[]): Promise<CliRun> {
  const run = await airlock(...args);
  expect(run.stderr, args.join(" ")).toBe("");
  expect(run.code, args.join(" ")).toBe(0);
  return run;
}
function expectInputError(run: CliRun, reason: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  expect(run.stderr).toMatch(reason);
}
const temporaries = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".tmp") || name.endsWith(".lock"));

beforeAll(async () => {
  w = await new World(dirs.make()).build();
  await w.bundle("b.bin", { version: 2, images: { app: "v2.bin" }, signers: ["dev-targets"] });
  await w.device("dev");
});

describe("every writer refuses an existing output without --force", () => {
  // Each verb writes OUT; the case runs it once onto a file holding "precious" and once with --force.
  const writers: Array<[string, (out: string) => string[]]> = [
    ["root create", (out) => ["root", "create", "--root-key", at("dev-root.pub"), "--targets-key", at("dev-targets.pub"), "--version", "1", "-o", out]],
    ["bundle create", (out) => ["bundle", "create", "-o", out, "--targets-version", "2", `app=${at("v2.bin")}`]],
    ["bundle sign -o", (out) => ["bundle", "sign", "--key", at("prod-targets"), at("b.bin"), "-o", out]],
    ["root sign -o", (out) => ["root", "sign", "--key", at("prod-root"), at("prod-root-unsigned.bin"), "-o", out]],
    ["bundle reorder", (out) => ["bundle", "reorder", "-o", out, at("b.bin")]],
    ["bundle personalize", (out) => ["bundle", "personalize", "--remove", "app", "-o", out, at("b.bin")]],
    ["manifest create", (out) => ["manifest", "create", "--bundle", at("b.bin"), "-o", out]],
    ["sim manifest", (out) => ["sim", "manifest", "--flash", at("dev.flash"), "-o", out]],
  ];
  for (const [verb, args] of writers) {
    it(`${verb}: exit 2 and the file unchanged; --force replaces it`, async () => {
      const out = at(`${verb.replace(/\W/g, "-")}.out`);
      writeFileSync(out, "precious");
      expectInputError(await airlock(...args(out)), new RegExp(`${out.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} already exists; refusing to replace it .*--force`));
      expect(readFileSync(out, "utf8")).toBe("precious");
      await ok(...args(out), "--force");
      expect(readFileSync(out, "utf8")).not.toBe("precious");
    });
  }

  it("keygen still refuses to overwrite a key", async () => {
    writeFileSync(at("k"), "precious");
    expectInputError(await airlock("keygen", at("k")), /already exists; refusing to overwrite a key/);
    expect(readFileSync(at("k"), "utf8")).toBe("precious");
  });
});

describe("sim init", () => {
  it("never replaces a file that is not a device file, even with --force", async () => {
    writeFileSync(at("fw.bin"), firmware("the only copy", 4096));
    const before = readFileSync(at("fw.bin"));
    for (const force of [[], ["--force"]]) {
      expectInputError(await airlock("sim", "init", "--flash", at("fw.bin"), "--root", at("dev-root.bin"), `app=${at("fw.bin")}`, ...force), /fw\.bin exists and is not an airlock device file; refusing to replace it/);
    }
    expect(readFileSync(at("fw.bin")).equals(before)).toBe(true);
  });

  it("replaces an existing device file only with --force", async () => {
    await w.device("again");
    const before = readFileSync(at("again.flash"));
    expectInputError(await airlock("sim", "init", "--flash", at("again.flash"), "--root", at("dev-root.bin"), `app=${at("v1.bin")}`), /device file .*again\.flash already exists; pass --force/);
    expect(readFileSync(at("again.flash")).equals(before)).toBe(true);
    expect((await airlock("sim", "init", "--flash", at("again.flash"), "--root", at("dev-root.bin"), `app=${at("v1.bin")}`, "--force", "--json")).code).toBe(0);
  });
});

describe("only regular, writable files are replaced", () => {
  it("refuses a symbolic link and leaves its target alone", async () => {
    writeFileSync(at("real.bin"), "precious");
    symlinkSync(at("real.bin"), at("link.bin"));
    expectInputError(await airlock("manifest", "create", "--bundle", at("b.bin"), "-o", at("link.bin"), "--force"), /link\.bin is a symbolic link; .*give the path of the file itself/);
    expect(readFileSync(at("real.bin"), "utf8")).toBe("precious");
  });

  it("refuses a FIFO (any non-regular file: device nodes such as /dev/full alike)", async () => {
    expect(spawnSync("mkfifo", [at("fifo")]).status).toBe(0);
    expectInputError(await airlock("manifest", "create", "--bundle", at("b.bin"), "-o", at("fifo"), "--force"), /fifo is not a regular file/);
  });

  it("refuses a read-only file even with --force (also as root)", async () => {
    writeFileSync(at("ro.bin"), "precious");
    chmodSync(at("ro.bin"), 0o444);
    expectInputError(await airlock("manifest", "create", "--bundle", at("b.bin"), "-o", at("ro.bin"), "--force"), /ro\.bin is read-only; make it writable/);
    expect(readFileSync(at("ro.bin"), "utf8")).toBe("precious");
  });

  it("names the directory when it is missing", async () => {
    expectInputError(await airlock("manifest", "create", "--bundle", at("b.bin"), "-o", at("nowhere/m.bin")), /directory .*nowhere does not exist/);
  });
});

describe("read-modify-write", () => {
  it("two `bundle sign` runs at once on one file both land their signature", async () => {
    for (let round = 0; round < 4; round++) {
      const file = at(`race-${round}.bin`);
      await w.bundle(`race-${round}.bin`, { version: 2, images: { app: "v2.bin" }, signers: [] });
      const runs = ["dev-targets", "prod-targets"].map(
        (key) =>
          new Promise<number>((resolve) => {
            const child = spawn(process.execPath, [BIN, "bundle", "sign", "--key", at(key), file], { stdio: "ignore" });
            child.on("exit", (code) => resolve(code ?? -1));
          }),
      );
      expect(await Promise.all(runs)).toEqual([0, 0]);
      expect(parseBundle(readFileSync(file)).targetsSigned.signatures).toHaveLength(2);
      expect(temporaries(w.dir)).toEqual([]);
    }
  }, 60_000);

  it("fails, writing nothing, when the file changed between read and rename", () => {
    writeFileSync(at("rmw.bin"), "version one");
    expect(() =>
      rewriteInPlace(at("rmw.bin"), "test file", (bytes) => {
        writeFileSync(at("rmw.bin"), "someone else's edit");
        return new Uint8Array([...bytes, 1]);
      }),
    ).toThrow(/rmw\.bin changed while airlock was rewriting it .*nothing was written/);
    expect(readFileSync(at("rmw.bin"), "utf8")).toBe("someone else's edit");
    expect(temporaries(w.dir)).toEqual([]);
  });

  it("takes over a lock left by a process that no longer runs, and waits out a live one", () => {
    writeFileSync(at("locked.bin"), "x");
    writeFileSync(at(".locked.bin.lock"), `${deadPid()}\n`);
    rewriteInPlace(at("locked.bin"), "test file", () => Buffer.from("y"));
    expect(readFileSync(at("locked.bin"), "utf8")).toBe("y");
    writeFileSync(at(".locked.bin.lock"), `${process.ppid}\n`);
    expect(() => rewriteInPlace(at("locked.bin"), "test file", () => Buffer.from("z"), { waitMs: 100 })).toThrow(
      new RegExp(`being rewritten by another airlock process \\(pid ${process.ppid}\\)`),
    );
    expect(readFileSync(at("locked.bin"), "utf8")).toBe("y");
  });
});

describe("temporary files", () => {
  it("a later write removes stale temporaries of its output, not those of running processes", () => {
    const sub = join(w.dir, "stale");
    mkdirSync(sub);
    const stale = `.out.bin.${deadPid()}.0123456789ab.tmp`;
    const live = `.out.bin.${process.ppid}.0123456789ab.tmp`;
    const other = `.other.bin.${deadPid()}.0123456789ab.tmp`;
    for (const name of [stale, live, other]) writeFileSync(join(sub, name), "partial");
    writeAtomic(join(sub, "out.bin"), "done");
    expect(readdirSync(sub).sort()).toEqual([live, other, "out.bin"].sort());
  });

  it("SIGTERM during a large `bundle create` leaves neither a temporary file nor an output", async () => {
    const sub = join(w.dir, "killed");
    mkdirSync(sub);
    const image = at("huge.bin");
    writeFileSync(image, "");
    truncateSync(image, 280 * 1024 * 1024); // sparse: big to copy, cheap on disk
    const child = spawn(process.execPath, [BIN, "bundle", "create", "-o", join(sub, "huge.bundle"), "--targets-version", "1", `app=${image}`], { stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve) => {
      const watcher = watch(sub, (_event, name) => {
        if (name?.endsWith(".tmp")) {
          watcher.close();
          child.kill("SIGTERM");
          resolve();
        }
      });
    });
    expect(await exited).toBe("SIGTERM");
    expect(readdirSync(sub)).toEqual([]);
  }, 60_000);
});

describe("bundle create", () => {
  it("refuses an empty image, naming it", async () => {
    writeFileSync(at("empty.bin"), "");
    expectInputError(await airlock("bundle", "create", "-o", at("e.bundle"), "--targets-version", "2", `app=${at("empty.bin")}`), /empty\.bin is an empty file \(0 bytes\), not a usable target "app"/);
    expect(existsSync(at("e.bundle"))).toBe(false);
  });

  it("with --board refuses an image over its slot and a target the board lacks", async () => {
    writeFileSync(at("big.bin"), Buffer.alloc(294_913, 1)); // nrf52840's app slot is 294912 bytes
    expectInputError(await airlock("bundle", "create", "--board", "nrf52840", "-o", at("big.bundle"), "--targets-version", "2", `app=${at("big.bin")}`), /image for "app" is 294913 bytes; a slot of board "nrf52840" holds 1 to 294912 bytes/);
    expectInputError(await airlock("bundle", "create", "--board", "nrf52840", "-o", at("big.bundle"), "--targets-version", "2", `file1=${at("v2.bin")}`), /board "nrf52840" has no target "file1"/);
    expect(existsSync(at("big.bundle"))).toBe(false);
    await ok("bundle", "create", "--board", "nrf52840", "-o", at("fits.bundle"), "--targets-version", "2", `app=${at("v2.bin")}`);
  });

  it("streams: a 256 MiB image needs far less memory than its size", () => {
    const image = at("stream.bin");
    writeFileSync(image, "");
    truncateSync(image, 256 * 1024 * 1024);
    const cli = new URL("../tools/cli/index.ts", import.meta.url).href;
    const script = `const { main } = await (await import("tsx/esm/api")).tsImport(${JSON.stringify(cli)}, ${JSON.stringify(cli)});
      const code = await main(["bundle", "create", "-o", ${JSON.stringify(at("stream.bundle"))}, "--targets-version", "1", "app=${image}"]);
      process.stderr.write(JSON.stringify({ code, maxRssKiB: process.resourceUsage().maxRSS }));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", cwd: new URL("..", import.meta.url), timeout: 60_000 });
    const { code, maxRssKiB } = JSON.parse(run.stderr) as { code: number; maxRssKiB: number };
    expect(code).toBe(0);
    expect(maxRssKiB).toBeLessThan(200 * 1024);
    const bundle = readFileSync(at("stream.bundle"));
    expect(parseBundle(bundle).targets.targetFiles?.[0]?.length).toBe(256 * 1024 * 1024);
  }, 60_000);
});

/** The pid of a process that has exited (so no process runs under it, barring reuse). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}
