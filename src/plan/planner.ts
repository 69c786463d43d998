import type { ColumnSet } from '../mapping/columns.js';
import type { PlanCounts } from '../errors.js';
import { hash32 } from '../util/hash-index.js';
import {
  displayName,
  identityOf,
  reachOf,
  rowHashInto,
  storedIdentity,
  type CurrentRow,
  type StoredContact,
} from './identity.js';
import { PreviousIndex, TAKEN, U32List } from './previous-index.js';

export { PreviousIndex } from './previous-index.js';

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
  /** For updates: each changed column with its value in the last push and in this run. */
  changes?: ColumnChange[];
  /** For archives of rejected rows: why the row was rejected. */
  rejectedBecause?: string[];
  /**
   * For a contact of an `extraContacts:` file: "FILE line N" (for an archive: where it was at
   * the last push, e.g. a line since removed from the file).
   */
  source?: string;
}

/**
 * A rename: a row that matches no contact of the last push, of the same directory entry
 * (objectGUID, entryUUID) as a contact that no row matched, i.e. a changed email or SMS phone.
 * The vendor still sees an archive (iLobby: the old record disabled) and a create; the plan
 * counts them there too, and lists the pair here.
 */
export interface PlannedRename {
  /** The old contact's email (else SMS phone, else name). */
  from: string;
  /** The new row's email (else SMS phone, else name). */
  to: string;
  /** The entry's DN now. */
  dn: string;
  /** The old contact's location (where it is archived). */
  location: string;
  /** The new row's location, when it is another one. */
  toLocation?: string;
  /** Display name of the new row. */
  name: string;
}

/** One changed cell of an update, as the CSVs have it. */
export interface ColumnChange {
  /** Column header. */
  column: string;
  /** Value in the last push. */
  old: string;
  /** Value in this run. */
  new: string;
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
  /** Archives here that are renames (see {@link PlannedRename}). */
  rename: number;
  unchanged: number;
}

/** What a push would do at the vendor. */
/** What the plan needs of a rejected row, besides the row. */
export interface RejectFlags {
  /** Why it was rejected. */
  reasons: string[];
  /** Rejected for a shared value it lost: its directory identity or file line says who it was. */
  duplicate?: boolean;
  /** Its only key went to nobody: no row held it in the last push (see Plan.displaced). */
  displaced?: boolean;
}

export interface Plan {
  /** No state: everyone is new. */
  firstPush: boolean;
  /**
   * Contacts to create: the first {@link PlannerOptions.sample} (a push keeps
   * {@link PLAN_SAMPLE}; the plan file lists every one, {@link Plan.totals} counts them).
   */
  create: PlannedContact[];
  /** Contacts to update (see {@link Plan.create} on how many are listed). */
  update: PlannedContact[];
  /** Contacts to archive (see {@link Plan.create} on how many are listed). */
  archive: PlannedContact[];
  /** Archives that are renames, old → new (see {@link Plan.create} on how many are listed). */
  renames: PlannedRename[];
  /** Count of unchanged contacts. */
  unchanged: number;
  /** Per location. */
  locations: Record<string, LocationPlan>;
  /** How many contacts each list has in all. */
  totals: { create: number; update: number; archive: number; rename: number };
  /**
   * Archives, per location, of contacts whose row was rejected because it shares its only key with
   * another row and no row kept the value by having held it in the last push; absent when there
   * are none. Another person's row caused these, so the guards stop them whatever the limits. (A
   * row whose value stays with the row that held it changed its own value: an ordinary archive.)
   */
  displaced?: Record<string, number>;
}

/**
 * The counts of a plan in the one shape reports, history, guards and the vendor check share.
 * @param plan the plan
 */
export function planCounts(plan: Plan): Required<PlanCounts> {
  const { create, update, archive, rename } = plan.totals;
  return { create, update, archive, rename, unchanged: plan.unchanged, firstPush: plan.firstPush };
}

/** Contacts of each plan list a push keeps in memory (for messages and the report). */
export const PLAN_SAMPLE = 100;

/**
 * A plan with nothing in it yet.
 * @param firstPush whether there is no earlier push
 */
export function emptyPlan(firstPush: boolean): Plan {
  return {
    firstPush,
    create: [],
    update: [],
    archive: [],
    renames: [],
    unchanged: 0,
    locations: {},
    totals: { create: 0, update: 0, archive: 0, rename: 0 },
  };
}

/**
 * The counts of one location of a plan, added (all zero) when the location is new.
 * @param plan the plan
 * @param slug the location
 */
export function locationPlan(plan: Plan, slug: string): LocationPlan {
  return (plan.locations[slug] ??= {
    previous: 0,
    current: 0,
    create: 0,
    update: 0,
    archive: 0,
    rename: 0,
    unchanged: 0,
  });
}

const pair = new Uint32Array(2);

/** Its mark of a contact that a new row of the same directory entry may rename (if no row takes it). */
const CLAIMED = 2;

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

/** Where each list of a plan goes. */
export interface PlanStores {
  create: EntryStore;
  /** Updates before their changed columns are known. */
  pendingUpdate: EntryStore;
  update: EntryStore;
  archive: EntryStore;
  /** Renames before it is known whether the old contact is archived. */
  pendingRename: EntryStore;
  rename: EntryStore;
}

/** Options for {@link Planner}. */
export interface PlannerOptions {
  /** Entries of each list kept in {@link Plan} (default: all). */
  sample?: number;
  /** Where the full lists go (a push: the plan file and the run's line buffers). */
  stores: PlanStores;
}

/**
 * Compares this run's rows, one at a time in output order, with the last good push, in memory
 * that does not grow with the directory beyond the {@link PreviousIndex} (and, per update, a hash
 * of each new cell and the old values of the cells that change). Then
 * {@link Planner.finish} reads the last push once more for the contacts that are archived (their
 * names) or updated (which columns change, from what to what).
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
  /** Per pending rename: the old contact it claims. */
  private readonly renameOld = new U32List();
  /**
   * Why rows were rejected, only for those that may be a contact of the last push (by identity),
   * so that however many rows are rejected, what is kept is bounded by the last push.
   */
  private readonly rejectedByKey = new Map<string, RejectFlags>();
  /** Rows rejected for a shared value, by the contact of the last push they were. */
  private readonly duplicateRows = new Map<number, RejectFlags>();

  /**
   * @param layout the column layout
   * @param previous the last good push, indexed (undefined before the first push)
   * @param options sample size and stores
   */
  public constructor(
    private readonly layout: ColumnSet,
    private readonly previous: PreviousIndex | undefined,
    options: PlannerOptions,
  ) {
    this.sample = options.sample ?? Infinity;
    this.stores = options.stores;
    this.columns = layout.headers.length;
    this.taken = new Uint8Array(previous?.count ?? 0);
    this.plan = emptyPlan(previous === undefined);
    if (previous) {
      for (let n = 0; n < previous.count; n++) {
        if (!previous.isDead(n)) this.loc(previous.locationOf(n)).previous++;
      }
    }
  }

  private loc(slug: string): LocationPlan {
    return locationPlan(this.plan, slug);
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
        ...(row.source === undefined ? {} : { source: row.source }),
      };
      if (this.plan.create.length < this.sample) this.plan.create.push(entry);
      this.stores.create.add(JSON.stringify(entry));
      this.plan.totals.create++;
      l.create++;
      this.claim(row);
      return key;
    }
    this.taken[n] = TAKEN;
    rowHashInto(row.cells, pair, 0);
    if (previous.sameHash(n, pair[0] ?? 0, pair[1] ?? 0)) {
      this.plan.unchanged++;
      l.unchanged++;
      return key;
    }
    // Which columns change is known once the old row is read again (finish).
    this.updateOld.push(n);
    for (let c = 0; c < this.columns; c++) this.updateCells.push(hash32(row.cells[c] ?? ''));
    // The new cells wait on disk with the entry (a push's store is a file), for old → new.
    this.stores.pendingUpdate.add(
      JSON.stringify({
        key,
        location: row.location,
        name: displayName(this.layout, row.cells),
        ...(row.source === undefined ? {} : { source: row.source }),
        cells: row.cells,
      }),
    );
    this.plan.totals.update++;
    l.update++;
    return key;
  }

  /**
   * A created row of the same directory entry as a contact of the last push that no row has
   * taken yet: a rename, unless a later row takes that contact (known in {@link Planner.finish}).
   */
  private claim(row: CurrentRow): void {
    const n = this.previous?.byDirectoryId(row);
    if (n === undefined || this.taken[n] !== 0 || this.previous?.isDead(n)) return;
    this.taken[n] = CLAIMED;
    this.renameOld.push(n);
    // The old side (its email, its location) is read with the archives, in finish.
    const pending: Omit<PlannedRename, 'from'> = {
      to: reachOf(this.layout, row.cells),
      dn: row.dn ?? '',
      location: row.location,
      name: displayName(this.layout, row.cells),
    };
    this.stores.pendingRename.add(JSON.stringify(pending));
  }

  /**
   * A rejected row of this run (any time before {@link Planner.finish}): its reasons go with the
   * archive of the contact it was.
   * @param row the row (see {@link RejectFlags})
   */
  public reject(row: CurrentRow & RejectFlags): void {
    const previous = this.previous;
    if (!previous) return;
    const flags: RejectFlags = {
      reasons: row.reasons,
      ...(row.displaced === true ? { displaced: true } : {}),
    };
    // A row rejected for a shared value no longer has the key it was pushed by: its directory
    // identity (or file line) tells which contact it was.
    const was = row.duplicate === true ? previous.formerContact(row) : undefined;
    if (was !== undefined) this.duplicateRows.set(was, flags);
    const key = identityOf(this.layout, row);
    if (previous.mayHold(key)) this.rejectedByKey.set(key, flags);
  }

  /**
   * Complete the plan: archives (contacts of the last push that no row matched, with the reject
   * reasons when their row was rejected: see {@link Planner.reject}), renames among them, and the
   * changed columns of updates, old → new.
   * @param contacts the last push's contacts again, in the same order as for the index
   */
  public async finish(
    contacts: AsyncIterable<StoredContact> | Iterable<StoredContact> | undefined,
  ): Promise<Plan> {
    const { oldValues, renamedFrom } = await this.walkPrevious(contacts);
    await this.finishUpdates(oldValues);
    await this.finishRenames(renamedFrom);
    return this.plan;
  }

  /**
   * One pass over the last push's contacts: archive those no row took; keep by update number the old
   * values of the cells whose hash changed (never whole rows), by old contact how a rename was reached.
   */
  private async walkPrevious(
    contacts: AsyncIterable<StoredContact> | Iterable<StoredContact> | undefined,
  ): Promise<{ oldValues: Map<number, [number, string][]>; renamedFrom: Map<number, string> }> {
    const { previous } = this;
    const oldValues = new Map<number, [number, string][]>();
    const renamedFrom = new Map<number, string>();
    if (!previous || !contacts) return { oldValues, renamedFrom };
    const updates = this.updateOld.length;
    const oldOf = this.updateOld.data;
    // Update numbers ordered by the old contact they update, to meet them in state order.
    const byOld = [...Array(updates).keys()].sort((a, b) => (oldOf[a] ?? 0) - (oldOf[b] ?? 0));
    let next = 0;
    let n = 0;
    for await (const contact of contacts) {
      const i = n++;
      if (previous.isDead(i)) continue;
      if (this.taken[i] !== TAKEN) {
        this.archive(contact, i);
        if (this.taken[i] === CLAIMED) renamedFrom.set(i, reachOf(this.layout, contact.cells));
        continue;
      }
      while (next < updates && oldOf[byOld[next] ?? 0] === i) {
        const u = byOld[next++] ?? 0;
        const changed: [number, string][] = [];
        for (let c = 0; c < this.columns; c++) {
          const old = contact.cells[c] ?? '';
          if (hash32(old) !== this.updateCells.data[u * this.columns + c]) changed.push([c, old]);
        }
        oldValues.set(u, changed);
      }
    }
    return { oldValues, renamedFrom };
  }

  /** Plan the archive of old contact `i`, with why its row was rejected when it was. */
  private archive(contact: StoredContact, i: number): void {
    const why = this.duplicateRows.get(i) ?? this.rejectedByKey.get(storedIdentity(this.layout, contact.key));
    const displaced = why?.displaced === true ? (this.plan.displaced ??= {}) : undefined;
    if (displaced) displaced[contact.location] = (displaced[contact.location] ?? 0) + 1;
    const entry: PlannedContact = {
      key: contact.key,
      location: contact.location,
      name: displayName(this.layout, contact.cells),
      ...(contact.source === undefined ? {} : { source: contact.source }),
      ...(why ? { rejectedBecause: why.reasons } : {}),
    };
    if (this.plan.archive.length < this.sample) this.plan.archive.push(entry);
    this.stores.archive.add(JSON.stringify(entry));
    this.plan.totals.archive++;
    this.loc(contact.location).archive++;
  }

  /** The pending updates, completed with their changed columns, old → new. */
  private async finishUpdates(oldValues: ReadonlyMap<number, [number, string][]>): Promise<void> {
    let u = 0;
    for await (const line of this.stores.pendingUpdate.lines()) {
      const { cells, ...entry } = JSON.parse(line) as PlannedContact & { cells: string[] };
      const changes = (oldValues.get(u) ?? []).map(([c, old]) => ({
        column: this.layout.headers[c] ?? '',
        old,
        new: cells[c] ?? '',
      }));
      entry.columns = changes.map((change) => change.column);
      entry.changes = changes;
      if (this.plan.update.length < this.sample) this.plan.update.push(entry);
      this.stores.update.add(JSON.stringify(entry));
      u++;
    }
  }

  /** The pending renames whose old contact was archived, from how it was reached to the new key. */
  private async finishRenames(renamedFrom: ReadonlyMap<number, string>): Promise<void> {
    let r = 0;
    for await (const line of this.stores.pendingRename.lines()) {
      const old = this.renameOld.data[r++] ?? 0;
      const from = renamedFrom.get(old);
      if (from === undefined || !this.previous) continue;
      const { to, dn, location, name } = JSON.parse(line) as PlannedRename;
      const was = this.previous.locationOf(old);
      const entry: PlannedRename = {
        from,
        to,
        dn,
        location: was,
        ...(location === was ? {} : { toLocation: location }),
        name,
      };
      if (this.plan.renames.length < this.sample) this.plan.renames.push(entry);
      this.stores.rename.add(JSON.stringify(entry));
      this.plan.totals.rename++;
      this.loc(was).rename++;
    }
  }
}
