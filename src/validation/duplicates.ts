import { emailKey } from '../mapping/cells.js';
import type { ColumnSet } from '../mapping/columns.js';
import { HashIndex } from '../util/hash-index.js';
import { quoteValue } from '../util/quote-value.js';

/** A unique value (Email, SMS Phone, Identification…) that two or more rows of a location hold. */
export interface SharedValue {
  /** The column. */
  column: number;
  /** Its header. */
  header: string;
  /** The value as compared (emails in NFC and lower case). */
  value: string;
  /** The rows that hold it, by number in output order (ascending). */
  rows: number[];
}

/**
 * Finds the unique values that more than one row of a location holds, one row at a time in
 * output order, so a location of any size is checked in little memory: it keeps a 64-bit hash of
 * each value and the number of the first row holding it (see {@link HashIndex}), not the values;
 * only the shared values (rare) are kept whole. Unlike a first-come rule, it decides nothing: who
 * keeps a shared value is {@link assignShared}'s question, once every holder is known.
 */
export class DuplicateCensus {
  private readonly unique: { header: string; column: number; email: boolean; seen: HashIndex }[];
  private readonly shared = new Map<string, SharedValue>();
  /** Rows noted so far (the next row gets this number). */
  public rows = 0;

  /**
   * @param set the compiled layout
   */
  public constructor(set: ColumnSet) {
    this.unique = set.columns.flatMap((column, c) =>
      column.unique
        ? [{ header: column.header, column: c, email: column.role === 'email', seen: new HashIndex() }]
        : [],
    );
  }

  /**
   * Note the next row's unique values.
   * @param cells the row's cells
   */
  public add(cells: readonly string[]): void {
    const n = this.rows++;
    for (const u of this.unique) {
      const raw = cells[u.column] ?? '';
      if (raw === '') continue;
      const value = u.email ? emailKey(raw) : raw;
      const first = u.seen.add(value, n);
      if (first === undefined) continue;
      const key = `${u.column}\u001f${value}`;
      const known = this.shared.get(key);
      if (known) known.rows.push(n);
      else this.shared.set(key, { column: u.column, header: u.header, value, rows: [first, n] });
    }
  }

  /** The values held by more than one row, in the order their second holder came. */
  public found(): SharedValue[] {
    return [...this.shared.values()];
  }
}

/** A shared value one row does not keep: the cell is left empty on that row. */
export interface Loss {
  /** The column. */
  column: number;
  /** Its header. */
  header: string;
  /** The value as compared. */
  value: string;
  /** The row that keeps it (it held the value in the last push), if any. */
  keeper: number | undefined;
  /** The other rows holding it (the keeper included), by number. */
  others: number[];
}

/**
 * Who keeps each shared value: the row that held it in the last push (the first such, should two
 * have), and nobody when none did. Every other row holding it loses it. Output order (last name)
 * never decides, so nobody can take a colleague's value by sorting first: the value stays with
 * the person the vendor already knows by it. Pure.
 * @param shared the shared values of one location
 * @param held whether row `row` held the value of `column` in the last push
 * @returns per row number, the values it loses
 */
export function assignShared(
  shared: readonly SharedValue[],
  held: (row: number, column: number) => boolean,
): Map<number, Loss[]> {
  const losses = new Map<number, Loss[]>();
  for (const s of shared) {
    const keeper = s.rows.find((r) => held(r, s.column));
    for (const r of s.rows) {
      if (r === keeper) continue;
      const loss: Loss = {
        column: s.column,
        header: s.header,
        value: s.value,
        keeper,
        others: s.rows.filter((o) => o !== r),
      };
      const list = losses.get(r);
      if (list) list.push(loss);
      else losses.set(r, [loss]);
    }
  }
  return losses;
}

const quote = (value: string): string => quoteValue(value);

/**
 * Why a row lost a shared value, naming the others holding it.
 * @param loss the value lost
 * @param who names a row by number ("First Last <email> (DN)")
 */
export function lossText(loss: Loss, who: (row: number) => string): string {
  const others = loss.others.map(who).join(', ');
  const also = `${loss.header} ${quote(loss.value)} is also on the row of ${others}`;
  return loss.keeper === undefined
    ? `${also}, and nobody held it in the last push: left empty on each of them`
    : `${also}, who held it in the last push: left empty here`;
}

/**
 * The reject reason of a row left with no way to reach the contact once its shared values are
 * left empty: the vendor would merge it with the row that keeps the value.
 * @param loss a value lost
 * @param who names a row by number
 */
export function duplicateReason(loss: Loss, who: (row: number) => string): string {
  return `duplicate ${lossText(loss, who)}, and the row has no other key the vendor could match it by`;
}
