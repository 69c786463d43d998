import { deepStrictEqual } from 'node:assert/strict';

import type { ColumnSet } from '../../../src/mapping/columns.js';
import { DuplicateFinder, duplicateReason, type KeyedRow } from '../../../src/validation/validate.js';

/**
 * Duplicates found the plain way, with every claimed value in a Map: the first row in the order
 * keeps a unique value (emails in any case); a later row repeating one is a duplicate, and a
 * duplicate row claims none of its values. The reference {@link DuplicateFinder} must agree with.
 */
export function referenceDuplicates(set: ColumnSet, rows: readonly KeyedRow[]): Map<number, string[]> {
  const unique = set.columns.flatMap((column, c) =>
    column.unique
      ? [{ header: column.header, c, email: column.role === 'email', owners: new Map<string, string>() }]
      : [],
  );
  const out = new Map<number, string[]>();
  rows.forEach((row, r) => {
    const values = unique.map((u) => {
      const raw = row.cells[u.c] ?? '';
      return u.email ? raw.toLowerCase() : raw;
    });
    const reasons = unique.flatMap((u, i) => {
      const value = values[i] ?? '';
      const owner = value === '' ? undefined : u.owners.get(value);
      return owner === undefined ? [] : [duplicateReason({ header: u.header, value, owner: -1 }, owner)];
    });
    if (reasons.length > 0) out.set(r, reasons);
    else unique.forEach((u, i) => values[i] && u.owners.set(values[i], row.dn));
  });
  return out;
}

/**
 * Find rows that repeat a unique value within one location with the product's
 * {@link DuplicateFinder}, and check the result against {@link referenceDuplicates}.
 * @param set the compiled layout
 * @param rows the valid rows of one location, in output order
 * @returns reasons by row index
 */
export function findDuplicates(set: ColumnSet, rows: readonly KeyedRow[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const finder = new DuplicateFinder(set);
  const acceptedDns: string[] = [];
  rows.forEach((row, r) => {
    const duplicates = finder.check(row.cells);
    if (duplicates)
      out.set(
        r,
        duplicates.map((d) => duplicateReason(d, acceptedDns[d.owner] ?? '')),
      );
    else acceptedDns.push(row.dn);
  });
  deepStrictEqual(out, referenceDuplicates(set, rows));
  return out;
}
