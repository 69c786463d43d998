import { createHash } from 'node:crypto';

import type { ColumnSet } from '../mapping/columns.js';
import { hash32, hash64Hex, hash64Into, HashIndex } from '../util/hash-index.js';

/** One contact as the last good push sent it. */
export interface PushedContact {
  /** Location slug. */
  location: string;
  /** Hash of the row, to see changes. */
  hash: string;
  /** The row's cells, to say which columns change. */
  cells: string[];
}

/**
 * The last push the vendor accepted, as earlier releases stored it (state format 1: one JSON
 * object with every contact's row). Still read; state is now written as format 2 (see
 * store.ts), which streams.
 */
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
  /**
   * Contacts to create: all of them from {@link computePlan}; from a push, the first
   * {@link PLAN_SAMPLE} (the plan file lists every one, {@link Plan.totals} counts them).
   */
  create: PlannedContact[];
  /** Contacts to update (see {@link Plan.create} on how many are listed). */
  update: PlannedContact[];
  /** Contacts to archive (see {@link Plan.create} on how many are listed). */
  archive: PlannedContact[];
  /** Count of unchanged contacts. */
  unchanged: number;
  /** Per location. */
  locations: Record<string, LocationPlan>;
  /** How many contacts each list has in all. */
  totals: { create: number; update: number; archive: number };
}

/** Contacts of each plan list a push keeps in memory (for messages and the report). */
export const PLAN_SAMPLE = 100;

/** A row of this run, with what the plan needs. */
export interface CurrentRow {
  /** Cells. */
  cells: string[];
  /** Location slug. */
  location: string;
}

/** A contact of the last push, as the state file lists it. */
export interface StoredContact {
  /** Identity key when it was pushed. */
  key: string;
  /** Location slug. */
  location: string;
  /** The row's cells. */
  cells: string[];
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

/**
 * The row hash kept in the state file: 64 bits, enough to tell a changed row from an unchanged
 * one (a change goes unseen only if old and new rows collide, about 1 in 10^19), and fast.
 * @param cells a row's cells
 */
export function stateRowHash(cells: readonly string[]): string {
  return hash64Hex(cells.join(SEP));
}

function displayName(layout: ColumnSet, cells: readonly string[]): string {
  const { roles } = layout;
  const parts = [roles.firstName, roles.lastName].map((i) => (i === undefined ? '' : (cells[i] ?? '')));
  const name = parts.join(' ').trim();
  const email = roles.email === undefined ? '' : (cells[roles.email] ?? '');
  return name ? (email ? `${name} <${email}>` : name) : email || (cells[0] ?? '?');
}

/** A growable array of 32-bit numbers. */
class U32List {
  public data = new Uint32Array(1024);
  public length = 0;

  public push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
}

/**
 * The last push, compactly, as the plan needs it: per contact its location, a 64-bit row hash
 * and whether this run matched it, plus indexes from identity (or Identification, Email, SMS
 * Phone) to the contact's number. About 60 bytes a contact: the rows themselves stay in the
 * state file and are read again only for the contacts that are archived or updated.
 */
export class PreviousIndex {
  /** Locations in the order they first appear. */
  public readonly locations: string[] = [];
  private readonly locationIndex = new Map<string, number>();
  private readonly location = new U32List();
  private readonly hash = new U32List();
  /** Contacts whose identity reappears later in the state (the later one counts, as in a map). */
  private readonly dead = new Set<number>();
  private readonly byKey = new HashIndex();
  private readonly byField: HashIndex[];
  private readonly fields: (number | undefined)[];
  /** Contacts read. */
  public count = 0;

  /**
   * @param layout the column layout of this run
   */
  public constructor(layout: ColumnSet) {
    const { roles } = layout;
    // The Receptionist tries Identification, then Email, then SMS Phone within the location, so
    // adding an Identification mapping or changing an email does not look like archive + create.
    this.fields =
      layout.profile === 'receptionist' ? [roles.identification, roles.email, roles.smsPhone] : [];
    this.byField = this.fields.map(() => new HashIndex());
  }

  /**
   * Add the next contact of the state file.
   * @param contact the contact
   */
  public add(contact: StoredContact): void {
    const n = this.count++;
    let loc = this.locationIndex.get(contact.location);
    if (loc === undefined) {
      loc = this.locations.length;
      this.locations.push(contact.location);
      this.locationIndex.set(contact.location, loc);
    }
    this.location.push(loc);
    hashInto(contact.cells, this.hash);
    const earlier = this.byKey.add(contact.key, n);
    if (earlier !== undefined) {
      this.dead.add(earlier);
      this.byKey.set(contact.key, n);
    }
    this.fields.forEach((column, f) => {
      const value = column === undefined ? '' : (contact.cells[column] ?? '');
      if (value) this.byField[f]?.set(`${contact.location}${SEP}${f === 1 ? value.toLowerCase() : value}`, n);
    });
  }

  /** Whether contact n is superseded by a later one with the same identity. */
  public isDead(n: number): boolean {
    return this.dead.has(n);
  }

  /** The location of contact n. */
  public locationOf(n: number): string {
    return this.locations[this.location.data[n] ?? 0] ?? '';
  }

  /** Whether contact n's row hash equals the given one (two 32-bit halves). */
  public sameHash(n: number, h1: number, h2: number): boolean {
    return this.hash.data[2 * n] === h1 && this.hash.data[2 * n + 1] === h2;
  }

  /**
   * The contact a row updates, the way the vendor matches: by identity, or for The Receptionist
   * by Identification, Email, then SMS Phone within the location, skipping contacts already
   * matched by an earlier row.
   * @param row the row
   * @param key its identity
   * @param taken contacts matched so far
   */
  public match(row: CurrentRow, key: string, taken: Uint8Array): number | undefined {
    if (this.fields.length === 0) return this.byKey.get(key);
    for (const [f, column] of this.fields.entries()) {
      const value = column === undefined ? '' : (row.cells[column] ?? '');
      if (!value) continue;
      const n = this.byField[f]?.get(`${row.location}${SEP}${f === 1 ? value.toLowerCase() : value}`);
      if (n !== undefined && taken[n] === 0) return n;
    }
    return undefined;
  }
}

const pair = new Uint32Array(2);

/** Append the 64-bit row hash of cells ({@link stateRowHash}) to a list as two halves. */
function hashInto(cells: readonly string[], list: U32List): void {
  hash64Into(cells.join(SEP), pair, 0);
  list.push(pair[0] ?? 0);
  list.push(pair[1] ?? 0);
}

/**
 * Plan entries as they are found: counted, the first few kept, and all of them appended to a
 * store (a file during a push) when one is given.
 */
export interface EntryStore {
  /** Add one line (a JSON text). */
  add(line: string): void;
  /** Lines added, in order (read once, after the last add). */
  lines(): AsyncIterable<string> | Iterable<string>;
}

/** A store that keeps the lines in memory (tests and small plans). */
export class MemoryStore implements EntryStore {
  private readonly items: string[] = [];
  public add(line: string): void {
    this.items.push(line);
  }
  public lines(): Iterable<string> {
    return this.items;
  }
}

/** Where each list of a plan goes. */
export interface PlanStores {
  create: EntryStore;
  /** Updates before their changed columns are known. */
  pendingUpdate: EntryStore;
  update: EntryStore;
  archive: EntryStore;
}

/** Options for {@link Planner}. */
export interface PlannerOptions {
  /** Entries of each list kept in {@link Plan} (default: all). */
  sample?: number;
  /** Stores of the full lists (default: in memory). */
  stores?: PlanStores;
}

/**
 * Compares this run's rows, one at a time in output order, with the last good push, in memory
 * that does not grow with the directory beyond the {@link PreviousIndex}. Then
 * {@link Planner.finish} reads the last push once more for the contacts that are archived (their
 * names) or updated (which columns change).
 */
export class Planner {
  private readonly plan: Plan;
  private readonly taken: Uint8Array;
  private readonly sample: number;
  private readonly stores: PlanStores;
  private readonly columns: number;
  /** Per pending update: the old contact, and the hashes of the new row's cells. */
  private readonly updateOld = new U32List();
  private readonly updateCells = new U32List();

  /**
   * @param layout the column layout
   * @param previous the last good push, indexed (undefined before the first push)
   * @param options sample size and stores
   */
  public constructor(
    private readonly layout: ColumnSet,
    private readonly previous: PreviousIndex | undefined,
    options: PlannerOptions = {},
  ) {
    this.sample = options.sample ?? Infinity;
    this.stores = options.stores ?? {
      create: new MemoryStore(),
      pendingUpdate: new MemoryStore(),
      update: new MemoryStore(),
      archive: new MemoryStore(),
    };
    this.columns = layout.headers.length;
    this.taken = new Uint8Array(previous?.count ?? 0);
    this.plan = {
      firstPush: previous === undefined,
      create: [],
      update: [],
      archive: [],
      unchanged: 0,
      locations: {},
      totals: { create: 0, update: 0, archive: 0 },
    };
    if (previous) {
      for (let n = 0; n < previous.count; n++) {
        if (!previous.isDead(n)) this.loc(previous.locationOf(n)).previous++;
      }
    }
  }

  private loc(slug: string): LocationPlan {
    return (this.plan.locations[slug] ??= {
      previous: 0,
      current: 0,
      create: 0,
      update: 0,
      archive: 0,
      unchanged: 0,
    });
  }

  /**
   * The next row of this run, in output order.
   * @param row the row
   * @returns the row's identity ({@link identityOf})
   */
  public add(row: CurrentRow): string {
    const key = identityOf(this.layout, row);
    const previous = this.previous;
    const n = previous?.match(row, key, this.taken);
    const l = this.loc(row.location);
    l.current++;
    if (previous === undefined || n === undefined) {
      const entry: PlannedContact = {
        key,
        location: row.location,
        name: displayName(this.layout, row.cells),
      };
      if (this.plan.create.length < this.sample) this.plan.create.push(entry);
      this.stores.create.add(JSON.stringify(entry));
      this.plan.totals.create++;
      l.create++;
      return key;
    }
    this.taken[n] = 1;
    hash64Into(row.cells.join(SEP), pair, 0);
    if (previous.sameHash(n, pair[0] ?? 0, pair[1] ?? 0)) {
      this.plan.unchanged++;
      l.unchanged++;
      return key;
    }
    // Which columns change is known once the old row is read again (finish).
    this.updateOld.push(n);
    for (let c = 0; c < this.columns; c++) this.updateCells.push(hash32(row.cells[c] ?? ''));
    this.stores.pendingUpdate.add(
      JSON.stringify({ key, location: row.location, name: displayName(this.layout, row.cells) }),
    );
    this.plan.totals.update++;
    l.update++;
    return key;
  }

  /**
   * Complete the plan: archives (contacts of the last push that no row matched, with the reject
   * reasons when their row was rejected) and the changed columns of updates.
   * @param contacts the last push's contacts again, in the same order as for the index
   * @param rejected this run's rejected rows
   */
  public async finish(
    contacts: AsyncIterable<StoredContact> | Iterable<StoredContact> | undefined,
    rejected: readonly (CurrentRow & { reasons: string[] })[],
  ): Promise<Plan> {
    const previous = this.previous;
    const updates = this.updateOld.length;
    // Old cell hashes of the updated contacts, by update number.
    const oldCells = new Uint32Array(updates * this.columns);
    if (previous && contacts) {
      const rejectedByKey = new Map(rejected.map((r) => [identityOf(this.layout, r), r]));
      // Update numbers ordered by the old contact they update, to meet them in state order.
      const byOld = Array.from({ length: updates }, (_, u) => u).sort(
        (a, b) => (this.updateOld.data[a] ?? 0) - (this.updateOld.data[b] ?? 0),
      );
      let next = 0;
      let n = 0;
      for await (const contact of contacts) {
        const i = n++;
        if (previous.isDead(i)) continue;
        if (this.taken[i] === 0) {
          const why = rejectedByKey.get(contact.key);
          const entry: PlannedContact = {
            key: contact.key,
            location: contact.location,
            name: displayName(this.layout, contact.cells),
            ...(why ? { rejectedBecause: why.reasons } : {}),
          };
          if (this.plan.archive.length < this.sample) this.plan.archive.push(entry);
          this.stores.archive.add(JSON.stringify(entry));
          this.plan.totals.archive++;
          this.loc(contact.location).archive++;
          continue;
        }
        while (next < updates && this.updateOld.data[byOld[next] ?? 0] === i) {
          const u = byOld[next++] ?? 0;
          for (let c = 0; c < this.columns; c++)
            oldCells[u * this.columns + c] = hash32(contact.cells[c] ?? '');
        }
      }
    }
    let u = 0;
    for await (const line of this.stores.pendingUpdate.lines()) {
      const entry = JSON.parse(line) as PlannedContact;
      const base = u * this.columns;
      entry.columns = this.layout.headers.filter(
        (_, c) => oldCells[base + c] !== this.updateCells.data[base + c],
      );
      if (this.plan.update.length < this.sample) this.plan.update.push(entry);
      this.stores.update.add(JSON.stringify(entry));
      u++;
    }
    return this.plan;
  }
}

/**
 * Compare this run's rows with the last good push (all in memory: for tests and small runs; a
 * push streams through {@link Planner}).
 * @param layout the column layout
 * @param previous the last good push, if any
 * @param rows this run's valid rows
 * @param rejected this run's rejected rows (a previously pushed contact whose row is rejected
 *   will be archived by the vendor all the same)
 */
export async function computePlan(
  layout: ColumnSet,
  previous: LastPush | undefined,
  rows: readonly CurrentRow[],
  rejected: readonly (CurrentRow & { reasons: string[] })[],
): Promise<Plan> {
  const contacts = previous
    ? Object.entries(previous.contacts).map(([key, c]) => ({ key, location: c.location, cells: c.cells }))
    : undefined;
  let index: PreviousIndex | undefined;
  if (contacts) {
    index = new PreviousIndex(layout);
    for (const c of contacts) index.add(c);
  }
  const planner = new Planner(layout, index);
  for (const row of rows) planner.add(row);
  return planner.finish(contacts, rejected);
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
  previous: Pick<LastPush, 'searches'> | undefined,
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
    const approved = options.allowArchive !== undefined && plan.totals.archive <= options.allowArchive;
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
      const previousTotal = Object.values(plan.locations).reduce((n, l) => n + l.previous, 0);
      for (const [slug, l] of Object.entries(plan.locations)) check(label(slug), l.archive, l.previous);
      if (Object.keys(plan.locations).length > 1) check('all locations', plan.totals.archive, previousTotal);
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
