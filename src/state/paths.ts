import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Files of one target's state. */
export interface StatePaths {
  /** The last good push. */
  state: string;
  /** The run lock. */
  lock: string;
  /** The run history (JSON lines). */
  history: string;
}

/**
 * Where a target's state lives: one state file per upload target, so two configs pushing to
 * different vendors (or locations accounts) never share a baseline.
 * @param dir the state directory
 * @param target what identifies the target (profile and upload URL)
 */
export function statePaths(dir: string, target: string): StatePaths {
  const id = createHash('sha256').update(target).digest('hex').slice(0, 12);
  return {
    state: join(dir, `state-${id}.json`),
    lock: join(dir, `state-${id}.lock`),
    history: join(dir, 'runs.jsonl'),
  };
}
