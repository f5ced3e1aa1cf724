// qualifyRelease: every suite on every board, then one signed record per suite that ran. A suite
// passes only when it passed on every board it ran on; a failing suite still gets its (fail)
// record, so the history shows it. The bundle is signed by test keys and the devices trust the
// root those keys belong to: qualification happens before the production signature, and the
// signing service later checks the records against the targets metadata it is asked to sign,
// which is byte for byte what was qualified.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AGENT_LINK_WASM_URL, AGENT_WASM_URL, DEFAULT_BOARD, boardNamed } from "../../../host-sim/index.js";
import { InputError, parseBundle } from "../../format/index.js";
import { signQualification, type QualificationRecord } from "../../signer/index.js";
import { runOnBoard } from "./check.js";
import { planBoard, type BoardPlan } from "./plan.js";
import { qemuMachines, qemuSuite, type QemuRunInfo } from "./qemu.js";
import { simPowerCutSuite } from "./sim-power-cut.js";
import { simRevertSuite } from "./sim-revert.js";
import { simUpdateSuite } from "./sim-update.js";
import { simWireSuite } from "./sim-wire.js";
import { DEFAULT_POWER_CUTS, QEMU_MODES, QUALIFY_SUITES, type BoardRun, type QualifyOptions, type QualifyResult, type SuiteName, type SuiteResult } from "./types.js";

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function agentSha256(url: URL): string {
  if (!existsSync(url)) throw new InputError(`the agent is not built (${fileURLToPath(url)} is missing): run \`npm run build\` first`);
  return sha256Hex(readFileSync(url));
}

/** Validates the options that are not the bundle's business (InputError: the caller's mistake). */
function checkOptions(options: QualifyOptions): { suites: SuiteName[]; powerCuts: number } {
  if (!options.product) throw new InputError("name the product being qualified (--product P)");
  const powerCuts = options.powerCuts ?? DEFAULT_POWER_CUTS;
  if (!Number.isInteger(powerCuts) || powerCuts < 1) throw new InputError(`the power-cut count must be a positive integer, got ${powerCuts}`);
  if (options.qemu !== undefined && !QEMU_MODES.includes(options.qemu)) throw new InputError(`QEMU mode ${options.qemu}: expected ${QEMU_MODES.join(", ")}`);
  const suites = options.suites ?? [...QUALIFY_SUITES];
  for (const suite of suites) {
    if (!QUALIFY_SUITES.includes(suite)) throw new InputError(`unknown suite "${suite}": the suites are ${QUALIFY_SUITES.join(", ")}`);
  }
  return { suites, powerCuts };
}

export async function qualifyRelease(options: QualifyOptions): Promise<QualifyResult> {
  const { suites, powerCuts } = checkOptions(options);
  const parsed = parseBundle(options.bundle); // a file that is no bundle has no build to record against
  const digest = sha256Hex(parsed.targetsSerialized);
  const names = [...new Set(options.boards?.length ? options.boards : [DEFAULT_BOARD])];
  const plans = names.map((name) => planBoard(boardNamed(name), options.root, options.bundle, options.baseline));
  const agents = { sim: agentSha256(AGENT_WASM_URL), link: agentSha256(AGENT_LINK_WASM_URL) };
  const context: SuiteContext = { options, plans, digest, powerCuts };

  const results: SuiteResult[] = [];
  for (const suite of suites) {
    const say = (message: string, board?: string) => options.onProgress?.({ suite, ...(board ? { board } : {}), message });
    say("started");
    const started = performance.now();
    const { runs, skipReason } = await runSuite(suite, context, say);
    const result = verdict(suite, runs, options.qemu ?? "auto", skipReason);
    result.durationMs = Math.round(performance.now() - started);
    if (result.result !== "skipped") {
      const record: QualificationRecord = {
        product: options.product,
        targetsMetadataSha256: digest,
        suite,
        result: result.result,
        details: describeRuns(result.runs),
        boards: result.runs.filter((r) => r.result !== "skipped").map((r) => (r.machine ? `${r.board}@${r.machine}` : r.board)),
        bundleSha256: sha256Hex(options.bundle),
        ...(suite === "qemu" ? {} : { agentSha256: suite === "sim-wire" ? agents.link : agents.sim }),
        qualifiedAt: new Date().toISOString(),
      };
      result.record = record;
      result.envelope = signQualification(record, options.qualifierKey);
    }
    say(`${result.result}${result.reason ? `: ${result.reason}` : ""} (${(result.durationMs / 1000).toFixed(1)} s)`);
    results.push(result);
  }
  return {
    ok: results.every((r) => r.result !== "fail"),
    product: options.product,
    targetsMetadataSha256: digest,
    bundleSha256: sha256Hex(options.bundle),
    targetsVersion: Number(parsed.targets.commonMetadata?.version ?? 0),
    suites: results,
    envelopes: results.flatMap((r) => (r.envelope ? [r.envelope] : [])),
  };
}

interface SuiteContext {
  options: QualifyOptions;
  plans: BoardPlan[];
  digest: string;
  powerCuts: number;
}

async function runSuite(suite: SuiteName, c: SuiteContext, say: (message: string, board?: string) => void): Promise<{ runs: BoardRun[]; skipReason?: string }> {
  const runs: BoardRun[] = [];
  if (suite === "qemu") {
    if ((c.options.qemu ?? "auto") === "skip") return { runs, skipReason: "not run (--qemu skip)" };
    const machines = await qemuMachines();
    for (const plan of c.plans) {
      const on = Object.entries(machines).filter(([, board]) => board === plan.board.name).map(([machine]) => machine);
      for (const machine of on) {
        const info: QemuRunInfo = {};
        const run = await runOnBoard(plan.board.name, (check) => qemuSuite(plan, machine, check, (line) => say(line, plan.board.name), info), machine);
        if (info.firmwareSha256) run.checked.unshift(`firmware ${machine} link-device.elf sha256 ${info.firmwareSha256}`);
        runs.push(run);
        say(`${machine}: ${run.result}${run.reason ? `: ${run.reason}` : ""}`, plan.board.name);
      }
    }
    if (runs.length === 0) return { runs, skipReason: `no QEMU machine's flash follows board(s) ${c.plans.map((p) => p.board.name).join(", ")} (QEMU machines: ${Object.entries(machines).map(([m, b]) => `${m} -> ${b}`).join(", ")})` };
    return { runs };
  }
  for (const plan of c.plans) {
    const board = plan.board.name;
    const sayOn = (line: string) => say(line, board);
    const run = await runOnBoard(board, (check) => {
      switch (suite) {
        case "sim-update": return simUpdateSuite(plan, check);
        case "sim-revert": return simRevertSuite(plan, check);
        case "sim-power-cut": return simPowerCutSuite(plan, check, c.powerCuts, c.digest, sayOn);
        case "sim-wire": return simWireSuite(plan, check, sayOn);
      }
    });
    runs.push(run);
    say(`${run.result}${run.reason ? `: ${run.reason}` : ""} (${(run.durationMs / 1000).toFixed(1)} s)`, board);
  }
  return { runs };
}

/** The suite's verdict from its runs: with --qemu require a run that could not happen fails. */
function verdict(suite: SuiteName, runs: BoardRun[], qemu: string, skipReason?: string): SuiteResult {
  const base = { suite, runs, durationMs: 0 };
  if (suite === "qemu" && qemu === "require") {
    for (const run of runs) {
      if (run.result === "skipped") Object.assign(run, { result: "fail", reason: `required by --qemu require but cannot run: ${run.reason}` });
    }
    if (runs.length === 0) return { ...base, result: "fail", reason: `required by --qemu require: ${skipReason}` };
  }
  const failed = runs.filter((r) => r.result === "fail");
  if (failed.length) return { ...base, result: "fail", reason: failed.map((r) => `${r.machine ?? r.board}: ${r.reason}`).join("; ") };
  const ran = runs.filter((r) => r.result === "pass");
  if (ran.length === 0) return { ...base, result: "skipped", reason: skipReason ?? runs.map((r) => `${r.machine ?? r.board}: ${r.reason}`).join("; ") };
  const skipped = runs.filter((r) => r.result === "skipped");
  return { ...base, result: "pass", ...(skipped.length ? { reason: `skipped on ${skipped.map((r) => `${r.machine ?? r.board}: ${r.reason}`).join("; ")}` } : {}) };
}

/** The record's details: per board, the verdict, what held, the figures and any reason. */
function describeRuns(runs: BoardRun[]): string {
  return runs
    .map((r) => {
      const figures = Object.entries(r.figures).map(([k, v]) => `${k}=${v}`).join(" ");
      return `${r.machine ? `${r.board}@${r.machine}` : r.board}: ${r.result}${r.reason ? ` (${r.reason})` : ""}; checked: ${r.checked.join("; ") || "nothing"}${figures ? `; ${figures}` : ""}`;
    })
    .join("\n");
}
