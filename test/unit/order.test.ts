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
