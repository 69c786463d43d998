import { expect } from 'vitest';

import type { CliRun } from './cli.js';

/**
 * The arguments of `adsync diff` that compare the last push with the run after it (a dry run),
 * named by the run ids `adsync history --json` gives: diff alone compares the last two pushes.
 * @param adsync runs the CLI in the project (its config and environment already chosen)
 */
export async function sincePushArgs(adsync: (args: string[]) => Promise<CliRun>): Promise<string[]> {
  const history = await adsync(['history', '--json']);
  expect(history.code, history.stderr).toBe(0);
  const { runs } = JSON.parse(history.stdout) as { runs: { runId: string; outcome: string }[] };
  const pushed = runs.findLast((r) => r.outcome === 'uploaded');
  const last = runs.at(-1);
  expect(pushed, 'a push in the history').toBeDefined();
  return [pushed?.runId ?? '', last?.runId ?? ''];
}
