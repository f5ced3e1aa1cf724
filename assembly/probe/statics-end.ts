// Not part of the agent. Compiled as a second entry beside an agent entry (assembly/index.ts or agent-link.ts) by
// test/reliability-fixed-memory.test.ts, with the release target's options: __heap_base is the
// first byte past every static of the whole module, zero-filled buffers included (the release
// build elides those from its data segments, so the binary alone cannot say where they end).
export function statics_end(): usize {
  return __heap_base;
}
