import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { encodeCsvRow, encodeCsvRows } from '../../src/csv/writer.js';
import { isFormulaLike } from '../../src/util/spreadsheet.js';
import { propertyRuns } from '../harness/property.js';

/** Cells with what CSV must quote (quotes, commas, CR, LF, edge spaces), formulas and Unicode. */
const cell = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '"',
        ',',
        '\r',
        '\n',
        '\r\n',
        ' ',
        '\t',
        '=',
        '@',
        '+',
        '-',
        '+1 555',
        "'",
        'é',
        '日本',
        '\u00a0',
      ),
      fc.string({ unit: 'grapheme', maxLength: 5 }),
    ),
    { maxLength: 5 },
  )
  .map((parts) => parts.join(''));

/** Rows of one width, as a CSV file has. */
const table = fc
  .integer({ min: 1, max: 6 })
  .chain((width) => fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 8 }));

/** What a reader gets back: the cell, with the `'` that keeps a formula-like cell text. */
const asRead = (cells: readonly string[]): string[] => cells.map((c) => (isFormulaLike(c) ? `'${c}` : c));

describe('the CSV encoder against csv-parse (fast-check)', () => {
  it('csv-parse reads back every row and cell encodeCsvRows wrote', () => {
    fc.assert(
      fc.property(table, (rows) => {
        const text = encodeCsvRows(rows);
        expect(text.endsWith('\r\n') || rows.length === 0).toBe(true);
        // A row of one empty cell is an empty line, which a reader cannot tell from none.
        const kept = rows.filter((r) => r.length > 1 || r[0] !== '');
        expect(
          parse(text, { skip_empty_lines: true, relax_column_count: false }),
          JSON.stringify(text),
        ).toEqual(kept.map(asRead));
      }),
      propertyRuns(1000),
    );
  });

  it('encodeCsvRow is one record of encodeCsvRows, and rows join without merging', () => {
    fc.assert(
      fc.property(table, (rows) => {
        expect(rows.map((r) => encodeCsvRow(r)).join('')).toBe(encodeCsvRows(rows));
      }),
      propertyRuns(300),
    );
  });
});
