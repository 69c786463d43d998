import { randomBytes } from 'node:crypto';

/** A fresh run id: correlates a run's log lines, report and notification. */
export function newRunId(): string {
  return randomBytes(6).toString('hex');
}
