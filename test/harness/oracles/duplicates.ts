import { deepStrictEqual } from 'node:assert/strict';

import type { ColumnSet } from '../../../src/mapping/columns.js';
import { assignShared, DuplicateCensus, type Loss } from '../../../src/validation/duplicates.js';

/** A row of one location, as the duplicate rule sees it. */
export interface KeyedRow {
  /** Cells in column order. */
  cells: readonly string[];
  /** The entry's DN. */
  dn: string;
  /** Headers of the unique columns whose value this row held in the last push. */
  held?: readonly string[];
}

/** What a row loses, plainly: the column, the value, and the DN of the row keeping it (or ''). */
export type PlainLoss = [header: string, value: string, keeper: string];

/**
 * Shared values settled the plain way, with every value in a Map: a value more than one row holds
 * (emails in any case) stays with the first row that held it in the last push, and nobody keeps
 * it when none did; every other row holding it loses it. Output order decides nothing else. The
 * product's {@link DuplicateCensus} and {@link assignShared} must agree with it.
 */
export function referenceLosses(set: ColumnSet, rows: readonly KeyedRow[]): Map<number, PlainLoss[]> {
  const out = new Map<number, PlainLoss[]>();
  set.columns.forEach((column, c) => {
    if (!column.unique) return;
    const holders = new Map<string, number[]>();
    rows.forEach((row, r) => {
      const raw = row.cells[c] ?? '';
      const value = column.role === 'email' ? raw.toLowerCase() : raw;
      if (value !== '') holders.set(value, [...(holders.get(value) ?? []), r]);
    });
    for (const [value, list] of holders) {
      if (list.length < 2) continue;
      const keeper = list.find((r) => rows[r]?.held?.includes(column.header) === true);
      for (const r of list) {
        if (r === keeper) continue;
        const keeperDn = keeper === undefined ? '' : (rows[keeper]?.dn ?? '');
        out.set(r, [...(out.get(r) ?? []), [column.header, value, keeperDn]]);
      }
    }
  });
  return out;
}

/**
 * Settle the shared values of one location with the product's {@link DuplicateCensus} and
 * {@link assignShared}, and check the result against {@link referenceLosses}.
 * @param set the compiled layout
 * @param rows the valid rows of one location, in output order
 * @returns the values each row loses, by row index (in column order)
 */
export function findLosses(set: ColumnSet, rows: readonly KeyedRow[]): Map<number, PlainLoss[]> {
  const census = new DuplicateCensus(set);
  for (const row of rows) census.add(row.cells);
  const losses = assignShared(
    census.found(),
    (r, column) => rows[r]?.held?.includes(set.columns[column]?.header ?? '') === true,
  );
  const plain = (loss: Loss): PlainLoss => [
    loss.header,
    loss.value,
    loss.keeper === undefined ? '' : (rows[loss.keeper]?.dn ?? ''),
  ];
  const column = (header: string): number => set.columns.findIndex((c) => c.header === header);
  const out = new Map(
    [...losses]
      .sort(([a], [b]) => a - b)
      .map(([r, list]) => [r, list.map(plain).sort((a, b) => column(a[0]) - column(b[0]))] as const),
  );
  const reference = referenceLosses(set, rows);
  deepStrictEqual(out, new Map([...reference].sort(([a], [b]) => a - b)));
  return out;
}
