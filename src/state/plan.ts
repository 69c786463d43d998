import { createHash } from 'node:crypto';

import type { ColumnSet } from '../mapping/columns.js';

/** One contact as the last good push sent it. */
export interface PushedContact {
  /** Location slug. */
  location: string;
  /** Hash of the row, to see changes. */
  hash: string;
  /** The row's cells, to say which columns change. */
  cells: string[];
}

/** The last push the vendor accepted: what the plan is computed against. */
export interface LastPush {
  /** Format version. */
  version: 1;
  /** When it was accepted. */
  time: string;
  /** SHA-256 of the CSV sent. */
  csvSha256: string;
  /** Header row. */
  headers: string[];
  /** Rows per location. */
  rows: Record<string, number>;
  /** Entries each search returned (see searchKey). */
  searches: Record<string, number>;
  /** Contacts by identity key. */
  contacts: Record<string, PushedContact>;
}

/** A contact in the plan. */
export interface PlannedContact {
  /** Identity key (location + Identification / Email / SMS Phone). */
  key: string;
  /** Location slug. */
  location: string;
  /** Display name. */
  name: string;
  /** For updates: the columns that change. */
  columns?: string[];
  /** For archives of rejected rows: why the row was rejected. */
  rejectedBecause?: string[];
}

/** Per-location counts of a plan. */
export interface LocationPlan {
  /** Contacts in the last push. */
  previous: number;
  /** Contacts in this push. */
  current: number;
  create: number;
  update: number;
  archive: number;
  unchanged: number;
}

/** What a push would do at the vendor. */
export interface Plan {
  /** No state: everyone is new. */
  firstPush: boolean;
  create: PlannedContact[];
  update: PlannedContact[];
  archive: PlannedContact[];
  /** Count of unchanged contacts. */
  unchanged: number;
  /** Per location. */
  locations: Record<string, LocationPlan>;
}

/** A row of this run, with what the plan needs. */
export interface CurrentRow {
  /** Cells. */
  cells: string[];
  /** Location slug. */
  location: string;
}

const SEP = '\u001f';

/**
 * The identity the vendor matches a contact by, within its location: Identification, else
 * Email, else SMS Phone (The Receptionist); Email (iLobby); the unique columns, else the whole
 * row (custom).
 * @param layout the column layout
 * @param row the row
 */
export function identityOf(layout: ColumnSet, row: CurrentRow): string {
  const cell = (i: number | undefined): string => (i === undefined ? '' : (row.cells[i] ?? ''));
  const { roles } = layout;
  let id: string;
  if (layout.profile === 'receptionist') {
    const ident = cell(roles.identification);
    const email = cell(roles.email).toLowerCase();
    const sms = cell(roles.smsPhone);
    id = ident ? `id:${ident}` : email ? `email:${email}` : sms ? `sms:${sms}` : '';
  } else if (layout.profile === 'ilobby') {
    // iLobby matches by email across all sites: a site move is an update, not archive + create.
    return `email:${cell(roles.email).toLowerCase()}`;
  } else {
    const unique = layout.columns.flatMap((c, i) => (c.unique ? [i] : []));
    id = unique.length > 0 ? unique.map((i) => cell(i)).join(SEP) : row.cells.join(SEP);
  }
  return `${row.location}${SEP}${id}`;
}

/** @param cells a row's cells */
export function rowHash(cells: readonly string[]): string {
  return createHash('sha256').update(cells.join(SEP)).digest('hex').slice(0, 32);
}

function displayName(layout: ColumnSet, cells: readonly string[]): string {
  const { roles } = layout;
  const parts = [roles.firstName, roles.lastName].map((i) => (i === undefined ? '' : (cells[i] ?? '')));
  const name = parts.join(' ').trim();
  const email = roles.email === undefined ? '' : (cells[roles.email] ?? '');
  return name ? (email ? `${name} <${email}>` : name) : email || (cells[0] ?? '?');
}

/**
 * Finds the previously pushed contact a row updates, the way the vendor does: The Receptionist
 * tries Identification, then Email, then SMS Phone within the location, so adding an
 * Identification mapping or changing an email does not look like archive + create.
 */
function oldMatcher(
  layout: ColumnSet,
  old: Record<string, PushedContact>,
): (row: CurrentRow, taken: ReadonlySet<string>) => string | undefined {
  if (layout.profile !== 'receptionist') {
    return (row) => {
      const key = identityOf(layout, row);
      return key in old ? key : undefined;
    };
  }
  const { roles } = layout;
  const fields = [roles.identification, roles.email, roles.smsPhone];
  const indexes = fields.map(() => new Map<string, string>());
  const norm = (f: number, value: string): string => (f === 1 ? value.toLowerCase() : value);
  for (const [key, contact] of Object.entries(old)) {
    fields.forEach((column, f) => {
      const value = column === undefined ? '' : (contact.cells[column] ?? '');
      if (value) indexes[f]?.set(`${contact.location}${SEP}${norm(f, value)}`, key);
    });
  }
  return (row, taken) => {
    for (const [f, column] of fields.entries()) {
      const value = column === undefined ? '' : (row.cells[column] ?? '');
      if (!value) continue;
      const key = indexes[f]?.get(`${row.location}${SEP}${norm(f, value)}`);
      if (key !== undefined && !taken.has(key)) return key;
    }
    return undefined;
  };
}

/**
 * Compare this run's rows with the last good push. Pure.
 * @param layout the column layout
 * @param previous the last good push, if any
 * @param rows this run's valid rows
 * @param rejected this run's rejected rows (a previously pushed contact whose row is rejected
 *   will be archived by the vendor all the same)
 */
export function computePlan(
  layout: ColumnSet,
  previous: LastPush | undefined,
  rows: readonly CurrentRow[],
  rejected: readonly (CurrentRow & { reasons: string[] })[],
): Plan {
  const plan: Plan = {
    firstPush: previous === undefined,
    create: [],
    update: [],
    archive: [],
    unchanged: 0,
    locations: {},
  };
  const loc = (slug: string): LocationPlan =>
    (plan.locations[slug] ??= { previous: 0, current: 0, create: 0, update: 0, archive: 0, unchanged: 0 });
  const old = previous?.contacts ?? {};
  for (const c of Object.values(old)) loc(c.location).previous++;
  const matchOld = oldMatcher(layout, old);
  const seen = new Set<string>();
  for (const row of rows) {
    const key = identityOf(layout, row);
    const oldKey = matchOld(row, seen);
    const before = oldKey === undefined ? undefined : old[oldKey];
    if (oldKey !== undefined) seen.add(oldKey);
    const l = loc(row.location);
    l.current++;
    const name = displayName(layout, row.cells);
    if (!before) {
      plan.create.push({ key, location: row.location, name });
      l.create++;
    } else if (before.hash !== rowHash(row.cells)) {
      const columns = layout.headers.filter((_, i) => (before.cells[i] ?? '') !== (row.cells[i] ?? ''));
      plan.update.push({ key, location: row.location, name, columns });
      l.update++;
    } else {
      plan.unchanged++;
      l.unchanged++;
    }
  }
  const rejectedByKey = new Map(rejected.map((r) => [identityOf(layout, r), r]));
  for (const [key, before] of Object.entries(old)) {
    if (seen.has(key)) continue;
    const why = rejectedByKey.get(key);
    plan.archive.push({
      key,
      location: before.location,
      name: displayName(layout, before.cells),
      ...(why ? { rejectedBecause: why.reasons } : {}),
    });
    loc(before.location).archive++;
  }
  return plan;
}

/** Limits and approvals for {@link checkGuards}. */
export interface GuardOptions {
  /** Archive limit (count). */
  maxArchive: number;
  /** Archive limit (percent of the last push). */
  maxArchivePercent: number;
  /** Emails that must be present. */
  mustInclude: readonly string[];
  /** `--allow-archive N`: approve up to N archives in all. */
  allowArchive: number | undefined;
  /** `--force`: send whatever the plan is. */
  force: boolean;
}

/** A guard that stops the run. */
export interface Trip {
  /** Which guard. */
  guard: 'empty-export' | 'empty-location' | 'archive-limit' | 'incomplete-read' | 'must-include';
  /** What would have happened, with the numbers. */
  message: string;
}

/**
 * The guards, checked after the plan and before any byte is uploaded. Pure.
 * @param plan the plan
 * @param previous the last good push
 * @param current this run's facts: emails present and entries per search
 * @param current.emails emails in this run's rows (lower case)
 * @param current.searches entries returned per search
 * @param options limits and approvals
 */
export function checkGuards(
  plan: Plan,
  previous: LastPush | undefined,
  current: { emails: ReadonlySet<string>; searches: Record<string, number> },
  options: GuardOptions,
): Trip[] {
  if (options.force) return [];
  const trips: Trip[] = [];
  const total = Object.values(plan.locations).reduce((n, l) => n + l.current, 0);
  const label = (slug: string): string => (slug ? `location ${slug}` : 'the account (all locations)');
  if (total === 0) {
    trips.push({
      guard: 'empty-export',
      message: 'the export has no rows at all: the vendor would archive every contact',
    });
  }
  for (const [slug, l] of Object.entries(plan.locations)) {
    if (total > 0 && l.current === 0 && l.previous > 0) {
      trips.push({
        guard: 'empty-location',
        message: `${label(slug)} has no rows now but had ${l.previous} in the last push`,
      });
    }
  }
  if (previous) {
    for (const [key, before] of Object.entries(previous.searches)) {
      if (before > 0 && current.searches[key] === 0) {
        trips.push({
          guard: 'incomplete-read',
          message: `the search ${key} returned nothing, but ${before} entries last time (renamed OU, filter change or lost read rights?)`,
        });
      }
    }
    const approved = options.allowArchive !== undefined && plan.archive.length <= options.allowArchive;
    if (!approved) {
      const check = (scope: string, archive: number, previousCount: number): void => {
        if (archive === 0) return;
        const percent = previousCount > 0 ? (archive / previousCount) * 100 : 100;
        const pct = `${Math.round(percent)}%`;
        if (archive > options.maxArchive) {
          trips.push({
            guard: 'archive-limit',
            message: `would archive ${archive} of ${previousCount} contacts (${pct}) in ${scope}; limit ${options.maxArchive}`,
          });
        } else if (percent > options.maxArchivePercent) {
          trips.push({
            guard: 'archive-limit',
            message: `would archive ${archive} of ${previousCount} contacts (${pct}) in ${scope}; limit ${options.maxArchivePercent}%`,
          });
        }
      };
      const previousTotal = Object.keys(previous.contacts).length;
      for (const [slug, l] of Object.entries(plan.locations)) check(label(slug), l.archive, l.previous);
      if (Object.keys(plan.locations).length > 1) check('all locations', plan.archive.length, previousTotal);
    }
  }
  const missing = options.mustInclude.filter((e) => !current.emails.has(e));
  if (missing.length > 0) {
    trips.push({
      guard: 'must-include',
      message: `safety.mustInclude contacts are missing from the export: ${missing.join(', ')}`,
    });
  }
  // Empty exports and empty locations are refused even with --allow-archive: only --force sends them.
  return trips;
}
