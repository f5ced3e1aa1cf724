// One scratch buffer for streaming flash through RAM (hashing payloads, copying images, feeding
// signature checks). The steps that use it never overlap: each fills and consumes it within one
// call and keeps nothing in it between calls. The record store keeps its own buffer, because a
// record may be written from inside such a step.
export const SCRATCH_BYTES: u32 = 512;
export const scratch: usize = memory.data(SCRATCH_BYTES, 16);
