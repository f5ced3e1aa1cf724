// pw_status codes as they travel in RpcPacket.status and Chunk.status.
export const PW_OK: u32 = 0;
export const PW_CANCELLED: u32 = 1;
export const PW_INVALID_ARGUMENT: u32 = 3;
export const PW_NOT_FOUND: u32 = 5;
export const PW_PERMISSION_DENIED: u32 = 7;
export const PW_RESOURCE_EXHAUSTED: u32 = 8;
export const PW_FAILED_PRECONDITION: u32 = 9;
export const PW_ABORTED: u32 = 10;
export const PW_OUT_OF_RANGE: u32 = 11;
export const PW_UNIMPLEMENTED: u32 = 12;
export const PW_INTERNAL: u32 = 13;
export const PW_UNAVAILABLE: u32 = 14;
export const PW_DATA_LOSS: u32 = 15;
