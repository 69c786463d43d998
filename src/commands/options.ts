import { InvalidArgumentError } from 'commander';

import { runLimitProblem } from '../config/run-limit.js';
import type { ResolvedConfig } from '../config/types.js';
import { UsageError } from '../errors.js';

/**
 * A whole number of zero or more, for options such as --allow-archive N.
 * @param text the option value
 */
export function wholeNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a whole number');
  return n;
}

/**
 * A TCP port, 0 to 65535 (0: any free one).
 * @param text the option value
 */
export function portNumber(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 65_535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 picks a free one)');
  return n;
}

/**
 * Refuse a `--timeout` at or above `safety.lockTimeoutMinutes` (exit 2), for the commands whose
 * runs take the lock: see {@link runLimitProblem}.
 * @param timeoutMs the `--timeout` given, if any
 * @param config the loaded config
 */
export function checkTimeoutOption(timeoutMs: number | undefined, config: ResolvedConfig): void {
  if (timeoutMs === undefined) return;
  const problem = runLimitProblem({ ms: timeoutMs, name: '--timeout' }, config.safety.lockTimeoutMinutes);
  if (problem !== undefined) {
    throw new UsageError(problem, {
      hint: 'A run of adsync keeps its lock while it works; the time limit guarantees it stops before another run may judge the lock abandoned.',
    });
  }
}
