import { deepStrictEqual } from 'node:assert/strict';

import type { ColumnSet } from '../../../src/mapping/columns.js';
import {
  displayName,
  identityOf,
  reachOf,
  rowHash,
  SEP,
  type CurrentRow,
} from '../../../src/plan/identity.js';
import {
  emptyPlan,
  locationPlan,
  Planner,
  PreviousIndex,
  type EntryStore,
  type LocationPlan,
  type Plan,
  type PlanStores,
} from '../../../src/plan/planner.js';
import type { LastPush, PushedContact } from '../../../src/state/baseline.js';

/**
 * A last push as the oracle takes it: state format 1, whose contacts may carry the directory
 * identity that format 2 lines keep (format 1 itself never had one).
 */
export type OracleLastPush = Omit<LastPush, 'contacts'> & {
  contacts: Record<string, PushedContact & { id?: string }>;
};

/**
 * A last push (state format 1) that sent these rows, for plans and guards in unit tests; a row's
 * directory identity (`id`), when it has one, is kept as format 2 lines keep it.
 * @param layout the column layout
 * @param rows the rows sent
 */
export function lastPushOf(
  layout: ColumnSet,
  rows: readonly { cells: string[]; location: string; id?: string }[],
): OracleLastPush {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.location] = (counts[r.location] ?? 0) + 1;
  return {
    version: 1,
    time: '2026-01-01T00:00:00Z',
    csvSha256: '',
    headers: layout.headers,
    rows: counts,
    searches: {},
    contacts: Object.fromEntries(
      rows.map((r) => [
        identityOf(layout, r),
        { location: r.location, hash: rowHash(r.cells), cells: r.cells, ...(r.id ? { id: r.id } : {}) },
      ]),
    ),
  };
}

/** A plan store that keeps its lines in memory (a push streams them to files instead). */
export class MemoryStore implements EntryStore {
  private readonly items: string[] = [];
  public add(line: string): void {
    this.items.push(line);
  }
  public lines(): Iterable<string> {
    return this.items;
  }
}

/** Plan stores that keep every list in memory. */
export function memoryStores(): PlanStores {
  return {
    create: new MemoryStore(),
    pendingUpdate: new MemoryStore(),
    update: new MemoryStore(),
    archive: new MemoryStore(),
    pendingRename: new MemoryStore(),
    rename: new MemoryStore(),
  };
}

type Rejected = CurrentRow & { reasons: string[] };

/**
 * The plan worked out the plain way, with whole rows in memory and linear scans: the reference
 * the streaming {@link Planner} (compact hashes, two passes over the state) must agree with.
 * The vendor's matching rules: The Receptionist tries Identification, Email (any case), then SMS
 * Phone within the location, the last contact holding the value, unless an earlier row took it;
 * the other profiles match by identity. A created row whose directory identity is that of an
 * archived contact (same location; iLobby: any) that no earlier created row claimed renames it.
 */
export function referencePlan(
  layout: ColumnSet,
  previous: OracleLastPush | undefined,
  rows: readonly CurrentRow[],
  rejected: readonly Rejected[],
): Plan {
  const plan = emptyPlan(previous === undefined);
  const loc = (slug: string): LocationPlan => locationPlan(plan, slug);
  // A stored identity's email compares in NFC (an older state may hold another form).
  const sameKey = (key: string): string =>
    layout.profile === 'custom'
      ? key
      : key.replace(/email:(.*)$/su, (_, e: string) => `email:${e.normalize('NFC').toLowerCase()}`);
  const old = Object.entries(previous?.contacts ?? {}).map(([key, c]) => ({ key, ...c }));
  for (const c of old) loc(c.location).previous++;
  const { roles } = layout;
  const fields = layout.profile === 'receptionist' ? [roles.identification, roles.email, roles.smsPhone] : [];
  const valueOf = (cells: readonly string[], f: number): string => {
    const column = fields[f];
    const value = column === undefined ? '' : (cells[column] ?? '');
    return f === 1 ? value.normalize('NFC').toLowerCase() : value;
  };
  const taken = new Set<number>();
  // Old contact → the created row that renames it, unless a row takes the contact after all.
  const claimed = new Map<number, CurrentRow>();
  const claim = (row: CurrentRow): void => {
    if (!row.id) return;
    const k = old.findLastIndex(
      (c) => c.id === row.id && (layout.profile === 'ilobby' || c.location === row.location),
    );
    if (k >= 0 && !taken.has(k) && !claimed.has(k)) claimed.set(k, row);
  };
  const match = (row: CurrentRow, key: string): number | undefined => {
    if (previous === undefined) return undefined;
    if (fields.length === 0) {
      const n = old.findIndex((c) => sameKey(c.key) === key);
      return n < 0 ? undefined : n;
    }
    for (let f = 0; f < fields.length; f++) {
      const value = valueOf(row.cells, f);
      if (value === '') continue;
      const n = old.findLastIndex((c) => c.location === row.location && valueOf(c.cells, f) === value);
      if (n >= 0 && !taken.has(n)) return n;
    }
    return undefined;
  };
  for (const row of rows) {
    const key = identityOf(layout, row);
    const n = match(row, key);
    const l = loc(row.location);
    l.current++;
    const name = displayName(layout, row.cells);
    const before = n === undefined ? undefined : old[n];
    if (n === undefined || before === undefined) {
      plan.create.push({ key, location: row.location, name });
      plan.totals.create++;
      l.create++;
      claim(row);
      continue;
    }
    taken.add(n);
    if (before.cells.join(SEP) === row.cells.join(SEP)) {
      plan.unchanged++;
      l.unchanged++;
      continue;
    }
    const changes = layout.headers.flatMap((column, c) => {
      const was = before.cells[c] ?? '';
      const now = row.cells[c] ?? '';
      return was === now ? [] : [{ column, old: was, new: now }];
    });
    plan.update.push({ key, location: row.location, name, columns: changes.map((c) => c.column), changes });
    plan.totals.update++;
    l.update++;
  }
  const rejectedByKey = new Map(rejected.map((r) => [identityOf(layout, r), r.reasons]));
  old.forEach((c, n) => {
    if (taken.has(n)) return;
    const why = rejectedByKey.get(sameKey(c.key));
    plan.archive.push({
      key: c.key,
      location: c.location,
      name: displayName(layout, c.cells),
      ...(why ? { rejectedBecause: why } : {}),
    });
    plan.totals.archive++;
    loc(c.location).archive++;
  });
  const renames = [...claimed].filter(([k]) => !taken.has(k));
  // Listed in the order of the rows that rename.
  renames.sort((a, b) => rows.indexOf(a[1]) - rows.indexOf(b[1]));
  for (const [k, row] of renames) {
    const c = old[k];
    if (!c) continue;
    plan.renames.push({
      from: reachOf(layout, c.cells),
      to: reachOf(layout, row.cells),
      dn: row.dn ?? '',
      location: c.location,
      ...(row.location === c.location ? {} : { toLocation: row.location }),
      name: displayName(layout, row.cells),
    });
    plan.totals.rename++;
    loc(c.location).rename++;
  }
  return plan;
}

/**
 * Compare this run's rows with the last good push through the product's {@link Planner}, all in
 * memory, and check the result against {@link referencePlan} (throws when they differ).
 * @param layout the column layout
 * @param previous the last good push, if any (state format 1)
 * @param rows this run's valid rows
 * @param rejected this run's rejected rows
 */
export async function computePlan(
  layout: ColumnSet,
  previous: OracleLastPush | undefined,
  rows: readonly CurrentRow[],
  rejected: readonly Rejected[],
): Promise<Plan> {
  const contacts = previous
    ? Object.entries(previous.contacts).map(([key, c]) => ({
        key,
        location: c.location,
        cells: c.cells,
        ...(c.id ? { id: c.id } : {}),
      }))
    : undefined;
  let index: PreviousIndex | undefined;
  if (contacts) {
    index = new PreviousIndex(layout);
    for (const c of contacts) index.add(c);
  }
  const planner = new Planner(layout, index, { stores: memoryStores() });
  for (const row of rows) planner.add(row);
  for (const r of rejected) planner.reject(r);
  const plan = await planner.finish(contacts);
  deepStrictEqual(plan, referencePlan(layout, previous, rows, rejected));
  return plan;
}
