import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { stringify } from 'csv-stringify';

import { OutputError, describeError } from '../errors.js';

/** Options for {@link writeCsv}. */
export interface WriteCsvOptions {
  /** Start with a UTF-8 byte order mark. */
  bom: boolean;
}

/**
 * Write a CSV file: RFC 4180 quoting, UTF-8, CRLF line ends. The file is written to a temporary
 * name, flushed to disk and renamed, so a crashed run never leaves a half-written CSV under the
 * final name; it is created readable by its owner only (it holds personal data).
 * @param path final file name
 * @param headers header row
 * @param rows data rows, consumed once
 * @param options BOM
 */
export async function writeCsv(
  path: string,
  headers: readonly string[],
  rows: Iterable<readonly string[]>,
  options: WriteCsvOptions,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    function* records(): Generator<readonly string[]> {
      yield headers;
      yield* rows;
    }
    await pipeline(
      Readable.from(records()),
      // csv-stringify only quotes a field containing the record delimiter itself (CRLF), so a bare
      // LF or CR would split the record for RFC 4180 readers: quote those explicitly.
      stringify({ record_delimiter: 'windows', bom: options.bom, quoted_match: /[\r\n]|^\s|\s$/ }),
      createWriteStream(tmp, { flags: 'wx', mode: 0o600, flush: true }),
    );
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new OutputError(`cannot write ${path}: ${describeError(error)}`, {
      hint: 'Check that the output directory exists or can be created, is writable by this account, and has free space.',
      cause: error,
    });
  }
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
