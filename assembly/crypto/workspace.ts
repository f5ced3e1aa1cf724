// One workspace for the signature verifications: Ed25519's per-key table and scalar digits, or
// P-256's points, scalars and temporaries. Only one verification runs at a time (the threshold
// check verifies signatures one after another, and the test surface one per call), so both
// share these bytes instead of each keeping its own: the statics stay inside 16 KiB with the
// link layer and both schemes built in.
export const VERIFY_WORKSPACE_BYTES: u32 = 1792;
export const verifyWorkspace: usize = memory.data(<i32>VERIFY_WORKSPACE_BYTES, 16);
