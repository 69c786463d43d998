import { createHash } from 'node:crypto';
import { appendFile, link, mkdir, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { LockError, OutputError, describeError } from '../errors.js';
import { AtomicFile, writeFileAtomic } from '../io/atomic-file.js';
import { fileLines } from '../io/file-lines.js';
import {
  stateRowHash,
  type EntryStore,
  type LastPush,
  type Plan,
  type StoredContact,
} from '../plan/planner.js';

/** Files of one target's state. */
export interface StatePaths {
  /** The last good push. */
  state: string;
  /** The run lock. */
  lock: string;
  /** The run history (JSON lines). */
  history: string;
}

/**
 * Where a target's state lives: one state file per upload target, so two configs pushing to
 * different vendors (or locations accounts) never share a baseline.
 * @param dir the state directory
 * @param target what identifies the target (profile and upload URL)
 */
export function statePaths(dir: string, target: string): StatePaths {
  const id = createHash('sha256').update(target).digest('hex').slice(0, 12);
  return {
    state: join(dir, `state-${id}.json`),
    lock: join(dir, `state-${id}.lock`),
    history: join(dir, 'runs.jsonl'),
  };
}

/** The summary line of a state file (format 2), before one line per contact. */
export interface StateHeader {
  /** Format version. */
  version: 2;
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
  /** Number of contact lines that follow. */
  contacts: number;
}

/** The last good push as read from the state file: its summary, and its contacts on demand. */
export interface PreviousPush {
  /** State format the file was written in (1: earlier releases; 2: current). */
  format: 1 | 2;
  /** When the vendor accepted the push. */
  time: string;
  /** SHA-256 of the CSV sent. */
  csvSha256: string;
  /** Header row. */
  headers: string[];
  /** Rows per location. */
  rows: Record<string, number>;
  /** Entries each search returned. */
  searches: Record<string, number>;
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
        let contact: [string, string, string, string[]];
        try {
          contact = JSON.parse(line) as [string, string, string, string[]];
        } catch (error) {
          throw damaged(path, error);
        }
        yield { key: contact[0], location: contact[1], cells: contact[3] };
      }
      if (n !== header.contacts) throw damaged(path, new Error(`${n} of ${header.contacts} contacts`));
    },
  };
}

/**
 * One contact's line in a state file (format 2): identity, location, row hash, cells.
 * @param key identity
 * @param location location slug
 * @param cells the row
 */
export function stateContactLine(key: string, location: string, cells: readonly string[]): string {
  return JSON.stringify([key, location, stateRowHash(cells), cells]);
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
      if (chunk.length >= 256 * 1024) {
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

/**
 * Lines appended during a run to a private file, buffered (adding is synchronous; the owner
 * calls {@link LineBuffer.flush} now and then) and read back once at the end.
 */
export class LineBuffer implements EntryStore {
  private chunk = '';
  private handle: FileHandle | undefined;
  private written = false;

  /**
   * @param path the file (created on the first flush)
   */
  public constructor(private readonly path: string) {}

  public add(line: string): void {
    this.chunk += `${line}\n`;
  }

  /** Characters waiting to be written. */
  public get pending(): number {
    return this.chunk.length;
  }

  /** Write what is buffered. */
  public async flush(): Promise<void> {
    if (this.chunk === '') return;
    this.handle ??= await open(this.path, 'wx', 0o600);
    this.written = true;
    const chunk = this.chunk;
    this.chunk = '';
    await this.handle.write(chunk);
  }

  /** Flush and close (the file exists afterwards, even empty); then read the lines back. */
  public async close(): Promise<void> {
    const handle = (this.handle ??= await open(this.path, 'wx', 0o600));
    this.written = true;
    await this.flush();
    await handle.close();
    this.handle = undefined;
  }

  public async *lines(): AsyncGenerator<string> {
    if (this.written) yield* fileLines(this.path);
    else for (const line of this.chunk.split('\n')) if (line !== '') yield line;
  }
}

/**
 * The plan file (`plan-<stamp>.json`), written as the plan is computed: the contacts to create go
 * straight to it, one per line; updates and archives follow when known; the counts close it.
 * Written to a temporary name and renamed when complete.
 */
export class PlanFileWriter implements EntryStore {
  private chunk: string;
  private entries = 0;

  private constructor(
    private readonly path: string,
    private readonly file: AtomicFile,
    firstPush: boolean,
  ) {
    this.chunk = `{\n  "firstPush": ${String(firstPush)},\n  "create": [`;
  }

  /**
   * @param path the plan file
   * @param firstPush whether there is no earlier push
   */
  public static async create(path: string, firstPush: boolean): Promise<PlanFileWriter> {
    try {
      return new PlanFileWriter(path, await AtomicFile.create(path), firstPush);
    } catch (error) {
      throw new OutputError(`cannot write ${path}: ${describeError(error)}`, { cause: error });
    }
  }

  /** Add a contact to create (a JSON text). */
  public add(line: string): void {
    this.chunk += `${this.entries++ === 0 ? '' : ','}\n    ${line}`;
  }

  /** Characters waiting to be written. */
  public get pending(): number {
    return this.chunk.length;
  }

  public lines(): Iterable<string> {
    throw new Error('the plan file is not read back');
  }

  /** Write what is buffered. */
  public async flush(): Promise<void> {
    const chunk = this.chunk;
    this.chunk = '';
    if (chunk !== '') await this.file.write(chunk);
  }

  private async list(name: string, lines: AsyncIterable<string> | Iterable<string>): Promise<void> {
    let n = 0;
    this.chunk += `\n  ],\n  "${name}": [`;
    for await (const line of lines) {
      this.chunk += `${n++ === 0 ? '' : ','}\n    ${line}`;
      if (this.chunk.length >= 256 * 1024) await this.flush();
    }
  }

  /**
   * Complete the file: updates, archives, and the counts.
   * @param plan the plan (for its counts)
   * @param update the updates (JSON texts)
   * @param archive the archives (JSON texts)
   */
  public async finish(plan: Plan, update: EntryStore, archive: EntryStore): Promise<void> {
    try {
      await this.list('update', update.lines());
      await this.list('archive', archive.lines());
      const rest = JSON.stringify(
        { unchanged: plan.unchanged, locations: plan.locations, totals: plan.totals },
        null,
        2,
      );
      this.chunk += `\n  ],\n${rest.slice(2)}\n`;
      await this.flush();
      await this.file.commit();
    } catch (error) {
      await this.abort();
      throw new OutputError(`cannot write ${this.path}: ${describeError(error)}`, { cause: error });
    }
  }

  /** Give up: remove the temporary file (never throws). */
  public async abort(): Promise<void> {
    await this.file.abort();
  }
}

/**
 * Write a file atomically and durably (see {@link AtomicFile}); a failure is an output error.
 * The directory must exist.
 * @param path final path
 * @param text content
 */
export async function writeAtomic(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, { createDir: false });
  } catch (error) {
    throw new OutputError(`cannot write ${path}: ${describeError(error)}`, { cause: error });
  }
}

/** Who holds a lock. */
interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the run lock. A lock held by a live run is exit 4; a stale one (dead pid on this host,
 * or older than the timeout) is taken over, which the caller is told about.
 * @param path the lock file
 * @param timeoutMinutes age after which any lock is stale
 * @returns release function, and the stale lock that was taken over, if any
 */
export async function acquireLock(
  path: string,
  timeoutMinutes: number,
): Promise<{ release: () => Promise<void>; tookOver?: string }> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  let tookOver: string | undefined;
  const text = JSON.stringify(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    // Write the holder to a private file and hard-link it into place: the lock appears with its
    // content in one step, so no other run can ever read a half-written lock.
    const tmp = `${path}.${process.pid}.${attempt}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    try {
      await link(tmp, path);
      const release = async (): Promise<void> => {
        // Only remove the lock if it is still ours.
        const now = await readFile(path, 'utf8').catch(() => '');
        if (now === text) await rm(path, { force: true });
      };
      return tookOver === undefined ? { release } : { release, tookOver };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new OutputError(`cannot create the lock file ${path}: ${describeError(error)}`, {
          cause: error,
        });
      }
    } finally {
      await rm(tmp, { force: true });
    }
    const seen = await readFile(path, 'utf8').catch(() => '');
    let holder: LockHolder | undefined;
    try {
      holder = JSON.parse(seen) as LockHolder;
    } catch {
      holder = undefined; // damaged: treat as stale
    }
    const ageMinutes = holder ? (Date.now() - Date.parse(holder.startedAt)) / 60_000 : Infinity;
    const stale =
      !holder || (holder.host === hostname() && !alive(holder.pid)) || ageMinutes > timeoutMinutes;
    if (!stale && holder) {
      throw new LockError(
        `another adsync run holds the lock: pid ${holder.pid} on ${holder.host} since ${holder.startedAt}`,
        {
          hint: `Wait for it to finish. If no adsync is running, remove ${path}.`,
        },
      );
    }
    tookOver = holder
      ? `pid ${holder.pid} on ${holder.host} since ${holder.startedAt}`
      : 'a damaged lock file';
    // Remove the stale lock only if it is still the one judged stale (another run may have
    // replaced it meanwhile).
    if ((await readFile(path, 'utf8').catch(() => '')) === seen) await rm(path, { force: true });
  }
  throw new LockError(`could not take the lock ${path}`, { hint: 'Another run keeps taking it; try again.' });
}

/** One line of the run history. */
export interface HistoryEntry {
  time: string;
  command: string;
  outcome: string;
  exitCode: number;
  dryRun: boolean;
  csvPath?: string;
  planPath?: string;
  rows?: number;
  rejected?: number;
  plan?: { create: number; update: number; archive: number; unchanged: number; firstPush: boolean };
  guards?: string[];
  vendor?: unknown;
  error?: string;
}

/**
 * Append one run to the history.
 * @param path runs.jsonl
 * @param entry the run
 */
export async function appendHistory(path: string, entry: HistoryEntry): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await appendFile(path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

/**
 * Recent runs, newest last.
 * @param path runs.jsonl
 * @param limit how many
 */
export async function readHistory(path: string, limit: number): Promise<HistoryEntry[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const entries = text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as HistoryEntry];
      } catch {
        return [];
      }
    });
  return entries.slice(-limit);
}
