// `npm start`, the README's first command, as a new user runs it: the guide end to end in a fresh
// directory (build, test-sign, qualify, internal release, a bench board over the wire, a staged
// rollout to simulated thermostats). It must finish, say every device runs the release, and leave
// none of the services it started running.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDirs } from "./helpers/cli-run.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const dirs = scratchDirs("e2e-demo");
afterAll(() => dirs.cleanup());

function runDemo(cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "tools/cli/demo/main.ts")], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("npm start", () => {
  it("takes a build through signing and release to a dev board over the wire and a staged rollout (one device on a wire), and leaves nothing running", async () => {
    const cwd = dirs.make();
    const run = await runDemo(cwd);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/release it: .*\n[\s\S]*-> status passed/);
    // The dev tools' local update over the wire, then the dev board's own flash.
    expect(run.stdout).toMatch(/update the dev board over the wire[\s\S]*?-> FINISHED SUCCESS/);
    expect(run.stdout).toMatch(/ask the dev board what it runs[\s\S]*?-> slot B, targets v2, confirmed/);
    // The staged rollout: the bench board (on a wire, through the gateway) first, then the waves in turn.
    expect(run.stdout).toContain("rollout 1 completed; wave 1 (groups bench, 1 device): 1 installed; wave 2 (up to 20%, 1 device): 1 installed; wave 3 (up to 50%, 2 devices): 2 installed; wave 4 (up to 100%, 3 devices): 3 installed");
    expect(run.stdout).toContain("wave 1 (groups bench, 1 device): 1 installed; wave 2 (up to 20%, 1 device): waiting");
    expect(run.stdout).toContain("the devices' own agents: 6 on targets v2, every one confirmed");
    expect(run.stdout).toMatch(/ask the bench board itself what it runs[\s\S]*?-> slot B, targets v2, confirmed/);
    expect(run.stdout).toMatch(/power the bench board on from its saved flash[^\n]*\n[^\n]*\n-> running slot B, targets v2, app sha256 [0-9a-f]{64}/);
    // Every service it started is gone: signer, repository, dev board, rollout service, bench board, gateway.
    const pids = [...run.stdout.matchAll(/-> [^\n]*(?:listening|running)[^\n]*\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(6);
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(join(cwd, "demo-out", "bench.flash"))).toBe(true);
  }, 180_000);
});
