// The link build variant (build/agent-link.wasm): the plain ABI plus Pigweed's wire protocol
// (assembly/link/). Firmware that runs Pigweed C++ keeps build/agent.wasm and calls the ABI.
export * from "./index";
export { link_rx, link_tick, link_stats, link_reset } from "./link/index";
