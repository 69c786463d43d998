import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { z } from 'zod';

import { AdsyncError, ConfigError, OutputError, StateError, describeError } from '../errors.js';
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

/** The vendor account a state belongs to, as its summary records it (never a secret). */
export interface StateAccount {
  /** Column profile. */
  profile: string;
  /** The normalised upload URL. */
  uploadUrl?: string | undefined;
}

/** The summary line of a state file (format 2), before one line per contact. */
export interface StateHeader extends PushSummary {
  /** Format version. */
  version: 2;
  /** Number of contact lines that follow. */
  contacts: number;
  /** The account (absent in states of earlier releases), so a dry run can find its baseline. */
  account?: StateAccount;
  /** When the baseline was adopted from a CSV (`adsync adopt`) rather than pushed: that file. */
  adopted?: string;
}

/** The last good push as read from the state file: its summary, and its contacts on demand. */
export interface PreviousPush extends PushSummary {
  /** State format the file was written in (1: earlier releases; 2: current). */
  format: 1 | 2;
  /** The file read. */
  path: string;
  /** The CSV the baseline was adopted from, when it was (`adsync adopt`). */
  adopted?: string;
  /** Number of contacts. */
  count: number;
  /** The contacts, in file order; each call reads them again. */
  contacts(): AsyncIterable<StoredContact>;
}

/** The state format this release writes; a higher one was written by a newer release. */
export const STATE_VERSION = 2;

const HOW_ON =
  "Restore it from a backup of the state directory; or, with the CSV the vendor last received (the last run's CSV in output.dir, or an export from the vendor), run `adsync adopt FILE --replace` to make that the baseline. Do not delete it: with no baseline, a push stops until it is adopted or approved with --first-push.";

function damaged(path: string, why: string, cause?: unknown): StateError {
  return new StateError(`the state file ${path} is damaged (${why}), so the last good push is not known`, {
    hint: HOW_ON,
    cause,
  });
}

const counts = z.record(z.string(), z.number().int().nonnegative());
const summaryShape = {
  time: z.string(),
  csvSha256: z.string(),
  headers: z.array(z.string()),
  rows: counts,
  searches: counts,
};
const v2Header = z.object({
  version: z.literal(2),
  ...summaryShape,
  contacts: z.number().int().nonnegative(),
  account: z.object({ profile: z.string(), uploadUrl: z.string().optional() }).optional(),
  adopted: z.string().optional(),
});
const v1State = z.object({
  version: z.literal(1),
  ...summaryShape,
  contacts: z.record(
    z.string(),
    z.object({ location: z.string(), hash: z.string(), cells: z.array(z.string()) }),
  ),
});

/** The first line of a state file, or undefined when there is no file. */
async function firstLine(path: string): Promise<string | undefined> {
  try {
    for await (const line of fileLines(path)) return line;
    return '';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateError(`cannot read the state file ${path}: ${describeError(error)}`, {
      hint: 'Check that the state directory (state.dir) is readable by the account adsync runs as.',
      cause: error,
    });
  }
}

/**
 * What a state file's first line says it is: a summary of a known format, or an error that
 * never leads to an unguarded push (a newer format is exit 2: run that release; a damaged one
 * exit 1: restore or adopt).
 */
function parseHeader(path: string, line: string): z.infer<typeof v2Header> | z.infer<typeof v1State> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw damaged(path, line === '' ? 'empty' : 'not JSON', error);
  }
  const version =
    typeof parsed === 'object' && parsed !== null ? (parsed as { version?: unknown }).version : undefined;
  if (typeof version === 'number' && version > STATE_VERSION) {
    throw new ConfigError(
      'CONFIG_STATE_VERSION',
      `the state file ${path} was written by a newer adsync (state format ${version}; this release reads 1 and ${STATE_VERSION})`,
      {
        hint: 'Run the adsync release that wrote it (or a newer one): this release cannot tell what the vendor holds from it, and will not push without knowing.',
      },
    );
  }
  const result = (version === 1 ? v1State : v2Header).safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? `${issue.path.join('.') || 'its summary'}: ${issue.message}` : 'unknown shape';
    throw damaged(
      path,
      version === 1 || version === 2 ? where : 'not an adsync state: no known format version',
    );
  }
  return result.data;
}

/**
 * The last good push, or undefined before the first one. Reads the summary only (format 2);
 * the contacts are streamed when asked for. A state from an earlier release (format 1, one JSON
 * object) is read whole, as it always was.
 * @param path the state file
 * @throws {StateError} a damaged state; {@link ConfigError} one of a newer format
 */
export async function openLastPush(path: string): Promise<PreviousPush | undefined> {
  const first = await firstLine(path);
  if (first === undefined) return undefined;
  const header = parseHeader(path, first);
  const summary = {
    path,
    time: header.time,
    csvSha256: header.csvSha256,
    headers: header.headers,
    rows: header.rows,
    searches: header.searches,
  };
  if (header.version === 1) {
    const entries = Object.entries(header.contacts);
    return {
      format: 1,
      ...summary,
      count: entries.length,
      // eslint-disable-next-line @typescript-eslint/require-await -- the same shape as format 2
      contacts: async function* () {
        for (const [key, c] of entries) yield { key, location: c.location, cells: c.cells };
      },
    };
  }
  return {
    format: 2,
    ...summary,
    ...(header.adopted === undefined ? {} : { adopted: header.adopted }),
    count: header.contacts,
    contacts: () => contactLines(path, header.contacts),
  };
}

/** The contact lines of a format 2 state, each checked: a damaged line stops the run. */
async function* contactLines(path: string, expected: number): AsyncGenerator<StoredContact> {
  let n = -1;
  // A line that is not JSON is damage in the middle of the file, or the end of one cut short:
  // which, only the next line can tell.
  let unreadable: { line: number; error: unknown } | undefined;
  for await (const line of fileLines(path)) {
    if (unreadable !== undefined)
      throw damaged(path, `line ${unreadable.line} is not JSON`, unreadable.error);
    if (n++ < 0 || line === '') continue;
    let contact: unknown;
    try {
      contact = JSON.parse(line);
    } catch (error) {
      unreadable = { line: n + 1, error };
      continue;
    }
    // Lines written before directory identities were kept have four elements: no id.
    if (!isContactLine(contact)) throw damaged(path, `line ${n + 1} is not a contact`);
    const [key, location, , cells, id, source] = contact;
    yield { key, location, cells, ...(id ? { id } : {}), ...(source ? { source } : {}) };
  }
  if (unreadable !== undefined) {
    throw damaged(
      path,
      `cut short: it ends inside line ${unreadable.line}, after ${n - 1} of the ${expected} contacts its summary counts`,
      unreadable.error,
    );
  }
  if (n !== expected) throw damaged(path, `it lists ${n} of the ${expected} contacts its summary counts`);
}

/** A contact line's shape, checked by hand: a state can hold a million of them. */
function isContactLine(
  value: unknown,
): value is [string, string, string, string[], (string | null)?, string?] {
  if (!Array.isArray(value) || value.length < 4 || value.length > 6) return false;
  const [key, location, hash, cells, id, source] = value as unknown[];
  return (
    typeof key === 'string' &&
    typeof location === 'string' &&
    typeof hash === 'string' &&
    Array.isArray(cells) &&
    cells.every((c) => typeof c === 'string') &&
    (id === undefined || id === null || typeof id === 'string') &&
    (source === undefined || typeof source === 'string')
  );
}

/** A state file found in a state directory, with the account its summary records. */
export interface FoundState {
  /** The file. */
  path: string;
  /** Its account (absent in states of earlier releases). */
  account?: StateAccount | undefined;
}

/**
 * The state files of a state directory and the account each belongs to; damaged or unknown
 * ones are left out (this only helps a dry run find a baseline; a push reads its own).
 * @param dir the state directory
 */
export async function findStates(dir: string): Promise<FoundState[]> {
  const names = await readdir(dir).catch(() => []);
  const found: FoundState[] = [];
  for (const name of names.filter((n) => /^state-[0-9a-f]{12}\.json$/.test(n))) {
    const path = join(dir, name);
    try {
      const line = await firstLine(path);
      const header = line === undefined ? undefined : parseHeader(path, line);
      if (header) found.push({ path, account: header.version === 2 ? header.account : undefined });
    } catch {
      // Not a state this dry run can use; the push that owns it says what is wrong with it.
    }
  }
  return found;
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

/** A state summary as {@link writeState} takes it: its version and count are its own to set. */
export type StateSummary = Omit<StateHeader, 'version' | 'contacts'>;

/**
 * Write a state file atomically and durably: the summary, then one {@link stateContactLine} per
 * contact. Nothing but a complete file ever takes the name.
 * @param path the state file
 * @param summary the summary
 * @param count the number of contact lines `lines` gives
 * @param lines the contact lines
 * @throws {OutputError} naming the file and why it could not be written; an {@link AdsyncError}
 *   from `lines` (a source that could not be read) as it is
 */
export async function writeState(
  path: string,
  summary: StateSummary,
  count: number,
  lines: AsyncIterable<string> | Iterable<string>,
): Promise<void> {
  let file: AtomicFile | undefined;
  try {
    file = await AtomicFile.create(path);
    const header: StateHeader = { version: STATE_VERSION, ...summary, contacts: count };
    let chunk = `${JSON.stringify(header)}\n`;
    let written = 0;
    for await (const line of lines) {
      chunk += `${line}\n`;
      written++;
      if (chunk.length >= LINE_CHUNK) {
        await file.write(chunk);
        chunk = '';
      }
    }
    if (written !== count) throw new Error(`${written} contact lines for a summary of ${count}`);
    await file.write(chunk);
    await file.commit();
  } catch (error) {
    await file?.abort();
    // What the lines come from says itself what went wrong reading it (see writeLastPush).
    if (error instanceof AdsyncError) throw error;
    throw new OutputError(`cannot write ${path}: ${describeError(error)}`, { cause: error });
  }
}

/**
 * Save the last good push (only ever after the vendor accepted the upload): the summary, then
 * the contact lines copied from a file of this run (one {@link stateContactLine} per CSV row, in
 * CSV order), leaving out the rows the vendor refused.
 * @param path the state file
 * @param header the summary, and the CSV's row count
 * @param contactsFile this run's contact lines
 * @param skip CSV row indexes (0 = first data row) to leave out
 */
export async function writeLastPush(
  path: string,
  header: StateSummary & { total: number },
  contactsFile: string,
  skip: ReadonlySet<number>,
): Promise<void> {
  const { total, ...summary } = header;
  let count = 0;
  for (let i = 0; i < total; i++) if (!skip.has(i)) count++;
  // The contact list is this run's own file, read back: an error reading it is not one writing
  // the state, and a list whose length is not the CSV's is damaged (changed or cut since).
  async function* kept(): AsyncGenerator<string> {
    let i = 0;
    try {
      for await (const line of fileLines(contactsFile)) if (!skip.has(i++)) yield line;
    } catch (error) {
      throw new StateError(`cannot read this run's contact list ${contactsFile}: ${describeError(error)}`, {
        hint: 'Check that the state directory (state.dir) is readable by the account adsync runs as.',
        cause: error,
      });
    }
    if (i !== total) {
      throw new StateError(
        `this run's contact list ${contactsFile} is damaged: it has ${i} rows where the CSV sent has ${total}`,
        {
          hint: 'Something changed the file during the run (another process, a full or failing disk); check the state directory (state.dir) and its disk.',
        },
      );
    }
  }
  await writeState(path, summary, count, kept());
}
