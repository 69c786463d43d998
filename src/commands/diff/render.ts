import { changesText, plural, type Line } from '../output.js';
import type { CsvDiff, DiffSide } from './run.js';

/** A side as people name it: its run (id, time, push or dry run), then its CSV. */
function sideText(side: DiffSide): string {
  if (side.runId === undefined && side.time === undefined) return side.csv;
  const run = [side.runId, side.time, side.dryRun === true ? 'dry run' : 'push'].filter(Boolean).join(' ');
  return `run ${run}: ${side.csv}`;
}

/**
 * What changed between two CSVs: the files, one data line per contact (a change with its
 * columns old → new), the counts.
 * @param d the comparison
 */
export function renderDiff(d: CsvDiff): Line[] {
  return [
    { level: 'info', text: `${sideText(d.runs[0])}\n→ ${sideText(d.runs[1])}` },
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
