import type { Parameters } from 'fast-check';

/**
 * fast-check's settings for the property tests: a fixed seed, so a run is the same every time
 * and a failure (fast-check prints its seed and path) replays; ADSYNC_PROPERTY_SEED tries
 * another. Few runs each, so the unit suite stays fast.
 * @param numRuns how many cases
 */
export function propertyRuns<T>(numRuns: number): Parameters<T> {
  const seed = Number(process.env.ADSYNC_PROPERTY_SEED ?? 20_261_207);
  return { seed, numRuns };
}
