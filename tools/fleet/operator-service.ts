// What operators do: rollouts (create from a verified release, pause, resume, cancel, emergency
// stop, show), devices (search, groups, removal), and the periodic tick. Every change is one
// transaction with its audit entry (who, when, what) in it.
import { InputError, RejectedError } from "../format/index.js";
import { STANDARD_CHANNELS, type ChannelIndex } from "../release/index.js";
import type { FleetContext } from "./context.js";
import { DEFAULT_POLICY, NOT_STARTED_ACTION_STATES, type Rollout, type RolloutPolicy, type RolloutState, type TargetSet, type Wave, type WaveSpec } from "./model.js";
import { evaluateRollout, type Progression } from "./progress.js";
import { Refusal } from "./refusal.js";
import { cancelActions, countsByWave, emptyCounts, failedActions, failuresIn, type Action, type StateCounts } from "./tables/actions.js";
import { addAudit, listAudit, type AuditEntry } from "./tables/audit.js";
import { deleteDevice, deviceExists, devicesOf, searchDevices, setGroups, type DeviceRecord, type DeviceSearch } from "./tables/devices.js";
import { acceptFailures, getRollout, insertRollout, lastIndexVersion, listRollouts, lockRollout, setRolloutState, wavesOf } from "./tables/rollouts.js";
import type { SqlTx } from "./db/driver.js";
import { inTargetSet } from "./targeting.js";
import { parseVersionQuery } from "./version-query.js";
import { checkWaves, planWaves } from "./waves.js";

export interface CreateRollout {
  name?: string;
  channel: string;
  product: string;
  /** The release for this hardware ID (and only devices of it). */
  hardwareId?: string;
  /** The bundle SHA-256 the operator means: refused if the index names another. */
  expectSha256?: string;
  groups?: string[];
  versions?: string;
  waves?: WaveSpec[];
  policy?: Partial<RolloutPolicy>;
  /** One wave for the whole target set, no soak: the release still comes from the signed index. */
  emergency?: boolean;
}

export interface WaveView extends Wave {
  counts: StateCounts;
  failures: number;
}

export interface RolloutView {
  rollout: Rollout;
  waves: WaveView[];
  totals: StateCounts;
  failing: Action[];
}

/** A channel as the release repository has it: its verified index, nothing published, or why it was refused. */
export interface ChannelView {
  channel: string;
  index?: ChannelIndex;
  refused?: string;
}

/** Which states each operator action may start from. */
export const ROLLOUT_ACTION_FROM: Record<"pause" | "resume" | "cancel" | "stop", readonly RolloutState[]> = {
  pause: ["running", "completed"],
  resume: ["paused"],
  cancel: ["running", "paused", "completed"],
  stop: ["running", "paused", "completed", "cancelled"],
};

function checkPolicy(policy: RolloutPolicy): RolloutPolicy {
  const percent = (n: number, what: string) => {
    if (!(Number.isFinite(n) && n >= 0 && n <= 100)) throw new InputError(`${what} ${n}: a percentage from 0 to 100`);
  };
  percent(policy.successPercent, "success threshold");
  percent(policy.errorPercent, "error threshold");
  if (!(Number.isSafeInteger(policy.soakMs) && policy.soakMs >= 0)) throw new InputError(`soak time ${policy.soakMs} ms: a whole number of milliseconds, 0 or more`);
  if (!(Number.isSafeInteger(policy.deviceTimeoutMs) && policy.deviceTimeoutMs > 0)) throw new InputError(`device timeout ${policy.deviceTimeoutMs} ms: a whole number of milliseconds above 0`);
  return policy;
}

export class OperatorService {
  constructor(private readonly context: FleetContext) {}

  private get now(): number {
    return this.context.clock.now();
  }

  async createRollout(actor: string, request: CreateRollout): Promise<RolloutView> {
    if (request.versions !== undefined) parseVersionQuery(request.versions);
    const waves = request.emergency ? [{ percent: 100 }] : checkWaves(request.waves ?? [{ percent: 100 }]);
    const policy = checkPolicy({ ...DEFAULT_POLICY, ...request.policy, ...(request.emergency ? { soakMs: 0 } : {}) });
    const lastSeen = await this.context.db.transaction((tx) => lastIndexVersion(tx, request.channel));
    // The index is fetched and verified before the transaction (no network inside one).
    let resolved;
    try {
      resolved = await this.context.releases.resolve({ channel: request.channel, product: request.product, hardwareId: request.hardwareId, lastSeenIndexVersion: lastSeen });
    } catch (err) {
      if (err instanceof RejectedError || err instanceof InputError) throw new Refusal(502, "RELEASE_REFUSED", `no rollout: ${err.message}`);
      throw err;
    }
    const { release } = resolved;
    if (request.expectSha256 !== undefined && request.expectSha256 !== release.bundle.sha256) {
      throw new Refusal(409, "NOT_THAT_RELEASE", `channel ${request.channel} (index v${resolved.indexVersion}) names bundle ${release.bundle.sha256} for ${request.product}, not ${request.expectSha256}`);
    }
    const target: TargetSet = {
      ...(request.hardwareId !== undefined ? { hardwareId: request.hardwareId } : {}),
      ...(request.groups !== undefined && request.groups.length > 0 ? { groups: request.groups } : {}),
      ...(request.versions !== undefined ? { versions: request.versions } : {}),
    };
    return this.context.db.transaction(async (tx) => {
      const now = this.now;
      if (resolved.indexVersion < (await lastIndexVersion(tx, request.channel))) {
        throw new Refusal(409, "INDEX_ROLLBACK", `channel ${request.channel}'s index v${resolved.indexVersion} is older than one a rollout already used: refused as a rollback`);
      }
      const fields = {
        name: request.name ?? `${request.product} v${release.targetsVersion} on ${request.channel}`,
        product: request.product,
        channel: request.channel,
        releaseHardwareId: release.hardwareId,
        targetsVersion: release.targetsVersion,
        bundle: { sha256: release.bundle.sha256, size: release.bundle.size, url: resolved.bundleUrl },
        indexVersion: resolved.indexVersion,
        target,
        policy,
        emergency: request.emergency === true,
        createdBy: actor,
        createdAt: now,
      };
      const probe: Rollout = { ...fields, id: 0, state: "running", stateReason: null, currentWave: 0, updatedAt: now };
      const targets = (await devicesOf(tx, request.product, release.hardwareId ?? request.hardwareId ?? null)).filter((d) => inTargetSet(probe, d));
      const planned = planWaves(waves, targets);
      const id = await insertRollout(tx, fields, planned);
      await addAudit(tx, now, actor, "rollout.create", `rollout/${id}`, {
        channel: request.channel, product: request.product, targetsVersion: release.targetsVersion, bundleSha256: release.bundle.sha256, indexVersion: resolved.indexVersion,
        emergency: fields.emergency, target, waves: planned.map((w) => w.size), targetDevices: targets.length,
      });
      return this.view(tx, id);
    });
  }

  private async change(actor: string, id: number, verb: keyof typeof ROLLOUT_ACTION_FROM, reason: string | undefined): Promise<RolloutView> {
    return this.context.db.transaction(async (tx) => {
      const now = this.now;
      const rollout = await lockRollout(tx, id);
      if (!rollout) throw new Refusal(404, "NO_SUCH_ROLLOUT", `there is no rollout ${id} (airlock fleet rollout show lists them)`);
      if (!ROLLOUT_ACTION_FROM[verb].includes(rollout.state)) {
        throw new Refusal(409, "WRONG_STATE", `rollout ${id} is ${rollout.state}: ${verb} applies to ${ROLLOUT_ACTION_FROM[verb].join(" or ")} rollouts`);
      }
      const details: Record<string, unknown> = { from: rollout.state, ...(reason ? { reason } : {}) };
      if (verb === "pause") await setRolloutState(tx, id, "paused", reason ?? `paused by ${actor}`, now);
      if (verb === "cancel") await setRolloutState(tx, id, "cancelled", reason ?? `cancelled by ${actor}`, now);
      if (verb === "stop") {
        await setRolloutState(tx, id, "stopped", reason ?? `emergency stop by ${actor}`, now);
        details.withdrawn = await cancelActions(tx, id, NOT_STARTED_ACTION_STATES, now, `withdrawn by the emergency stop of rollout ${id}`);
      }
      if (verb === "resume") {
        const counts = (await countsByWave(tx, id)).get(rollout.currentWave) ?? emptyCounts();
        await acceptFailures(tx, id, rollout.currentWave, failuresIn(counts));
        await setRolloutState(tx, id, "running", null, now);
        details.acceptedFailures = failuresIn(counts);
        await evaluateRollout(tx, { ...rollout, state: "running" }, now);
      }
      await addAudit(tx, now, actor, `rollout.${verb}`, `rollout/${id}`, details);
      return this.view(tx, id);
    });
  }

  pause(actor: string, id: number, reason?: string) {
    return this.change(actor, id, "pause", reason);
  }

  resume(actor: string, id: number, reason?: string) {
    return this.change(actor, id, "resume", reason);
  }

  cancel(actor: string, id: number, reason?: string) {
    return this.change(actor, id, "cancel", reason);
  }

  /** Emergency stop: nothing more for anyone; devices that had not started installing are withdrawn. */
  stop(actor: string, id: number, reason?: string) {
    return this.change(actor, id, "stop", reason);
  }

  private async view(tx: SqlTx, id: number): Promise<RolloutView> {
    const rollout = await getRollout(tx, id);
    if (!rollout) throw new Refusal(404, "NO_SUCH_ROLLOUT", `there is no rollout ${id} (airlock fleet rollout show lists them)`);
    const counts = await countsByWave(tx, id);
    const totals = emptyCounts();
    const waves = (await wavesOf(tx, id)).map((wave) => {
      const c = counts.get(wave.number) ?? emptyCounts();
      for (const [state, n] of Object.entries(c)) totals[state as keyof StateCounts] += n;
      return { ...wave, counts: c, failures: failuresIn(c) };
    });
    return { rollout, waves, totals, failing: await failedActions(tx, id, 50) };
  }

  show(id: number): Promise<RolloutView> {
    return this.context.db.transaction((tx) => this.view(tx, id));
  }

  list(): Promise<Rollout[]> {
    return this.context.db.transaction((tx) => listRollouts(tx));
  }

  /** The standard channels and every channel a rollout used, each index verified as for a rollout. */
  async channels(): Promise<ChannelView[]> {
    const used = await this.context.db.transaction(async (tx) => {
      const names = [...new Set([...STANDARD_CHANNELS, ...(await listRollouts(tx)).map((r) => r.channel)])];
      return Promise.all(names.map(async (channel) => ({ channel, lastSeen: await lastIndexVersion(tx, channel) })));
    });
    return Promise.all(used.map(async ({ channel, lastSeen }): Promise<ChannelView> => {
      try {
        const index = await this.context.releases.channel(channel, lastSeen);
        return index ? { channel, index } : { channel };
      } catch (err) {
        if (err instanceof RejectedError || err instanceof InputError) return { channel, refused: err.message };
        throw err;
      }
    }));
  }

  devices(search: DeviceSearch): Promise<DeviceRecord[]> {
    return this.context.db.transaction((tx) => searchDevices(tx, search));
  }

  async setDeviceGroups(actor: string, deviceId: string, groups: string[]): Promise<void> {
    await this.context.db.transaction(async (tx) => {
      if (!(await deviceExists(tx, deviceId))) throw new Refusal(404, "NO_SUCH_DEVICE", `there is no device ${deviceId}`);
      await setGroups(tx, deviceId, groups);
      await addAudit(tx, this.now, actor, "device.groups", `device/${deviceId}`, { groups });
    });
  }

  async removeDevice(actor: string, deviceId: string): Promise<void> {
    await this.context.db.transaction(async (tx) => {
      if (!(await deleteDevice(tx, deviceId))) throw new Refusal(404, "NO_SUCH_DEVICE", `there is no device ${deviceId}`);
      await addAudit(tx, this.now, actor, "device.remove", `device/${deviceId}`);
    });
  }

  audit(options: { subject?: string; limit: number }): Promise<AuditEntry[]> {
    return this.context.db.transaction((tx) => listAudit(tx, options));
  }

  /** The periodic tick: every live rollout evaluated (timeouts, thresholds, soak), each in its own transaction. */
  async tick(): Promise<Map<number, Progression>> {
    const live = await this.context.db.transaction((tx) => listRollouts(tx, ["running", "paused", "completed"]));
    const out = new Map<number, Progression>();
    for (const { id } of live) {
      out.set(id, await this.context.db.transaction(async (tx) => {
        const rollout = (await lockRollout(tx, id))!;
        return evaluateRollout(tx, rollout, this.now);
      }));
    }
    return out;
  }
}
