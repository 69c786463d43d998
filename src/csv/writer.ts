import { createHash, type Hash } from 'node:crypto';
import { rm, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { stringify, type Options } from 'csv-stringify/sync';

import { OutputError, describeError } from '../errors.js';
import { AtomicFile } from '../io/atomic-file.js';

/** Options for {@link writeCsv}. */
export interface WriteCsvOptions {
  /** Start with a UTF-8 byte order mark. */
  bom: boolean;
}

/**
 * csv-stringify's options for every file: RFC 4180 records ended by CRLF. csv-stringify quotes a
 * field holding a quote, a comma or CRLF; `quoted_match` adds a bare LF or CR (it would split the
 * record for RFC 4180 readers) and leading or trailing white space (spreadsheets trim it).
 */
const CSV_OPTIONS: Options = { record_delimiter: 'windows', quoted_match: /[\r\n]|^\s|\s$/ };

/**
 * CSV records: RFC 4180 quoting (see {@link CSV_OPTIONS}), fields joined by commas, each ended by
 * CRLF.
 * @param rows the records
 */
export function encodeCsvRows(rows: readonly (readonly string[])[]): string {
  return stringify(rows as string[][], CSV_OPTIONS);
}

/**
 * One CSV record (see {@link encodeCsvRows}).
 * @param cells the fields
 */
export function encodeCsvRow(cells: readonly string[]): string {
  return encodeCsvRows([cells]);
}

function writeError(path: string, error: unknown): OutputError {
  return new OutputError(`cannot write ${path}: ${describeError(error)}`, {
    hint: 'Check that the output directory exists or can be created, is writable by this account, and has free space.',
    cause: error,
  });
}

/** Bytes gathered before one write to the file. */
const CHUNK = 256 * 1024;

/**
 * Rows encoded by one csv-stringify call: each call has a fixed cost (options, state), and a
 * few hundred rows spread it thin without holding many rows (measured: 500 rows a call is about
 * three times faster than one).
 */
const ROWS_PER_CALL = 500;

/**
 * A CSV file written as rows arrive: UTF-8, CRLF, RFC 4180 quoting by csv-stringify (see
 * {@link encodeCsvRows}).
 * It goes to a temporary name, created readable by its owner only (it holds personal data), and
 * only {@link CsvFileWriter.commit} flushes it to disk and renames it into place, so a crashed
 * or failed run never leaves a half-written CSV under the final name. The SHA-256 of the bytes
 * is computed as they are written.
 */
export class CsvFileWriter {
  private pending = '';
  /** Rows not yet encoded. */
  private rowsWaiting: (readonly string[])[] = [];
  private inflight: Promise<unknown> = Promise.resolve();
  private readonly hash: Hash = createHash('sha256');
  private failed: unknown;
  /** Bytes written so far. */
  public bytes = 0;
  /** Data rows written (not counting the header). */
  public rows = 0;

  private constructor(
    /** The final path. */
    public readonly path: string,
    private readonly file: AtomicFile,
  ) {}

  /**
   * Create the temporary file and write the byte order mark (if asked) and the header row.
   * @param path final file name
   * @param headers header row
   * @param options BOM
   */
  public static async create(
    path: string,
    headers: readonly string[],
    options: WriteCsvOptions,
  ): Promise<CsvFileWriter> {
    let file: AtomicFile;
    try {
      file = await AtomicFile.create(path);
    } catch (error) {
      throw writeError(path, error);
    }
    const writer = new CsvFileWriter(path, file);
    writer.pending = stringify([headers], { ...CSV_OPTIONS, bom: options.bom });
    return writer;
  }

  /**
   * Add a row. Resolves at once unless a chunk had to go to disk (one write is kept in flight,
   * so encoding goes on while the previous chunk is written).
   * @param cells the row
   */
  public async write(cells: readonly string[]): Promise<void> {
    this.rowsWaiting.push(cells);
    this.rows++;
    if (this.rowsWaiting.length < ROWS_PER_CALL) return;
    this.encode();
    if (this.pending.length >= CHUNK) await this.flush();
  }

  private encode(): void {
    if (this.rowsWaiting.length === 0) return;
    this.pending += encodeCsvRows(this.rowsWaiting);
    this.rowsWaiting = [];
  }

  private async flush(): Promise<void> {
    this.encode();
    const buffer = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    this.hash.update(buffer);
    this.bytes += buffer.length;
    await this.inflight;
    if (this.failed !== undefined) throw writeError(this.path, this.failed);
    this.inflight = this.file.write(buffer).catch((error: unknown) => {
      this.failed = error;
    });
  }

  /**
   * Write what is left, flush to disk, and rename the file into place.
   * @returns the SHA-256 (hex) and size of the file
   */
  public async commit(): Promise<{ sha256: string; bytes: number }> {
    try {
      await this.flush();
      await this.inflight;
      if (this.failed !== undefined) throw writeError(this.path, this.failed);
      await this.file.commit();
    } catch (error) {
      await this.abort();
      throw error instanceof OutputError ? error : writeError(this.path, error);
    }
    return { sha256: this.hash.digest('hex'), bytes: this.bytes };
  }

  /** Give up: close and remove the temporary file (never throws). */
  public async abort(): Promise<void> {
    await this.inflight;
    await this.file.abort();
  }
}

/**
 * Write a CSV file: RFC 4180 quoting, UTF-8, CRLF line ends. The file is written to a temporary
 * name, flushed to disk and renamed, so a crashed run never leaves a half-written CSV under the
 * final name; it is created readable by its owner only (it holds personal data).
 * @param path final file name
 * @param headers header row
 * @param rows data rows, consumed once
 * @param options BOM
 * @returns the SHA-256 (hex) and size of the file
 */
export async function writeCsv(
  path: string,
  headers: readonly string[],
  rows: Iterable<readonly string[]> | AsyncIterable<readonly string[]>,
  options: WriteCsvOptions,
): Promise<{ sha256: string; bytes: number }> {
  const writer = await CsvFileWriter.create(path, headers, options);
  try {
    for await (const row of rows) await writer.write(row);
  } catch (error) {
    await writer.abort();
    throw error instanceof OutputError ? error : writeError(path, error);
  }
  return writer.commit();
}

/**
 * A sortable, filesystem-safe timestamp for run files, e.g. `20261121T191800123Z`.
 * @param date when the run started
 */
export function runStamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

const RUN_FILE = /^(?:adsync-[a-z]+-(\d{8}T\d{9}Z)(?:\.rejects)?\.csv|plan-(\d{8}T\d{9}Z)\.json)$/;

/** Paths of one run's files. */
export interface RunFiles {
  /** The vendor CSV. */
  csvPath: string;
  /** The rejected rows. */
  rejectsPath: string;
  /** The plan. */
  planPath: string;
}

/**
 * Where a run's files go: `--output FILE` (rejects beside it), or a timestamped name in the
 * output directory.
 * @param options output directory, explicit file, profile and stamp
 * @param options.dir the configured output directory
 * @param options.output an explicit CSV path, if given
 * @param options.profile profile name, part of the file name
 * @param options.stamp the run's {@link runStamp}
 */
export function runFiles(options: {
  dir: string;
  output?: string | undefined;
  profile: string;
  stamp: string;
}): RunFiles {
  if (options.output !== undefined) {
    const base = options.output.replace(/\.csv$/i, '');
    return {
      csvPath: options.output,
      rejectsPath: `${base}.rejects.csv`,
      planPath: join(dirname(options.output), `plan-${options.stamp}.json`),
    };
  }
  const base = join(options.dir, `adsync-${options.profile}-${options.stamp}`);
  return {
    csvPath: `${base}.csv`,
    rejectsPath: `${base}.rejects.csv`,
    planPath: join(options.dir, `plan-${options.stamp}.json`),
  };
}

/**
 * Keep the newest `keep` runs in the output directory and delete older run files. Only files
 * named like adsync's own run files are touched.
 * @param dir the output directory
 * @param keep how many runs to keep
 * @returns deleted file names
 */
export async function pruneRuns(dir: string, keep: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const byStamp = new Map<string, string[]>();
  for (const name of names) {
    const m = RUN_FILE.exec(name);
    const stamp = m?.[1] ?? m?.[2];
    if (stamp !== undefined) byStamp.set(stamp, [...(byStamp.get(stamp) ?? []), name]);
  }
  const old = [...byStamp.keys()].sort().reverse().slice(keep);
  const deleted = old.flatMap((stamp) => byStamp.get(stamp) ?? []);
  await Promise.all(deleted.map((name) => rm(join(dir, name), { force: true })));
  return deleted;
}
