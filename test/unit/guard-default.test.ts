import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import type { ResolvedConfig } from '../../src/config/types.js';
import { compileLayout } from '../../src/vendors/registry.js';
import { checkGuards, type Trip } from '../../src/plan/guards.js';
import { tempDir } from '../harness/files.js';
import { computePlan, lastPushOf } from '../harness/oracles/plan.js';

const layout = compileLayout({ profile: 'receptionist', kind: 'ldap' }).set;

/** Person n of a location, with an email only. */
const person = (n: number, location: string): { cells: string[]; location: string } => ({
  cells: [`F${n}`, `L${n}`, `p${n}@${location}.org`, '', '', '', '', '', location, '', ''],
  location,
});
const people = (count: number, location: string): { cells: string[]; location: string }[] =>
  Array.from({ length: count }, (_, n) => person(n, location));

/** A minimal config file, so the defaults are the ones a real run gets. */
async function defaults(safety: Record<string, unknown> = {}): Promise<ResolvedConfig['safety']> {
  const dir = await tempDir();
  await writeFile(
    join(dir, 'adsync.yaml'),
    JSON.stringify({
      directory: { kind: 'ldif', file: './x.ldif' },
      locations: [{ slug: 'big', ous: ['ou=big,dc=x'] }],
      target: {
        profile: 'receptionist',
        tokenUrl: 'https://vendor.example/token',
        uploadUrl: 'https://vendor.example/upload',
        clientId: 'c',
        clientSecret: 's',
      },
      ...(Object.keys(safety).length > 0 ? { safety } : {}),
    }),
  );
  return (await loadConfig({ cwd: dir, env: {} })).config.safety;
}

describe('the archive guard by default: a percent above a floor', () => {
  let safety: ResolvedConfig['safety'];
  beforeAll(async () => {
    safety = await defaults();
  });

  /** The trips of a push where each location keeps the first `now` of its `before` people. */
  const trips = async (
    sites: Record<string, { before: number; now: number }>,
    options: Partial<ResolvedConfig['safety']> = {},
  ): Promise<Trip[]> => {
    const before = Object.entries(sites).flatMap(([slug, s]) => people(s.before, slug));
    const now = Object.entries(sites).flatMap(([slug, s]) => people(s.now, slug));
    const plan = await computePlan(layout, lastPushOf(layout, before), now, []);
    return checkGuards(
      plan,
      { searches: {} },
      { emails: new Set(now.map((r) => r.cells[2] ?? '')), searches: {} },
      { ...safety, ...options, allowArchive: undefined, force: false },
    );
  };

  it('defaults: 25 archives, 10%, counted above 2', () => {
    expect(safety).toMatchObject({
      maxArchive: 25,
      maxArchivePercent: 10,
      archiveFloor: 2,
      renameFloor: 2,
    });
  });

  it('a location of 9 losing 1 (11%) passes; so does one of 6 losing 2', async () => {
    expect(await trips({ small: { before: 9, now: 8 } })).toEqual([]);
    expect(await trips({ small: { before: 6, now: 4 } })).toEqual([]);
    // Beside a large site, the overall count passes too.
    expect(await trips({ small: { before: 9, now: 8 }, big: { before: 40, now: 40 } })).toEqual([]);
  });

  it('a location of 40 losing 12 (30%) stops, and so do 20 losing 3 and 6 losing 3', async () => {
    expect(await trips({ big: { before: 40, now: 28 } })).toEqual([
      {
        guard: 'archive-percent',
        message:
          'would archive 12 of 40 contacts (30%) in location big; limit 10% (counted above 2 archives)',
        location: 'big',
        archive: 12,
        total: 40,
        percent: 30,
        limit: 10,
      },
    ]);
    for (const [before, now] of [
      [20, 17],
      [6, 3],
    ] as const) {
      const stop = await trips({ site: { before, now } });
      expect(stop.map((t) => t.guard)).toEqual(['archive-percent']);
    }
  });

  it('the count limit applies whatever the floor; the overall percent has the floor too', async () => {
    const many = await trips({ big: { before: 1000, now: 970 } });
    expect(many.map((t) => [t.guard, t.limit])).toEqual([['archive-limit', 25]]);
    // 1 of 9 and 2 of 6: each passes, and 3 of 15 overall is more than 2 and 20%.
    const overall = await trips({ a: { before: 9, now: 8 }, b: { before: 6, now: 4 } });
    expect(overall.map((t) => [t.guard, t.location, t.archive])).toEqual([['archive-percent', undefined, 3]]);
  });

  it('archiveFloor 0 counts every archive against the percent, as before', async () => {
    const zero = await defaults({ archiveFloor: 0 });
    expect(zero.archiveFloor).toBe(0);
    const stop = await trips({ small: { before: 9, now: 8 } }, { archiveFloor: 0 });
    expect(stop.map((t) => t.message)).toEqual([
      'would archive 1 of 9 contacts (11%) in location small; limit 10%',
    ]);
  });
});
