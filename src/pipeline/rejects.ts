import { RowSorter, type SortBudget } from '../csv/external-sort.js';
import type { ExportWarning, RejectedRow } from './types.js';

/** Rejected rows of each location a run keeps in memory for output and the report. */
export const REJECT_SAMPLE = 20;

/** Row warnings a run keeps in memory for output and the report (the rest are counted). */
export const ROW_WARNING_SAMPLE = 200;

// eslint-disable-next-line no-control-regex -- control characters are what is replaced
const CONTROL = /[\u0000-\u001f]/g;

/**
 * The rejected rows of a run, per location, on their way to the rejects file: held in the
 * sort's bounded memory and spilled to sorted runs on disk like the valid rows, so a file or a
 * directory of a million rejected rows costs disk, not memory. Read back once, in output order.
 */
export class RejectStore {
  private readonly sorters = new Map<string, RowSorter>();

  /**
   * @param options where runs go (the run's private working directory), the sort columns and
   *   the memory budget shared with the valid rows
   */
  public constructor(
    private readonly options: { dir: string; columns: readonly number[]; budget: SortBudget },
  ) {}

  /**
   * Keep a rejected row.
   * @param slug the location whose rejects it joins
   * @param row the row
   */
  public async add(slug: string, row: RejectedRow): Promise<void> {
    let sorter = this.sorters.get(slug);
    if (!sorter) {
      sorter = new RowSorter({ ...this.options, name: `rejects${this.sorters.size}` });
      this.sorters.set(slug, sorter);
    }
    const { dn, ...rest } = row;
    // The sort holds rows without control characters (a rejected row may have them): it is
    // given cells cleaned for ordering only, and the row itself rides along as its identity.
    await sorter.add(
      row.cells.map((cell) => cell.replace(CONTROL, ' ')),
      dn,
      Buffer.from(JSON.stringify(rest)).toString('base64'),
    );
  }

  /**
   * A location's rejected rows in output order (its sort order), once.
   * @param slug the location
   */
  public async *sorted(slug: string): AsyncGenerator<RejectedRow> {
    const sorter = this.sorters.get(slug);
    if (!sorter) return;
    for await (const held of sorter.sorted()) {
      const rest = JSON.parse(Buffer.from(held.id ?? '', 'base64').toString('utf8')) as Omit<
        RejectedRow,
        'dn'
      >;
      yield { ...rest, dn: held.dn };
    }
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
