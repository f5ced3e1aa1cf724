// Release qualification (`airlock release qualify`): the bundle installed on simulated devices of
// each board the product targets (update, revert, power cuts, over the wire) and on the QEMU board
// firmware, each suite's result a record signed by a qualifier key for the signing service.
export { qualifyRelease } from "./run.js";
export { samplePoints, type CutPoint } from "./sim-power-cut.js";
export {
  DEFAULT_POWER_CUTS, QEMU_MODES, QUALIFY_SUITES, SIM_SUITES,
  type BoardRun, type QemuMode, type QualifyOptions, type QualifyProgress, type QualifyResult, type SuiteName, type SuiteResult, type Verdict,
} from "./types.js";
