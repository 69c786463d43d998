import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { startMockServer, type MockServer } from '../../src/mock-server/server.js';
import { runAdsync, type CliRun } from '../harness/cli.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { asRoot, startExampleSlapd, type Slapd } from '../harness/slapd.js';

const skip = inject('slapdSkip');
const SECRET = 'nested-groups-client-secret-0123';
const ENV = { TEST_BIND_PASSWORD: 'svc-password-123', ADSYNC_CLIENT_SECRET: SECRET };
const SUFFIX = 'dc=example,dc=com';
const HQ = `ou=hq,ou=people,${SUFFIX}`;
const GROUPS = `ou=groups,${SUFFIX}`;
const STAFF = `cn=warehouse-staff,${GROUPS}`;
const FORKLIFT = `cn=forklift,${GROUPS}`;
const SAFETY = `cn=safety,${GROUPS}`;
const LOOP_A = `cn=loop-a,${GROUPS}`;
const LOOP_B = `cn=loop-b,${GROUPS}`;
const NORA = `uid=nora,${HQ}`;
/** One level more than adsync walks (16). */
const DEEP = 17;

const person = (uid: string, first: string, last: string, number: number): string =>
  `dn: uid=${uid},${HQ}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${first} ${last}\ngivenName: ${first}\nsn: ${last}\nmail: ${uid}@example.com\nemployeeNumber: ${number}\n`;
const group = (dn: string, ...members: string[]): string =>
  `dn: ${dn}\nobjectClass: groupOfNames\ncn: ${/^cn=([^,]+)/.exec(dn)?.[1] ?? ''}\n${members.map((m) => `member: ${m}\n`).join('')}`;
const addMembers = (dn: string, ...members: string[]): string =>
  `dn: ${dn}\nchangetype: modify\nadd: member\n${members.map((m) => `member: ${m}\n`).join('')}`;
const deep = (i: number): string => `cn=deep-${i},${GROUPS}`;

/**
 * Warehouse Staff (Ada, Wendy) gains Safety, which holds Forklift, which holds Nora; and Loop A,
 * which holds Loop B, which holds Cy and Loop A again (a cycle). Deep 0 holds Deep 1 … Deep 17,
 * which holds Dee: one level deeper than adsync walks. Each group is added after the groups it
 * holds, so the memberOf overlay sees them.
 */
const NESTING = [
  person('nora', 'Nora', 'Nested', 1030),
  person('cy', 'Cy', 'Cycle', 1031),
  person('dee', 'Dee', 'Deep', 1032),
  group(FORKLIFT, NORA),
  group(SAFETY, FORKLIFT),
  group(LOOP_B, `uid=cy,${HQ}`),
  group(LOOP_A, LOOP_B),
  addMembers(LOOP_B, LOOP_A),
  addMembers(STAFF, SAFETY, LOOP_A),
  group(deep(DEEP), `uid=dee,${HQ}`),
  ...Array.from({ length: DEEP }, (_, i) => group(deep(DEEP - 1 - i), deep(DEEP - i))),
].join('\n');

interface PushReport {
  warnings: { location?: string; message: string }[];
  csvPath: string;
}

describe.skipIf(skip !== '')(
  `nested groups on plain LDAP (CLI, slapd, mock vendor)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    let slapd: Slapd;
    let mock: MockServer;
    let caFile: string;

    const config = (warehouse: Record<string, unknown> = {}): Record<string, unknown> => ({
      ...pushConfig({ ldapUrl: slapd.url, mockUrl: mock.url, caFile }, {}, { baseDN: SUFFIX }),
      locations: [
        { slug: 'hq', ous: [HQ] },
        { slug: 'warehouse', groups: [STAFF], ...warehouse },
      ],
      columns: { Identification: 'employeeNumber' },
      phone: { defaultCountry: 'CA' },
      output: { dir: './out' },
    });
    const sh = (args: string[], cwd: string): Promise<CliRun> => runAdsync(args, { cwd, env: ENV });
    const csvNames = async (path: string, slug: string): Promise<string[]> =>
      parse<Record<string, string>>(await readFile(path, 'utf8'), { columns: true, bom: true })
        .filter((r) => r['Location Slug'] === slug)
        .map((r) => `${r['First Name']} ${r['Last Name']}`)
        .sort();
    const notFollowed = `location warehouse: group ${STAFF} has member groups whose members are left out (nested: false counts direct members only): ${SAFETY}; ${LOOP_A}; remove nested: false to include them`;

    beforeAll(async () => {
      slapd = await startExampleSlapd();
      mock = await startMockServer({ clients: [{ id: 'adsync', secret: SECRET }] });
      const dir = await tempDir();
      caFile = join(dir, 'mock-ca.pem');
      await writeFile(caFile, mock.certificate);
      const ldif = join(dir, 'nesting.ldif');
      await writeFile(ldif, NESTING);
      await asRoot(slapd, 'ldapmodify', SUFFIX, ['-a', '-f', ldif]);
    });
    afterAll(async () => {
      await mock.stop();
      await slapd.stop();
    });

    it('pushes the members of groups inside the location group (by default), and a cycle of groups ends', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config());
      const run = await sh(['push', '--first-push', '--json'], cwd);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as PushReport;
      const expected = ['Ada Lovelace', 'Cy Cycle', 'Nora Nested', 'Wendy Ware'];
      expect(await csvNames(report.csvPath, 'warehouse')).toEqual(expected);
      const atVendor = mock
        .contacts()
        .filter((c) => c.location === 'warehouse' && c.status === 'active')
        .map((c) => `${c.fields['First Name'] ?? ''} ${c.fields['Last Name'] ?? ''}`)
        .sort();
      expect(atVendor).toEqual(expected);
      expect(report.warnings.map((w) => w.message).join('\n')).not.toContain('member groups');
    });

    it('nested: false reads direct members only, and check and push say which member groups were not followed', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config({ nested: false }));
      const dry = await sh(['push', '--dry-run', '--json'], cwd);
      expect(dry.code, dry.stderr).toBe(0);
      const report = JSON.parse(dry.stdout) as PushReport;
      expect(await csvNames(report.csvPath, 'warehouse')).toEqual(['Ada Lovelace', 'Wendy Ware']);
      expect(report.warnings).toContainEqual({ location: 'warehouse', message: notFollowed });
      const check = await sh(['check', '--json'], cwd);
      const checked = JSON.parse(check.stdout) as { warnings: { message: string }[] };
      expect(checked.warnings.map((w) => w.message)).toContain(notFollowed);
      const human = await sh(['check'], cwd);
      expect(human.stderr).toContain(`group ${STAFF} has member groups whose members are left out`);
    });

    it('explain shows the chain of groups that makes a nested member', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config());
      const run = await sh(['explain', 'nora@example.com', '--json'], cwd);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as {
        people: { locations: { slug: string; matched: boolean; why: string[] }[] }[];
      };
      const warehouse = report.people[0]?.locations.find((l) => l.slug === 'warehouse');
      expect(warehouse?.matched).toBe(true);
      expect(warehouse?.why).toContain(
        `member of ${STAFF} through nested groups: ${NORA} → ${FORKLIFT} → ${SAFETY} → ${STAFF}`,
      );
    });

    it('groups nested deeper than adsync walks fail the run, naming the group; nothing is sent', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, { ...config(), locations: [{ slug: 'deep', groups: [deep(0)] }] });
      const uploads = mock.uploads().length;
      const run = await sh(['push', '--first-push'], cwd);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `location "deep": group ${deep(0)}: nested groups go deeper than 16 levels (${deep(DEEP)} is below that), so its members cannot all be read`,
      );
      expect(mock.uploads().length).toBe(uploads);
      // One level less is read in full.
      await writeConfig(cwd, { ...config(), locations: [{ slug: 'deep', groups: [deep(1)] }] });
      const dry = await sh(['push', '--dry-run', '--json'], cwd);
      expect(dry.code, dry.stderr).toBe(0);
      expect(await csvNames((JSON.parse(dry.stdout) as PushReport).csvPath, 'deep')).toEqual(['Dee Deep']);
    });
  },
);
