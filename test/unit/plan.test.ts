import { describe, expect, it } from 'vitest';

import { compileLayout } from '../../src/vendors/registry.js';
import { approvalHint, checkGuards } from '../../src/plan/guards.js';
import { identityOf, rowHash } from '../../src/plan/identity.js';
import type { LastPush } from '../../src/state/baseline.js';
import { computePlan, lastPushOf, type OracleLastPush } from '../harness/oracles/plan.js';

const layout = compileLayout({ profile: 'receptionist', kind: 'ldap' }).set;
// First, Last, Email, SMS, Title, Dept, Image, PIN, Location, Identification, Slack
const row = (
  n: number,
  location: string,
  extra: Partial<Record<'title' | 'email', string>> = {},
): { cells: string[]; location: string } => ({
  cells: [
    `F${n}`,
    `L${n}`,
    extra.email ?? `p${n}@x.org`,
    '',
    extra.title ?? '',
    '',
    '',
    '',
    location,
    `id${n}`,
    '',
  ],
  location,
});

function lastPush(rows: { cells: string[]; location: string }[]): LastPush {
  return lastPushOf(layout, rows);
}

const range = (from: number, to: number, location: string): { cells: string[]; location: string }[] =>
  Array.from({ length: to - from }, (_, i) => row(from + i, location));

const options = {
  maxArchive: 25,
  maxArchivePercent: 10,
  maxRename: 25,
  maxRenamePercent: 10,
  mustInclude: [],
  allowArchive: undefined,
  force: false,
};
const emails = (rows: { cells: string[] }[]): Set<string> => new Set(rows.map((r) => r.cells[2] ?? ''));

describe('plan', () => {
  it('a first push creates everyone', async () => {
    const plan = await computePlan(layout, undefined, range(0, 3, 'hq'), []);
    expect(plan).toMatchObject({ firstPush: true, unchanged: 0, update: [], archive: [] });
    expect(plan.create.map((c) => c.name)).toEqual([
      'F0 L0 <p0@x.org>',
      'F1 L1 <p1@x.org>',
      'F2 L2 <p2@x.org>',
    ]);
  });

  it('adds 3, updates 2 (a title, and an email under the same Identification), archives 1', async () => {
    const before = range(0, 10, 'hq');
    const now = [...range(0, 9, 'hq'), ...range(10, 13, 'hq')];
    now[1] = row(1, 'hq', { title: 'Boss' });
    now[2] = row(2, 'hq', { email: 'renamed@x.org' });
    const plan = await computePlan(layout, lastPush(before), now, []);
    expect(plan.create).toHaveLength(3);
    expect(plan.update.map((u) => [u.name, u.columns])).toEqual([
      ['F1 L1 <p1@x.org>', ['Business Title']],
      ['F2 L2 <renamed@x.org>', ['Email']],
    ]);
    // Each update says where, and what each changed column was and becomes.
    expect(plan.update.map((u) => [u.location, u.changes])).toEqual([
      ['hq', [{ column: 'Business Title', old: '', new: 'Boss' }]],
      ['hq', [{ column: 'Email', old: 'p2@x.org', new: 'renamed@x.org' }]],
    ]);
    expect(plan.archive.map((a) => a.name)).toEqual(['F9 L9 <p9@x.org>']);
    expect(plan.unchanged).toBe(7);
    expect(plan.locations.hq).toEqual({
      previous: 10,
      current: 12,
      create: 3,
      update: 2,
      archive: 1,
      rename: 0,
      unchanged: 7,
    });
  });

  it('matches the way the vendor does: a new Identification mapping updates by Email instead of archiving', async () => {
    const withoutId = range(0, 20, 'hq').map((r) => ({
      ...r,
      cells: r.cells.map((c, i) => (i === 9 ? '' : c)),
    }));
    const plan = await computePlan(layout, lastPush(withoutId), range(0, 20, 'hq'), []);
    expect(plan.archive).toEqual([]);
    expect(plan.create).toEqual([]);
    expect(plan.update).toHaveLength(20);
    expect(plan.update[0]?.columns).toEqual(['Identification']);
  });

  it('iLobby: a contact moving to another site is an update, not archive + create', async () => {
    const ilobby = compileLayout({ profile: 'ilobby', kind: 'ldap' }).set;
    // FIRSTNAME, LASTNAME, TITLE, DIVISION, EMAIL, MOBILE, DESKPHONE, SITE
    const at = (site: string): { cells: string[]; location: string } => ({
      cells: ['A', 'B', '', '', 'a@x.org', '', '', site],
      location: site,
    });
    const before: LastPush = {
      ...lastPush([]),
      contacts: {
        [identityOf(ilobby, at('HQ'))]: {
          location: 'HQ',
          hash: rowHash(at('HQ').cells),
          cells: at('HQ').cells,
        },
      },
    };
    const plan = await computePlan(ilobby, before, [at('Lab')], []);
    expect(plan.archive).toEqual([]);
    expect(plan.update.map((u) => u.columns)).toEqual([['SITE']]);
  });

  it('a last push holding an email in NFD matches the row of today in NFC: an update, no archive', async () => {
    const ilobby = compileLayout({ profile: 'ilobby', kind: 'ldap' }).set;
    const nfd = 'zoe\u0308@x.org';
    const old = { cells: ['Zoë', 'B', '', '', nfd, '', '', 'HQ'], location: 'HQ' };
    const now = { cells: ['Zoë', 'B', '', '', nfd.normalize('NFC'), '', '', 'HQ'], location: 'HQ' };
    // The key as an earlier release stored it: the email as read, in NFD.
    const before: LastPush = {
      ...lastPush([]),
      contacts: { [`email:${nfd}`]: { location: 'HQ', hash: rowHash(old.cells), cells: old.cells } },
    };
    const plan = await computePlan(ilobby, before, [now], []);
    expect(plan.archive).toEqual([]);
    expect(plan.create).toEqual([]);
    expect(plan.update.map((u) => u.columns)).toEqual([['EMAIL']]);
    // The Receptionist, without Identification: matched by email within the location.
    const cells = (email: string): string[] => ['Zoë', 'B', email, '', '', '', '', '', 'hq', '', ''];
    const stored: LastPush = {
      ...lastPush([]),
      contacts: {
        [`hq\u001femail:${nfd}`]: { location: 'hq', hash: rowHash(cells(nfd)), cells: cells(nfd) },
      },
    };
    const again = await computePlan(
      layout,
      stored,
      [{ cells: cells(nfd.normalize('NFC')), location: 'hq' }],
      [],
    );
    expect(again.archive).toEqual([]);
    expect(again.create).toEqual([]);
    expect(again.update).toHaveLength(1);
  });

  it('a rejected row of a contact pushed before is an archive, with the reasons', async () => {
    const before = range(0, 3, 'hq');
    const plan = await computePlan(layout, lastPush(before), range(0, 2, 'hq'), [
      { ...row(2, 'hq'), reasons: ['Email "x" is not a valid email address'] },
    ]);
    expect(plan.archive).toEqual([
      {
        key: identityOf(layout, row(2, 'hq')),
        location: 'hq',
        name: 'F2 L2 <p2@x.org>',
        rejectedBecause: ['Email "x" is not a valid email address'],
      },
    ]);
  });
});

describe('renames (the same directory entry with a new email or SMS phone)', () => {
  const ilobby = compileLayout({ profile: 'ilobby', kind: 'ldap' }).set;
  // FIRSTNAME, LASTNAME, TITLE, DIVISION, EMAIL, MOBILE, DESKPHONE, SITE
  const person = (
    n: number,
    site: string,
    domain = 'old.example',
    layout = ilobby,
  ): { cells: string[]; location: string; dn: string; id: string } => {
    const email = `p${n}@${domain}`;
    const cells =
      layout === ilobby
        ? [`F${n}`, `L${n}`, '', '', email, '', '', site]
        : [`F${n}`, `L${n}`, email, '', '', '', '', '', site, '', ''];
    return { cells, location: site, dn: `uid=p${n},ou=people`, id: `guid-${n}` };
  };
  /** A last push whose contacts carry their directory identity (as state lines now do). */
  const pushed = (
    rows: { cells: string[]; location: string; id?: string }[],
    layout = ilobby,
  ): OracleLastPush => ({
    ...lastPush([]),
    contacts: Object.fromEntries(
      rows.map((r) => [
        identityOf(layout, r),
        { location: r.location, hash: rowHash(r.cells), cells: r.cells, ...(r.id ? { id: r.id } : {}) },
      ]),
    ),
  });
  const people = (from: number, to: number, site: string, domain?: string) =>
    Array.from({ length: to - from }, (_, i) => person(from + i, site, domain));

  it('iLobby: a changed email is a rename (old → new, with the DN), still an archive and a create', async () => {
    const before = people(0, 5, 'hq');
    const now = [...people(0, 4, 'hq'), person(4, 'hq', 'new.example')];
    const plan = await computePlan(ilobby, pushed(before), now, []);
    expect(plan.totals).toEqual({ create: 1, update: 0, archive: 1, rename: 1 });
    expect(plan.renames).toEqual([
      {
        from: 'p4@old.example',
        to: 'p4@new.example',
        dn: 'uid=p4,ou=people',
        location: 'hq',
        name: 'F4 L4 <p4@new.example>',
      },
    ]);
    expect(plan.locations.hq).toMatchObject({ create: 1, archive: 1, rename: 1, unchanged: 4 });
  });

  it('iLobby: a rename that also moves site says both sites', async () => {
    const plan = await computePlan(ilobby, pushed([person(1, 'hq')]), [person(1, 'lab', 'new.example')], []);
    expect(plan.renames).toEqual([
      expect.objectContaining({
        from: 'p1@old.example',
        to: 'p1@new.example',
        location: 'hq',
        toLocation: 'lab',
      }),
    ]);
    expect(plan.locations.hq).toMatchObject({ archive: 1, rename: 1 });
  });

  it('a contact that another row still takes is not renamed: the new row is a plain create', async () => {
    // p1's old email is now on another entry (a new hire got the mailbox): no archive, no rename.
    const before = [person(1, 'hq')];
    const now = [person(1, 'hq', 'new.example'), { ...person(1, 'hq'), dn: 'uid=other', id: 'guid-other' }];
    const plan = await computePlan(ilobby, pushed(before), now, []);
    expect(plan.totals).toEqual({ create: 1, update: 0, archive: 0, rename: 0 });
    expect(plan.renames).toEqual([]);
  });

  it('two new rows of one directory entry rename its contact once', async () => {
    const before = [person(1, 'hq')];
    const now = [person(1, 'hq', 'a.example'), person(1, 'hq', 'b.example')];
    const plan = await computePlan(ilobby, pushed(before), now, []);
    expect(plan.renames.map((r) => r.to)).toEqual(['p1@a.example']);
    expect(plan.totals).toMatchObject({ create: 2, archive: 1, rename: 1 });
  });

  it('The Receptionist without Identification: a changed email is a rename within its location only', async () => {
    const reception = compileLayout({
      profile: 'receptionist',
      kind: 'ldap',
      columns: { Identification: '' },
    }).set;
    const at = (n: number, site: string, domain?: string) => person(n, site, domain, reception);
    const before = [at(1, 'hq'), at(2, 'hq')];
    // p1 keeps its location and changes email; p2's entry shows up in another location instead.
    const now = [at(1, 'hq', 'new.example'), at(2, 'lab', 'new.example')];
    const plan = await computePlan(reception, pushed(before, reception), now, []);
    expect(plan.renames.map((r) => [r.from, r.to, r.location])).toEqual([
      ['p1@old.example', 'p1@new.example', 'hq'],
    ]);
    expect(plan.totals).toEqual({ create: 2, update: 0, archive: 2, rename: 1 });
  });

  it('The Receptionist with Identification: a changed email is an update of Email, old → new', async () => {
    const withId = (r: ReturnType<typeof person>) => ({
      ...r,
      cells: r.cells.map((c, i) => (i === 9 ? r.id : c)),
    });
    const reception = layout;
    const before = [withId(person(1, 'hq', 'old.example', reception))];
    const now = [withId(person(1, 'hq', 'new.example', reception))];
    const plan = await computePlan(reception, pushed(before, reception), now, []);
    expect(plan.totals).toEqual({ create: 0, update: 1, archive: 0, rename: 0 });
    expect(plan.update[0]?.changes).toEqual([
      { column: 'Email', old: 'p1@old.example', new: 'p1@new.example' },
    ]);
  });

  it('a state without directory identities (earlier releases) detects no renames', async () => {
    const before = people(0, 3, 'hq').map((r) => ({ cells: r.cells, location: r.location }));
    const now = [...people(0, 2, 'hq'), person(2, 'hq', 'new.example')];
    const plan = await computePlan(ilobby, pushed(before), now, []);
    expect(plan.totals).toEqual({ create: 1, update: 0, archive: 1, rename: 0 });
  });

  describe('guards', () => {
    const guardOptions = { ...options, maxArchive: 1000, maxArchivePercent: 100 };
    const rebrand = async (opts = {}): Promise<ReturnType<typeof checkGuards>> => {
      // 10 of 40 people change domain, 2 leave.
      const before = people(0, 40, 'toronto');
      const now = [...people(0, 28, 'toronto'), ...people(30, 40, 'toronto', 'new.example')];
      return checkGuards(
        await computePlan(ilobby, pushed(before), now, []),
        pushed(before),
        { emails: new Set(), searches: {} },
        {
          ...guardOptions,
          ...opts,
        },
      );
    };

    it('the archive guard says how many of its archives are renames, with an example', async () => {
      const trips = await rebrand({ maxArchivePercent: 10, maxRenamePercent: 100 });
      expect(trips).toEqual([
        {
          guard: 'archive-percent',
          message:
            'would archive 12 of 40 contacts (30%) in location toronto; limit 10%; 10 of them are renames (the same people with a new email or SMS phone), e.g. p30@old.example → p30@new.example',
          location: 'toronto',
          archive: 12,
          rename: 10,
          total: 40,
          percent: 30,
          limit: 10,
        },
      ]);
    });

    it('a domain rebrand trips the rename limits, approved by --allow-rename N', async () => {
      expect(await rebrand({ maxRename: 9, maxRenamePercent: 100 })).toEqual([
        {
          guard: 'rename-limit',
          message:
            'would rename 10 of 40 contacts (25%) in location toronto; limit 9; e.g. p30@old.example → p30@new.example (for each, the vendor archives or disables the old record and creates a new one)',
          location: 'toronto',
          rename: 10,
          total: 40,
          percent: 25,
          limit: 9,
        },
      ]);
      expect((await rebrand()).map((t) => t.guard)).toEqual(['rename-percent']);
      expect(await rebrand({ maxRename: 10, maxRenamePercent: 25 })).toEqual([]);
      expect(await rebrand({ allowRename: 9 })).toHaveLength(1);
      expect(await rebrand({ allowRename: 10 })).toEqual([]);
    });

    it('the hint names exactly the flags that approve every trip', async () => {
      const counts = { archive: 12, rename: 10 };
      const both = await rebrand({ maxArchivePercent: 10 });
      expect(both.map((t) => t.guard)).toEqual(['archive-percent', 'rename-percent']);
      expect(approvalHint(both, counts)).toBe(
        'If the archives and renames are intended, approve them for one run with --allow-archive 12 --allow-rename 10; send it as it is with --force.',
      );
      expect(await rebrand({ maxArchivePercent: 10, allowArchive: 12, allowRename: 10 })).toEqual([]);
      // Archives approved already: the next run needs that flag again, with --allow-rename.
      const renamesOnly = await rebrand({ maxArchivePercent: 10, allowArchive: 12 });
      expect(approvalHint(renamesOnly, counts, { allowArchive: 12 })).toBe(
        'If the renames are intended, approve them for one run with --allow-archive 12 --allow-rename 10; send it as it is with --force.',
      );
      expect(approvalHint(renamesOnly, counts)).toContain('with --allow-rename 10;');
    });
  });
});

describe('guards', () => {
  const check = async (
    before: { cells: string[]; location: string }[],
    now: { cells: string[]; location: string }[],
    opts = {},
  ): Promise<ReturnType<typeof checkGuards>> =>
    checkGuards(
      await computePlan(layout, lastPush(before), now, []),
      lastPush(before),
      { emails: emails(now), searches: {} },
      { ...options, ...opts },
    );

  it('count limit per location: just under passes, just over trips', async () => {
    const before = range(0, 100, 'hq');
    expect(await check(before, range(0, 90, 'hq'), { maxArchive: 10, maxArchivePercent: 100 })).toEqual([]);
    expect(await check(before, range(0, 89, 'hq'), { maxArchive: 10, maxArchivePercent: 100 })).toEqual([
      {
        guard: 'archive-limit',
        message: 'would archive 11 of 100 contacts (11%) in location hq; limit 10',
        location: 'hq',
        archive: 11,
        total: 100,
        percent: 11,
        limit: 10,
      },
    ]);
  });

  it('percent limit per location: just under passes, just over trips', async () => {
    const before = range(0, 100, 'hq');
    expect(await check(before, range(0, 90, 'hq'), { maxArchive: 1000, maxArchivePercent: 10 })).toEqual([]);
    expect(await check(before, range(0, 89, 'hq'), { maxArchive: 1000, maxArchivePercent: 10 })).toEqual([
      {
        guard: 'archive-percent',
        message: 'would archive 11 of 100 contacts (11%) in location hq; limit 10%',
        location: 'hq',
        archive: 11,
        total: 100,
        percent: 11,
        limit: 10,
      },
    ]);
  });

  it('overall limits across locations, even when each location is under its own', async () => {
    const before = [...range(0, 10, 'a'), ...range(10, 20, 'b')];
    const now = [...range(0, 8, 'a'), ...range(10, 18, 'b')];
    expect(await check(before, now, { maxArchive: 3, maxArchivePercent: 100 })).toEqual([
      {
        guard: 'archive-limit',
        message: 'would archive 4 of 20 contacts (20%) in all locations; limit 3',
        archive: 4,
        total: 20,
        percent: 20,
        limit: 3,
      },
    ]);
    expect(await check(before, now, { maxArchive: 4, maxArchivePercent: 100 })).toEqual([]);
    // Exactly at the percent limit (2 of 10, 4 of 20 = 20%) passes; just under it trips everywhere.
    expect(await check(before, now, { maxArchive: 100, maxArchivePercent: 20 })).toEqual([]);
    expect(
      (await check(before, now, { maxArchive: 100, maxArchivePercent: 19 })).map((t) => t.message),
    ).toEqual([
      'would archive 2 of 10 contacts (20%) in location a; limit 19%',
      'would archive 2 of 10 contacts (20%) in location b; limit 19%',
      'would archive 4 of 20 contacts (20%) in all locations; limit 19%',
    ]);
  });

  it('the approval hint names --allow-archive only when it approves every trip', async () => {
    const before = range(0, 100, 'hq');
    const limits = await check(before, range(0, 50, 'hq'));
    expect(approvalHint(limits, { archive: 50, rename: 0 })).toContain('--allow-archive 50');
    // Following that hint clears the stop.
    expect(await check(before, range(0, 50, 'hq'), { allowArchive: 50 })).toEqual([]);
    const empty = await check(before, []);
    expect(empty.find((t) => t.guard === 'empty-export')).toMatchObject({ previous: 100 });
    expect(approvalHint(empty, { archive: 100, rename: 0 })).toBe(
      '--allow-archive does not approve empty-export: if the export is right as it is, send it with --force (this run only).',
    );
    expect(await check(before, [], { allowArchive: 100 })).not.toEqual([]);
    expect(await check(before, [], { force: true })).toEqual([]);
  });

  it('--allow-archive approves up to N archives; fewer than planned does not', async () => {
    const before = range(0, 100, 'hq');
    const now = range(0, 50, 'hq');
    expect(await check(before, now, { allowArchive: 49 })).toHaveLength(1);
    expect(await check(before, now, { allowArchive: 50 })).toEqual([]);
    expect(await check(before, now, { force: true })).toEqual([]);
  });

  it('an empty export or an emptied location is refused even with --allow-archive; --force sends it', async () => {
    const before = [...range(0, 5, 'a'), ...range(5, 10, 'b')];
    expect((await check(before, [], { allowArchive: 1000 })).map((t) => t.guard)).toEqual(['empty-export']);
    expect(await check(before, range(0, 5, 'a'), { allowArchive: 1000 })).toEqual([
      {
        guard: 'empty-location',
        message: 'location b has no rows now but had 5 in the last push',
        location: 'b',
        previous: 5,
      },
    ]);
    expect(await check(before, [], { force: true })).toEqual([]);
    expect(
      checkGuards(
        await computePlan(layout, undefined, [], []),
        undefined,
        { emails: new Set(), searches: {} },
        options,
      ).map((t) => t.guard),
    ).toEqual(['empty-export']);
  });

  it('rows from extraContacts files do not make an emptied location or export look read', async () => {
    const withFiles = async (
      before: { cells: string[]; location: string }[],
      now: { cells: string[]; location: string }[],
      extras: Record<string, number>,
    ): Promise<string[]> =>
      checkGuards(
        await computePlan(layout, lastPush(before), now, []),
        lastPush(before),
        { emails: emails(now), searches: {}, extras },
        { ...options, allowArchive: 1000 },
      ).map((t) => `${t.guard}: ${t.message}`);
    // b's directory rows are gone; its one contractor (row 99) is all that is left.
    const before = [...range(0, 5, 'a'), ...range(10, 15, 'b'), ...range(99, 100, 'b')];
    expect(await withFiles(before, [...range(0, 5, 'a'), ...range(99, 100, 'b')], { b: 1 })).toEqual([
      'empty-location: location b has no rows from the directory now (only 1 from extraContacts files) but had 6 in the last push',
    ]);
    expect(await withFiles(before, range(99, 100, 'b'), { b: 1 })).toEqual([
      'empty-export: the directory gave no rows at all (only the 1 of the extraContacts files): the vendor would archive every other contact',
    ]);
    // A location of the files only (a front desk) is not emptied when the last push held no more.
    const desk = [...range(0, 5, 'a'), ...range(99, 100, 'b')];
    expect(await withFiles(desk, desk, { b: 1 })).toEqual([]);
    expect(await withFiles(range(99, 100, 'b'), range(99, 100, 'b'), { b: 1 })).toEqual([]);
  });

  it('a search that returned entries last time and nothing now trips the incomplete-read guard', async () => {
    const before = { ...lastPush(range(0, 5, 'hq')), searches: { 'hq | ou=a': 3, 'hq | ou=b': 2 } };
    const plan = await computePlan(layout, before, range(0, 3, 'hq'), []);
    const trips = checkGuards(
      plan,
      before,
      { emails: new Set(), searches: { 'hq | ou=a': 3, 'hq | ou=b': 0 } },
      { ...options, maxArchive: 100, maxArchivePercent: 100 },
    );
    expect(trips).toEqual([
      {
        guard: 'incomplete-read',
        message:
          'the search hq | ou=b returned nothing, but 2 entries last time (renamed OU, filter change or lost read rights?)',
        location: 'hq',
        search: 'hq | ou=b',
        previous: 2,
      },
    ]);
  });

  it('must-include canaries', async () => {
    const now = range(0, 3, 'hq');
    expect(await check(now, now, { mustInclude: ['p1@x.org'] })).toEqual([]);
    expect(await check(now, now, { mustInclude: ['ceo@x.org', 'p1@x.org'] })).toEqual([
      {
        guard: 'must-include',
        message: 'safety.mustInclude contacts are missing from the export: ceo@x.org',
        missing: ['ceo@x.org'],
      },
    ]);
  });
});
