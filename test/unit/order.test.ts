import { describe, expect, it } from 'vitest';

import { RowOrder, compareText, type SortableRow } from '../../src/mapping/order.js';
import { seededRandom } from '../harness/random.js';

const random = seededRandom;

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** compareText on each column, then on the DN: the order the fast comparison must give. */
function reference(columns: number[]): (a: SortableRow, b: SortableRow) => number {
  return (a, b) => {
    for (const c of columns) {
      const r = compareText(a.cells[c] ?? '', b.cells[c] ?? '');
      if (r !== 0) return r;
    }
    return compareText(a.dn, b.dn);
  };
}

describe('row order: primary keys order rows exactly as compareText does', () => {
  it('on random text over letters, accents, digits, spaces, punctuation and other scripts', () => {
    const rand = random(11);
    const pools = [
      'abcxyzABCXYZ',
      'éèÉÅåöÖüñçłøßæĀāŒœĳ',
      '0123456789000',
      " -'.,=_/",
      '!"#$%&()*+:;<>?@[\\]^`{|}~',
      'ДΣ李',
    ];
    const text = (): string => {
      const length = Math.floor(rand() * 7);
      let s = '';
      for (let i = 0; i < length; i++) {
        // Mostly letters, so that many pairs share a prefix.
        const pool = pools[rand() < 0.5 ? 0 : Math.floor(rand() * pools.length)] ?? 'a';
        s += pool[Math.floor(rand() * pool.length)] ?? 'a';
      }
      return s;
    };
    const order = new RowOrder([0, 1]);
    const expected = reference([0, 1]);
    for (let i = 0; i < 200_000; i++) {
      const [a, b] = [0, 1].map(() => order.row([text(), text()], `uid=${text()},ou=people`)) as [
        SortableRow,
        SortableRow,
      ];
      expect([a.cells, a.dn, b.cells, b.dn, sign(order.compare(a, b))]).toEqual([
        a.cells,
        a.dn,
        b.cells,
        b.dn,
        sign(expected(a, b)),
      ]);
    }
  });

  it('sort keys order rows as plain strings exactly as the comparator does', () => {
    const rand = random(23);
    const pool = "abcAB éÉåÅ0123456789 -'.,!~Āā";
    const uncovered = 'ßД李';
    const text = (): string => {
      let s = '';
      // Long digit runs too: a run's length is a byte of the key.
      for (let i = Math.floor(rand() * 12); i > 0; i--) {
        const from = rand() < 0.03 ? uncovered : pool;
        s += from[Math.floor(rand() * from.length)] ?? 'a';
      }
      return s;
    };
    const order = new RowOrder([1, 0]);
    const key = (r: SortableRow): string | undefined => {
      const fields = order.keyFields(r.cells, r.dn);
      return fields === null ? undefined : `${fields.join('\u0000')}\u0000`;
    };
    let keyed = 0;
    let unkeyed = 0;
    for (let i = 0; i < 100_000; i++) {
      const [a, b] = [0, 1].map(() => order.row([text(), text()], `uid=${text()}`)) as [
        SortableRow,
        SortableRow,
      ];
      const [ka, kb] = [key(a), key(b)];
      if (ka === undefined || kb === undefined) {
        unkeyed++;
        continue;
      }
      keyed++;
      // A key is one line of a run file, with exactly its fields' end marks.
      expect(ka.includes('\n')).toBe(false);
      expect(ka.split('\u0000')).toHaveLength(order.keyFieldCount + 1);
      const byKey = ka === kb ? 0 : ka < kb ? -1 : 1;
      if (byKey !== sign(order.compare(a, b)))
        expect([a, b, byKey]).toEqual([a, b, sign(order.compare(a, b))]);
    }
    // Both kinds were met.
    expect(keyed).toBeGreaterThan(10_000);
    expect(unkeyed).toBeGreaterThan(10_000);
  });

  it('compares numbers by value, ignores case and accents, and breaks ties by code units', () => {
    const order = new RowOrder([0]);
    const values = [
      'item10',
      'item9',
      'Item9',
      'item09',
      'Éve',
      'eve',
      'Eve',
      'Evan',
      'ev',
      'e v',
      'e-v',
      '李',
    ];
    const sorted = values
      .map((v) => order.row([v], 'dn'))
      .sort(order.compare)
      .map((r) => r.cells[0]);
    expect(sorted).toEqual([...values].sort(compareText));
    expect(sorted.slice(0, 3)).toEqual(['e v', 'e-v', 'ev']);
  });
});
