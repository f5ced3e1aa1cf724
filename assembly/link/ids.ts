// pw_rpc's service and method IDs: Pigweed's 65599 hash of the names (pw_rpc/ids.py), computed
// from the names at start, so a name and its ID can never disagree. Reading a static string's
// code units allocates nothing.

export function pwRpcHash(name: string): u32 {
  let hash = <u32>name.length;
  let coefficient: u32 = 65599;
  for (let i = 0; i < name.length; i++) {
    hash += coefficient * <u32>name.charCodeAt(i);
    coefficient *= 65599;
  }
  return hash;
}

export let SERVICE_BUNDLED_UPDATE: u32 = 0;
export let SERVICE_TRANSFER: u32 = 0;
export let METHOD_GET_STATUS: u32 = 0;
export let METHOD_START: u32 = 0;
export let METHOD_SET_TRANSFERRED: u32 = 0;
export let METHOD_VERIFY: u32 = 0;
export let METHOD_APPLY: u32 = 0;
export let METHOD_ABORT: u32 = 0;
export let METHOD_RESET: u32 = 0;
export let METHOD_READ: u32 = 0;
export let METHOD_WRITE: u32 = 0;
export let METHOD_GET_RESOURCE_STATUS: u32 = 0;
// airlock's own service (proto/device_info.proto). Its IDs are constants: the names as strings
// would cost 106 bytes of statics the link variant's 16 KiB budget lacks. A test recomputes them
// from the names with the host's pwRpcHash.
export const SERVICE_DEVICE_INFO: u32 = 0x70d40898; // pwRpcHash("airlock.link.DeviceInfo")
export const METHOD_GET_RUNNING: u32 = 0x537695f3; // pwRpcHash("GetRunning")

let ready = false;

export function idsInit(): void {
  if (ready) return;
  SERVICE_BUNDLED_UPDATE = pwRpcHash("pw.software_update.BundledUpdate");
  SERVICE_TRANSFER = pwRpcHash("pw.transfer.Transfer");
  METHOD_GET_STATUS = pwRpcHash("GetStatus");
  METHOD_START = pwRpcHash("Start");
  METHOD_SET_TRANSFERRED = pwRpcHash("SetTransferred");
  METHOD_VERIFY = pwRpcHash("Verify");
  METHOD_APPLY = pwRpcHash("Apply");
  METHOD_ABORT = pwRpcHash("Abort");
  METHOD_RESET = pwRpcHash("Reset");
  METHOD_READ = pwRpcHash("Read");
  METHOD_WRITE = pwRpcHash("Write");
  METHOD_GET_RESOURCE_STATUS = pwRpcHash("GetResourceStatus");
  ready = true;
}
