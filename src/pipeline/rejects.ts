import { join } from 'node:path';

import { LINE_CHUNK, LineBuffer } from '../io/line-buffer.js';
import { tightenHeapForManyRejects } from '../runtime/heap.js';
import type { ExportWarning, RejectedRow } from './types.js';

/** Rejected rows of each location a run keeps in memory for output and the report. */
export const REJECT_SAMPLE = 20;

/** Row warnings a run keeps in memory for output and the report (the rest are counted). */
export const ROW_WARNING_SAMPLE = 200;

/**
 * The rejected rows of a run, per location, on their way to the rejects file: each is written to
 * a spool file of the run's private working directory as it is found, and read back once, in the
 * order found, so a file or a directory of a million rejected rows costs disk, not memory.
 */
export class RejectStore {
  /** Keyed by location slug; `null` holds the rows that name no configured location. */
  private readonly spools = new Map<string | null, LineBuffer>();
  private spooled = 0;

  /**
   * @param dir where the spools go (the run's private working directory)
   */
  public constructor(private readonly dir: string) {}

  /**
   * Keep a rejected row.
   * @param slug the location whose rejects it joins, or `null` for a row that names no configured
   *   location (an `extraContacts:` row with a mistyped slug): it is no location's reject
   * @param row the row
   */
  public async add(slug: string | null, row: RejectedRow): Promise<void> {
    let spool = this.spools.get(slug);
    if (!spool) {
      spool = new LineBuffer(join(this.dir, `rejects-${this.spools.size}`));
      this.spools.set(slug, spool);
    }
    // JSON escapes every control character: one row, one line.
    const line = JSON.stringify(row);
    if (this.spooled < LINE_CHUNK && (this.spooled += line.length) >= LINE_CHUNK) tightenHeapForManyRejects();
    await spool.append(line);
  }

  /**
   * A location's rejected rows in the order they were found (rows of `extraContacts:` files,
   * then the directory's, then those losing a shared value), once.
   * @param slug the location, or `null` for the rows that name no configured location
   */
  public async *rows(slug: string | null): AsyncGenerator<RejectedRow> {
    const spool = this.spools.get(slug);
    if (!spool) return;
    await spool.close();
    for await (const line of spool.lines()) yield JSON.parse(line) as RejectedRow;
  }
}

/**
 * Warnings about single rows, which a large directory can have by the hundred thousand: the
 * first {@link ROW_WARNING_SAMPLE} are kept (and every one about a watched entry), the rest
 * counted.
 */
export class RowWarnings {
  /** The warnings kept. */
  public readonly kept: ExportWarning[] = [];
  /** Warnings counted and not kept. */
  public omitted = 0;

  /**
   * @param watched whether an entry is watched (`adsync explain`): its warnings are all kept
   */
  public constructor(private readonly watched?: (dn: string) => boolean) {}

  /**
   * Keep or count warnings.
   * @param warnings the warnings
   */
  public add(...warnings: ExportWarning[]): void {
    for (const w of warnings) {
      if (this.kept.length < ROW_WARNING_SAMPLE || (w.dn !== undefined && this.watched?.(w.dn) === true))
        this.kept.push(w);
      else this.omitted++;
    }
  }
}
