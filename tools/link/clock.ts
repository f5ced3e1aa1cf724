// Time for the link's timeouts. Real time by default; tests and the benchmark pass a virtual
// clock, so a timeout path runs in microseconds and a link model counts time instead of sleeping.
export interface Clock {
  now(): number;
  /** Calls fn after ms; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
