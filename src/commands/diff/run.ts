import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { parse } from 'csv-parse/sync';

import type { ResolvedConfig } from '../../config/types.js';
import { UsageError, describeError } from '../../errors.js';
import { displayName, identityOf, rowHash } from '../../plan/identity.js';
import type { ColumnChange } from '../../plan/planner.js';
import type { HistoryEntry } from '../../state/history.js';
import { history } from '../history/run.js';

/** What changed between two CSVs. */
export interface CsvDiff {
  /** The older CSV. */
  from: string;
  /** The newer CSV. */
  to: string;
  /** The two sides compared, older first, with their runs when the history knows them. */
  runs: [DiffSide, DiffSide];
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

/** One side of a comparison: the CSV, and the run that wrote it when the history knows it. */
export interface DiffSide {
  /** The CSV. */
  csv: string;
  /** The run's id, when the CSV is a run's of the history. */
  runId?: string | undefined;
  /** When that run started. */
  time?: string | undefined;
  /** Whether that run was a dry run. */
  dryRun?: boolean | undefined;
}

/** A side named by the user: a run id of the history, or a CSV file. */
function sideOf(runs: readonly HistoryEntry[], name: string, cwd: string): DiffSide {
  const run = runs.findLast((r) => r.runId === name && r.csvPath !== undefined);
  const path = run?.csvPath ?? resolve(cwd, name);
  const known = run ?? runs.findLast((r) => r.csvPath === path);
  return runSide(path, known);
}

/** A side of a CSV, with the run that wrote it if known. */
function runSide(csv: string, run: HistoryEntry | undefined): DiffSide {
  return { csv, runId: run?.runId, time: run?.time, dryRun: run?.dryRun };
}

/** The CSVs to compare: the two named, or the last two pushes that uploaded. */
async function sides(
  config: ResolvedConfig,
  names: readonly (string | undefined)[],
  cwd: string,
): Promise<[DiffSide, DiffSide]> {
  const runs = await history(config, Number.MAX_SAFE_INTEGER);
  const [a, b] = names;
  if (a !== undefined && b !== undefined) return [sideOf(runs, a, cwd), sideOf(runs, b, cwd)];
  // Pushes only: a dry run after the push would compare the vendor's file with a plan.
  const pushes = runs.filter((r) => r.outcome === 'uploaded' && r.csvPath !== undefined);
  const [before, last] = pushes.slice(-2).map((r) => runSide(r.csvPath ?? '', r));
  if (a !== undefined && last !== undefined) return [sideOf(runs, a, cwd), last];
  if (a === undefined && before !== undefined && last !== undefined) return [before, last];
  throw new UsageError(
    a === undefined
      ? 'there are fewer than two pushes in the history to compare'
      : 'there is no push in the history to compare with',
    {
      hint: 'Name two runs (their ids, as `adsync history` shows them) or two CSV files: adsync diff OLD NEW',
    },
  );
}

/**
 * Compare two runs' CSVs contact by contact (by the vendor's identity rules). Without names,
 * the last two pushes that uploaded; with one, that one against the last push.
 * @param config the resolved config
 * @param names the older and newer run: a run id of the history, or a CSV path
 * @param cwd where relative CSV paths are resolved
 */
export async function diff(
  config: ResolvedConfig,
  names: readonly (string | undefined)[],
  cwd: string,
): Promise<CsvDiff> {
  const [fromSide, toSide] = await sides(config, names, cwd);
  const from = fromSide.csv;
  const to = toSide.csv;
  const [older, newer] = await Promise.all([readRows(from, config), readRows(to, config)]);
  const locationOf = (cells: readonly string[]): string =>
    config.layout.locationIndex === undefined ? '' : (cells[config.layout.locationIndex] ?? '');
  const label = (cells: readonly string[]): string => {
    const location = locationOf(cells);
    return `${displayName(config.layout, cells)}${location ? ` [${location}]` : ''}`;
  };
  const result: CsvDiff = { from, to, runs: [fromSide, toSide], added: [], removed: [], changed: [] };
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
