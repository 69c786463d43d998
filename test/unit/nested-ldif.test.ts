import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { walkBase } from '../../src/directory/ldap/nested.js';
import { DirectoryError } from '../../src/errors.js';
import { push } from '../../src/pipeline/push.js';
import { tempDir, writeConfig } from '../harness/files.js';

const SUFFIX = 'dc=example,dc=com';
const PEOPLE = `ou=people,${SUFFIX}`;
const GROUPS = `ou=groups,${SUFFIX}`;

const person = (uid: string, sn: string): string =>
  `dn: uid=${uid},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid} ${sn}\ngivenName: ${uid}\nsn: ${sn}\nmail: ${uid}@example.com\n`;

/**
 * An `ldapsearch -LLL` export of a plain LDAP directory without memberOf: Staff holds Ann and
 * Inner; Inner holds Ben and Loop; Loop holds Inner again (a cycle) and Cat.
 */
const EXPORT = [
  person('ann', 'Direct'),
  person('ben', 'Nested'),
  person('cat', 'Looped'),
  `dn: cn=staff,${GROUPS}\nobjectClass: groupOfNames\ncn: staff\nmember: uid=ann,${PEOPLE}\nmember: cn=inner,${GROUPS}\n`,
  `dn: cn=inner,${GROUPS}\nobjectClass: groupOfNames\ncn: inner\nmember: uid=ben,${PEOPLE}\nmember: cn=loop,${GROUPS}\n`,
  `dn: cn=loop,${GROUPS}\nobjectClass: groupOfNames\ncn: loop\nmember: cn=inner,${GROUPS}\nmember: uid=cat,${PEOPLE}\n`,
].join('\n');

async function dryRun(
  location: Record<string, unknown>,
  ldif = EXPORT,
): Promise<{ csv: string; warnings: string[] }> {
  const dir = await tempDir();
  await writeFile(join(dir, 'people.ldif'), ldif);
  await writeConfig(dir, {
    directory: { kind: 'ldif', file: './people.ldif', baseDN: PEOPLE },
    locations: [{ slug: 'staff', groups: [`cn=staff,${GROUPS}`], ...location }],
    target: { profile: 'receptionist' },
    output: { dir: './out' },
  });
  const { config } = await loadConfig({ cwd: dir, env: {} });
  const result = await push(config, { dryRun: true });
  return { csv: await readFile(result.csvPath, 'utf8'), warnings: result.warnings.map((w) => w.message) };
}

describe('nested groups without the in-chain rule (kind: ldif, flavor: ldap)', () => {
  it('reads the members of groups inside the location group by default; the cycle ends', async () => {
    const { csv, warnings } = await dryRun({});
    expect(csv).toContain('ann,Direct,ann@example.com');
    expect(csv).toContain('ben,Nested,ben@example.com');
    expect(csv).toContain('cat,Looped,cat@example.com');
    expect(warnings.join('\n')).not.toContain('member groups');
  });

  it('nested: false reads direct members and names the member groups not followed', async () => {
    const { csv, warnings } = await dryRun({ nested: false });
    expect(csv).toContain('ann,Direct,ann@example.com');
    expect(csv).not.toContain('ben@example.com');
    expect(warnings).toContain(
      `location staff: group cn=staff,${GROUPS} has member groups whose members are left out (nested: false counts direct members only): cn=inner,${GROUPS}; remove nested: false to include them`,
    );
  });
});

describe('the bound on the groups inside a group', () => {
  const many = Array.from({ length: 501 }, (_, i) => `cn=sub-${i},${GROUPS}`);
  const ldif = [
    EXPORT,
    `dn: cn=big,${GROUPS}\nobjectClass: groupOfNames\ncn: big\nmember: uid=ann,${PEOPLE}\n${many.map((g) => `member: ${g}\n`).join('')}`,
    ...many.map((g) => `dn: ${g}\nobjectClass: groupOfNames\ncn: sub\nmember: uid=ben,${PEOPLE}\n`),
  ].join('\n');

  it('more than 500 fail the run, naming the group, rather than read some of them', async () => {
    const failure = await dryRun({ groups: [`cn=big,${GROUPS}`] }, ldif).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DirectoryError);
    expect((failure as DirectoryError).message).toBe(
      `location "staff": group cn=big,${GROUPS}: holds more than 500 nested groups, so its members cannot all be read`,
    );
  });

  it('with nested: false they are all counted in the warning, and the run goes on', async () => {
    const { csv, warnings } = await dryRun({ groups: [`cn=big,${GROUPS}`], nested: false }, ldif);
    expect(csv).toContain('ann@example.com');
    expect(csv).not.toContain('ben@example.com');
    const warning = warnings.find((w) => w.includes(`group cn=big,${GROUPS} has member groups`));
    expect(warning).toContain(`cn=sub-4,${GROUPS} and 496 more; remove nested: false to include them`);
  });
});

describe('where the groups inside a group are looked for', () => {
  const group = `cn=g,ou=groups,o=corp,${SUFFIX}`;
  it('the naming context holding it (the longest), else baseDN holding it, else its dc= suffix or parent', () => {
    expect(walkBase(group, ['dc=other,dc=com', SUFFIX, `o=corp,${SUFFIX}`], undefined)).toBe(
      `o=corp,${SUFFIX}`,
    );
    expect(walkBase(group, ['dc=other,dc=com'], `ou=groups,o=corp,${SUFFIX}`)).toBe(
      `ou=groups,o=corp,${SUFFIX}`,
    );
    expect(walkBase(group, [], `ou=people,${SUFFIX}`)).toBe(SUFFIX);
    expect(walkBase('CN=G,OU=Groups,O=Corp', [], undefined)).toBe('ou=groups,o=corp');
  });
});
