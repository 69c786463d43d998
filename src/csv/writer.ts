import { createHash, type Hash } from 'node:crypto';
import { dirname, join } from 'node:path';

import { stringify, type Options } from 'csv-stringify/sync';

import { OutputError, describeError } from '../errors.js';
import { AtomicFile } from '../io/atomic-file.js';
import { neutralizeFormula } from '../util/spreadsheet.js';

/** Options for {@link writeCsv}. */
export interface WriteCsvOptions {
  /** Start with a UTF-8 byte order mark. */
  bom: boolean;
}

/**
 * The CSV dialect of every file adsync writes, for csv-stringify: RFC 4180 records ended by CRLF;
 * a field is quoted when it holds a quote, a comma, a CR or an LF (csv-stringify's own rule: a
 * bare CR or LF would split the record for RFC 4180 readers), or starts or ends with white space
 * (`quoted_match`: spreadsheets trim it). A field a spreadsheet would run as a formula
 * (util/spreadsheet.ts) is cast to text with a leading `'` before it is quoted, so no file adsync
 * writes opens as a live formula: validation keeps such cells out of the vendor's CSV
 * (docs/configuration.md, "What a cell may hold"), and the rejects file shows the refused value
 * as text. (csv-stringify's own `escape_formulas` draws another line: it would turn every E.164
 * phone number, `+14165550101`, into text, and lets `=` behind white space through.)
 */
const DIALECT: Options = {
  record_delimiter: 'windows',
  quoted_match: /[\r\n]|^\s|\s$/,
  cast: { string: neutralizeFormula },
};

/**
 * CSV records in adsync's dialect (see {@link DIALECT}), written by csv-stringify, each ended by
 * CRLF. The unit tests hold the bytes to those of the files adsync always wrote.
 * @param rows the records
 */
export function encodeCsvRows(rows: readonly (readonly string[])[]): string {
  return stringify(rows.slice(), DIALECT);
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

/** Rows encoded together (one string for a few hundred records instead of a rope of pieces). */
const ROWS_PER_CALL = 500;

/**
 * A CSV file written as rows arrive: UTF-8, CRLF, RFC 4180 quoting (see {@link encodeCsvRows}).
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
    writer.pending = `${options.bom ? '\ufeff' : ''}${encodeCsvRows([headers])}`;
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

/**
 * The run a file of the output directory belongs to (its {@link runStamp}), or undefined when it
 * is not named like adsync's run files (the CSV, the rejects file, the plan).
 * @param name a file name (no directory)
 */
export function runFileStamp(name: string): string | undefined {
  const m = RUN_FILE.exec(name);
  return m?.[1] ?? m?.[2];
}

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
