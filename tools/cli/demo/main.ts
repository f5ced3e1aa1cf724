// `npm start`: the guide end to end on embedded defaults. A local artifact store, a signing
// service with a test key on loopback, the release repository in a directory, the rollout service
// on SQLite and a few simulated devices (real agents over emulated flash), one of them on a wire:
// build → test-sign → qualify → internal release → staged rollout → every device updated and
// confirmed. Every step is a real `airlock` command, printed as the line a user would type; the
// services are real processes, all stopped at the end, whatever happens.
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BOARD, BUILDER_ID, HARDWARE_ID, PRODUCT, firmware, writeBuildDescription, writePolicy, writeReleaseConfig } from "./files.js";
import { runFleet } from "./fleet.js";
import { startService, stopService, stopServices, stopServicesOnExit } from "./services.js";
import { localUpdate, startWireDevice } from "./wire.js";
import { announce, run, runJson } from "./steps.js";

// Relative paths, so every command line printed is one the user can paste.
const OUT = "demo-out";
const at = (name: string) => join(OUT, name);

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

interface BuildJson {
  targetsVersion: number;
  buildRecord: { path: string; sha256: string };
}

interface RunJson {
  status: string;
  stoppedAt?: string;
  reason?: string;
}

interface BootJson {
  slot: string;
  trial: boolean;
  targetsVersion: number;
  images: Record<string, string>;
}

const describeBoot = (boot: BootJson) =>
  `running slot ${boot.slot.toUpperCase()}${boot.trial ? " (trial: not yet confirmed)" : ""}, targets v${boot.targetsVersion}, app sha256 ${boot.images.app}`;

function expectRunning(who: string, boot: BootJson, appSha: string): void {
  if (boot.images.app !== appSha || boot.trial) {
    throw new Error(`${who} runs app ${boot.images.app}${boot.trial ? " on trial" : ""}, not the confirmed release ${appSha}; this is a bug, please report it`);
  }
}

async function demo(): Promise<void> {
  const started = Date.now();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const v1 = firmware("airlock demo firmware v1", 48 * 1024);
  const v2 = firmware("airlock demo firmware v2 with a fix", 56 * 1024);
  writeFileSync(at("firmware-v1.bin"), v1);
  writeFileSync(at("firmware-v2.bin"), v2);
  console.log(`airlock demo: the guide end to end; files go to ${OUT}/\nfirmware v1 sha256 ${sha(v1)}\nfirmware v2 sha256 ${sha(v2)}`);

  // Keys: on a real team the targets key lives in the signer (test) or an HSM (production).
  for (const [name, role] of [
    ["root-key", "signs root metadata"],
    ["test-targets", "the signer's test key: signs internal releases"],
    ["builder", "the build system's: signs provenance"],
    ["release", "the release system's: signs channel indexes"],
    ["qualifier", "the qualification lab's: signs test results"],
  ]) {
    await run(`make the ${name} key (${role})`, ["keygen", at(name), "--force"]);
  }
  await run("create root metadata v1 trusting the test targets key", ["root", "create", "--root-key", at("root-key.pub"), "--targets-key", at("test-targets.pub"), "--version", "1", "-o", at("root.bin")]);
  await run("sign the root with the root key", ["root", "sign", "--key", at("root-key"), at("root.bin")]);

  // 1. The build system.
  const description = writeBuildDescription(OUT, 2, "firmware-v2.bin");
  const build = await runJson<BuildJson>(
    "build v2: rules, unsigned bundle, signed provenance, into the artifact store",
    ["build", at(description), "--builder-key", at("builder"), "--builder-id", BUILDER_ID, "--out-dir", at("build-v2"), "--store", at("store"), "--json"],
    (b) => `build record ${b.buildRecord.sha256}`,
    false,
  );

  // 2. The signing service, on loopback.
  writePolicy(OUT);
  await run("give the ci identity a token for the signing service", ["signer", "token", "create", "ci", "--tokens", at("signer-tokens.json"), "-o", at("ci.token")]);
  announce("start the signing service (test key, provenance checked against the ci builder)");
  const signer = await startService("signing service", ["signer", "serve", "--config", at("signer.yaml"), "--listen", "127.0.0.1:0"]);

  // 3. The release system: test-sign, qualify, publish to internal.
  writeReleaseConfig(OUT, signer.url!);
  const release = await runJson<RunJson>(
    "release it: test-sign on the signer, qualify on the simulated board, publish to internal",
    ["release", "run", "--config", at("release.yaml"), build.buildRecord.sha256, "--actor", "demo", "--json"],
    (r) => `status ${r.status}${r.reason ? `: ${r.reason}` : ""}`,
    false,
  );
  if (release.status !== "passed") throw new Error(`the release stopped at ${release.stoppedAt}: ${release.reason}`);
  announce("serve the release repository (any static server does; nginx in production)");
  const repository = await startService("release repository", ["release", "serve", at("releases"), "--listen", "127.0.0.1:0"]);

  // 4. A local update: a developer's board on a wire takes the internal release with the dev tools.
  const wire = { at, board: BOARD, product: PRODUCT, hardwareId: HARDWARE_ID, v1: "firmware-v1.bin" };
  const devBoard = await startWireDevice(wire, "dev-board", "dev board");
  await localUpdate(wire, repository.url!, devBoard);
  await stopService(devBoard);
  const devBoot = await runJson<BootJson>("power the dev board on from its saved flash: v2, confirmed", ["sim", "boot", "--flash", at("dev-board.flash"), "--json"], describeBoot, false);
  expectRunning("the dev board", devBoot, sha(v2));

  // 5. The rollout service and the fleet, the bench board on a wire among it.
  await runFleet({ ...wire, repositoryUrl: repository.url!, targetsVersion: build.targetsVersion });
  const benchBoot = await runJson<BootJson>("power the bench board on from its saved flash: v2, confirmed", ["sim", "boot", "--flash", at("bench.flash"), "--json"], describeBoot, false);
  expectRunning("the bench board", benchBoot, sha(v2));

  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s; every service stopped; files are in ${OUT}/`);
}

stopServicesOnExit();
demo()
  .catch((err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => stopServices());
