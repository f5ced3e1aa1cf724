// A network that loses requests, for fleet simulation: with probability `lossRate` a request is
// lost, half the time before it reaches the service (nothing happens there) and half the time on
// the way back (the service acted, the device never hears it). Both look the same to the device:
// no answer. Seeded, so a simulation run is repeatable.
import { seededRandom } from "../../../host-sim/index.js";
import type { Fetch } from "./ddi-client.js";

export interface FlakyCounters {
  requests: number;
  lostOnTheWay: number;
  lostAnswers: number;
}

export interface FlakyNetwork {
  fetch: Fetch;
  counters: FlakyCounters;
  /** May change while the network is in use (e.g. good at the factory, lossy in the field). */
  lossRate: number;
}

const lossError = (code: string) => new TypeError("fetch failed", { cause: { code } });

export function flakyFetch(lossRate: number, seed: number, inner: Fetch = globalThis.fetch): FlakyNetwork {
  if (!(lossRate >= 0 && lossRate < 1)) throw new RangeError(`loss rate ${lossRate}: from 0 up to (not including) 1`);
  const random = seededRandom(seed);
  const counters: FlakyCounters = { requests: 0, lostOnTheWay: 0, lostAnswers: 0 };
  const network: FlakyNetwork = {
    counters,
    lossRate,
    async fetch(url, init) {
      counters.requests++;
      const lost = random() < network.lossRate;
      const onTheWay = random() < 0.5;
      if (lost && onTheWay) {
        counters.lostOnTheWay++;
        throw lossError("SIMULATED_LOSS");
      }
      const res = await inner(url, init);
      if (!lost) return res;
      await res.arrayBuffer(); // the service answered; the answer is lost
      counters.lostAnswers++;
      throw lossError("SIMULATED_LOST_ANSWER");
    },
  };
  return network;
}
