import { OutputError, describeError } from '../errors.js';
import { AtomicFile } from '../io/atomic-file.js';
import { fileLines } from '../io/file-lines.js';
import { LINE_CHUNK } from '../io/line-buffer.js';
import { rowHash, type StoredContact } from '../plan/identity.js';

/** One contact as a format 1 state file lists it. */
export interface PushedContact {
  /** Location slug. */
  location: string;
  /** Hash of the row when it was written (never read: rows are compared from their cells). */
  hash: string;
  /** The row's cells, to say which columns change. */
  cells: string[];
}

/** What every state format records about the last push the vendor accepted. */
export interface PushSummary {
  /** When the vendor accepted the push. */
  time: string;
  /** SHA-256 of the CSV sent. */
  csvSha256: string;
  /** Header row. */
  headers: string[];
  /** Rows per location. */
  rows: Record<string, number>;
  /** Entries each search returned (see searchKey). */
  searches: Record<string, number>;
}

/**
 * The last push the vendor accepted, as earlier releases stored it (state format 1: one JSON
 * object with every contact's row). Still read; state is now written as format 2 (see
 * {@link writeLastPush}), which streams.
 */
export interface LastPush extends PushSummary {
  /** Format version. */
  version: 1;
  /** Contacts by identity key. */
  contacts: Record<string, PushedContact>;
}

/** The summary line of a state file (format 2), before one line per contact. */
export interface StateHeader extends PushSummary {
  /** Format version. */
  version: 2;
  /** Number of contact lines that follow. */
  contacts: number;
}

/** The last good push as read from the state file: its summary, and its contacts on demand. */
export interface PreviousPush extends PushSummary {
  /** State format the file was written in (1: earlier releases; 2: current). */
  format: 1 | 2;
  /** Number of contacts. */
  count: number;
  /** The contacts, in file order; each call reads them again. */
  contacts(): AsyncIterable<StoredContact>;
}

function damaged(path: string, cause: unknown): OutputError {
  return new OutputError(`the state file ${path} is damaged (not JSON)`, {
    hint: 'Restore it from a backup, or move it away to start over (the next push is then planned as a first push).',
    cause,
  });
}

/**
 * The last good push, or undefined before the first one. Reads the summary only (format 2);
 * the contacts are streamed when asked for. A state from an earlier release (format 1, one JSON
 * object) is read whole, as it always was.
 * @param path the state file
 */
export async function openLastPush(path: string): Promise<PreviousPush | undefined> {
  let first: string | undefined;
  try {
    for await (const line of fileLines(path)) {
      first = line;
      break;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OutputError(`cannot read the state file ${path}: ${describeError(error)}`, { cause: error });
  }
  let parsed: { version?: unknown };
  try {
    parsed = JSON.parse(first ?? '') as { version?: unknown };
  } catch (error) {
    throw damaged(path, error);
  }
  if (parsed.version !== 2) {
    const v1 = parsed as LastPush;
    const entries = Object.entries(v1.contacts);
    return {
      format: 1,
      time: v1.time,
      csvSha256: v1.csvSha256,
      headers: v1.headers,
      rows: v1.rows,
      searches: v1.searches,
      count: entries.length,
      // eslint-disable-next-line @typescript-eslint/require-await -- the same shape as format 2
      contacts: async function* () {
        for (const [key, c] of entries) yield { key, location: c.location, cells: c.cells };
      },
    };
  }
  const header = parsed as StateHeader;
  return {
    format: 2,
    time: header.time,
    csvSha256: header.csvSha256,
    headers: header.headers,
    rows: header.rows,
    searches: header.searches,
    count: header.contacts,
    contacts: async function* () {
      let n = -1;
      for await (const line of fileLines(path)) {
        if (n++ < 0 || line === '') continue;
        let contact: [string, string, string, string[], (string | null)?, string?];
        try {
          contact = JSON.parse(line) as [string, string, string, string[], (string | null)?, string?];
        } catch (error) {
          throw damaged(path, error);
        }
        // Lines written before directory identities were kept have four elements: no id.
        const [key, location, , cells, id, source] = contact;
        yield { key, location, cells, ...(id ? { id } : {}), ...(source ? { source } : {}) };
      }
      if (n !== header.contacts) throw damaged(path, new Error(`${n} of ${header.contacts} contacts`));
    },
  };
}

/**
 * One contact's line in a state file (format 2): identity, location, row hash, cells, the
 * entry's directory identity when it has one (a fifth element that earlier releases did not
 * write: their lines still read, without it), and for a contact of an `extraContacts:` file
 * its source ("FILE line N") as a sixth, after a null identity: so an archive of a line removed
 * from the file can name it.
 * @param key identity
 * @param location location slug
 * @param cells the row
 * @param id the entry's directory identity (objectGUID, entryUUID)
 * @param source where a contact not from the directory came from
 */
export function stateContactLine(
  key: string,
  location: string,
  cells: readonly string[],
  id?: string,
  source?: string,
): string {
  const line: [string, string, string, readonly string[], (string | null)?, string?] = [
    key,
    location,
    rowHash(cells),
    cells,
  ];
  if (id !== undefined || source !== undefined) line.push(id ?? null);
  if (source !== undefined) line.push(source);
  return JSON.stringify(line);
}

/**
 * Save the last good push (only ever after the vendor accepted the upload), atomically and
 * durably: the summary, then the contact lines copied from a file of this run (one
 * {@link stateContactLine} per CSV row, in CSV order), leaving out the rows the vendor refused.
 * @param path the state file
 * @param header the summary (its `contacts` is counted here)
 * @param contactsFile this run's contact lines
 * @param skip CSV row indexes (0 = first data row) to leave out
 */
export async function writeLastPush(
  path: string,
  header: Omit<StateHeader, 'version' | 'contacts'> & { total: number },
  contactsFile: string,
  skip: ReadonlySet<number>,
): Promise<void> {
  let file: AtomicFile | undefined;
  try {
    file = await AtomicFile.create(path);
    const { total, ...rest } = header;
    let count = 0;
    for (let i = 0; i < total; i++) if (!skip.has(i)) count++;
    const summary: StateHeader = { version: 2, ...rest, contacts: count };
    let chunk = `${JSON.stringify(summary)}\n`;
    let i = 0;
    for await (const line of fileLines(contactsFile)) {
      if (!skip.has(i++)) chunk += `${line}\n`;
      if (chunk.length >= LINE_CHUNK) {
        await file.write(chunk);
        chunk = '';
      }
    }
    if (i !== total) throw new Error(`the run's contact list has ${i} rows, the CSV ${total}`);
    await file.write(chunk);
    await file.commit();
  } catch (error) {
    await file?.abort();
    throw new OutputError(`cannot write ${path}: ${describeError(error)}`, { cause: error });
  }
}
