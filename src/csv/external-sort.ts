import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { LINE_CHUNK, LineBuffer } from '../io/line-buffer.js';
import { RowOrder, type SortableRow } from '../mapping/order.js';

/**
 * Bytes of rows all sorters together hold in memory by default before the largest holder writes
 * a sorted run to disk. A held row is one string of about 450 characters at 11 columns (its sort
 * key and its record; a row of non-Latin names about 1 KB, see {@link RowSorter.add}), so this
 * keeps 100,000–200,000 people in memory, whatever the size of the directory. Measured on the 100k
 * bench (about 70 MB of rows): holding them all instead of spilling a run was 0.35 s faster and
 * 50 MB lighter in peak RSS, writing and reading runs making more garbage than the rows they hold.
 */
export const DEFAULT_SORT_MEMORY_BYTES = 96 * 1024 * 1024;

/**
 * How much all sorters together may hold in memory before the largest holder writes a sorted
 * run to disk: bytes (estimated) and rows (tests make it tiny to exercise the merge). Shared, so
 * that the memory used does not grow with the number of locations either.
 */
export class SortBudget {
  private readonly sorters = new Set<RowSorter>();
  /** Rows held now. */
  public held = 0;
  /** Bytes held now (estimated). */
  public bytes = 0;

  /** Called once, when a sorter first writes a run: the export is larger than memory holds. */
  public onFirstSpill: (() => void) | undefined;

  /**
   * @param rows rows all sorters may hold together (default: only the bytes count)
   * @param maxBytes bytes all sorters may hold together
   */
  public constructor(
    public readonly rows: number = Number.POSITIVE_INFINITY,
    public readonly maxBytes: number = DEFAULT_SORT_MEMORY_BYTES,
  ) {}

  /** @internal */
  public spilling(): void {
    const first = this.onFirstSpill;
    this.onFirstSpill = undefined;
    first?.();
  }

  /** @internal */
  public join(sorter: RowSorter): void {
    this.sorters.add(sorter);
  }

  /** Whether a sorter has to write a run. */
  public get full(): boolean {
    return this.held > this.rows || this.bytes > this.maxBytes;
  }

  /** The sorter holding the most bytes (the one to spill). */
  public largest(): RowSorter | undefined {
    let best: RowSorter | undefined;
    for (const s of this.sorters) if (!best || s.bytes > best.bytes) best = s;
    return best;
  }
}

/** Options for {@link RowSorter}. */
export interface RowSorterOptions {
  /** Directory for the sorted runs (private to this run, removed by the caller). */
  dir: string;
  /** Name prefix of this sorter's run files. */
  name: string;
  /** Sort columns ({@link sortKeyIndexes}); the DN breaks ties. */
  columns: readonly number[];
  /** The memory budget, shared with the other sorters of the run. */
  budget: SortBudget;
}

/** A sorted row, as {@link RowSorter.sorted} yields it. */
export interface SortedRow {
  /** Cells. */
  cells: string[];
  /** DN. */
  dn: string;
  /** The entry's directory identity (objectGUID, entryUUID), when it has one. */
  id?: string;
}

/**
 * A row's record: directory identity (empty when none), DN and cells joined by U+001F. Cells of
 * rows that reach the sort hold no control characters (validation rejects them); a record that
 * would (a DN with a line break) is written as JSON after a U+0002 mark instead, so that a record
 * is always one line without U+0000.
 */
const FIELD = '\u001f';
const JSON_MARK = '\u0002';
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const CONTROL = /[\u0000-\u001f]/;

function encodeRecord(cells: readonly string[], dn: string, id: string | undefined): string {
  if (CONTROL.test(dn)) return `${JSON_MARK}${JSON.stringify([id ?? '', dn, cells])}`;
  return `${id ?? ''}${FIELD}${dn}${FIELD}${cells.join(FIELD)}`;
}

function decodeRecord(record: string): SortedRow {
  let id: string;
  let dn: string;
  let cells: string[];
  if (record.charCodeAt(0) === 2) {
    [id, dn, cells] = JSON.parse(record.slice(1)) as [string, string, string[]];
  } else {
    const a = record.indexOf(FIELD);
    const b = record.indexOf(FIELD, a + 1);
    id = record.slice(0, a);
    dn = record.slice(a + 1, b);
    cells = record.slice(b + 1).split(FIELD);
  }
  const row: SortedRow = { cells, dn };
  if (id !== '') row.id = id;
  return row;
}

/**
 * A held row. Most rows are a *keyed line*: their {@link RowOrder.keyFields} and their record,
 * joined by U+0000 in one string, so that rows sort as plain strings (natively, without a
 * comparator, the key deciding: it ends with the DN, unique in a location). A row whose key is
 * null (a sort value with characters the keys do not cover: CJK, Cyrillic…) is held with its
 * record and cells, for {@link RowOrder.compare}.
 */
interface Unkeyed {
  record: string;
  row: SortableRow;
}

/** The current row of a run while runs are merged. */
interface Head {
  /** The keyed line, or undefined for an unkeyed row. */
  line: string | undefined;
  /** The record (for a keyed line: found when first needed). */
  record: string | undefined;
  /** For comparing with unkeyed rows (made when first needed). */
  row: SortableRow | undefined;
  /** The row decoded (kept from the comparison, so it is decoded once). */
  decoded: SortedRow | undefined;
}

/** The rows of one run, in order. */
interface Run {
  head: Head | undefined;
  advance(): Promise<void>;
  close(): Promise<void>;
}

/** A sorted run held in memory (the rows not written) or read back from a run file. */
class ListRun implements Run {
  public head: Head | undefined;

  /**
   * @param next the run's next row: a keyed line, or a record when the run is unkeyed
   * @param keyed whether the run holds keyed lines
   * @param close release the run (close its file)
   */
  public constructor(
    private readonly next: () => Promise<string | undefined> | string | undefined,
    private readonly keyed: boolean,
    public readonly close: () => Promise<void>,
  ) {}

  public async advance(): Promise<void> {
    const value = await this.next();
    if (value === undefined) this.head = undefined;
    else if (this.keyed) this.head = { line: value, record: undefined, row: undefined, decoded: undefined };
    else this.head = { line: undefined, record: value, row: undefined, decoded: undefined };
  }
}

/** A character that makes V8 store its string at two bytes a character. */
// eslint-disable-next-line no-control-regex -- the range starts at U+0000, the key fields' end mark
const TWO_BYTE = /[^\u0000-\u00ff]/;

/** Estimated bytes a held string costs beyond its characters (header, array slot). */
const STRING_OVERHEAD = 32;
/** Estimated bytes an unkeyed row costs beyond its record and cells (arrays, row object, headers). */
const UNKEYED_OVERHEAD = 200;

/**
 * Sorts the rows of one location in bounded memory: rows are held until the shared
 * {@link SortBudget} is full, then the largest holder sorts its rows and writes them to run files
 * (one for keyed lines, one for unkeyed rows); {@link RowSorter.sorted} merges the runs with the
 * rows still held (sorted in memory, never written). The order is that of {@link RowOrder}.
 */
export class RowSorter {
  private keyed: string[] = [];
  private unkeyed: Unkeyed[] = [];
  private readonly runs: { file: LineBuffer; keyed: boolean }[] = [];
  private readonly order: RowOrder;
  private readonly keyFields: number;
  /** Rows added. */
  public count = 0;
  /** Bytes held in memory (estimated). */
  public bytes = 0;

  /**
   * @param options where runs go, the sort columns and the memory budget
   */
  public constructor(private readonly options: RowSorterOptions) {
    this.order = new RowOrder(options.columns);
    this.keyFields = this.order.keyFieldCount;
    options.budget.join(this);
  }

  /** Run files written so far. */
  public get runCount(): number {
    return this.runs.length;
  }

  /** Rows held in memory. */
  public get held(): number {
    return this.keyed.length + this.unkeyed.length;
  }

  /**
   * Add a row (its cells are not kept: the row is held as one string). Its cells must hold no
   * control characters (validated rows never do); its DN may.
   * @param cells the row's cells
   * @param dn the entry's DN
   * @param id the entry's directory identity (objectGUID, entryUUID), when it has one
   */
  public async add(cells: readonly string[], dn: string, id?: string): Promise<void> {
    const record = encodeRecord(cells, dn, id);
    const fields = this.order.keyFields(cells, dn);
    let bytes: number;
    if (fields === null) {
      this.unkeyed.push({ record, row: this.order.row([...cells], dn) });
      // The record and the cells, two bytes a character (such rows hold non-Latin text).
      bytes = 4 * record.length + UNKEYED_OVERHEAD;
    } else {
      fields.push(record);
      const line = fields.join('\u0000');
      this.keyed.push(line);
      // V8 keeps a string at one byte a character only when all of them are below U+0100.
      bytes = (TWO_BYTE.test(line) ? 2 : 1) * line.length + STRING_OVERHEAD;
    }
    this.count++;
    this.bytes += bytes;
    const budget = this.options.budget;
    budget.held++;
    budget.bytes += bytes;
    if (budget.full) await (budget.largest() ?? this).spill();
  }

  /** Take the rows held, sorted, and give their memory back to the budget. */
  private take(): { keyed: string[]; unkeyed: Unkeyed[] } {
    const { keyed, unkeyed } = this;
    this.keyed = [];
    this.unkeyed = [];
    const budget = this.options.budget;
    budget.held -= keyed.length + unkeyed.length;
    budget.bytes -= this.bytes;
    this.bytes = 0;
    // Plain string order: the keys are built so that it is the row order.
    keyed.sort();
    unkeyed.sort((a, b) => this.order.compare(a.row, b.row));
    return { keyed, unkeyed };
  }

  /** Sort the rows held and write them to new run files. */
  public async spill(): Promise<void> {
    this.options.budget.spilling();
    const { keyed, unkeyed } = this.take();
    if (keyed.length > 0) await this.writeRun(keyed, true);
    if (unkeyed.length > 0)
      await this.writeRun(
        unkeyed.map((u) => u.record),
        false,
      );
  }

  private async writeRun(lines: string[], keyed: boolean): Promise<void> {
    const file = new LineBuffer(join(this.options.dir, `${this.options.name}-${this.runs.length}.run`));
    this.runs.push({ file, keyed });
    for (const line of lines) {
      file.add(line);
      if (file.pending >= LINE_CHUNK) await file.flush();
    }
    await file.close();
  }

  /** The record of a keyed line: what follows its key's fields. */
  private recordOf(line: string): string {
    let at = -1;
    for (let i = 0; i < this.keyFields; i++) at = line.indexOf('\u0000', at + 1);
    return line.slice(at + 1);
  }

  private sortable(head: Head): SortableRow {
    if (head.row) return head.row;
    head.record ??= this.recordOf(head.line ?? '');
    head.decoded = decodeRecord(head.record);
    head.row = this.order.row(head.decoded.cells, head.decoded.dn);
    return head.row;
  }

  /** Whether run head a comes before b. */
  private before(a: Head, b: Head): boolean {
    if (a.line !== undefined && b.line !== undefined) return a.line < b.line;
    return this.order.compare(this.sortable(a), this.sortable(b)) < 0;
  }

  /**
   * All rows in order, once. Run files are removed as the merge finishes.
   */
  public async *sorted(): AsyncGenerator<SortedRow> {
    const { keyed, unkeyed } = this.take();
    if (this.runs.length === 0 && unkeyed.length === 0) {
      for (let i = 0; i < keyed.length; i++) {
        const line = keyed[i] ?? '';
        // Let rows go as they are consumed.
        keyed[i] = '';
        yield decodeRecord(this.recordOf(line));
      }
      return;
    }
    const runs: Run[] = [];
    try {
      for (const { file, keyed: isKeyed } of this.runs) {
        const lines = file.lines();
        const run = new ListRun(
          async () => {
            const next = await lines.next();
            return next.done === true ? undefined : next.value;
          },
          isKeyed,
          async () => {
            await lines.return(undefined);
          },
        );
        runs.push(run);
      }
      let k = 0;
      runs.push(
        new ListRun(
          () => {
            if (k >= keyed.length) return undefined;
            const line = keyed[k];
            // Let rows go as they are consumed.
            keyed[k++] = '';
            return line;
          },
          true,
          () => Promise.resolve(),
        ),
      );
      let u = 0;
      runs.push(
        new ListRun(
          () => unkeyed[u++]?.record,
          false,
          () => Promise.resolve(),
        ),
      );
      for (const run of runs) await run.advance();
      yield* this.merge(runs.filter((r) => r.head !== undefined));
    } finally {
      await Promise.all(runs.map((r) => r.close()));
      await Promise.all(this.runs.map((r) => rm(r.file.path, { force: true })));
    }
  }

  /** Merge sorted runs through a binary heap of their current rows. */
  private async *merge(heap: Run[]): AsyncGenerator<SortedRow> {
    const less = (i: number, j: number): boolean =>
      this.before((heap[i] as Run).head as Head, (heap[j] as Run).head as Head);
    const down = (start: number): void => {
      let i = start;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(l, m)) m = l;
        if (r < heap.length && less(r, m)) m = r;
        if (m === i) return;
        const t = heap[i] as Run;
        heap[i] = heap[m] as Run;
        heap[m] = t;
        i = m;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    while (heap.length > 0) {
      const top = heap[0] as Run;
      const head = top.head as Head;
      yield head.decoded ?? decodeRecord(head.record ?? this.recordOf(head.line ?? ''));
      await top.advance();
      if (top.head === undefined) {
        const last = heap.pop() as Run;
        if (heap.length === 0) break;
        heap[0] = last;
      }
      down(0);
    }
  }
}
