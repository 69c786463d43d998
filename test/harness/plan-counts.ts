import type { PlanCounts } from '../../src/errors.js';

/**
 * A plan's counts for a test: zeros, not a first push, and what the test says.
 * @param counts the counts that matter to the test
 */
export const plan = (counts: Partial<PlanCounts>): PlanCounts => ({
  create: 0,
  update: 0,
  archive: 0,
  unchanged: 0,
  firstPush: false,
  ...counts,
});
