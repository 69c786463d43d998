import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

import { RowOrder, type SortableRow } from '../mapping/order.js';

/**
 * How many rows all sorters together may hold in memory before one writes a sorted run to disk.
 * Shared, so that the memory used does not grow with the number of locations either.
 */
export class SortBudget {
  private readonly sorters = new Set<RowSorter>();
  /** Rows held now. */
  public held = 0;

  /**
   * @param rows rows all sorters may hold together
   */
  public constructor(public readonly rows: number) {}

  /** @internal */
  public join(sorter: RowSorter): void {
    this.sorters.add(sorter);
  }

  /** The sorter holding the most rows (the one to spill). */
  public largest(): RowSorter | undefined {
    let best: RowSorter | undefined;
    for (const s of this.sorters) if (!best || s.held > best.held) best = s;
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
export type SortedRow = SortableRow & {
  /** The entry's directory identity (objectGUID, entryUUID), when it has one. */
  id?: string;
};

/** Bytes read from a run file at a time. */
const READ_CHUNK = 128 * 1024;

/**
 * A row in a run file: directory identity (empty when none), DN and cells joined by U+001F, one
 * row a line. Cells of rows that reach
 * the sort never hold control characters (validation rejects them); a DN that does is written
 * as JSON after a U+0002 mark instead.
 */
const FIELD = '\u001f';
const JSON_MARK = '\u0002';
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const CONTROL = /[\u0000-\u001f]/;

function encodeRow(dn: string, cells: readonly string[], id: string | undefined): string {
  if (CONTROL.test(dn)) return `${JSON_MARK}${JSON.stringify([dn, cells, id ?? ''])}`;
  return `${id ?? ''}${FIELD}${dn}${FIELD}${cells.join(FIELD)}`;
}

function decodeRow(line: string): [string, string[], string] {
  if (line.startsWith(JSON_MARK)) return JSON.parse(line.slice(1)) as [string, string[], string];
  const parts = line.split(FIELD);
  return [parts[1] ?? '', parts.slice(2), parts[0] ?? ''];
}

/** A row for the sort, with its directory identity when there is one. */
function sortedRow(order: RowOrder, cells: readonly string[], dn: string, id: string | undefined): SortedRow {
  const row: SortedRow = order.row(cells, dn);
  if (id) row.id = id;
  return row;
}

/** The rows of a run, one at a time. */
interface Run {
  /** The current row, or undefined at the end. */
  head: SortedRow | undefined;
  advance(): Promise<void>;
  close(): Promise<void>;
}

/** The last run of a sorter, never written: already sorted in memory. */
class MemoryRun implements Run {
  private index = 0;
  public head: SortedRow | undefined;

  public constructor(private readonly rows: SortedRow[]) {}

  public advance(): Promise<void> {
    this.head = this.rows[this.index];
    // Let rows go as they are consumed.
    if (this.index < this.rows.length) this.rows[this.index++] = undefined as unknown as SortedRow;
    return Promise.resolve();
  }

  public close(): Promise<void> {
    this.rows.length = 0;
    return Promise.resolve();
  }
}

/** Reads one run file back, line by line, in chunks. */
class RunReader implements Run {
  private lines: string[] = [];
  private index = 0;
  private rest = '';
  private readonly decoder = new StringDecoder('utf8');
  private readonly buffer = Buffer.allocUnsafe(READ_CHUNK);
  private done = false;
  /** The current row, or undefined at the end. */
  public head: SortedRow | undefined;

  public constructor(
    private readonly handle: FileHandle,
    private readonly order: RowOrder,
  ) {}

  /** Move to the next row (reading the next chunk when needed). */
  public async advance(): Promise<void> {
    while (this.index >= this.lines.length) {
      if (this.done) {
        this.head = undefined;
        return;
      }
      const { bytesRead } = await this.handle.read(this.buffer, 0, READ_CHUNK, null);
      let text = this.rest;
      if (bytesRead === 0) {
        this.done = true;
        text += this.decoder.end();
      } else text += this.decoder.write(this.buffer.subarray(0, bytesRead));
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      this.lines = lines;
      this.index = 0;
    }
    const [dn, cells, id] = decodeRow(this.lines[this.index++] ?? '');
    this.head = sortedRow(this.order, cells, dn, id);
  }

  public async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/**
 * Sorts the rows of one location in bounded memory: rows are held until the shared
 * {@link SortBudget} is full, then the largest holder sorts its rows and writes them to a run file;
 * {@link RowSorter.sorted} merges the runs with the rows still held (sorted in memory, never
 * written). The order is that of {@link RowOrder}.
 */
export class RowSorter {
  private buffer: SortedRow[] = [];
  private readonly runs: string[] = [];
  private readonly order: RowOrder;
  private readonly compare: (a: SortedRow, b: SortedRow) => number;
  /** Rows added. */
  public count = 0;

  /**
   * @param options where runs go, the sort columns and the memory budget
   */
  public constructor(private readonly options: RowSorterOptions) {
    this.order = new RowOrder(options.columns);
    this.compare = this.order.compare;
    options.budget.join(this);
  }

  /** Run files written so far. */
  public get runCount(): number {
    return this.runs.length;
  }

  /** Rows held in memory. */
  public get held(): number {
    return this.buffer.length;
  }

  /**
   * Add a row (its cells are kept as given, not copied). Its cells must hold no control
   * characters (validated rows never do).
   * @param cells the row's cells
   * @param dn the entry's DN
   * @param id the entry's directory identity (objectGUID, entryUUID), when it has one
   */
  public async add(cells: string[], dn: string, id?: string): Promise<void> {
    this.buffer.push(sortedRow(this.order, cells, dn, id));
    this.count++;
    const budget = this.options.budget;
    if (++budget.held > budget.rows) await (budget.largest() ?? this).spill();
  }

  /** Sort the rows held and write them to a new run file. */
  public async spill(): Promise<void> {
    const rows = this.buffer;
    this.buffer = [];
    this.options.budget.held -= rows.length;
    rows.sort(this.compare);
    const path = join(this.options.dir, `${this.options.name}-${this.runs.length}.run`);
    this.runs.push(path);
    const handle = await open(path, 'wx', 0o600);
    try {
      let lines: string[] = [];
      let size = 0;
      for (const row of rows) {
        const line = encodeRow(row.dn, row.cells, row.id);
        lines.push(line);
        size += line.length;
        if (size >= READ_CHUNK) {
          // One flat string per chunk (appending row by row would build a rope of pieces).
          lines.push('');
          await handle.write(lines.join('\n'));
          lines = [];
          size = 0;
        }
      }
      if (lines.length > 0) {
        lines.push('');
        await handle.write(lines.join('\n'));
      }
    } finally {
      await handle.close();
    }
  }

  /**
   * All rows in order, once. Run files are removed as the merge finishes.
   */
  public async *sorted(): AsyncGenerator<SortedRow> {
    const held = this.buffer;
    this.buffer = [];
    this.options.budget.held -= held.length;
    held.sort(this.compare);
    if (this.runs.length === 0) {
      yield* held;
      return;
    }
    const readers: Run[] = [];
    try {
      for (const path of this.runs) {
        const reader = new RunReader(await open(path, 'r'), this.order);
        readers.push(reader);
        await reader.advance();
      }
      const memory = new MemoryRun(held);
      readers.push(memory);
      await memory.advance();
      // A binary heap of the runs by their current row.
      const heap = readers.filter((r) => r.head !== undefined);
      const less = (i: number, j: number): boolean =>
        this.compare(heap[i]?.head as SortedRow, heap[j]?.head as SortedRow) < 0;
      const swap = (i: number, j: number): void => {
        const t = heap[i] as Run;
        heap[i] = heap[j] as Run;
        heap[j] = t;
      };
      const down = (start: number): void => {
        let i = start;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && less(l, m)) m = l;
          if (r < heap.length && less(r, m)) m = r;
          if (m === i) return;
          swap(i, m);
          i = m;
        }
      };
      for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
      while (heap.length > 0) {
        const top = heap[0] as Run;
        yield top.head as SortedRow;
        await top.advance();
        if (top.head === undefined) {
          const last = heap.pop() as Run;
          if (heap.length === 0) break;
          heap[0] = last;
        }
        down(0);
      }
    } finally {
      await Promise.all(readers.map((r) => r.close()));
      await Promise.all(this.runs.map((p) => rm(p, { force: true })));
    }
  }
}
