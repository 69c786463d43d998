import type { ColumnSet } from './columns.js';

/**
 * The output order of rows: within a location by last name, first name, identification (or
 * email), then DN, each compared with {@link compareText}: English collation ignoring case and
 * accents, numbers by value, then code units so that the order is total and deterministic.
 *
 * Intl.Collator is exact but costs 0.1–1 µs a comparison, and sorting 100,000 rows takes
 * millions of them. Most names are written in Latin letters, digits, spaces and a little
 * punctuation; for those, {@link RowOrder} compares one-byte "primary keys" whose plain string
 * order is exactly the collator's order. Values with any other character keep being compared
 * with the collator. The table behind the keys is read from the collator itself when first used
 * (each character's place among the others), so it follows the ICU data of the Node.js that
 * runs it; the unit tests compare both orders on random text.
 */

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/**
 * Compare two texts the way the output is ordered: collation first (case and accents ignored,
 * numbers by value), code units to break ties.
 * @param a one text
 * @param b the other
 */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return collator.compare(a, b) || (a < b ? -1 : 1);
}

/**
 * The columns a location's rows are ordered by: last name, first name, identification (or
 * email); a custom layout without those roles is ordered by all its columns. The DN breaks ties.
 * @param layout the column layout
 */
export function sortKeyIndexes(layout: ColumnSet): number[] {
  const { roles } = layout;
  const keyed = [roles.lastName, roles.firstName, roles.identification ?? roles.email].filter(
    (i): i is number => i !== undefined,
  );
  return keyed.length > 0 ? keyed : layout.columns.map((_, i) => i);
}

/**
 * The lowest byte of a primary key. Keys go into the sort's run files one row a line, so no byte
 * of one may be a line feed (10) or the key fields' end mark (0).
 */
const FIRST_WEIGHT = 11;

/** Longest digit run the primary keys encode (ICU compares longer ones in pieces). */
const MAX_DIGITS = 30;

interface WeightTable {
  /** Weight ({@link FIRST_WEIGHT}…255) by UTF-16 code unit below 0x180; 0 = not covered. */
  weights: Uint8Array;
  /** The weight of a digit run (where the collator puts digits). */
  digits: number;
}

let table: WeightTable | undefined;

/**
 * Read the collator's order of the covered characters: ASCII letters, digits, space and
 * punctuation, and the accented Latin letters that the collator treats as their base letter
 * (é as e, Å as a). Letters it treats differently (ß, æ, ø, ł…) are not covered.
 */
function weightTable(): WeightTable {
  if (table) return table;
  const candidates: string[] = [];
  for (let c = 0x20; c < 0x7f; c++) candidates.push(String.fromCharCode(c));
  const letters = candidates.filter((c) => /[a-z]/i.test(c));
  for (let c = 0xc0; c < 0x180; c++) {
    const ch = String.fromCharCode(c);
    // Only single characters that equal one ASCII letter at base strength: no expansions.
    if (letters.some((l) => collator.compare(ch, l) === 0)) candidates.push(ch);
  }
  // Characters the collator ignores entirely cannot be given a weight.
  const weighted = candidates.filter((c) => collator.compare(c, '') !== 0 && !/\d/.test(c));
  weighted.push('0'); // stands for every digit run
  weighted.sort((a, b) => collator.compare(a, b));
  const weights = new Uint8Array(0x180);
  let weight = FIRST_WEIGHT;
  let digits = 0;
  weighted.forEach((c, i) => {
    const previous = weighted[i - 1];
    if (previous !== undefined && collator.compare(previous, c) !== 0) weight += 1;
    if (c === '0') digits = weight;
    else weights[c.charCodeAt(0)] = weight;
  });
  if (weight > 0xff) throw new Error('collation table does not fit in one byte per character');
  table = { weights, digits };
  return table;
}

const scratch = Buffer.alloc(4096);

/**
 * The primary key of one text: a one-byte string whose order (plain `<`) is the collator's order
 * at base strength, or null when the text has a character the table does not cover (or is too
 * long for the scratch buffer).
 * @param text the text
 * @param t the weight table
 */
function primaryKey(text: string, t: WeightTable): string | null {
  const n = text.length;
  let o = 0;
  for (let i = 0; i < n; i++) {
    if (o + MAX_DIGITS + 2 >= scratch.length) return null;
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      // A run of digits compares by value: leading zeros dropped, then its length, then digits.
      let j = i;
      while (j < n && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
      let start = i;
      while (start < j && text.charCodeAt(start) === 0x30) start++;
      const length = j - start;
      if (length > MAX_DIGITS) return null;
      scratch[o++] = t.digits;
      scratch[o++] = FIRST_WEIGHT + length;
      for (let k = start; k < j; k++) scratch[o++] = text.charCodeAt(k);
      i = j - 1;
      continue;
    }
    const w = c < 0x180 ? (t.weights[c] ?? 0) : 0;
    if (w === 0) return null;
    scratch[o++] = w;
  }
  return scratch.toString('latin1', 0, o);
}

/** A row as the sort sees it. */
export interface SortableRow {
  /** Cells. */
  cells: readonly string[];
  /** DN. */
  dn: string;
  /**
   * Primary keys of the sort columns, computed when first needed: undefined = not yet, null = the
   * value has a character the keys do not cover (it is compared with the collator).
   */
  primaries: (string | null | undefined)[];
}

/** Distinct values per sort column whose primary keys are remembered. */
const CACHE_LIMIT = 50_000;

/**
 * The order of rows: {@link compareText} on each sort column in turn, then on the DN. Columns
 * are compared through primary keys (plain string comparison) where both values have one, which
 * is most of the time, and the collator otherwise; equal values are skipped at once. Primary
 * keys of recent values are cached per column: names repeat a lot.
 */
export class RowOrder {
  private readonly t = weightTable();
  private readonly caches: Map<string, string | null>[];

  /**
   * @param columns the sort columns ({@link sortKeyIndexes})
   */
  public constructor(private readonly columns: readonly number[]) {
    this.caches = columns.map(() => new Map<string, string | null>());
  }

  /**
   * A row ready for {@link RowOrder.compare}.
   * @param cells its cells (kept, not copied)
   * @param dn its DN
   */
  public row(cells: readonly string[], dn: string): SortableRow {
    return { cells, dn, primaries: new Array<string | null | undefined>(this.columns.length) };
  }

  private primary(column: number, text: string): string | null {
    // The third column (identification, email) is mostly unique: caching it would only churn.
    if (column >= 2) return primaryKey(text, this.t);
    const cache = this.caches[column] as Map<string, string | null>;
    let key = cache.get(text);
    if (key === undefined) {
      key = primaryKey(text, this.t);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(text, key);
    }
    return key;
  }

  /**
   * The row's sort key: one string whose plain order (`<`) is exactly {@link RowOrder.compare}'s,
   * so that a location's rows sort natively as strings instead of through a comparator. For each
   * sort column and then the DN it holds the value's primary key and the value itself (the
   * comparator's tie-break), each ended by U+0000, which sorts below every weight and never
   * occurs in a value that has a primary key. Null when a value has no primary key: such rows are
   * ordered with {@link RowOrder.compare}.
   * @param cells the row's cells
   * @param dn its DN
   * @returns the key's fields (join them with U+0000, then add U+0000), or null
   */
  public keyFields(cells: readonly string[], dn: string): string[] | null {
    const { columns } = this;
    const fields = new Array<string>(2 * columns.length + 2);
    for (let i = 0; i < columns.length; i++) {
      const x = cells[columns[i] ?? 0] ?? '';
      const p = this.primary(i, x);
      if (p === null) return null;
      fields[2 * i] = p;
      fields[2 * i + 1] = x;
    }
    const p = primaryKey(dn, this.t);
    if (p === null) return null;
    fields[2 * columns.length] = p;
    fields[2 * columns.length + 1] = dn;
    return fields;
  }

  /** Fields in a key from {@link RowOrder.keyFields} (each ended by U+0000). */
  public get keyFieldCount(): number {
    return 2 * this.columns.length + 2;
  }

  /** Compare two rows (negative: a first). */
  public readonly compare = (a: SortableRow, b: SortableRow): number => {
    const { columns } = this;
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i] ?? 0;
      const x = a.cells[c] ?? '';
      const y = b.cells[c] ?? '';
      if (x === y) continue;
      let px = a.primaries[i];
      if (px === undefined) px = a.primaries[i] = this.primary(i, x);
      let py = b.primaries[i];
      if (py === undefined) py = b.primaries[i] = this.primary(i, y);
      if (px !== null && py !== null) {
        if (px !== py) return px < py ? -1 : 1;
        return x < y ? -1 : 1;
      }
      return compareText(x, y);
    }
    return compareText(a.dn, b.dn);
  };
}
