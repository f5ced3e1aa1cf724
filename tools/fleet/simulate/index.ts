// Fleet simulation: many simulated devices against a running rollout service, over worker threads.
export { startSimulation, type SimulateOptions, type Simulation, type SimulationProgress, type SimulationSummary } from "./run.js";
export { planDevices, type DevicePlan, type DeviceResult, type FaultFractions, type FleetSetting } from "./plan.js";
