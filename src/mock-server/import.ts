import { isUtf8 } from 'node:buffer';

/**
 * The vendors' import rules, as documented: pure functions over the mock's state.
 * The Receptionist: match by Identification, then Email, then SMS Phone within the row's
 * location; update (empty fields never erase), or create with message rules for its channels;
 * afterwards archive the contacts of the touched locations that the upload did not mention.
 * iLobby: match by email; empty fields ignored; a SITE must be a configured site; records missing
 * from the upload are disabled.
 */

/** A contact as the vendor stores it. */
export interface MockContact {
  /** Vendor-side id. */
  id: number;
  /** Location slug or site ('' = all locations). */
  location: string;
  /** Fields as stored, by CSV header. */
  fields: Record<string, string>;
  /** active, archived (Receptionist) or disabled (iLobby). */
  status: 'active' | 'archived' | 'disabled';
  /** Channels the vendor notifies on (Receptionist). */
  messageRules: string[];
}

/** The vendor's answer to an upload. */
export interface ImportSummary {
  /** Contacts created. */
  created: number;
  /** Contacts changed (or revived). */
  updated: number;
  /** Contacts in the upload that did not change. */
  unchanged: number;
  /** Contacts archived (Receptionist) or disabled (iLobby) because the upload left them out. */
  archived: number;
  /** Rows that could not be imported, with their row numbers (the header is row 1). */
  errors: { row: number; message: string }[];
}

/** Which vendor's rules to apply. */
export type VendorRules = 'receptionist' | 'ilobby';

/** Headers each vendor accepts. */
export const VENDOR_HEADERS: Record<VendorRules, readonly string[]> = {
  receptionist: [
    'First Name',
    'Last Name',
    'Email',
    'SMS Phone',
    'Business Title',
    'Department',
    'Image',
    'PIN',
    'Location Slug',
    'Identification',
    'Slack',
  ],
  ilobby: ['FIRSTNAME', 'LASTNAME', 'TITLE', 'DIVISION', 'EMAIL', 'MOBILE', 'DESKPHONE', 'SITE'],
};

interface Keys {
  first: string;
  last: string;
  email: string;
  sms: string;
  location: string;
  id?: string;
}

const KEYS: Record<VendorRules, Keys> = {
  receptionist: {
    first: 'First Name',
    last: 'Last Name',
    email: 'Email',
    sms: 'SMS Phone',
    location: 'Location Slug',
    id: 'Identification',
  },
  ilobby: { first: 'FIRSTNAME', last: 'LASTNAME', email: 'EMAIL', sms: 'MOBILE', location: 'SITE' },
};

/** Options for {@link importRows}. */
export interface ImportOptions {
  /** iLobby site names that exist in the portal (empty = any). */
  sites: readonly string[];
}

function merge(contact: MockContact, row: Record<string, string>): boolean {
  let changed = false;
  for (const [key, value] of Object.entries(row)) {
    // Both vendors: an empty field never erases what is stored.
    const stored = contact.fields[key];
    // Emails match case-insensitively, so a change of case alone is no change.
    if (
      value === '' ||
      stored === value ||
      (key.toLowerCase() === 'email' && stored?.toLowerCase() === value.toLowerCase())
    )
      continue;
    contact.fields[key] = value;
    changed = true;
  }
  return changed;
}

/**
 * Contacts by the values the vendor matches on, so an import is linear in the rows (a 100,000-row
 * upload must not compare every row with every contact). Each key lists its contacts in list
 * order, so a lookup finds the same contact a scan from the start would; a contact whose
 * matched fields or location change is re-indexed.
 */
class ContactIndex {
  private readonly byKey = new Map<string, MockContact[]>();
  private readonly keysOf = new Map<MockContact, string[]>();
  private readonly position = new Map<MockContact, number>();

  public constructor(private readonly keys: (c: MockContact) => string[]) {}

  public add(contact: MockContact, position: number): void {
    this.position.set(contact, position);
    const keys = this.keys(contact);
    this.keysOf.set(contact, keys);
    for (const key of keys) {
      const list = this.byKey.get(key);
      if (!list) {
        this.byKey.set(key, [contact]);
        continue;
      }
      // Keep list order: usually the new contact is the last one.
      let i = list.length;
      while (i > 0 && (this.position.get(list[i - 1] as MockContact) ?? 0) > position) i--;
      list.splice(i, 0, contact);
    }
  }

  /** Re-index a contact after its fields or location changed. */
  public update(contact: MockContact): void {
    for (const key of this.keysOf.get(contact) ?? []) {
      const list = this.byKey.get(key);
      const i = list?.indexOf(contact) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
      if (list?.length === 0) this.byKey.delete(key);
    }
    this.add(contact, this.position.get(contact) ?? 0);
  }

  /** The first contact (in list order) with this key. */
  public first(key: string): MockContact | undefined {
    return this.byKey.get(key)?.[0];
  }
}

const lower = (s: string | undefined): string => (s ?? '').toLowerCase();

/**
 * The keys a contact is found by. iLobby matches by email over all sites; The Receptionist by
 * Identification, Email (any case) or SMS Phone within the row's location.
 */
function matchKeys(rules: VendorRules): (c: MockContact) => string[] {
  const k = KEYS[rules];
  return (c) => {
    if (rules === 'ilobby') return [`e\u0000${lower(c.fields[k.email])}`];
    const keys = [
      `e\u0000${c.location}\u0000${lower(c.fields[k.email])}`,
      `s\u0000${c.location}\u0000${c.fields[k.sms] ?? ''}`,
    ];
    if (k.id) keys.push(`i\u0000${c.location}\u0000${c.fields[k.id] ?? ''}`);
    return keys;
  };
}

/** Why the vendor refuses a row before matching it, or undefined when the row is complete. */
function rowError(
  rules: VendorRules,
  row: Record<string, string>,
  sites: ReadonlySet<string>,
): string | undefined {
  const k = KEYS[rules];
  const email = row[k.email] ?? '';
  const location = row[k.location] ?? '';
  if (!row[k.first] || !row[k.last]) return `${k.first} and ${k.last} are required`;
  if (rules === 'receptionist' && !email && !row[k.sms]) return 'Email or SMS Phone is required';
  if (rules !== 'ilobby') return undefined;
  if (!email) return 'EMAIL is required';
  if (sites.size > 0 && !sites.has(location)) return `SITE "${location}" is not a site of this account`;
  return undefined;
}

/** The stored contact a row matches, by the vendor's keys in the vendor's order. */
function matchOf(
  rules: VendorRules,
  index: ContactIndex,
  row: Record<string, string>,
): MockContact | undefined {
  const k = KEYS[rules];
  const location = row[k.location] ?? '';
  const email = row[k.email] ?? '';
  const sms = row[k.sms] ?? '';
  if (rules === 'ilobby') return index.first(`e\u0000${lower(email)}`);
  const id = k.id ? (row[k.id] ?? '') : '';
  return (
    (id ? index.first(`i\u0000${location}\u0000${id}`) : undefined) ??
    (email ? index.first(`e\u0000${location}\u0000${lower(email)}`) : undefined) ??
    (sms ? index.first(`s\u0000${location}\u0000${sms}`) : undefined)
  );
}

/** A new contact from a row; The Receptionist sets message rules for the channels it has. */
function newContact(rules: VendorRules, id: number, row: Record<string, string>): MockContact {
  const k = KEYS[rules];
  return {
    id,
    location: row[k.location] ?? '',
    fields: Object.fromEntries(Object.entries(row).filter(([, v]) => v !== '')),
    status: 'active',
    messageRules:
      rules === 'receptionist'
        ? [row[k.email] ? 'email' : '', row[k.sms] ? 'sms' : '', row.Slack ? 'slack' : ''].filter(Boolean)
        : [],
  };
}

/**
 * Archive (Receptionist) or disable (iLobby) the active contacts the upload left out; the number done.
 * The Receptionist archives within the locations the upload touched; iLobby syncs the whole book.
 */
function retireUnmentioned(
  rules: VendorRules,
  contacts: readonly MockContact[],
  touched: ReadonlySet<MockContact>,
  locations: ReadonlySet<string>,
): number {
  let retired = 0;
  for (const c of contacts) {
    if (c.status !== 'active' || touched.has(c)) continue;
    if (rules === 'receptionist' && !locations.has(c.location)) continue;
    c.status = rules === 'receptionist' ? 'archived' : 'disabled';
    retired++;
  }
  return retired;
}

/**
 * Import parsed CSV rows into the contact list (mutated in place) and summarise.
 * @param rules which vendor's rules
 * @param contacts the stored contacts
 * @param rows the upload's rows, keyed by header
 * @param options configured sites
 */
export function importRows(
  rules: VendorRules,
  contacts: MockContact[],
  rows: readonly Record<string, string>[],
  options: ImportOptions,
): ImportSummary {
  const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0, archived: 0, errors: [] };
  const touched = new Set<MockContact>();
  const locations = new Set<string>();
  let nextId = contacts.reduce((max, c) => Math.max(max, c.id), 0) + 1;
  const sites = new Set(options.sites);
  const index = new ContactIndex(matchKeys(rules));
  contacts.forEach((c, i) => {
    index.add(c, i);
  });

  rows.forEach((row, rowIndex) => {
    const rowNumber = rowIndex + 2;
    const error = rowError(rules, row, sites);
    if (error !== undefined) {
      summary.errors.push({ row: rowNumber, message: error });
      return;
    }
    const location = row[KEYS[rules].location] ?? '';
    locations.add(location);
    const found = matchOf(rules, index, row);
    if (found && touched.has(found)) {
      summary.errors.push({ row: rowNumber, message: 'this contact already appeared in an earlier row' });
      return;
    }
    if (found) {
      const changed = merge(found, row);
      const revived = found.status !== 'active' || found.location !== location;
      found.status = 'active';
      found.location = location;
      if (changed || revived) {
        summary.updated++;
        index.update(found);
      } else summary.unchanged++;
      touched.add(found);
      return;
    }
    const contact = newContact(rules, nextId++, row);
    contacts.push(contact);
    index.add(contact, contacts.length - 1);
    touched.add(contact);
    summary.created++;
  });
  summary.archived = retireUnmentioned(rules, contacts, touched, locations);
  return summary;
}

/**
 * Offset of the first byte that is not valid UTF-8, or -1.
 * @param bytes the upload
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  // Only a file that is not UTF-8 pays for finding where: decoding growing prefixes would be
  // quadratic, so walk the encoding.
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const need =
      b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (need < 0) return i;
    for (let j = 1; j <= need; j++) if (((bytes[i + j] ?? 0) & 0xc0) !== 0x80) return i;
    if (need > 0) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, i + need + 1));
      } catch {
        return i;
      }
    }
    i += need + 1;
  }
  return -1;
}
