// Requests per second with `concurrency` requests in flight, for the service benches: each
// worker takes the next request index until `count` have run.
export async function throughput(count: number, concurrency: number, request: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await request(next++);
  }));
  return count / ((performance.now() - t0) / 1000);
}
