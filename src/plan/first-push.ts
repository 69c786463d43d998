import type { GuardTrip } from '../errors.js';

/** The trip of a push with no baseline: the one guard that `--force` does not lift. */
export interface NoBaselineTrip extends GuardTrip {
  /** Which guard. */
  guard: 'no-baseline';
}

/**
 * The guard of a push with no baseline (a first push, or a state directory moved, lost or
 * re-pointed). The vendor archives every contact it holds that is not in the file, and without
 * the last good push adsync cannot know who that is, so no other guard can see it: the push
 * waits for the baseline to be adopted or for `--first-push`. Pure.
 * @param rows rows in this run's CSV
 * @param statePath where the baseline would be
 */
export function noBaselineTrip(rows: number, statePath: string): NoBaselineTrip {
  return {
    guard: 'no-baseline',
    message: `no baseline for this vendor account (no last good push in ${statePath}): adsync cannot know what the vendor holds, and the vendor archives every contact it holds that is not in this file of ${rows} row(s)`,
  };
}

/**
 * What to do about a push with no baseline: the two ways on, and the one to check first.
 * @param csvPath this run's CSV
 */
export function noBaselineHint(csvPath: string): string {
  return [
    "If the vendor received a CSV before (the old script's last output, or an export from the vendor in this layout), make it the baseline with `adsync adopt FILE`: this push is then planned and guarded against it.",
    `If the vendor holds no contacts yet, or you accept that it archives everyone not in ${csvPath}, approve this first push with \`adsync push --first-push\`.`,
    'If the state directory was moved or renamed, point state.dir at it instead.',
  ].join(' ');
}
