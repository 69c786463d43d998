import type { ColumnSet } from '../mapping/columns.js';
import type { MatchKey } from '../mapping/profiles.js';
import { HashIndex } from '../util/hash-index.js';
import {
  matchValue,
  rowHashInto,
  SEP,
  storedIdentity,
  type CurrentRow,
  type StoredContact,
} from './identity.js';

/** {@link Planner}'s mark of a contact of the last push that a row matched. */
export const TAKEN = 1;

/** A growable array of 32-bit numbers. */
export class U32List {
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
  /** Directory identity (within the location; iLobby: the account) → contact, when recorded. */
  private readonly byId = new HashIndex(16);
  /** The part of a location that scopes directory identities. */
  private readonly idScope: (location: string) => string;
  private readonly byField: HashIndex[];
  /** The match keys the vendor tries in turn (The Receptionist), with their columns. */
  private readonly fields: { key: MatchKey; column: number | undefined }[];
  /** The key that names a contact across the account (iLobby's email), with its column. */
  private readonly accountKey: { key: MatchKey; column: number | undefined } | undefined;
  /** Unique columns the vendor does not match by (custom profiles): column → value index. */
  private readonly byUnique = new Map<number, HashIndex>();
  /** Rows of `extraContacts:` files have no directory identity: their "FILE line N" stands in. */
  private readonly bySource = new HashIndex(16);
  private readonly layout: ColumnSet;
  /** Contacts read. */
  public count = 0;

  /**
   * @param layout the column layout of this run
   */
  public constructor(layout: ColumnSet) {
    const { roles } = layout;
    const { match } = layout.rules;
    this.layout = layout;
    const withColumn = (key: MatchKey): { key: MatchKey; column: number | undefined } => ({
      key,
      column: roles[key.role],
    });
    // A vendor that tries each key in turn (The Receptionist: Identification, Email, then SMS
    // Phone within the location) finds a contact by any of them, so adding an Identification
    // mapping or changing an email does not look like archive + create.
    this.fields = match.triesEach ? match.keys.map(withColumn) : [];
    this.byField = this.fields.map(() => new HashIndex());
    // A vendor matching across the account (iLobby) holds one record per key over its sites.
    const first = match.keys[0];
    this.accountKey = match.scope === 'account' && first !== undefined ? withColumn(first) : undefined;
    this.idScope = this.accountKey ? (): string => '' : (location): string => location;
    layout.columns.forEach((c, column) => {
      const keyed = column === this.accountKey?.column || this.fields.some((f) => f.column === column);
      if (c.unique && !keyed) this.byUnique.set(column, new HashIndex(16));
    });
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
    const key = storedIdentity(this.layout, contact.key);
    const earlier = this.byKey.add(key, n);
    if (earlier !== undefined) {
      this.dead.add(earlier);
      this.byKey.set(key, n);
    }
    this.fields.forEach(({ key, column }, f) => {
      const value = column === undefined ? '' : (contact.cells[column] ?? '');
      if (value) this.byField[f]?.set(`${contact.location}${SEP}${matchValue(key, value)}`, n);
    });
    if (contact.id) this.byId.set(`${this.idScope(contact.location)}${SEP}${contact.id}`, n);
    if (contact.source) this.bySource.set(`${this.idScope(contact.location)}${SEP}${contact.source}`, n);
    for (const [column, index] of this.byUnique) {
      const value = contact.cells[column] ?? '';
      if (value) index.set(`${contact.location}${SEP}${value}`, n);
    }
  }

  /**
   * The contact of the last push that had a value in a unique column, within the location (iLobby:
   * the email, in the account), as the vendor would find it.
   * @param location the location
   * @param column the unique column
   * @param value the cell
   */
  public holderOf(location: string, column: number, value: string): number | undefined {
    if (value === '') return undefined;
    const account = this.accountKey;
    if (account !== undefined && column === account.column)
      return this.byKey.get(`${account.key.prefix}:${matchValue(account.key, value)}`);
    const f = this.fields.findIndex((field) => field.column === column);
    const field = this.fields[f];
    if (field !== undefined) return this.byField[f]?.get(`${location}${SEP}${matchValue(field.key, value)}`);
    return this.byUnique.get(column)?.get(`${location}${SEP}${value}`);
  }

  /**
   * The contact of the last push that a row was, by what does not change when someone copies a
   * value: its directory identity, or the file line of an `extraContacts:` row.
   * @param row the row
   */
  public formerContact(row: CurrentRow): number | undefined {
    const scope = this.idScope(row.location);
    return (
      this.byDirectoryId(row) ?? (row.source ? this.bySource.get(`${scope}${SEP}${row.source}`) : undefined)
    );
  }

  /**
   * Whether a row held the value of one of its unique columns in the last push: the contact that
   * had the value is this row's own, by its directory identity or file line, by another unique
   * value of the row, or by an unchanged row. A row that merely copied a colleague's value matches
   * none of these.
   * @param row the row
   * @param column the unique column
   */
  public held(row: CurrentRow, column: number): boolean {
    const n = this.holderOf(row.location, column, row.cells[column] ?? '');
    if (n === undefined || this.isDead(n)) return false;
    if (this.formerContact(row) === n) return true;
    for (const [c, header] of this.layout.columns.entries()) {
      if (c === column || !header.unique) continue;
      if (this.holderOf(row.location, c, row.cells[c] ?? '') === n) return true;
    }
    rowHashInto(row.cells, pair, 0);
    return this.sameHash(n, pair[0] ?? 0, pair[1] ?? 0);
  }

  /**
   * Whether a contact of the last push may have this identity (a hash match: callers compare the
   * key itself).
   * @param key an identity ({@link identityOf})
   */
  public mayHold(key: string): boolean {
    return this.byKey.get(key) !== undefined;
  }

  /**
   * The contact of the last push with a row's directory identity (the last one recorded), if any.
   * @param row the row
   */
  public byDirectoryId(row: CurrentRow): number | undefined {
    return row.id ? this.byId.get(`${this.idScope(row.location)}${SEP}${row.id}`) : undefined;
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
    for (const [f, { key, column }] of this.fields.entries()) {
      const value = column === undefined ? '' : (row.cells[column] ?? '');
      if (!value) continue;
      const n = this.byField[f]?.get(`${row.location}${SEP}${matchValue(key, value)}`);
      if (n !== undefined && taken[n] !== TAKEN) return n;
    }
    return undefined;
  }
}

const pair = new Uint32Array(2);

/** Append the {@link rowHashInto row hash} of cells to a list as two halves. */
function hashInto(cells: readonly string[], list: U32List): void {
  rowHashInto(cells, pair, 0);
  list.push(pair[0] ?? 0);
  list.push(pair[1] ?? 0);
}
