import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { startMockServer, type MockServer } from '../../src/mock-server/server.js';
import { runAdsync } from '../harness/cli.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { asRoot, startExampleSlapd, type Slapd } from '../harness/slapd.js';

const skip = inject('slapdSkip');
const SECRET = 'explain-client-secret-0123456789';
const ENV = { TEST_BIND_PASSWORD: 'svc-password-123', ADSYNC_CLIENT_SECRET: SECRET };
const SUFFIX = 'dc=example,dc=com';
const HQ = `ou=hq,ou=people,${SUFFIX}`;
const WAREHOUSE = `ou=warehouse,ou=people,${SUFFIX}`;
const STAFF = `cn=warehouse-staff,ou=groups,${SUFFIX}`;

/** People the fixture lacks: one without a last name (a space), one outside every location's OUs. */
const EXTRA_PEOPLE = `dn: uid=nosn,${HQ}
objectClass: inetOrgPerson
uid: nosn
cn: Nora Nosn
givenName: Nora
sn:: IA==
mail: nora@example.com
employeeNumber: 1020

dn: uid=olga,ou=services,${SUFFIX}
objectClass: inetOrgPerson
uid: olga
cn: Olga Outside
givenName: Olga
sn: Outside
mail: olga@example.com
employeeNumber: 1021
`;

interface Location {
  slug: string;
  matched: boolean;
  why: string[];
  row: { column: string; value: string; from?: string }[];
  verdict: string;
  reasons: string[];
  duplicateOf?: { column: string; value: string; dn: string }[];
  action: string;
  changes: { column: string; old: string; new: string }[];
  archiveBecause?: string[];
  lastPushed: { column: string; value: string }[] | null;
}
interface Report {
  command: string;
  status: string;
  query: string;
  people: { dn: string; name: string; locations: Location[] }[];
  lastPush: { time: string; contacts: number } | null;
  inLastPush: { location: string; row: { column: string; value: string }[]; next?: string }[];
}

const at = (report: Report, uid: string, slug: string): Location => {
  const person = report.people.find((p) => p.dn.startsWith(`uid=${uid},`));
  const location = person?.locations.find((l) => l.slug === slug);
  if (!location) throw new Error(`no ${uid} in ${slug}: ${JSON.stringify(report.people.map((p) => p.dn))}`);
  return location;
};

const cell = (row: { column: string; value: string }[] | null, column: string): string | undefined =>
  row?.find((c) => c.column === column)?.value;

/** Every file under a directory with its size and modification time: what "writes nothing" compares. */
async function snapshot(dir: string): Promise<string[]> {
  const names = await readdir(dir, { recursive: true });
  return Promise.all(
    names.sort().map(async (n) => {
      const info = await stat(join(dir, n));
      return `${n} ${info.size} ${info.mtimeMs}`;
    }),
  );
}

describe.skipIf(skip !== '')(`adsync explain (CLI, slapd, LDIF)${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  let slapd: Slapd;
  let mock: MockServer;
  let cwd: string;

  const config = (directory: Record<string, unknown> = {}): Record<string, unknown> => ({
    ...pushConfig(
      { ldapUrl: slapd.url, mockUrl: mock.url, caFile: join(cwd, 'mock-ca.pem') },
      {},
      { baseDN: SUFFIX, ...directory },
    ),
    locations: [
      { slug: 'hq', ous: [HQ] },
      { slug: 'warehouse', ous: [WAREHOUSE] },
      { slug: 'lab', groups: [STAFF] },
    ],
    columns: { Identification: 'employeeNumber' },
    phone: { defaultCountry: 'CA' },
    output: { dir: './out' },
  });

  const explain = async (query: string, dir = cwd): Promise<Report> => {
    const run = await runAdsync(['explain', query, '--json'], { cwd: dir, env: ENV });
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as Report;
  };

  beforeAll(async () => {
    slapd = await startExampleSlapd();
    mock = await startMockServer({ clients: [{ id: 'adsync', secret: SECRET }] });
    cwd = await tempDir();
    await writeFile(join(cwd, 'mock-ca.pem'), mock.certificate);
    const extra = join(cwd, 'extra.ldif');
    await writeFile(extra, EXTRA_PEOPLE);
    await asRoot(slapd, 'ldapmodify', SUFFIX, ['-a', '-f', extra]);
    await writeConfig(cwd, config());
    const first = await runAdsync(['push', '--first-push'], { cwd, env: ENV });
    expect(first.code, first.stderr).toBe(0);
    // Since the last good push: Ada promoted, Walt deleted, Sam's last name blanked.
    const changes = join(cwd, 'changes.ldif');
    await writeFile(
      changes,
      [
        `dn: uid=ada,${HQ}`,
        'changetype: modify',
        'replace: title',
        'title: Chief Scientist',
        '',
        `dn: uid=walt,${WAREHOUSE}`,
        'changetype: delete',
        '',
        `dn: uid=sam,${HQ}`,
        'changetype: modify',
        'replace: sn',
        'sn:: IA==',
        '',
      ].join('\n'),
    );
    await asRoot(slapd, 'ldapmodify', SUFFIX, ['-f', changes]);
  });

  afterAll(async () => {
    await mock.stop();
    await slapd.stop();
  });

  it('a valid person: matched by OU and by group (the membership said), an update old → new, what the vendor has', async () => {
    const report = await explain('ada@example.com');
    expect(report).toMatchObject({ command: 'explain', status: 'ok', query: 'ada@example.com' });
    expect(report.people.map((p) => p.dn)).toEqual([`uid=ada,${HQ}`]);
    expect(report.lastPush?.contacts).toBeGreaterThan(0);
    const hq = at(report, 'ada', 'hq');
    expect(hq).toMatchObject({ matched: true, verdict: 'valid', reasons: [], action: 'update' });
    expect(hq.changes).toEqual([{ column: 'Business Title', old: 'Chief Analyst', new: 'Chief Scientist' }]);
    expect(cell(hq.lastPushed, 'Business Title')).toBe('Chief Analyst');
    expect(hq.row.find((c) => c.column === 'Email')).toEqual({
      column: 'Email',
      value: 'ada@example.com',
      from: 'mail',
    });
    const lab = at(report, 'ada', 'lab');
    expect(lab).toMatchObject({ matched: true, verdict: 'valid', action: 'update' });
    expect(lab.why).toContain(`member of ${STAFF} (directly)`);
    const warehouse = at(report, 'ada', 'warehouse');
    expect(warehouse).toMatchObject({
      matched: false,
      verdict: 'not-matched',
      action: 'none',
      lastPushed: null,
    });
    expect(warehouse.why).toEqual([`outside ${WAREHOUSE} (not in its subtree)`]);
    // The human form says the same on stdout.
    const human = await runAdsync(['explain', 'ada'], { cwd, env: ENV });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('hq: sent; the next push updates the contact');
    expect(human.stdout).toContain('changes: Business Title "Chief Analyst" → "Chief Scientist"');
    expect(human.stdout).toContain('warehouse: not selected; the next push does nothing with it');
  });

  it('someone outside every OU and not in the group: not matched anywhere, and why', async () => {
    const report = await explain('olga');
    const person = report.people.find((p) => p.dn === `uid=olga,ou=services,${SUFFIX}`);
    expect(person?.locations.map((l) => [l.slug, l.verdict, l.action])).toEqual([
      ['hq', 'not-matched', 'none'],
      ['lab', 'not-matched', 'none'],
      ['warehouse', 'not-matched', 'none'],
    ]);
    expect(at(report, 'olga', 'hq').why).toEqual([`outside ${HQ} (not in its subtree)`]);
    expect(at(report, 'olga', 'lab').why).toEqual([
      `not a member of ${STAFF}, directly or through nested groups (groups checked: none)`,
    ]);
    // The row is still shown as it would be mapped.
    expect(cell(at(report, 'olga', 'hq').row, 'Last Name')).toBe('Outside');
  });

  it('without directory.baseDN, someone outside every OU is found in the naming contexts: not matched, why, no slug', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'mock-ca.pem'), mock.certificate);
    // pushConfig's directory has no baseDN (config() adds one).
    const { directory } = pushConfig({
      ldapUrl: slapd.url,
      mockUrl: mock.url,
      caFile: join(dir, 'mock-ca.pem'),
    });
    await writeConfig(dir, {
      ...config(),
      directory,
      locations: [
        { slug: 'hq', ous: [HQ] },
        { slug: 'warehouse', ous: [WAREHOUSE] },
      ],
    });
    const report = await explain('olga', dir);
    const person = report.people.find((p) => p.dn === `uid=olga,ou=services,${SUFFIX}`);
    expect(person?.locations.map((l) => [l.slug, l.verdict])).toEqual([
      ['hq', 'not-matched'],
      ['warehouse', 'not-matched'],
    ]);
    expect(at(report, 'olga', 'hq').why).toEqual([`outside ${HQ} (not in its subtree)`]);
    const human = await runAdsync(['explain', 'olga'], { cwd: dir, env: ENV });
    expect(human.stdout).toContain('row (as it would be mapped; in no location):');
    expect(human.stdout).not.toMatch(/Location Slug.*hq/);
  });

  it('rejected for a missing last name; one that the last push had is archived, with the reason', async () => {
    const nora = at(await explain('nora@example.com'), 'nosn', 'hq');
    expect(nora).toMatchObject({ matched: true, verdict: 'rejected', action: 'none', lastPushed: null });
    expect(nora.reasons).toEqual(['Last Name is required but empty']);
    const sam = at(await explain('uid=sam,ou=hq,ou=people,dc=example,dc=com'), 'sam', 'hq');
    expect(sam).toMatchObject({
      verdict: 'rejected',
      action: 'archive',
      archiveBecause: ['Last Name is required but empty'],
    });
    expect(cell(sam.lastPushed, 'Last Name')).toBe('Rocket');
  });

  it("a duplicate email that is both rows' only key, held by neither: both rejected, each naming the other; a name part finds both", async () => {
    const report = await explain('Dup');
    expect(report.people.map((p) => p.dn).sort()).toEqual([`uid=dup1,${HQ}`, `uid=dup2,${HQ}`]);
    for (const [uid, other, name] of [
      ['dup1', 'dup2', 'Dora'],
      ['dup2', 'dup1', 'Dana'],
    ] as const) {
      const fate = at(report, uid, 'hq');
      expect(fate).toMatchObject({
        matched: true,
        verdict: 'duplicate',
        action: 'none',
        duplicateOf: [{ column: 'Email', value: 'dup@example.com', dn: `uid=${other},${HQ}` }],
      });
      expect(fate.reasons).toEqual([
        `duplicate Email "dup@example.com" is also on the row of ${name} Dup <dup@example.com> (uid=${other},${HQ}), and nobody held it in the last push: left empty on each of them, and the row has no other key the vendor could match it by`,
      ]);
    }
  });

  it('a non-member of the location group: not matched there, the groups checked', async () => {
    const zoe = await explain('zoe');
    expect(at(zoe, 'zoe', 'hq')).toMatchObject({ verdict: 'valid', action: 'unchanged' });
    expect(at(zoe, 'zoe', 'lab')).toMatchObject({ matched: false, verdict: 'not-matched', action: 'none' });
    expect(at(zoe, 'zoe', 'lab').why).toEqual([
      `not a member of ${STAFF}, directly or through nested groups (groups checked: none)`,
    ]);
  });

  it('someone deleted since the last push: not found, and the last push had them; exit 0, nothing written', async () => {
    const before = await snapshot(cwd);
    const report = await explain('walt@example.com');
    expect(report.people).toEqual([]);
    expect(report.inLastPush.map((c) => [c.location, cell(c.row, 'Email'), c.next])).toEqual([
      ['warehouse', 'walt@example.com', 'archive'],
    ]);
    const human = await runAdsync(['explain', 'nobody-such@example.com'], { cwd, env: ENV });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('nobody in the directory matches "nobody-such@example.com"');
    expect(human.stdout).toContain('has no contact with that email either');
    // Read-only: no lock, no state, no CSV, no history line.
    expect(await snapshot(cwd)).toEqual(before);
  });

  it('without a person, or with a blank one, it is a usage error (exit 2)', async () => {
    const none = await runAdsync(['explain'], { cwd, env: ENV });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("missing required argument 'person'");
    const blank = await runAdsync(['explain', '  '], { cwd, env: ENV });
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain('explain needs a person: an email, a login, a DN or part of a name');
  });

  it('an LDIF export gives the same verdicts, searches and actions', async () => {
    const dir = await tempDir();
    const fixture = await readFile(new URL('../fixtures/example.ldif', import.meta.url), 'utf8');
    await writeFile(join(dir, 'people.ldif'), `${fixture}\n${EXTRA_PEOPLE}`);
    await writeConfig(dir, {
      ...config(),
      directory: { kind: 'ldif', file: './people.ldif', flavor: 'ldap', baseDN: SUFFIX },
    });
    const summary = (r: Report): string[][] =>
      r.people
        .flatMap((p) => p.locations.map((l) => [p.dn, l.slug, l.verdict, l.action, ...l.why, ...l.reasons]))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    for (const query of ['ada', 'olga', 'nora@example.com', 'Dup', 'zoe']) {
      const report = await explain(query, dir);
      expect(report.lastPush).toBeNull();
      expect(report.people.length, query).toBeGreaterThan(0);
      // No last push here: every sent row is a create; the rest are the same as on slapd.
      const onSlapd = summary(await explain(query)).map((s) =>
        s[2] === 'valid'
          ? s.map((v, i) => (i === 3 ? 'create' : v))
          : s.map((v, i) => (i === 3 ? 'none' : v)),
      );
      expect(summary(report), query).toEqual(onSlapd);
    }
  });
});
