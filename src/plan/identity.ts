import { emailKey } from '../mapping/cells.js';
import type { ColumnSet } from '../mapping/columns.js';
import type { MatchKey } from '../mapping/profiles.js';
import { hash64Hex, hash64Into } from '../util/hash-index.js';

/** A row of this run, with what the plan needs. */
export interface CurrentRow {
  /** Cells. */
  cells: string[];
  /** Location slug. */
  location: string;
  /** Where a row not from the directory comes from ("FILE line N"). */
  source?: string | undefined;
  /** The entry's DN (named in renames). */
  dn?: string;
  /** The entry's directory identity (objectGUID, entryUUID), when known: tells renames. */
  id?: string;
}

/** A contact of the last push, as the state file lists it. */
export interface StoredContact {
  /** Identity key when it was pushed. */
  key: string;
  /** Location slug. */
  location: string;
  /** The row's cells. */
  cells: string[];
  /** The entry's directory identity when it was pushed (absent in states of earlier releases). */
  id?: string;
  /** For a contact of an `extraContacts:` file: its "FILE line N" when it was pushed. */
  source?: string;
}

/** Joins the parts of identities and of hashed rows: a character no cell can hold unnoticed. */
export const SEP = '\u001f';

/**
 * A match key's value as compared: emails in NFC and lower case (the vendors compare them so),
 * other keys as written.
 * @param key the match key
 * @param value the cell
 */
export function matchValue(key: MatchKey, value: string): string {
  return key.role === 'email' ? emailKey(value) : value;
}

/**
 * The identity the vendor matches a contact by (the layout's `rules.match`): the first non-empty
 * match key, within the location or across the account (The Receptionist: Identification, else
 * Email, else SMS Phone; iLobby: Email); with no match keys, the unique columns, else the whole
 * row (custom).
 * @param layout the column layout
 * @param row the row
 */
export function identityOf(layout: ColumnSet, row: CurrentRow): string {
  const cell = (i: number | undefined): string => (i === undefined ? '' : (row.cells[i] ?? ''));
  const { keys, scope } = layout.rules.match;
  let id = '';
  if (keys.length === 0) {
    const unique = layout.columns.flatMap((c, i) => (c.unique ? [i] : []));
    id = unique.length > 0 ? unique.map((i) => cell(i)).join(SEP) : row.cells.join(SEP);
  } else {
    for (const key of keys) {
      const value = cell(layout.roles[key.role]);
      if (value === '') continue;
      id = `${key.prefix}:${matchValue(key, value)}`;
      break;
    }
  }
  // Across the account one key names the contact wherever it is: a site move is an update.
  if (scope === 'account') return id === '' ? `${keys[0]?.prefix ?? ''}:` : id;
  return `${row.location}${SEP}${id}`;
}

/**
 * An identity as a state file stored it, compared as {@link identityOf} makes it today: the
 * email part in NFC (states written before emails were normalised may hold NFD).
 * @param layout the column layout
 * @param key the stored identity
 */
export function storedIdentity(layout: ColumnSet, key: string): string {
  if (!layout.rules.match.keys.some((k) => k.role === 'email')) return key;
  const at = key.startsWith('email:') ? 0 : key.indexOf(`${SEP}email:`) + 1;
  if (at === 0 && !key.startsWith('email:')) return key;
  const start = at + 'email:'.length;
  return `${key.slice(0, start)}${emailKey(key.slice(start))}`;
}

/**
 * The one row hash: 64 bits, enough to tell a changed row from an unchanged one (a change goes
 * unseen only if old and new rows collide, about 1 in 10^19), and fast. State files (format 2)
 * keep it per contact; plans and diffs compare rows by it. Format 1 state files carried a
 * SHA-256 prefix instead, which is never read: rows are always compared from their cells.
 * @param cells a row's cells
 */
export function rowHash(cells: readonly string[]): string {
  return hash64Hex(cells.join(SEP));
}

/**
 * {@link rowHash} as two 32-bit halves written into `out` at `at`, for compact indexes.
 * @param cells a row's cells
 * @param out where the halves go
 * @param at index of the first half
 */
export function rowHashInto(cells: readonly string[], out: Uint32Array, at: number): void {
  hash64Into(cells.join(SEP), out, at);
}

/**
 * How a contact is named to people (plans, guard messages, diffs): "First Last <email>", the
 * name or the email alone when only one is there, else the first cell.
 * @param layout the column layout (which cells hold the name and the email)
 * @param cells the row
 */
export function displayName(layout: ColumnSet, cells: readonly string[]): string {
  const { roles } = layout;
  const parts = [roles.firstName, roles.lastName].map((i) => (i === undefined ? '' : (cells[i] ?? '')));
  const name = parts.join(' ').trim();
  const email = roles.email === undefined ? '' : (cells[roles.email] ?? '');
  return name ? (email ? `${name} <${email}>` : name) : email || (cells[0] ?? '?');
}

/**
 * How a contact is reached, as a rename names its two sides: the email, else the SMS phone, else
 * the {@link displayName}.
 * @param layout the column layout
 * @param cells the row
 */
export function reachOf(layout: ColumnSet, cells: readonly string[]): string {
  const { email, smsPhone } = layout.roles;
  const cell = (i: number | undefined): string => (i === undefined ? '' : (cells[i] ?? ''));
  return cell(email) || cell(smsPhone) || displayName(layout, cells);
}
