import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { explain, type LocationExplain } from '../../src/commands/explain/run.js';
import { loadConfig } from '../../src/config/load.js';
import { LdifDirectory } from '../../src/directory/ldif/source.js';
import { tempDir, writeConfig } from '../harness/files.js';

const BASE = 'DC=corp,DC=example,DC=com';
const HQ = `OU=HQ,${BASE}`;
const GROUPS = `OU=Groups,${BASE}`;
const PERSON = `objectCategory: CN=Person,CN=Schema,CN=Configuration,${BASE}`;

/** An ldifde-style export: a disabled user, a contact, nested groups with a cycle, memberOf on users. */
const EXPORT = `
dn: ${HQ}
objectClass: organizationalUnit

dn: CN=Ada Lovelace,${HQ}
objectClass: user
${PERSON}
userAccountControl: 512
sAMAccountName: ada
givenName: Ada
sn: Lovelace
mail: ada@corp.example.com

dn: CN=Bob Gone,${HQ}
objectClass: user
${PERSON}
userAccountControl: 514
sAMAccountName: bob
givenName: Bob
sn: Gone
mail: bob@corp.example.com

dn: CN=Cy Contact,${HQ}
objectClass: contact
${PERSON}
givenName: Cy
sn: Contact
mail: cy@corp.example.com

dn: CN=Dee Deep,${HQ}
objectClass: user
${PERSON}
userAccountControl: 66048
givenName: Dee
sn: Deep
mail: dee@corp.example.com
memberOf: CN=Forklift,${GROUPS}

dn: CN=Warehouse,${GROUPS}
objectClass: group
member: CN=Ada Lovelace,${HQ}
member: CN=Safety,${GROUPS}

dn: CN=Safety,${GROUPS}
objectClass: group
member: CN=Forklift,${GROUPS}
member: CN=Warehouse,${GROUPS}

dn: CN=Forklift,${GROUPS}
objectClass: group

dn: CN=Lab,${GROUPS}
objectClass: group
member: CN=Ada Lovelace,${HQ}
`;

async function setup(
  profile: 'receptionist' | 'ilobby' = 'receptionist',
): Promise<{ dir: string; file: string }> {
  const dir = await tempDir();
  const file = join(dir, 'people.ldif');
  await writeFile(file, EXPORT);
  await writeConfig(dir, {
    directory: { kind: 'ldif', file: './people.ldif', flavor: 'ad', baseDN: BASE },
    locations: [
      { slug: 'hq', ous: [HQ] },
      { slug: 'warehouse', groups: [`CN=Warehouse,${GROUPS}`] },
      { slug: 'lab', groups: [`CN=Lab,${GROUPS}`], nested: false },
    ],
    target: { profile },
    output: { dir: './out' },
  });
  return { dir, file };
}

async function explained(dir: string, query: string): Promise<Record<string, LocationExplain>> {
  const { config } = await loadConfig({ cwd: dir, env: {} });
  const result = await explain(config, query);
  expect(result.people, query).toHaveLength(1);
  return Object.fromEntries((result.people[0]?.locations ?? []).map((l) => [l.slug, l]));
}

describe('the LDIF source: find and matches', () => {
  it('finds by DN in any spelling, by filter under a base, up to a limit; a missing base has nobody', async () => {
    const { file } = await setup();
    const source = new LdifDirectory({ file });
    await source.open();
    try {
      const find = (base: string, scope: 'base' | 'sub', filter = '(objectClass=*)', limit = 10) =>
        source.find({ base, scope, filter, attributes: ['mail'], bufferAttributes: [], limit });
      const ada = await find(`cn=ada lovelace, ou=hq,${BASE.toLowerCase()}`, 'base');
      expect(ada.map((e) => [e.dn, e.get('mail')[0]])).toEqual([
        [`CN=Ada Lovelace,${HQ}`, 'ada@corp.example.com'],
      ]);
      expect((await find(HQ, 'sub', '(objectClass=user)')).map((e) => e.dn.split(',')[0])).toEqual([
        'CN=Ada Lovelace',
        'CN=Bob Gone',
        'CN=Dee Deep',
      ]);
      expect(await find(HQ, 'sub', '(objectClass=user)', 2)).toHaveLength(2);
      expect(await find(`OU=Gone,${BASE}`, 'sub')).toEqual([]);
      expect(await find(`CN=Nobody,${HQ}`, 'base')).toEqual([]);
    } finally {
      await source.close();
    }
  });

  it('answers each filter for one entry, in-chain membership included; a missing entry matches none', async () => {
    const { file } = await setup();
    const source = new LdifDirectory({ file });
    await source.open();
    try {
      const filters = [
        '(userAccountControl:1.2.840.113556.1.4.803:=2)',
        `(memberOf=CN=Warehouse,${GROUPS})`,
        `(memberOf:1.2.840.113556.1.4.1941:=CN=Warehouse,${GROUPS})`,
      ];
      expect(await source.matches(`CN=Dee Deep,${HQ}`, filters)).toEqual([false, false, true]);
      expect(await source.matches(`CN=Bob Gone,${HQ}`, filters)).toEqual([true, false, false]);
      expect(await source.matches(`CN=Nobody,${HQ}`, filters)).toEqual([false, false, false]);
    } finally {
      await source.close();
    }
  });
});

describe('adsync explain over an AD export', () => {
  it('a disabled account, a contact (not a person), a nested member with its chain, a non-member', async () => {
    const { dir } = await setup();
    const bob = await explained(dir, 'bob');
    expect(bob.hq).toMatchObject({ matched: false, verdict: 'not-matched', action: 'none' });
    expect(bob.hq?.why).toEqual([
      'the account is disabled (userAccountControl 514 has bit 2, ACCOUNTDISABLE)',
    ]);
    const cy = await explained(dir, 'cy@corp.example.com');
    expect(cy.hq?.why).toEqual([
      'not a person: the user filter takes objectCategory=person and objectClass=user (objectClass: contact)',
    ]);
    const dee = await explained(dir, 'Deep');
    expect(dee.warehouse).toMatchObject({ matched: true, verdict: 'valid', action: 'create' });
    expect(dee.warehouse?.why).toEqual([
      `matched by the search of ${BASE}`,
      `member of CN=Warehouse,${GROUPS} through nested groups: CN=Dee Deep,${HQ} → CN=Forklift,${GROUPS} → CN=Safety,${GROUPS} → CN=Warehouse,${GROUPS}`,
    ]);
    expect(dee.lab?.why).toEqual([
      `not a member of CN=Lab,${GROUPS} (direct membership only; member of: CN=Forklift,${GROUPS})`,
    ]);
  });

  it('iLobby: the second location of an email is one-site, naming the location that keeps it', async () => {
    const { dir } = await setup('ilobby');
    const ada = await explained(dir, 'ada@corp.example.com');
    expect(ada.hq).toMatchObject({ verdict: 'valid', action: 'create' });
    for (const slug of ['warehouse', 'lab']) {
      expect(ada[slug]).toMatchObject({ matched: true, verdict: 'one-site', keptBy: 'hq', action: 'none' });
      expect(ada[slug]?.reasons[0]).toContain('ada@corp.example.com is sent for location hq only');
    }
  });
});
