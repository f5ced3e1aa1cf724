// What devices ask of the rollout service, each question one transaction: enroll, check in (report
// what it runs, get nothing or its action), read its deployment, report progress and results.
// A check-in locks the device's row first, then any rollout row it decides about: two processes
// answering one device take turns and give it the same action; two filling one wave take turns
// and never give out more than the wave's size.
import { timingSafeEqual } from "node:crypto";
import { newToken, tokenSha256 } from "../signer/index.js";
import type { FleetContext } from "./context.js";
import { meaningOf, PROGRESS_RANK, type DdiFeedback } from "./feedback.js";
import { ASSIGNING_STATES, OPEN_ACTION_STATES, type DeviceManifest, type Rollout } from "./model.js";
import { evaluateRollout } from "./progress.js";
import { Refusal } from "./refusal.js";
import { actionOf, countInWave, insertAction, openActionOf, rolloutsTriedBy, updateAction, type Action } from "./tables/actions.js";
import { addAudit } from "./tables/audit.js";
import { enrollSecretHash } from "./tables/credentials.js";
import { deviceExists, insertDevice, lockDeviceByToken, touchDevice, updateReport, type DeviceRecord } from "./tables/devices.js";
import { candidateRollouts, lockRollout, wavesOf } from "./tables/rollouts.js";
import type { SqlTx } from "./db/driver.js";
import { inTargetSet, releaseFits, waveTakes } from "./targeting.js";

const DEVICE_TOKEN_PREFIX = "airlock_dev_";

export interface Assignment {
  action: Action;
  rollout: Rollout;
}

export interface DeviceCredentials {
  tenant: string;
  deviceId: string;
  token: string;
}

const sameHash = (a: string, b: string) => timingSafeEqual(Buffer.from(a, "hex"), Buffer.from(b, "hex"));

export class DeviceService {
  constructor(private readonly context: FleetContext) {}

  private get now(): number {
    return this.context.clock.now();
  }

  /** An unknown device joins with its product's enrollment secret; the token is returned once. */
  async enroll(tenant: string, deviceId: string, secret: string, manifest: DeviceManifest): Promise<string> {
    if (manifest.product !== tenant) throw new Refusal(409, "WRONG_PRODUCT", `device reports product ${manifest.product} but enrolls under ${tenant}`);
    return this.context.db.transaction(async (tx) => {
      const expected = await enrollSecretHash(tx, tenant);
      if (expected === undefined || !sameHash(expected, tokenSha256(secret))) {
        throw new Refusal(401, "BAD_ENROLLMENT_SECRET", `not product ${tenant}'s enrollment secret (Authorization: GatewayToken SECRET; airlock fleet enroll-secret create)`);
      }
      if (await deviceExists(tx, deviceId)) {
        throw new Refusal(409, "ALREADY_ENROLLED", `device ${deviceId} is already enrolled: it uses its own token; an operator removes it first to enroll it again (airlock fleet devices remove)`);
      }
      const token = newToken(DEVICE_TOKEN_PREFIX);
      await insertDevice(tx, deviceId, manifest, tokenSha256(token), this.now);
      await addAudit(tx, this.now, `device:${deviceId}`, "device.enroll", `device/${deviceId}`, { product: tenant, hardwareId: manifest.hardwareId, targetsVersion: manifest.targetsVersion });
      return token;
    });
  }

  private async lockDevice(tx: SqlTx, who: DeviceCredentials): Promise<DeviceRecord> {
    const device = await lockDeviceByToken(tx, who.deviceId, tokenSha256(who.token));
    if (!device || device.product !== who.tenant) {
      throw new Refusal(401, "UNAUTHENTICATED", `no device ${who.deviceId} of ${who.tenant} with this token (Authorization: TargetToken TOKEN, the token enrollment returned)`);
    }
    return device;
  }

  /** The device's report and the answer: its action (the same one until it finishes), or none. */
  async checkIn(who: DeviceCredentials, manifest?: DeviceManifest): Promise<Assignment | undefined> {
    return this.context.db.transaction(async (tx) => {
      const device = await this.lockDevice(tx, who);
      const now = this.now;
      if (manifest) {
        if (manifest.product !== device.product || manifest.hardwareId !== device.hardwareId) {
          throw new Refusal(409, "IDENTITY_CHANGED", `device ${device.id} enrolled as ${device.product} on hardware ${device.hardwareId} and now reports ${manifest.product} on ${manifest.hardwareId}: an operator removes and re-enrolls it`);
        }
        await updateReport(tx, device.id, manifest, now);
        device.targetsVersion = manifest.targetsVersion;
        device.images = manifest.images;
      } else {
        await touchDevice(tx, device.id, now);
      }
      const open = await this.openAssignment(tx, device, now);
      if (open) return open;
      return this.assign(tx, device, now);
    });
  }

  /**
   * The device's unfinished action if it still stands. One whose release the device now runs
   * was installed (its result was lost on the way); one below what the device runs is withdrawn.
   */
  private async openAssignment(tx: SqlTx, device: DeviceRecord, now: number): Promise<Assignment | undefined> {
    const action = await openActionOf(tx, device.id);
    if (!action) return undefined;
    const rollout = (await lockRollout(tx, action.rolloutId))!;
    if (releaseFits(rollout, device)) return { action, rollout };
    const installed = device.targetsVersion === rollout.targetsVersion;
    await updateAction(tx, action.id, installed ? "installed" : "cancelled", now, {
      details: installed ? "the device reports running the release (its result never arrived)" : `the device reports targets v${device.targetsVersion}, not below the release's v${rollout.targetsVersion}`,
    });
    await evaluateRollout(tx, rollout, now);
    return undefined;
  }

  private async assign(tx: SqlTx, device: DeviceRecord, now: number): Promise<Assignment | undefined> {
    const tried = await rolloutsTriedBy(tx, device.id);
    for (const seen of await candidateRollouts(tx, device.product, device.hardwareId, device.targetsVersion, ASSIGNING_STATES)) {
      if (tried.has(seen.id) || !inTargetSet(seen, device)) continue;
      // Decided again under the rollout's lock: another process may have paused it or filled its wave.
      const rollout = (await lockRollout(tx, seen.id))!;
      if (!ASSIGNING_STATES.includes(rollout.state)) continue;
      for (const wave of (await wavesOf(tx, rollout.id)).slice(0, rollout.currentWave + 1)) {
        if (!waveTakes(wave, device.groups)) continue;
        if (wave.capped && (await countInWave(tx, rollout.id, wave.number)) >= wave.size) continue;
        return { action: await insertAction(tx, rollout.id, wave.number, device.id, now), rollout };
      }
    }
    return undefined;
  }

  /** The deployment behind an action the device holds. */
  async deployment(who: DeviceCredentials, actionId: number): Promise<Assignment> {
    return this.context.db.transaction(async (tx) => {
      const device = await this.lockDevice(tx, who);
      const action = await actionOf(tx, actionId, device.id);
      if (!action) throw new Refusal(404, "NO_SUCH_ACTION", `device ${device.id} has no action ${actionId}`);
      const rollout = (await lockRollout(tx, action.rolloutId))!;
      if (!OPEN_ACTION_STATES.includes(action.state)) throw new Refusal(409, "ACTION_CLOSED", `action ${actionId} is ${action.state}: check in again for what to do`);
      if (!releaseFits(rollout, device)) throw new Refusal(409, "ACTION_CLOSED", `action ${actionId}'s release v${rollout.targetsVersion} is not above what device ${device.id} runs (v${device.targetsVersion})`);
      return { action, rollout };
    });
  }

  /** Progress or a result for an action; returns the action's state after it. */
  async feedback(who: DeviceCredentials, actionId: number, feedback: DdiFeedback): Promise<Action> {
    const meaning = meaningOf(feedback);
    return this.context.db.transaction(async (tx) => {
      const device = await this.lockDevice(tx, who);
      const now = this.now;
      await touchDevice(tx, device.id, now);
      const action = await actionOf(tx, actionId, device.id);
      if (!action) throw new Refusal(404, "NO_SUCH_ACTION", `device ${device.id} has no action ${actionId}`);
      const rollout = (await lockRollout(tx, action.rolloutId))!;
      const finished = !OPEN_ACTION_STATES.includes(action.state);
      if (finished) {
        // The same result again is a retry of a reply that was lost; anything else comes too late.
        if (meaning.state === action.state) return action;
        throw new Refusal(409, "ACTION_CLOSED", `action ${actionId} is already ${action.state}${action.details ? ` (${action.details})` : ""}: this report changes nothing`);
      }
      if (meaning.state === undefined || PROGRESS_RANK[meaning.state] <= PROGRESS_RANK[action.state]) return action;
      await updateAction(tx, action.id, meaning.state, now, { errorCode: meaning.errorCode, details: meaning.details });
      await evaluateRollout(tx, rollout, now);
      return { ...action, state: meaning.state, errorCode: meaning.errorCode ?? null, details: meaning.details ?? null, updatedAt: now };
    });
  }
}
