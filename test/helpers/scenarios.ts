// The interrupted actions of issue 5 as sweep scenarios: an update, the revert of an unconfirmed
// image, and an update that rotates the trusted root. Each is built on a freshly manufactured
// device of the given board and says what "old" and "new" mean for it.
import { createHash } from "node:crypto";
import type { NorFlash } from "../../host-sim/flash.js";
import type { Board } from "../../host-sim/boards.js";
import { OK } from "../../assembly/status.js";
import { RESULT, STATE } from "../../host-sim/device.js";
import { cast, image, makeBundle } from "./fixtures.js";
import { codeName, manufacture, powerOn, runningImage, type Session } from "./device.js";
import type { BootReport, Observed, SweepScenario } from "./sweep.js";

// Images spanning several 4 KiB sectors and ending off a sector boundary, so the sweep crosses
// sector erases, partial write units and the last partial sector.
export const OLD_APP = image("reliability firmware v1", 20_000);
export const NEW_APP = image("reliability firmware v2", 37_003);

function expectOk(what: string, code: number): void {
  if (code !== OK) throw new Error(`${what} returned ${codeName(code)} (${code})`);
}

/** Installs `bundle` in the current session, reboots into it (trial), confirms, reboots. */
async function installAndConfirm(board: Board, flash: NorFlash, session: Session, bundle: Uint8Array): Promise<BootReport> {
  expectOk("update", await session.update(bundle));
  const trial = await powerOn(board, flash);
  if (!trial.report.trial) throw new Error("the new image did not boot in trial");
  expectOk("confirm", await trial.confirm());
  return (await powerOn(board, flash)).report;
}

/** The shared finish of update-like scenarios: whatever the cut left, end on the new image. */
async function finishUpdate(board: Board, flash: NorFlash, observed: Observed<Session>, bundle: Uint8Array, newSlotImage: Uint8Array): Promise<BootReport> {
  const { report, session } = observed;
  const runsNew = Object.values(report.images).includes(sha256(newSlotImage));
  if (runsNew && report.trial) {
    expectOk("confirm", await session.confirm());
    return (await powerOn(board, flash)).report;
  }
  if (runsNew) return report;
  return installAndConfirm(board, flash, session, bundle);
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * When the new image runs, the update session reads FINISHED/SUCCESS: a cut between install's
 * slot switch and the session's own record must not leave the bundle looking un-installed, or a
 * host following update_status verifies it during the trial and applies it again afterwards.
 * (The converse does not hold: an installed image whose trial was cut may already be reverted.)
 */
function sessionAgrees(observed: Observed<Session>): string | null {
  if (observed.report.images.app !== sha256(NEW_APP)) return null;
  const s = observed.session.device.status();
  if (s.state === STATE.FINISHED && s.result === RESULT.SUCCESS) return null;
  return `the new image runs but the update session reads ${s.stateName}/${s.resultName}`;
}

const observe = async (board: Board, flash: NorFlash): Promise<Observed<Session>> => {
  const session = await powerOn(board, flash);
  return { report: session.report, session };
};

/** An ordinary update v1 -> v2 under the same root: cut anywhere in update + trial reboot. */
export async function updateScenario(board: Board): Promise<SweepScenario<Session>> {
  const c = cast();
  const base = await manufacture(board, c.rootV1, { app: OLD_APP });
  const baseReport = (await powerOn(board, base.clone())).report;
  const bundle = makeBundle({ targetsVersion: baseReport.targetsVersion + 1, payloads: { app: NEW_APP }, signers: [c.devTargets] });
  return {
    name: "update",
    board,
    base,
    async action(flash) {
      const session = await powerOn(board, flash);
      expectOk("update", await session.update(bundle));
      await powerOn(board, flash);
    },
    observe: (flash) => observe(board, flash),
    runningImage: (flash, report, target, length) => runningImage(board, flash, report, target, length),
    old: { label: "old", images: { app: OLD_APP }, targetsVersion: baseReport.targetsVersion, rootVersions: [baseReport.rootVersion] },
    new: { label: "new", images: { app: NEW_APP }, targetsVersion: baseReport.targetsVersion + 1, rootVersions: [baseReport.rootVersion] },
    finish: (flash, observed) => finishUpdate(board, flash, observed, bundle, NEW_APP),
    final: "new",
    probe: async (_flash, observed) => sessionAgrees(observed),
  };
}

/** A device whose new image booted once in trial and was never confirmed: the next boot reverts. */
export async function revertScenario(board: Board): Promise<SweepScenario<Session>> {
  const c = cast();
  const base = await manufacture(board, c.rootV1, { app: OLD_APP });
  const first = await powerOn(board, base);
  const oldVersion = first.report.targetsVersion;
  const bundle = makeBundle({ targetsVersion: oldVersion + 1, payloads: { app: NEW_APP }, signers: [c.devTargets] });
  expectOk("update", await first.update(bundle));
  const trial = await powerOn(board, base);
  if (!trial.report.trial) throw new Error(`${board.name}: the new image did not boot in trial`);
  return {
    name: "revert",
    board,
    base,
    async action(flash) {
      await powerOn(board, flash);
    },
    observe: (flash) => observe(board, flash),
    runningImage: (flash, report, target, length) => runningImage(board, flash, report, target, length),
    old: { label: "old", images: { app: OLD_APP }, targetsVersion: oldVersion, rootVersions: [first.report.rootVersion] },
    new: { label: "new", images: { app: NEW_APP }, targetsVersion: oldVersion + 1, rootVersions: [first.report.rootVersion] },
    async finish(flash, observed) {
      // Never confirm: an unconfirmed image must end reverted, however often power fails.
      let report = observed.report;
      for (let boots = 0; boots < 3 && (report.trial || report.images.app === sha256(NEW_APP)); boots++) {
        report = (await powerOn(board, flash)).report;
      }
      return report;
    },
    final: "old",
  };
}

/**
 * The trial boot of an installed update and its confirm: cut anywhere from the power-on that
 * first runs the new image through confirm() to the next power-on. A cut before the confirm is
 * durable may legitimately revert (the image never confirmed); either way, never a mix, and the
 * update then completes.
 */
export async function confirmScenario(board: Board): Promise<SweepScenario<Session>> {
  const c = cast();
  const base = await manufacture(board, c.rootV1, { app: OLD_APP });
  const first = await powerOn(board, base);
  const oldVersion = first.report.targetsVersion;
  const bundle = makeBundle({ targetsVersion: oldVersion + 1, payloads: { app: NEW_APP }, signers: [c.devTargets] });
  expectOk("update", await first.update(bundle));
  return {
    name: "confirm",
    board,
    base,
    async action(flash) {
      const trial = await powerOn(board, flash);
      expectOk("confirm", await trial.confirm());
      await powerOn(board, flash);
    },
    observe: (flash) => observe(board, flash),
    runningImage: (flash, report, target, length) => runningImage(board, flash, report, target, length),
    old: { label: "old", images: { app: OLD_APP }, targetsVersion: oldVersion, rootVersions: [first.report.rootVersion] },
    new: { label: "new", images: { app: NEW_APP }, targetsVersion: oldVersion + 1, rootVersions: [first.report.rootVersion] },
    finish: (flash, observed) => finishUpdate(board, flash, observed, bundle, NEW_APP),
    final: "new",
  };
}

/** An update that carries a new root (dev v1 -> prod v2, signed by both root keys). */
export async function rotationScenario(board: Board): Promise<SweepScenario<Session>> {
  const c = cast();
  const base = await manufacture(board, c.rootV1, { app: OLD_APP });
  const baseReport = (await powerOn(board, base.clone())).report;
  const bundle = makeBundle({
    targetsVersion: baseReport.targetsVersion + 1,
    payloads: { app: NEW_APP },
    signers: [c.prodTargets],
    root: c.rootV2,
  });
  return {
    name: "rotation",
    board,
    base,
    async action(flash) {
      const session = await powerOn(board, flash);
      expectOk("update", await session.update(bundle));
      await powerOn(board, flash);
    },
    observe: (flash) => observe(board, flash),
    runningImage: (flash, report, target, length) => runningImage(board, flash, report, target, length),
    // The new root is persisted before anything is installed: old image with either root.
    old: { label: "old", images: { app: OLD_APP }, targetsVersion: baseReport.targetsVersion, rootVersions: [1, 2] },
    new: { label: "new", images: { app: NEW_APP }, targetsVersion: baseReport.targetsVersion + 1, rootVersions: [2] },
    finish: (flash, observed) => finishUpdate(board, flash, observed, bundle, NEW_APP),
    final: "new",
    // The reported root version must be backed by exactly that root's keys: targets signed by
    // its targets key verify, targets signed by the other root's targets key do not.
    async probe(flash, observed) {
      const session = sessionAgrees(observed);
      if (session) return session;
      const { rootVersion, targetsVersion } = observed.report;
      const [trusted, other] = rootVersion === 2 ? [c.prodTargets, c.devTargets] : [c.devTargets, c.prodTargets];
      const probe = (signer: typeof trusted) =>
        makeBundle({ targetsVersion: targetsVersion + 1, payloads: { app: image("root probe", 64) }, signers: [signer] });
      const device = (await powerOn(board, flash)).device;
      const good = device.verify(probe(trusted));
      if (!good.ok) return `trusted root v${rootVersion} does not accept its own targets key: ${good.errorName}`;
      const bad = (await powerOn(board, flash)).device.verify(probe(other));
      if (bad.errorName !== "ERR_TARGETS_NOT_SIGNED") return `trusted root v${rootVersion} answers ${bad.errorName} to the other root's targets key`;
      return null;
    },
  };
}

/** How often resumeUpdate continued an interrupted transfer or sent the update again. */
export const resumeStats = { resumed: 0, restarted: 0 };

/**
 * How the host carries on after a cut during an update, as a real update client does: confirm
 * the new image if it runs, else continue an interrupted transfer where the device says it
 * stopped (resume), or send the update again.
 */
export async function resumeUpdate(board: Board, flash: NorFlash, observed: Observed<Session>, bundle: Uint8Array): Promise<void> {
  const { report, session } = observed;
  if (report.images.app === sha256(NEW_APP)) {
    if (report.trial) expectOk("confirm", await session.confirm());
    return;
  }
  const resume = session.updateState() === STATE.TRANSFERRING;
  resumeStats[resume ? "resumed" : "restarted"]++;
  expectOk(resume ? "resumed update" : "update", await session.update(bundle, { resume }));
  await powerOn(board, flash);
}
