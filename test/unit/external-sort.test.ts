import { readdir } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { RowSorter, SortBudget } from '../../src/csv/external-sort.js';
import { compareText } from '../../src/mapping/order.js';
import { tempDir } from '../harness/files.js';
import { seededRandom } from '../harness/random.js';

const random = seededRandom;

const LAST = [
  'Lovelace',
  'lovelace',
  'Ångström',
  'Angstrom',
  'García',
  '李',
  "O'Brien",
  'van der Berg',
  'Smith',
  'Item10',
  'Item9',
];
const FIRST = ['Ada', 'Zoë', 'zoe', 'José', '小龍', 'Sam', ''];

function rows(count: number, seed: number): { cells: string[]; dn: string }[] {
  const rand = random(seed);
  const pick = (list: string[]): string => list[Math.floor(rand() * list.length)] ?? '';
  return Array.from({ length: count }, (_, n) => ({
    // First Name, Last Name, Email, Identification: sorted by last, first, identification, DN.
    cells: [pick(FIRST), pick(LAST), `p${n}@x.org`, rand() < 0.3 ? '' : String(Math.floor(rand() * 50))],
    // Unique DNs (as in a location), some differing only in case; one has a line break (written
    // as JSON in a run).
    dn: n === 7 ? 'uid=odd\nline,ou=people' : `uid=${rand() < 0.5 ? 'U' : 'u'}${n % 997},ou=g${n % 3}`,
  }));
}

/** The order the export promises: compareText on last, first, identification, then DN. */
function reference(a: { cells: string[]; dn: string }, b: { cells: string[]; dn: string }): number {
  for (const c of [1, 0, 3]) {
    const r = compareText(a.cells[c] ?? '', b.cells[c] ?? '');
    if (r !== 0) return r;
  }
  return compareText(a.dn, b.dn);
}

/** Sort the rows over two sorters sharing a budget (as two locations do), each in its order. */
async function sortWith(budgetRows: number, input: { cells: string[]; dn: string }[], dir: string) {
  const budget = new SortBudget(budgetRows);
  const sorters = [0, 1].map(
    (i) => new RowSorter({ dir, name: `t${budgetRows}-${i}`, columns: [1, 0, 3], budget }),
  );
  let most = 0;
  for (const [n, r] of input.entries()) {
    await (sorters[n % 3 === 0 ? 1 : 0] as RowSorter).add([...r.cells], r.dn);
    most = Math.max(most, budget.held);
  }
  const out = sorters.map(() => [] as { cells: string[]; dn: string }[]);
  for (const [i, sorter] of sorters.entries())
    for await (const r of sorter.sorted()) out[i]?.push({ cells: [...r.cells], dn: r.dn });
  return { out, runs: sorters.reduce((n, s) => n + s.runCount, 0), most };
}

describe('external sort of rows', () => {
  it('gives the in-memory order whatever the memory budget, with merged runs on disk', async () => {
    const input = rows(2000, 5);
    const expected = [
      input.filter((_, n) => n % 3 !== 0).sort(reference),
      input.filter((_, n) => n % 3 === 0).sort(reference),
    ];
    const dir = await tempDir();
    for (const budget of [1, 3, 7, 64, 5000]) {
      const { out, runs, most } = await sortWith(budget, input, dir);
      expect(out).toEqual(expected);
      // Memory never holds more than the budget (and the row that tipped it).
      expect(most).toBeLessThanOrEqual(budget + 1);
      if (budget < 2000) expect(runs).toBeGreaterThanOrEqual(Math.floor(2000 / (budget + 1)));
      else expect(runs).toBe(0);
    }
    // The merged runs are removed.
    expect(await readdir(dir)).toEqual([]);
  });

  it('tells its budget once, at the first spill, that the rows outgrew memory', async () => {
    const dir = await tempDir();
    for (const [budgetRows, expected] of [
      [5000, 0],
      [10, 1],
    ] as const) {
      const budget = new SortBudget(budgetRows);
      let told = 0;
      budget.onFirstSpill = () => {
        told++;
      };
      const sorter = new RowSorter({ dir, name: `first${budgetRows}`, columns: [1, 0, 3], budget });
      for (const r of rows(200, 4)) await sorter.add(r.cells, r.dn);
      expect(sorter.runCount > 1).toBe(expected === 1);
      expect(told).toBe(expected);
      let n = 0;
      for await (const r of sorter.sorted()) n += r.dn ? 1 : 0;
      expect(n).toBe(200);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps cells with quotes, commas, accents and emoji byte for byte through a run file', async () => {
    const input = [
      { cells: ['Zoë', 'Ångström', 'a@x.org', '"Head of ""Q"", EU"'], dn: 'uid=z,ou=p' },
      { cells: ['Sam 🚀', 'Rocket', 'b@x.org', 'a,b'], dn: 'uid=s,ou=p' },
      { cells: ['', '李', 'c@x.org', ''], dn: 'uid=l,ou=p' },
    ];
    const { out } = await sortWith(1, input, await tempDir());
    expect(out[0]).toEqual(input.slice(1).sort(reference));
    expect(out[1]).toEqual(input.slice(0, 1));
  });

  it("carries each row's directory identity through memory and run files (none stays none)", async () => {
    const input = rows(300, 9).map((r, n) => ({ ...r, id: n % 4 === 0 ? undefined : `guid-${n}` }));
    const dir = await tempDir();
    for (const budgetRows of [1, 5000]) {
      const sorter = new RowSorter({
        dir,
        name: `id${budgetRows}`,
        columns: [1, 0, 3],
        budget: new SortBudget(budgetRows),
      });
      for (const r of input) await sorter.add([...r.cells], r.dn, r.id);
      const byDn = new Map(input.map((r) => [r.dn, r.id]));
      const out: [string, string | undefined][] = [];
      for await (const r of sorter.sorted()) out.push([r.dn, r.id]);
      expect(out).toHaveLength(input.length);
      // The DN with a line break goes through the JSON form of a run line.
      expect(out.some(([dn]) => dn.includes('\n'))).toBe(true);
      for (const [dn, id] of out) expect(id).toBe(byDn.get(dn));
    }
    expect(await readdir(dir)).toEqual([]);
  });
});
