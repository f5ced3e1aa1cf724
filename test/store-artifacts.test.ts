// The artifact store (tools/store/): objects named by their SHA-256, written atomically, never
// overwritten with other bytes, checked on every read, and served read-only over HTTP.
import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ArtifactStore, OBJECTS_DIR, serveStore } from "../tools/store/index.js";
import { InputError, RejectedError } from "../tools/format/index.js";
import { airlockBinAsync, BIN } from "./helpers/cli-run.js";

const root = mkdtempSync(join(tmpdir(), "airlock-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `s${n++}`);
const hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Flips a byte of a stored object in place (damage below the store's API). */
function damage(store: ArtifactStore, sha256: string): void {
  const path = store.pathOf(sha256);
  chmodSync(path, 0o644);
  const bytes = readFileSync(path);
  bytes[0]! ^= 0xff;
  writeFileSync(path, bytes);
}

describe("artifact store", () => {
  it("names an object by its SHA-256, stores it read-only, and does not write the same bytes twice", () => {
    const store = new ArtifactStore(freshDir());
    const bytes = randomBytes(10_000);
    const first = store.put(bytes);
    expect(first).toEqual({ sha256: hex(bytes), size: 10_000, written: true });
    const path = store.pathOf(first.sha256);
    expect(path.endsWith(`${OBJECTS_DIR}/${hex(bytes)}`)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o444);
    const before = statSync(path);
    expect(store.put(bytes).written).toBe(false);
    expect(statSync(path).mtimeMs).toBe(before.mtimeMs);
    expect(Buffer.compare(Buffer.from(store.get(first.sha256)), bytes)).toBe(0);
    expect(readdirSync(join(store.root, OBJECTS_DIR))).toEqual([first.sha256]); // no temporary left
  });

  it("refuses to read a damaged object and never overwrites it, even with the original bytes", () => {
    const store = new ArtifactStore(freshDir());
    const bytes = randomBytes(512);
    const { sha256 } = store.put(bytes);
    damage(store, sha256);
    const damaged = readFileSync(store.pathOf(sha256));
    expect(() => store.get(sha256)).toThrow(RejectedError);
    expect(() => store.get(sha256)).toThrow(/holds other bytes.*damaged/);
    expect(() => store.put(bytes)).toThrow(RejectedError);
    expect(Buffer.compare(readFileSync(store.pathOf(sha256)), damaged)).toBe(0);
  });

  it("refuses names that are not a SHA-256 (no path can be smuggled in)", () => {
    const store = new ArtifactStore(freshDir());
    for (const bad of ["../../etc/passwd", "ABC", "a".repeat(63), `${"a".repeat(64)}/x`, "A".repeat(64)]) {
      expect(() => store.get(bad)).toThrow(InputError);
      expect(store.has.bind(store, bad)).toThrow(InputError);
    }
    expect(() => store.get("0".repeat(64))).toThrow(/has no object/);
  });

  it("keeps one intact object when four processes put the same file at once", async () => {
    const dir = freshDir();
    const file = join(root, "same.bin");
    const bytes = randomBytes(200_000);
    writeFileSync(file, bytes);
    const runs = await Promise.all([0, 1, 2, 3].map(() => airlockBinAsync(["store", "put", "--store", dir, file, "--json"])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const store = new ArtifactStore(dir);
    expect(Buffer.compare(Buffer.from(store.get(hex(bytes))), bytes)).toBe(0);
    expect(readdirSync(join(dir, OBJECTS_DIR))).toEqual([hex(bytes)]);
  });
});

describe("artifact store over HTTP", () => {
  it("serves objects read-only: GET, HEAD and byte ranges; 405 for writes, 404 for other paths, 500 for a damaged object", async () => {
    const store = new ArtifactStore(freshDir());
    const bytes = randomBytes(4096);
    const { sha256 } = store.put(bytes);
    const other = store.put(randomBytes(100)).sha256;
    const server = await serveStore(store, { host: "127.0.0.1", port: 0 });
    try {
      const url = `${server.url}/${OBJECTS_DIR}/${sha256}`;
      const got = await fetch(url);
      expect(got.status).toBe(200);
      expect(Buffer.compare(Buffer.from(await got.arrayBuffer()), bytes)).toBe(0);
      expect(got.headers.get("etag")).toBe(`"${sha256}"`);
      expect(got.headers.get("cache-control")).toContain("immutable");
      const head = await fetch(url, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe("4096");
      const part = await fetch(url, { headers: { Range: "bytes=100-199" } });
      expect(part.status).toBe(206);
      expect(part.headers.get("content-range")).toBe("bytes 100-199/4096");
      expect(Buffer.compare(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 200))).toBe(0);
      const tail = await fetch(url, { headers: { Range: "bytes=-10" } });
      expect(Buffer.compare(Buffer.from(await tail.arrayBuffer()), bytes.subarray(4086))).toBe(0);
      expect((await fetch(url, { headers: { Range: "bytes=5000-" } })).status).toBe(416);
      for (const method of ["PUT", "POST", "DELETE"]) {
        const r = await fetch(url, { method, body: method === "DELETE" ? undefined : "x" });
        expect(r.status, method).toBe(405);
        expect(r.headers.get("allow")).toBe("GET, HEAD");
      }
      expect(Buffer.compare(Buffer.from(store.get(sha256)), bytes)).toBe(0);
      for (const path of ["/", `/${OBJECTS_DIR}/`, `/${OBJECTS_DIR}/${"0".repeat(64)}`, `/${OBJECTS_DIR}/..%2F..%2Fetc%2Fpasswd`, `/${OBJECTS_DIR}/.tmp-x`]) {
        expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
      }
      damage(store, other);
      const bad = await fetch(`${server.url}/${OBJECTS_DIR}/${other}`);
      expect(bad.status).toBe(500);
      expect(await bad.text()).toMatch(/holds other bytes/);
    } finally {
      await server.close();
    }
  });

  it("`airlock store serve` listens, serves what `store put` stored, and stops on SIGTERM", async () => {
    const dir = freshDir();
    const file = join(root, "served.bin");
    const bytes = randomBytes(3000);
    writeFileSync(file, bytes);
    expect((await airlockBinAsync(["store", "put", "--store", dir, file])).code).toBe(0);
    const child = spawn(process.execPath, [BIN, "store", "serve", dir, "--listen", "127.0.0.1:0", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    const lines = createInterface({ input: child.stdout! });
    const listening = await new Promise<{ url: string }>((resolve, reject) => {
      lines.on("line", (line) => {
        const event = JSON.parse(line) as { event: string; url: string };
        if (event.event === "listening") resolve(event);
      });
      child.once("exit", (code) => reject(new Error(`store serve exited with ${code}`)));
    });
    const r = await fetch(`${listening.url}/${OBJECTS_DIR}/${hex(bytes)}`);
    expect(Buffer.compare(Buffer.from(await r.arrayBuffer()), bytes)).toBe(0);
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });

  it("`airlock store serve` refuses a directory that does not exist", async () => {
    const r = await airlockBinAsync(["store", "serve", join(root, "no-such-store")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/there is no artifact store at/);
  });

  it("`airlock store serve` on a busy port says so and exits 2", async () => {
    const store = new ArtifactStore(freshDir());
    store.put(randomBytes(10)); // the store exists: only the port is in the way
    const busy = await serveStore(store, { host: "127.0.0.1", port: 0 });
    try {
      const port = new URL(busy.url).port;
      const r = await airlockBinAsync(["store", "serve", store.root, "--listen", `127.0.0.1:${port}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/EADDRINUSE.*pick another --listen port/);
    } finally {
      await busy.close();
    }
  });
});
