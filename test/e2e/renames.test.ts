import { readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { MockServer } from '../../src/mock-server/server.js';
import { runAdsync, type CliRun } from '../harness/cli.js';
import { mockTarget } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { startTrustedMock } from '../harness/mock.js';
import { asRoot, startSlapd, type Slapd } from '../harness/slapd.js';

const skip = inject('slapdSkip');
const SECRET = 'renames-client-secret-0123456789';
const ENV = { TEST_BIND_PASSWORD: 'svc-password-123', ADSYNC_CLIENT_SECRET: SECRET };
const SUFFIX = 'dc=example,dc=com';
const TORONTO = `ou=toronto,ou=people,${SUFFIX}`;
const PEOPLE = 40;
type Profile = 'ilobby' | 'receptionist';
interface NotFound {
  people: unknown[];
  inLastPush: { location: string; next?: string; renamedTo?: string; now?: string }[];
}
interface ExplainedLocation {
  slug: string;
  verdict: string;
  action: string;
  changes: { column: string; old: string; new: string }[];
  rename?: { from: string; to: string; location: string };
  lastPushed: { column: string; value: string }[] | null;
}

const uid = (n: number): string => `p${String(n).padStart(2, '0')}`;
const dnOf = (n: number): string => `uid=${uid(n)},${TORONTO}`;
const mailOf = (n: number, domain: string): string => `${uid(n)}@${domain}`;

/** One OU of 40 people, all at old.example. */
const TORONTO_LDIF = [
  `dn: ${TORONTO}\nobjectClass: organizationalUnit\nou: toronto\n`,
  ...Array.from(
    { length: PEOPLE },
    (_, n) =>
      `dn: ${dnOf(n)}\nobjectClass: inetOrgPerson\nuid: ${uid(n)}\ncn: Pat ${uid(n)}\ngivenName: Pat\nsn: ${uid(n)}\nmail: ${mailOf(n, 'old.example')}\n`,
  ),
].join('\n');

describe.skipIf(skip !== '')(
  `renames: a changed email of the same directory entry (CLI, slapd, mock vendor)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    let slapd: Slapd;
    /** iLobby (matches by email) and The Receptionist (by Identification = entryUUID), each its own account. */
    const vendors = new Map<Profile, { mock: MockServer; cwd: string }>();
    const vendor = (profile: Profile): { mock: MockServer; cwd: string } => {
      const v = vendors.get(profile);
      if (!v) throw new Error(`no ${profile} vendor`);
      return v;
    };
    let work: string;

    const sh = (profile: Profile, args: string[]): Promise<CliRun> =>
      runAdsync(args, { cwd: vendor(profile).cwd, env: ENV });

    /** Set the mail of people n (in order) to the domain. */
    const setDomain = async (people: number[], domain: string): Promise<void> => {
      const file = join(work, `mail-${domain}-${people.length}.ldif`);
      await writeFile(
        file,
        people
          .map((n) => `dn: ${dnOf(n)}\nchangetype: modify\nreplace: mail\nmail: ${mailOf(n, domain)}\n`)
          .join('\n'),
      );
      await asRoot(slapd, 'ldapmodify', SUFFIX, ['-f', file]);
    };

    const report = (run: CliRun): { plan: Record<string, unknown>; guards?: { guard: string }[] } =>
      JSON.parse(run.stdout) as { plan: Record<string, unknown>; guards?: { guard: string }[] };

    /** The locations of the one person an `explain --json` found. */
    const explained = (run: CliRun): ExplainedLocation[] => {
      const parsed = JSON.parse(run.stdout) as { people: { locations: ExplainedLocation[] }[] };
      expect(parsed.people).toHaveLength(1);
      return parsed.people[0]?.locations ?? [];
    };

    beforeAll(async () => {
      slapd = await startSlapd([
        {
          suffix: SUFFIX,
          groupClass: 'groupOfNames',
          ldif: [
            { file: fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url)) },
            { text: TORONTO_LDIF },
          ],
        },
      ]);
      work = await tempDir();
      for (const profile of ['ilobby', 'receptionist'] as const) {
        const { mock, caFile } = await startTrustedMock(SECRET);
        const cwd = await tempDir();
        vendors.set(profile, { mock, cwd });
        await writeConfig(cwd, {
          directory: {
            kind: 'ldap',
            url: slapd.url,
            bindDN: `cn=adsync,ou=services,${SUFFIX}`,
            bindPassword: '${env:TEST_BIND_PASSWORD}',
          },
          locations: [{ slug: 'toronto', ous: [TORONTO] }],
          target: {
            ...mockTarget(mock.url, caFile),
            profile,
            ...(profile === 'ilobby' ? { uploadUrl: `${mock.url}/addressbook/uploadcsv` } : {}),
          },
          output: { dir: './out' },
        });
        const first = await sh(profile, ['push', '--first-push']);
        expect(first.code, first.stderr).toBe(0);
        expect(first.stderr).toContain(`all ${PEOPLE} contacts are new`);
      }
    });

    afterAll(async () => {
      for (const v of vendors.values()) await v.mock.stop();
      await slapd.stop();
    });

    it('one changed mail: iLobby plans a rename (old → new); The Receptionist, matching on Identification, an update', async () => {
      await setDomain([0], 'new.example');
      const ilobby = await sh('ilobby', ['push', '--dry-run', '--json']);
      expect(ilobby.code, ilobby.stderr).toBe(0);
      expect(report(ilobby).plan).toMatchObject({
        create: 1,
        update: 0,
        archive: 1,
        rename: 1,
        unchanged: PEOPLE - 1,
        renames: [
          { from: mailOf(0, 'old.example'), to: mailOf(0, 'new.example'), dn: dnOf(0), location: 'toronto' },
        ],
        locations: { toronto: { archive: 1, rename: 1 } },
      });
      expect(ilobby.stderr).toContain('1 of the archives is a rename');
      expect(ilobby.stderr).toContain(
        `renames: ${mailOf(0, 'old.example')} → ${mailOf(0, 'new.example')} [toronto]`,
      );
      expect(ilobby.stderr).toContain(
        'the vendor archives or disables each old record and creates a new one',
      );

      const receptionist = await sh('receptionist', ['push', '--dry-run', '--json']);
      expect(receptionist.code, receptionist.stderr).toBe(0);
      expect(report(receptionist).plan).toMatchObject({
        create: 0,
        update: 1,
        archive: 0,
        rename: 0,
        renames: [],
      });
      expect(receptionist.stderr).toContain(
        `Email "${mailOf(0, 'old.example')}" → "${mailOf(0, 'new.example')}"`,
      );

      // explain tells the same story for the one person: a rename at iLobby, an update at The Receptionist.
      const told = await sh('ilobby', ['explain', uid(0), '--json']);
      expect(told.code, told.stderr).toBe(0);
      const [atIlobby] = explained(told);
      expect(atIlobby).toMatchObject({
        slug: 'toronto',
        verdict: 'valid',
        action: 'create',
        rename: { from: mailOf(0, 'old.example'), to: mailOf(0, 'new.example'), location: 'toronto' },
      });
      expect(atIlobby?.lastPushed).toContainEqual({ column: 'EMAIL', value: mailOf(0, 'old.example') });
      const text = await sh('ilobby', ['explain', uid(0)]);
      expect(text.stderr + text.stdout).toContain(
        `a rename: ${mailOf(0, 'old.example')} → ${mailOf(0, 'new.example')}`,
      );
      const byId = await sh('receptionist', ['explain', mailOf(0, 'new.example'), '--json']);
      expect(byId.code, byId.stderr).toBe(0);
      const [atReceptionist] = explained(byId);
      expect(atReceptionist).toMatchObject({ action: 'update' });
      expect(atReceptionist?.rename).toBeUndefined();
      expect(atReceptionist?.changes).toContainEqual({
        column: 'Email',
        old: mailOf(0, 'old.example'),
        new: mailOf(0, 'new.example'),
      });

      // Asked after by the old email: nobody has it now, and what the next push does with the old contact.
      const oldMail = mailOf(0, 'old.example');
      const gone = JSON.parse((await sh('ilobby', ['explain', oldMail, '--json'])).stdout) as NotFound;
      expect(gone.people).toEqual([]);
      expect(gone.inLastPush).toMatchObject([
        { location: 'toronto', next: 'archive', renamedTo: mailOf(0, 'new.example') },
      ]);
      const kept = JSON.parse((await sh('receptionist', ['explain', oldMail, '--json'])).stdout) as NotFound;
      expect(kept.inLastPush).toMatchObject([{ location: 'toronto', next: 'update' }]);
      expect(kept.inLastPush[0]?.now).toContain(mailOf(0, 'new.example'));
      const told2 = await sh('receptionist', ['explain', oldMail]);
      expect(told2.stdout).toContain('the next push updates it: the vendor matches it by Identification');
      await setDomain([0], 'old.example');
    });

    it('a rebrand of 10 of 40 stops the iLobby push (exit 3) until --allow-archive 10 --allow-rename 10; then the vendor holds the new emails', async () => {
      const { mock } = vendor('ilobby');
      const rebranded = Array.from({ length: 10 }, (_, i) => 30 + i);
      await setDomain(rebranded, 'new.example');
      const uploads = mock.uploads().length;

      const stopped = await sh('ilobby', ['push']);
      expect(stopped.code).toBe(3);
      expect(stopped.stderr).toContain(
        `would archive 10 of 40 contacts (25%) in location toronto; limit 10% (counted above 2 archives); 10 of them are renames (the same people with a new email or SMS phone), e.g. ${mailOf(30, 'old.example')} → ${mailOf(30, 'new.example')}`,
      );
      expect(stopped.stderr).toContain(
        `rename-percent: would rename 10 of 40 contacts (25%) in location toronto; limit 10% (counted above 2 renames); e.g. ${mailOf(30, 'old.example')} → ${mailOf(30, 'new.example')} (for each, the vendor archives or disables the old record and creates a new one)`,
      );
      expect(stopped.stderr).toContain('approve them for one run with --allow-archive 10 --allow-rename 10;');

      // Each flag approves its own guard only; the hint keeps naming both.
      const renamesOnly = await sh('ilobby', ['push', '--allow-rename', '10', '--json']);
      expect(renamesOnly.code).toBe(3);
      expect(report(renamesOnly).guards?.map((g) => g.guard)).toEqual(['archive-percent']);
      const archivesOnly = await sh('ilobby', ['push', '--allow-archive', '10']);
      expect(archivesOnly.code).toBe(3);
      expect(archivesOnly.stderr).toContain('rename-percent');
      expect(archivesOnly.stderr).not.toContain('archive-percent');
      expect(archivesOnly.stderr).toContain('--allow-archive 10 --allow-rename 10');
      expect(mock.uploads().length).toBe(uploads);

      const approved = await sh('ilobby', [
        'push',
        '--allow-archive',
        '10',
        '--allow-rename',
        '10',
        '--json',
      ]);
      expect(approved.code, approved.stderr).toBe(0);
      const plan = report(approved).plan;
      expect(plan).toMatchObject({ create: 10, archive: 10, rename: 10 });
      expect((plan.renames as { from: string; to: string }[]).map((r) => `${r.from} → ${r.to}`)).toEqual(
        rebranded.map((n) => `${mailOf(n, 'old.example')} → ${mailOf(n, 'new.example')}`),
      );
      // The plan file lists every rename too.
      const planFile = JSON.parse(await readFile(plan.path as string, 'utf8')) as {
        renames: { dn: string }[];
        totals: { rename: number };
      };
      expect(planFile.totals.rename).toBe(10);
      expect(planFile.renames.map((r) => r.dn)).toEqual(rebranded.map(dnOf));

      // The vendor: the new emails active, the old records disabled.
      const active = mock
        .contacts()
        .filter((c) => c.status === 'active')
        .map((c) => c.fields.EMAIL);
      const disabled = mock
        .contacts()
        .filter((c) => c.status === 'disabled')
        .map((c) => c.fields.EMAIL);
      for (const n of rebranded) {
        expect(active).toContain(mailOf(n, 'new.example'));
        expect(disabled).toContain(mailOf(n, 'old.example'));
      }
      expect(active).toHaveLength(PEOPLE);

      const next = await sh('ilobby', ['push', '--json']);
      expect(next.code, next.stderr).toBe(0);
      expect(report(next).plan).toMatchObject({
        create: 0,
        update: 0,
        archive: 0,
        rename: 0,
        unchanged: PEOPLE,
      });
    });

    it("the state keeps each contact's entryUUID beside its row", async () => {
      const dir = join(vendor('ilobby').cwd, 'adsync-state');
      const name = (await readdir(dir)).find((n) => /^state-.*\.json$/.test(n)) ?? '';
      const lines = (await readFile(join(dir, name), 'utf8')).trimEnd().split('\n').slice(1);
      expect(lines).toHaveLength(PEOPLE);
      for (const line of lines) expect((JSON.parse(line) as unknown[])[4]).toMatch(/^[0-9a-f-]{36}$/);
    });
  },
);
