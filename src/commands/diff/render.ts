import { changesText, plural, type Line } from '../output.js';
import type { CsvDiff } from './run.js';

/**
 * What changed between two CSVs: the files, one data line per contact (a change with its
 * columns old → new), the counts.
 * @param d the comparison
 */
export function renderDiff(d: CsvDiff): Line[] {
  return [
    { level: 'info', text: `${d.from}\n→ ${d.to}` },
    ...d.added.map((a): Line => ({ level: 'data', text: `+ ${a}`, directory: true })),
    ...d.removed.map((r): Line => ({ level: 'data', text: `- ${r}`, directory: true })),
    ...d.changed.map((ch): Line => ({
      level: 'data',
      text: `~ ${ch.contact}: ${changesText(ch.changes)}`,
      directory: true,
    })),
    {
      level: 'info',
      text: `${plural(d.added.length, 'contact')} added, ${d.removed.length} removed, ${d.changed.length} changed`,
    },
  ];
}
