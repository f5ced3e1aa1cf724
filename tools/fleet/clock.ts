// Where the rollout service's time comes from: one Clock, passed in. Soak times, per-device
// timeouts and audit times all read it, so a test or a benchmark can run a staged rollout of days
// in simulated time by advancing a ManualClock and calling the service's tick.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(private ms: number = Date.UTC(2030, 0, 1)) {}

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward (asked to move ${ms} ms)`);
    this.ms += ms;
  }
}
