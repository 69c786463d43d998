import type { HistoryEntry } from '../../state/history.js';
import { planCounts, type Line } from '../output.js';

/**
 * Recent runs, one data line each.
 * @param runs from the history
 */
export function renderHistory(runs: readonly HistoryEntry[]): Line[] {
  if (runs.length === 0) return [{ level: 'info', text: 'no runs recorded yet' }];
  return runs.map((r) => ({
    level: 'data',
    text: `${r.time}  ${r.dryRun ? 'dry-run ' : 'push    '} ${r.outcome.padEnd(9)} exit ${r.exitCode}  rows ${r.rows ?? '-'}${r.plan ? ` ${planCounts(r.plan)}` : ''}${r.error ? `  ${r.error.split('\n')[0] ?? ''}` : ''}`,
  }));
}
