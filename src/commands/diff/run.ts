import { readFile } from 'node:fs/promises';

import { parse } from 'csv-parse/sync';

import type { ResolvedConfig } from '../../config/types.js';
import { UsageError, describeError } from '../../errors.js';
import { displayName, identityOf, rowHash } from '../../plan/identity.js';
import type { ColumnChange } from '../../plan/planner.js';
import { history } from '../history/run.js';

/** What changed between two CSVs. */
export interface CsvDiff {
  /** The older CSV. */
  from: string;
  /** The newer CSV. */
  to: string;
  /** Contacts only in the newer one. */
  added: string[];
  /** Contacts only in the older one. */
  removed: string[];
  /** Contacts in both whose row changed: where, which columns, and their values old → new. */
  changed: ChangedContact[];
}

/** A contact of both CSVs whose row changed. */
export interface ChangedContact {
  /** The contact as people name it, with its location in brackets. */
  contact: string;
  /** Its location slug ('' when the layout has no location column). */
  location: string;
  /** The columns that changed. */
  columns: string[];
  /** Each changed column with its value in the older and the newer CSV. */
  changes: ColumnChange[];
}

async function readRows(path: string, config: ResolvedConfig): Promise<Map<string, string[]>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${describeError(error)}`);
  }
  const records: string[][] = parse(text, { bom: true });
  const layout = config.layout;
  const out = new Map<string, string[]>();
  for (const cells of records.slice(1)) {
    const location = layout.locationIndex === undefined ? '' : (cells[layout.locationIndex] ?? '');
    out.set(identityOf(layout, { cells, location }), cells);
  }
  return out;
}

/**
 * Compare two runs' CSVs contact by contact (by the vendor's identity rules). Without paths,
 * the last two runs in the history that wrote a CSV.
 * @param config the resolved config
 * @param a older CSV
 * @param b newer CSV
 */
export async function diff(config: ResolvedConfig, a?: string, b?: string): Promise<CsvDiff> {
  let from = a;
  let to = b;
  if (from === undefined || to === undefined) {
    const runs = (await history(config, 1000)).filter((r) => r.csvPath !== undefined);
    const last = runs.at(-1)?.csvPath;
    const before = runs.at(-2)?.csvPath;
    if (from === undefined && (last === undefined || before === undefined)) {
      throw new UsageError('there are fewer than two runs in the history to compare', {
        hint: 'Give two CSV files: adsync diff OLD.csv NEW.csv',
      });
    }
    if (from !== undefined) to = last;
    else {
      from = before;
      to = last;
    }
  }
  if (from === undefined || to === undefined)
    throw new UsageError('give two CSV files: adsync diff OLD.csv NEW.csv');
  const [older, newer] = await Promise.all([readRows(from, config), readRows(to, config)]);
  const locationOf = (cells: readonly string[]): string =>
    config.layout.locationIndex === undefined ? '' : (cells[config.layout.locationIndex] ?? '');
  const label = (cells: readonly string[]): string => {
    const location = locationOf(cells);
    return `${displayName(config.layout, cells)}${location ? ` [${location}]` : ''}`;
  };
  const result: CsvDiff = { from, to, added: [], removed: [], changed: [] };
  for (const [key, cells] of newer) {
    const before = older.get(key);
    if (!before) result.added.push(label(cells));
    else if (rowHash(before) !== rowHash(cells)) {
      const changes = config.layout.headers.flatMap((column, i) => {
        const old = before[i] ?? '';
        const now = cells[i] ?? '';
        return old === now ? [] : [{ column, old, new: now }];
      });
      result.changed.push({
        contact: label(cells),
        location: locationOf(cells),
        columns: changes.map((c) => c.column),
        changes,
      });
    }
  }
  for (const [key, cells] of older) if (!newer.has(key)) result.removed.push(label(cells));
  return result;
}
