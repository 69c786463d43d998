import { rm } from 'node:fs/promises';

import { AdsyncError, OutputError } from '../errors.js';
import { writeLastPush } from '../state/baseline.js';
import type { TargetState } from './target-state.js';

/**
 * Move the baseline to what the vendor just accepted. A state named as an earlier release named
 * it is removed once the new one is in place. When the state cannot be written (a full disk),
 * the vendor has imported the file all the same: the error says so, with what the run did, and
 * what the next run does.
 * @param paths the target's state files
 * @param push the summary, this run's contact list, the rows the vendor refused, and a line of
 *   what the run did
 */
export async function recordBaseline(
  paths: TargetState,
  push: {
    /** Told before the error is thrown (the run's output shows what it did). */
    onFailure: () => void;
    summary: Parameters<typeof writeLastPush>[1];
    contactsFile: string;
    failed: ReadonlySet<number>;
    told: string;
  },
): Promise<void> {
  try {
    await writeLastPush(paths.state, push.summary, push.contactsFile, push.failed);
  } catch (error) {
    push.onFailure();
    throw new OutputError(
      `the vendor imported the file, but the new baseline could not be saved: ${error instanceof AdsyncError ? error.message : String(error)} (${push.told})`,
      {
        // The failure's own hint first (a state file another program holds open, on Windows).
        hint: `${error instanceof AdsyncError && error.hint !== undefined ? `${error.hint} ` : ''}The state still holds the push before this one, so the next push is planned against that: contacts this push created are planned again as creates (the vendor matches them, so nothing is duplicated), and the archive guards count from the older push. Free space or fix ${paths.state}'s directory, then run the push again to record the vendor's contents.`,
        cause: error,
      },
    );
  }
  if (paths.readFrom !== undefined && paths.readFrom !== paths.state)
    await rm(paths.readFrom, { force: true });
}
