import { join } from 'node:path';

import type { ColumnSet } from '../mapping/columns.js';
import { LineBuffer } from '../io/line-buffer.js';
import { displayName, type CurrentRow } from '../plan/identity.js';
import {
  assignShared,
  DuplicateCensus,
  duplicateReason,
  lossText,
  type Loss,
} from '../validation/duplicates.js';
import { validateRow } from '../validation/validate.js';
import type { Bucket } from './read.js';
import type { ExportWarning, ExportWatch, RejectedRow } from './types.js';

/** What the last push knew, as the duplicate rule asks it (see PreviousIndex.held). */
export interface KeyHistory {
  /**
   * Whether a row held the value of a unique column in the last push.
   * @param row the row
   * @param column the unique column
   */
  held(row: CurrentRow, column: number): boolean;
}

/** A settled row on its way out: its cells may have lost a shared value. */
export interface SettledRow {
  dn: string;
  cells: string[];
  id: string | undefined;
}

/** One location's rows, in output order, parked on disk between the two passes. */
export interface ParkedRows {
  /** The file: one JSON [dn, cells, id] line per row. */
  file: LineBuffer;
  /** Rows in it. */
  count: number;
}

/** A row as parked. */
type Parked = [dn: string, cells: string[], id: string | null];

/**
 * Read the parked rows with the given numbers (few: the rows sharing a value).
 * @param file the parked rows
 * @param wanted the row numbers
 */
export async function readParked(
  file: LineBuffer,
  wanted: ReadonlySet<number>,
): Promise<Map<number, SettledRow>> {
  const out = new Map<number, SettledRow>();
  if (wanted.size === 0) return out;
  let n = 0;
  for await (const line of file.lines()) {
    if (wanted.has(n)) {
      const [dn, cells, id] = JSON.parse(line) as Parked;
      out.set(n, { dn, cells, id: id ?? undefined });
      if (out.size === wanted.size) break;
    }
    n++;
  }
  return out;
}

/** The location's row as the plan sees it (an `extraContacts:` row is known by its file line). */
function currentRow(bucket: Bucket, row: SettledRow): CurrentRow {
  return {
    cells: row.cells,
    location: bucket.slug,
    ...(row.id === undefined ? {} : { id: row.id }),
    ...(bucket.extras?.has(row.dn) === true ? { source: row.dn } : {}),
  };
}

/**
 * Phase two for one location, first pass: park its sorted rows on disk and find the unique values
 * more than one row holds; then decide who keeps each (the row that held it in the last push;
 * nobody when none did), so one person's edit cannot take a colleague's row off the kiosk.
 * @param bucket the location as read
 * @param layout the column layout
 * @param work the run's private working directory
 * @param history the last push, when there is one
 * @returns the parked rows; per row number the values it loses; and, to name them, the rows
 *   that share a value
 */
export async function parkLocation(
  bucket: Bucket,
  layout: ColumnSet,
  work: string,
  history: KeyHistory | undefined,
): Promise<{ parked: ParkedRows; losses: Map<number, Loss[]>; sharing: Map<number, SettledRow> }> {
  const census = new DuplicateCensus(layout);
  const file = new LineBuffer(join(work, `rows-${bucket.name}`));
  try {
    for await (const row of bucket.sorter.sorted()) {
      census.add(row.cells);
      await file.append(JSON.stringify([row.dn, row.cells, row.id ?? null] satisfies Parked));
    }
  } finally {
    await file.close();
  }
  const shared = census.found();
  const involved = await readParked(file, new Set(shared.flatMap((s) => s.rows)));
  const losses = assignShared(shared, (n, column) => {
    const row = involved.get(n);
    return row !== undefined && history?.held(currentRow(bucket, row), column) === true;
  });
  return { parked: { file, count: census.rows }, losses, sharing: involved };
}

/**
 * Apply a row's losses: leave the shared values it does not keep empty. The row is sent when it
 * still has a key the vendor can match (a warning names the others holding the value), and
 * rejected otherwise: sending it would merge it with the row that keeps the value.
 * @param layout the column layout
 * @param bucket its location
 * @param row the row (its cells are changed in place when it is sent)
 * @param losses the values it loses
 * @param who names a row by number
 * @returns a warning per value lost, or the rejected row
 */
export function applyLosses(
  layout: ColumnSet,
  bucket: Bucket,
  row: SettledRow,
  losses: readonly Loss[],
  who: (n: number) => string,
): { warnings: ExportWarning[] } | { rejected: RejectedRow } {
  const cells = [...row.cells];
  for (const loss of losses) cells[loss.column] = '';
  const verdict = validateRow(layout, { cells, issues: [] });
  if (verdict.reasons.length > 0) {
    const source = bucket.extras?.has(row.dn) === true ? row.dn : undefined;
    return {
      rejected: {
        cells: row.cells,
        dn: row.dn,
        location: bucket.slug,
        reasons: losses.map((loss) => duplicateReason(loss, who)),
        duplicate: true,
        // Its only key went to nobody (no row held it in the last push): someone else's row, not
        // only its own edit, takes it off the kiosk (the guards stop that archive).
        ...(losses.some((loss) => loss.keeper === undefined) ? { displaced: true } : {}),
        ...(row.id === undefined ? {} : { id: row.id }),
        ...(source === undefined ? {} : { source }),
      },
    };
  }
  row.cells = cells;
  const name = displayName(layout, row.cells);
  return {
    warnings: losses.map((loss) => ({
      dn: row.dn,
      location: bucket.slug,
      message: `${name}: ${lossText(loss, who)} (this row is sent without it; fix the value in the directory)`,
    })),
  };
}

/**
 * Tell a watcher (`adsync explain`) of a watched row rejected for shared values.
 * @param watch the watcher
 * @param rejected the rejected row
 * @param losses its losses
 * @param owner the DN of a row by number
 */
export function watchDuplicate(
  watch: ExportWatch | undefined,
  rejected: RejectedRow,
  losses: readonly Loss[],
  owner: (n: number) => string,
): void {
  if (watch?.wants(rejected.dn) !== true) return;
  watch.duplicate(
    { cells: rejected.cells, location: rejected.location, dn: rejected.dn },
    losses.map((loss) => ({
      column: loss.header,
      value: loss.value,
      owner: owner(loss.keeper ?? loss.others[0] ?? -1),
    })),
  );
}
