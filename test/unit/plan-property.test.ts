import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { ColumnSet } from '../../src/mapping/columns.js';
import { compileLayout } from '../../src/vendors/registry.js';
import { checkGuards, type GuardOptions, type Trip } from '../../src/plan/guards.js';
import { identityOf, type CurrentRow } from '../../src/plan/identity.js';
import { computePlan, lastPushOf, type OracleLastPush } from '../harness/oracles/plan.js';
import { propertyRuns } from '../harness/property.js';

const reception = compileLayout({ profile: 'receptionist', kind: 'ldap' }).set;
const ilobby = compileLayout({ profile: 'ilobby', kind: 'ldap' }).set;

/**
 * One person, drawn from small pools so that runs collide: shared emails (in other cases too),
 * shared phones and Identifications, moves between two locations, the same directory identity
 * under a new email (a rename), rows from extraContacts files (no DN, no identity).
 */
const person = fc.record({
  first: fc.constantFrom('Ada', 'Bo', 'Zoë'),
  email: fc.constantFrom('a@x.org', 'A@x.org', 'b@x.org', 'c@y.org', 'e\u0301@x.org', '\u00e9@x.org'),
  sms: fc.constantFrom('', '', '+15550000001', '+15550000002'),
  ident: fc.constantFrom('', '', 'id1', 'id2', 'id3'),
  title: fc.constantFrom('', 'Boss'),
  location: fc.constantFrom('hq', 'lab'),
  id: fc.option(fc.constantFrom('g1', 'g2', 'g3', 'g4'), { nil: undefined }),
});
type Person = typeof person extends fc.Arbitrary<infer P> ? P : never;

function rowOf(layout: ColumnSet, p: Person): CurrentRow {
  const cells =
    layout === ilobby
      ? [p.first, 'L', p.title, '', p.email, p.sms, '', p.location]
      : [p.first, 'L', p.email, p.sms, p.title, '', '', '', p.location, p.ident, ''];
  return { cells, location: p.location, ...(p.id ? { id: p.id, dn: `uid=${p.id},ou=people` } : {}) };
}

/** Rows with distinct identities, as validation leaves them (it rejects a repeated identity). */
const rows = (layout: ColumnSet, max: number): fc.Arbitrary<CurrentRow[]> =>
  fc
    .uniqueArray(person, { maxLength: max, selector: (p) => identityOf(layout, rowOf(layout, p)) })
    .map((people) => people.map((p) => rowOf(layout, p)));

/** A previous state (or none: a first push), this run's rows, and some of them rejected instead. */
const runs = (layout: ColumnSet): fc.Arbitrary<[OracleLastPush | undefined, CurrentRow[], CurrentRow[]]> =>
  fc
    .tuple(fc.option(rows(layout, 8), { nil: undefined }), rows(layout, 8), fc.nat())
    .map(([before, now, mask]) => [
      before && lastPushOf(layout, before),
      now.filter((_, i) => (mask & (1 << i)) === 0),
      now.filter((_, i) => (mask & (1 << i)) !== 0),
    ]);

describe('the planner agrees with its reference on random states (fast-check)', () => {
  for (const [name, layout] of [
    ['The Receptionist', reception],
    ['iLobby', ilobby],
  ] as const) {
    it(`${name}: creates, updates, archives, renames and counts per location`, async () => {
      await fc.assert(
        fc.asyncProperty(runs(layout), async ([before, now, rejected]) => {
          // computePlan throws when the streaming planner and the reference differ.
          await computePlan(
            layout,
            before,
            now,
            rejected.map((r) => ({ ...r, reasons: ['rejected by the test'] })),
          );
        }),
        propertyRuns(300),
      );
    });
  }
});

/** Limits and approvals as a config and the command line give them. */
const limits = fc.record({
  maxArchive: fc.nat(6),
  maxArchivePercent: fc.nat(100),
  archiveFloor: fc.nat(3),
  maxRename: fc.nat(6),
  maxRenamePercent: fc.nat(100),
  renameFloor: fc.nat(3),
  allowArchive: fc.option(fc.nat(8), { nil: undefined }),
  allowRename: fc.option(fc.nat(8), { nil: undefined }),
});

const looser = (a: GuardOptions, by: number): GuardOptions => ({
  ...a,
  maxArchive: a.maxArchive + by,
  maxArchivePercent: a.maxArchivePercent + by,
  archiveFloor: (a.archiveFloor ?? 0) + by,
  maxRename: a.maxRename + by,
  maxRenamePercent: a.maxRenamePercent + by,
  renameFloor: (a.renameFloor ?? 0) + by,
});

/** The limit guards that stop the run: `archive-limit hq`, `rename-percent *` (all locations). */
const limitTrips = (trips: readonly Trip[]): string[] =>
  trips.filter((t) => /^(archive|rename)-/.test(t.guard)).map((t) => `${t.guard} ${t.location ?? '*'}`);

/** The same without which limit (count or percent): a looser count limit may leave the percent. */
const stopped = (trips: readonly string[]): string[] => trips.map((t) => t.replace(/-\w+ /, ' '));

describe('the guard limits on random plans (fast-check)', () => {
  it('looser limits never stop more, approvals of the whole plan stop nothing, a count over its limit always stops', async () => {
    await fc.assert(
      fc.asyncProperty(runs(ilobby), limits, fc.nat(5), async ([before, now, rejected], limit, by) => {
        const plan = await computePlan(
          ilobby,
          before,
          now,
          rejected.map((r) => ({ ...r, reasons: ['rejected'] })),
        );
        const options: GuardOptions = { ...limit, mustInclude: [], force: false };
        const current = { emails: new Set<string>(), searches: {} };
        const trips = limitTrips(checkGuards(plan, before, current, options));
        const loose = limitTrips(checkGuards(plan, before, current, looser(options, by)));
        for (const trip of stopped(loose)) expect(stopped(trips)).toContain(trip);
        const approved = { ...options, allowArchive: plan.totals.archive, allowRename: plan.totals.rename };
        expect(limitTrips(checkGuards(plan, before, current, approved))).toEqual([]);
        expect(checkGuards(plan, before, current, { ...options, force: true })).toEqual([]);
        if (before === undefined || (limit.allowArchive ?? -1) >= plan.totals.archive) return;
        for (const [slug, l] of Object.entries(plan.locations))
          if (l.archive > limit.maxArchive) expect(trips).toContain(`archive-limit ${slug}`);
        for (const trip of trips.filter((t) => t.startsWith('archive-limit ')))
          expect(
            trip === 'archive-limit *' ? plan.totals.archive : (plan.locations[trip.slice(14)]?.archive ?? 0),
          ).toBeGreaterThan(limit.maxArchive);
      }),
      propertyRuns(300),
    );
  });
});
