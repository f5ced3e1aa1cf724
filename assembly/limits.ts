// Bounds shared by the agent and the host tools. This file is plain integer constants written
// in the common subset of AssemblyScript and TypeScript, so the host imports it unchanged:
// a bound lives here once and nowhere else.

/** Bytes in the I/O window through which the host passes data to and from the agent. */
export const IO_WINDOW_BYTES = 4096;
