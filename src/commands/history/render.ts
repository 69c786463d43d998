import type { HistoryEntry, RunTarget } from '../../state/history.js';
import { parseVendorSummary, type SummaryCount } from '../../upload/vendor-summary.js';
import { planCountsLine, type Line } from '../output.js';

/**
 * The vendor account a run went to, in one word or three.
 * @param t the recorded target (absent in lines of earlier releases)
 */
export function targetLabel(t: RunTarget | undefined): string {
  if (t === undefined) return '-';
  return [t.profile, t.host, t.client === undefined ? undefined : `(${t.client})`]
    .filter((part) => part !== undefined)
    .join(' ');
}

/**
 * What the vendor said it did, in the plan's notation (`+created ~updated -archived =unchanged`,
 * archived including disabled, `?` for a count it did not give); empty without an answer. Reads
 * the excerpt this release keeps and the whole answer earlier ones kept alike.
 * @param vendor the run's `vendor` field
 */
export function vendorCounts(vendor: unknown): string {
  const parsed = parseVendorSummary(vendor);
  if (vendor === undefined || parsed.kind === 'text' || parsed.counts.length === 0) return '';
  const count = (name: SummaryCount): number | undefined => parsed.counts.find((c) => c.name === name)?.value;
  const archived = count('archived');
  const disabled = count('disabled');
  const shown = (value: number | undefined): string => (value === undefined ? '?' : String(value));
  return `+${shown(count('created'))} ~${shown(count('updated'))} -${shown(
    archived === undefined && disabled === undefined ? undefined : (archived ?? 0) + (disabled ?? 0),
  )} =${shown(count('unchanged'))}`;
}

/** A run's result word: a dry run that passed is "ok" (the RUN column already says dry run). */
function result(r: HistoryEntry): string {
  return r.outcome === 'dry-run' ? 'ok' : r.outcome;
}

/**
 * Recent runs as a table with a header row, one line per run; why a run stopped (error, guard
 * trips, the lock's holder) follows its line in full, indented.
 * @param runs from the history, oldest first
 */
export function renderHistory(runs: readonly HistoryEntry[]): Line[] {
  if (runs.length === 0) return [{ level: 'info', text: 'no runs recorded yet' }];
  const header = [
    'TIME',
    'ID',
    'RUN',
    'TARGET',
    'RESULT',
    'EXIT',
    'ROWS',
    'PLAN (+create ~update -archive =unchanged)',
    'VENDOR SAID',
    'CSV',
  ];
  const rows = runs.map((r) => [
    // Seconds are enough to tell runs apart by eye; --json keeps the exact time.
    r.time.replace(/\.\d+Z$/, 'Z'),
    // What `adsync diff` takes to name the run.
    r.runId ?? '-',
    r.dryRun ? 'dry run' : 'push',
    targetLabel(r.target),
    result(r),
    String(r.exitCode),
    r.rows === undefined ? '-' : String(r.rows),
    r.plan ? planCountsLine(r.plan) : '-',
    vendorCounts(r.vendor),
    r.csvPath ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((cells) => (cells[i] ?? '').length)));
  // EXIT and ROWS are numbers: right-aligned; the last column is not padded.
  const right = new Set([5, 6]);
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) =>
        i === cells.length - 1
          ? cell
          : right.has(i)
            ? cell.padStart(widths[i] ?? 0)
            : cell.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      // A run without the vendor's counts (a dry run, a stop before the upload) ends at its plan.
      .trimEnd();
  const out: Line[] = [{ level: 'data', text: line(header) }];
  runs.forEach((r, i) => {
    out.push({ level: 'data', text: line(rows[i] ?? []) });
    if (r.error !== undefined) {
      for (const text of r.error.split('\n')) out.push({ level: 'data', text: `    ${text}` });
    }
  });
  return out;
}
