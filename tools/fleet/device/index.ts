// A simulated fleet device (the real agent over emulated flash, speaking the DDI device API) and
// the pieces a fleet simulation builds from it.
export { DdiClient, DdiRefusal, NetworkError, type CheckInAnswer, type Deployment, type Fetch } from "./ddi-client.js";
export { BrickedError, FleetDevice, installOperations, manufactureFlash, type FactoryImage, type FleetDeviceOptions, type PollEvent } from "./fleet-device.js";
export { flakyFetch, type FlakyCounters, type FlakyNetwork } from "./flaky-network.js";
export { CheckInClient, type CheckInEvent } from "./check-in-client.js";
