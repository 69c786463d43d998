import { basename } from 'node:path';
import { Readable } from 'node:stream';

import { parse } from 'csv-parse';

import { ConfigError, describeError } from '../errors.js';
import { FILE_LIMITS, FileRefusedError, readSmallFile } from '../io/small-file.js';
import { quoteValue } from '../util/quote-value.js';
import { suggest } from '../util/suggest.js';

/** One data row of a contacts file. */
export interface FileContact {
  /** The cells in the layout's column order, trimmed. */
  cells: string[];
  /** The line the row starts on (1 = the header's line). */
  line: number;
  /** When the row has more or fewer cells than the header: how many it has. */
  cellCount?: number;
}

/** A contacts file as read: its rows in file order. */
export interface ContactsFile {
  /** The file (absolute). */
  path: string;
  /** Its name, for sources and messages ("contractors.csv"). */
  name: string;
  /** The data rows, blank lines left out. */
  rows: FileContact[];
}

/** What a contacts file is to adsync: how messages name it, and how strict its header is. */
export interface ContactsFileKind {
  /** How messages name the file ("extraContacts file"). */
  label: string;
  /** The code of the {@link ConfigError} a bad file is. */
  code: 'CONFIG_EXTRA_CONTACTS' | 'CONFIG_ADOPT';
  /** What such a file is, for hints. */
  about: string;
  /** Where the path came from, for the hint of a file that cannot be read. */
  whereFrom: string;
  /** Largest file read. */
  maxBytes: number;
  /** Whether a column of the layout may be missing from the header (its cells are empty). */
  partialHeader: boolean;
}

/** An `extraContacts:` file: contacts kept by hand, in exactly the upload's columns. */
export const EXTRA_CONTACTS: ContactsFileKind = {
  label: 'extraContacts file',
  code: 'CONFIG_EXTRA_CONTACTS',
  about:
    'extraContacts files are CSVs with the header of the upload (the first line of a CSV that `adsync push --dry-run` writes)',
  whereFrom: 'the path in extraContacts: (relative paths are relative to the config file)',
  maxBytes: FILE_LIMITS.contacts,
  partialHeader: false,
};

/** A contacts file's name and columns, known once its header is read. */
export interface ContactsHeader {
  /** The file (absolute). */
  path: string;
  /** Its name, for sources and messages ("contractors.csv"). */
  name: string;
  /** The layout's columns the header does not name (only when the kind allows it). */
  missingColumns: string[];
}

/**
 * Read a CSV of contacts kept by hand (`extraContacts:`) in the layout's own columns. The file
 * must be a regular file of at most {@link FILE_LIMITS.contacts} (a FIFO, a device or a
 * directory is refused, not waited on), UTF-8 (a byte order mark is skipped), and its header
 * must name exactly the layout's columns, in any order: a missing or misspelt column would
 * otherwise send contacts with fields silently empty. Blank lines and rows of empty cells are
 * left out; a row with more or fewer cells than the header is kept (padded or cut) with its
 * count, for the caller to reject.
 * @param path the file (absolute)
 * @param headers the layout's header row
 * @throws {ConfigError} CONFIG_EXTRA_CONTACTS naming the file and what is wrong
 */
export async function readContactsFile(
  path: string,
  headers: readonly string[],
  kind: ContactsFileKind = EXTRA_CONTACTS,
): Promise<ContactsFile & { missingColumns: string[] }> {
  const rows: FileContact[] = [];
  const head = await eachContact(path, headers, kind, (row) => {
    rows.push(row);
  });
  return { ...head, rows };
}

/**
 * Read a contacts file row by row (see {@link readContactsFile}): only the file's bytes (within
 * its kind's cap) and the row being visited are held, however many rows it has, so a file of
 * short rows cannot fill memory with parsed records.
 * @param path the file (absolute)
 * @param headers the layout's header row
 * @param kind what the file is
 * @param visit told each data row in file order (awaited)
 * @throws {ConfigError} naming the file and what is wrong
 */
export async function eachContact(
  path: string,
  headers: readonly string[],
  kind: ContactsFileKind,
  visit: (row: FileContact) => Promise<void> | void,
): Promise<ContactsHeader> {
  const name = basename(path);
  const bytes = readContactBytes(path, kind);
  // Fed in chunks, so that only a chunk's records wait to be visited.
  const parser = Readable.from(chunks(bytes)).pipe(
    parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }),
  );
  let header: { record: string[]; order: (number | undefined)[]; missing: string[] } | undefined;
  const lines = new LineCounter(bytes);
  // An error of the visitor is its own, not the file's.
  let visiting = false;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
      const { record, info } = item;
      if (header === undefined) {
        const found = columnOrder(
          path,
          record.map((h) => h.trim()),
          headers,
          kind,
        );
        header = { record, ...found };
        lines.advance(info.bytes);
        continue;
      }
      const first = lines.record(info.bytes);
      const trimmed = record.map((cell) => cell.trim());
      if (trimmed.every((cell) => cell === '')) continue;
      const cells = header.order.map((i) => (i === undefined ? '' : (trimmed[i] ?? '')));
      visiting = true;
      await visit(
        record.length === header.record.length
          ? { cells, line: first }
          : { cells, line: first, cellCount: record.length },
      );
      visiting = false;
    }
  } catch (error) {
    if (visiting || error instanceof ConfigError) throw error;
    throw new ConfigError(kind.code, `${kind.label} ${path} is not a valid CSV: ${describeError(error)}`, {
      hint: 'check the quotes on that line: a field with a comma, a quote or a line break is written in double quotes, and a quote inside it is doubled ("")',
      cause: error,
    });
  } finally {
    parser.destroy();
  }
  if (!header) {
    throw new ConfigError(kind.code, `${kind.label} ${path} is empty: it has no header line`, {
      hint: kind.about,
    });
  }
  return { path, name, missingColumns: header.missing };
}

/** A contacts file's bytes: a regular file within its kind's cap, and UTF-8. */
function readContactBytes(path: string, kind: ContactsFileKind): Buffer {
  try {
    const bytes = readSmallFile(path, kind.maxBytes);
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return bytes;
  } catch (error) {
    throw new ConfigError(kind.code, `${kind.label} ${path} ${whyUnreadable(error)}`, {
      hint: `check ${kind.whereFrom} and that the file is a readable CSV; ${kind.about}`,
      cause: error,
    });
  }
}

/**
 * Line numbers counted from the records' byte offsets: csv-parse's own line count takes the CRLF
 * inside a quoted field for two lines.
 */
class LineCounter {
  private at = 0;
  private line = 1;

  constructor(private readonly bytes: Buffer) {}

  /** Count the line breaks before byte `to`. */
  advance(to: number): void {
    for (; this.at < to; this.at++) {
      const b = this.bytes[this.at];
      if (b === LF || (b === CR && this.bytes[this.at + 1] !== LF)) this.line++;
    }
  }

  /** The line a record ending at byte `end` starts on: after the blank lines csv-parse skipped. */
  record(end: number): number {
    let start = this.at;
    while (this.bytes[start] === CR || this.bytes[start] === LF) start++;
    this.advance(start);
    const first = this.line;
    this.advance(end);
    return first;
  }
}

/** A file's bytes in 4 KiB pieces. */
function* chunks(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += 1 << 12) yield bytes.subarray(at, at + (1 << 12));
}

/**
 * For each column of the layout, its position in the file's header.
 * @throws {ConfigError} naming the missing, unknown or repeated columns
 */
function columnOrder(
  path: string,
  found: readonly string[],
  headers: readonly string[],
  kind: ContactsFileKind,
): { order: (number | undefined)[]; missing: string[] } {
  const position = new Map<string, number>();
  const repeated = new Set<string>();
  found.forEach((h, i) => {
    if (position.has(h)) repeated.add(h);
    else position.set(h, i);
  });
  const missing = headers.filter((h) => !position.has(h));
  const unknown = found.filter((h) => !headers.includes(h));
  const allowed = kind.partialHeader && missing.length < headers.length;
  if ((missing.length === 0 || allowed) && unknown.length === 0 && repeated.size === 0) {
    return { order: headers.map((h) => position.get(h)), missing };
  }
  const problems: string[] = [];
  if (missing.length > 0 && !allowed) problems.push(`missing ${list(missing)}`);
  if (unknown.length > 0) {
    const named = unknown.map((u) => {
      const near = suggest(u, missing);
      return near ? `${quoteValue(u)} (did you mean ${quoteValue(near)}?)` : quoteValue(u);
    });
    problems.push(`unknown ${named.join(', ')}`);
  }
  if (repeated.size > 0) problems.push(`repeated ${list([...repeated])}`);
  throw new ConfigError(
    kind.code,
    `${kind.label} ${path}: its header does not match the upload's columns: ${problems.join('; ')}`,
    { hint: `write the header line as: ${headers.join(',')} (${kind.about})` },
  );
}

/** Why a file could not be read, after its path. */
function whyUnreadable(error: unknown): string {
  if (error instanceof TypeError) return 'is not UTF-8 text (save it as CSV UTF-8)';
  if (error instanceof FileRefusedError) return `is refused: ${error.message}`;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'is not readable by this user (permission denied)';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return `cannot be read: ${describeError(error)}`;
}

const CR = 0x0d;
const LF = 0x0a;

const list = (names: readonly string[]): string => names.map((n) => quoteValue(n)).join(', ');
