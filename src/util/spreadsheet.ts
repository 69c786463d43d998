/** A plain signed number ("+14165550101", "-2", "+1.5"): a spreadsheet reads it as a number. */
const SIGNED_NUMBER = /^[+-]\d+(?:[.,]\d+)?$/;

/**
 * Whether a spreadsheet opening a CSV would read a cell as a formula (OWASP "CSV injection"):
 * it starts with `=`, `@`, a tab or a CR, or with `+` or `-` followed by anything but a plain
 * number (an E.164 phone number such as `+14165550101` is a number, `-2+3+cmd|…` a formula).
 * White space before `=`, `@`, `+`, `-` does not make it safe: some spreadsheets skip it.
 * @param cell the cell's text
 */
export function isFormulaLike(cell: string): boolean {
  const first = cell.charCodeAt(0);
  // The common case, a cell starting with a letter or a digit, decided on its first character.
  if (first > 0x40 || (first >= 0x30 && first <= 0x39) || Number.isNaN(first)) return false;
  const text = cell.replace(/^[ \t\r\n]+/, '');
  if (text.length !== cell.length && /^[\t\r]/.test(cell)) return true;
  const head = text[0];
  if (head === '=' || head === '@') return true;
  if (head === '+' || head === '-') return !SIGNED_NUMBER.test(text);
  return false;
}

/**
 * A cell made safe to open in a spreadsheet: a formula-like cell (see {@link isFormulaLike}) gets
 * a leading `'`, which spreadsheets read as "this is text"; any other cell is returned as is.
 * @param cell the cell's text
 */
export function neutralizeFormula(cell: string): string {
  return isFormulaLike(cell) ? `'${cell}` : cell;
}
