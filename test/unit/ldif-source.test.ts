import { appendFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { normalizeDn, parseDn } from '../../src/directory/dn.js';
import type { SearchRequest } from '../../src/directory/ldap/entries.js';
import { LdifDirectory, ldifUrl } from '../../src/directory/ldif/source.js';
import { directoryEndpoints } from '../../src/directory/source.js';
import { AdsyncError, ConfigError, DirectoryError } from '../../src/errors.js';
import { directoryIdAttributes, directoryIdOf } from '../../src/mapping/directory-id.js';
import { tempDir, writeConfig } from '../harness/files.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

async function ldifFile(content: string | Buffer, name = 'people.ldif'): Promise<string> {
  const path = join(await tempDir('adsync-ldif-'), name);
  await writeFile(path, content);
  return path;
}

interface Found {
  dn: string;
  get: (attribute: string) => readonly (string | Uint8Array)[];
}

async function search(
  file: string,
  request: Partial<SearchRequest> & { base: string },
  source = new LdifDirectory({ file }),
): Promise<Found[]> {
  await source.open();
  const found: Found[] = [];
  try {
    for await (const entry of source.search({
      scope: 'sub',
      filter: '(objectClass=*)',
      attributes: [],
      bufferAttributes: [],
      location: 'hq',
      ...request,
    })) {
      found.push(entry);
    }
  } finally {
    await source.close();
  }
  return found;
}

async function failure(promise: Promise<unknown>): Promise<AdsyncError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AdsyncError)) throw new Error(`expected an AdsyncError, got ${String(error)}`);
  return error;
}

const dns = (found: Found[]): string[] => found.map((f) => f.dn);

const COMPANY = `# A small company, written the way ldapsearch -LLL and ldifde write it.
version: 1

dn: dc=example,dc=com
objectClass: domain
dc: example

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: ou=hq,ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: hq

dn: uid=ada,ou=hq,ou=people,dc=example,dc=com
objectClass: top
objectClass: inetOrgPerson
uid: ada
cn: Ada Lovelace
givenName: Ada
sn: Lovelace
mail: Ada@Example.com
mail: ada.lovelace@example.com
title: Chief Analyst of the Analytical Engine Department, Difference Engine Work
 s and Notes
employeeNumber: 1001

dn:: ${b64('uid=zoë,ou=hq,ou=people,dc=example,dc=com')}
objectClass: inetOrgPerson
uid:: ${b64('zoë')}
cn:: ${b64('Zoë Ångström')}
# a comment inside a record, folded
 onto a second line
givenName:: ${b64('Zoë')}
sn:: ${b64('Ångström')}
cn;lang-sv: Zoe Angstrom
employeeNumber: 999

dn: uid=sam,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: sam
cn: Sam Rocket
sn: Rocket
employeeNumber: 2000
`;

describe('LDIF parsing', () => {
  it('reads plain, base64, folded and multi-valued values, comments, options and dn::', async () => {
    const file = await ldifFile(COMPANY);
    const found = await search(file, { base: 'dc=example,dc=com', filter: '(objectClass=inetOrgPerson)' });
    expect(dns(found)).toEqual([
      'uid=ada,ou=hq,ou=people,dc=example,dc=com',
      'uid=zoë,ou=hq,ou=people,dc=example,dc=com',
      'uid=sam,ou=people,dc=example,dc=com',
    ]);
    const [ada, zoe] = found;
    expect(ada?.get('mail')).toEqual(['Ada@Example.com', 'ada.lovelace@example.com']);
    expect(ada?.get('TITLE')).toEqual([
      'Chief Analyst of the Analytical Engine Department, Difference Engine Works and Notes',
    ]);
    expect(zoe?.get('givenName')).toEqual(['Zoë']);
    expect(zoe?.get('sn')).toEqual(['Ångström']);
    // Subtypes are their own attributes, as ldapts returns them.
    expect(zoe?.get('cn')).toEqual(['Zoë Ångström']);
    expect(zoe?.get('cn;lang-sv')).toEqual(['Zoe Angstrom']);
  });

  it('joins a continuation that splits a UTF-8 character, and keeps trailing spaces like ldapadd', async () => {
    const bytes = Buffer.from('Ångström', 'utf8');
    const file = await ldifFile(
      Buffer.concat([
        Buffer.from('dn: cn=x,dc=example,dc=com\nobjectClass: person\nsn: '),
        bytes.subarray(0, 1),
        Buffer.from('\n '),
        bytes.subarray(1),
        Buffer.from('\ndescription:   lead  \n'),
      ]),
    );
    const [x] = await search(file, { base: 'dc=example,dc=com' });
    expect(x?.get('sn')).toEqual(['Ångström']);
    expect(x?.get('description')).toEqual(['lead  ']);
  });

  it('reads CRLF line endings, a UTF-8 byte order mark and UTF-16LE (ldifde -u) alike', async () => {
    const lf = await search(await ldifFile(COMPANY), { base: 'dc=example,dc=com' });
    const crlf = await search(await ldifFile(`\uFEFF${COMPANY.replace(/\n/g, '\r\n')}`), {
      base: 'dc=example,dc=com',
    });
    const utf16 = await search(
      await ldifFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(COMPANY, 'utf16le')])),
      { base: 'dc=example,dc=com' },
    );
    const view = (found: Found[]): unknown =>
      found.map((f) => [f.dn, f.get('title'), f.get('sn'), f.get('mail')]);
    expect(dns(lf)).toHaveLength(6);
    expect(view(crlf)).toEqual(view(lf));
    expect(view(utf16)).toEqual(view(lf));
  });

  it('returns the attributes asked for as bytes (objectGUID), and values that are not UTF-8 as bytes', async () => {
    const guid = Buffer.from('7fbd195e7c0fc44d8be91e77f5b99177', 'hex');
    const file = await ldifFile(
      `dn: CN=Ada,DC=corp\nobjectClass: user\nobjectGUID:: ${guid.toString('base64')}\naudio:: /1dhbHT+\ncn: Ada\nsn: Lovelace\n`,
    );
    const [ada] = await search(file, {
      base: 'dc=corp',
      attributes: ['objectGUID', 'audio', 'cn'],
      bufferAttributes: ['objectGUID'],
    });
    const [bytes] = ada?.get('objectguid') ?? [];
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(bytes as Uint8Array)).toEqual(guid);
    expect(ada?.get('audio')[0]).toBeInstanceOf(Uint8Array);
    expect(ada?.get('cn')).toEqual(['Ada']);
    // Only what was asked for comes back.
    expect(ada?.get('sn')).toEqual([]);
  });

  it('gives each entry its directory identity from whichever of objectGUID and entryUUID the export holds', async () => {
    const guid = Buffer.from('7fbd195e7c0fc44d8be91e77f5b99177', 'hex');
    const file = await ldifFile(
      [
        `dn: CN=Ada,DC=corp\nobjectClass: user\nobjectGUID:: ${guid.toString('base64')}\ncn: Ada\n`,
        'dn: CN=Bob,DC=corp\nobjectClass: user\nentryUUID: 0F6A1D52-2A3B-4C5D-8E9F-A0B1C2D3E4F5\ncn: Bob\n',
        'dn: CN=Cy,DC=corp\nobjectClass: user\ncn: Cy\n',
      ].join('\n'),
    );
    // An export is asked for both (a server for its flavour's only).
    expect(directoryIdAttributes('ad', false)).toEqual({
      attributes: ['objectGUID'],
      bufferAttributes: ['objectGUID'],
    });
    expect(directoryIdAttributes('ldap', false)).toEqual({ attributes: ['entryUUID'], bufferAttributes: [] });
    const found = await search(file, { base: 'dc=corp', ...directoryIdAttributes('ldap', true) });
    expect(found.map((e) => directoryIdOf(e))).toEqual([
      '5e19bd7f-0f7c-4dc4-8be9-1e77f5b99177',
      '0f6a1d52-2a3b-4c5d-8e9f-a0b1c2d3e4f5',
      undefined,
    ]);
  });

  it('refuses "attr:< file://" values unless directory.valueFiles allows their directory, and never other URLs', async () => {
    const dir = await tempDir('adsync-ldif-');
    const values = join(dir, 'values');
    await mkdir(values);
    await writeFile(join(values, 'title.txt'), 'Head of Photos');
    const secret = join(dir, 'client-secret.txt');
    await writeFile(secret, 'S3cr3t-not-for-the-kiosk');
    await symlink(secret, join(values, 'innocent.txt'));
    const file = join(dir, 'people.ldif');
    const entry = (value: string): string =>
      `dn: cn=x,dc=example\nobjectClass: person\ntitle:< ${pathToFileURL(value).href}\nsn: X\n`;
    await writeFile(file, entry(join(values, 'title.txt')));
    // By default an LDIF export reads no other file: the line is named.
    const refused = await failure(search(file, { base: 'dc=example' }));
    expect(refused.message).toBe(
      `${file}:3: title takes its value from the file ${pathToFileURL(join(values, 'title.txt')).href}, which adsync does not read`,
    );
    expect(refused.hint).toContain('directory.valueFiles');
    // Allowed directory: read.
    const allowed = (): LdifDirectory => new LdifDirectory({ file, valueFiles: values });
    const [x] = await search(file, { base: 'dc=example' }, allowed());
    expect(x?.get('title')).toEqual(['Head of Photos']);
    // Out of it by "..", by a symbolic link, or to a device: refused, and the secret is nowhere.
    for (const target of [
      join(values, '..', 'client-secret.txt'),
      join(values, 'innocent.txt'),
      // A device (POSIX's /dev; Windows has none in the file system).
      ...(process.platform === 'win32' ? [] : ['/dev/zero']),
    ]) {
      await writeFile(file, entry(target));
      const error = await failure(search(file, { base: 'dc=example' }, allowed()));
      expect(error.message.startsWith(`${file}:3: cannot read the value of title from `)).toBe(true);
      expect(`${error.message} ${error.hint ?? ''}`).not.toContain('S3cr3t');
    }
    const remote = await ldifFile(
      'dn: cn=x,dc=example\nobjectClass: person\njpegPhoto:< https://example.com/x.jpg\n',
    );
    const error = await failure(search(remote, { base: 'dc=example' }));
    expect(error.message).toBe(
      `${remote}:3: jpegPhoto refers to https:// content, which adsync does not fetch`,
    );
  });

  it('names the file and line of a malformed line, with a hint', async () => {
    const cases: [string, string][] = [
      [
        'dn: cn=a,dc=x\nobjectClass: person\nthis is not ldif\n',
        ':3: "this is not ldif" is not an "attribute: value" line',
      ],
      [
        'dn: cn=a,dc=x\nobjectClass: person\n\n continued\n',
        ':4: a continuation line (starting with a space) does not follow an attribute line',
      ],
      ['dn: cn=a,dc=x\n\ncn: a\n', ':3: a record must start with "dn:", found "cn:"'],
      ['dn: cn=a,dc=x\ncn:: not*base64\n', ':2: the base64 value of cn is not valid base64'],
      ['dn: cn=a,dc=x\ndn: cn=b,dc=x\n', ':2: a second "dn:" line inside the record of cn=a,dc=x'],
      ['\n\ndn: cn a dc x\ncn: a\n', ':3: "cn a dc x" is not a valid DN'],
      ['version: 2\n', ':1: only LDIF version 1 is supported'],
    ];
    for (const [text, message] of cases) {
      const file = await ldifFile(text);
      const error = await failure(search(file, { base: 'dc=x' }));
      expect(error).toBeInstanceOf(DirectoryError);
      expect(error.code).toBe('LDAP_LDIF');
      expect(error.message).toBe(`${file}${message}`);
      expect(error.hint).toBeTruthy();
    }
  });

  it("refuses change records other than ldifde's adds, naming the file and line", async () => {
    const modify = await ldifFile(
      'dn: cn=a,dc=x\nobjectClass: person\n\ndn: cn=b,dc=x\nchangetype: modify\nreplace: title\ntitle: Boss\n-\n',
    );
    const error = await failure(search(modify, { base: 'dc=x' }));
    expect(error.message).toBe(
      `${modify}:5: change records are not supported (changetype: modify in the record of cn=b,dc=x)`,
    );
    expect(error.hint).toContain('change file');
    const moddn = await ldifFile('dn: cn=b,dc=x\nchangetype: modrdn\nnewrdn: cn=c\n');
    expect((await failure(search(moddn, { base: 'dc=x' }))).message).toContain(
      ':2: change records are not supported (changetype: modrdn',
    );
    // ldifde exports every entry as an add record: that is an entry.
    const add = await ldifFile('\ndn: cn=b,dc=x\nchangetype: add\nobjectClass: person\ncn: b\n');
    const [b] = await search(add, { base: 'dc=x' });
    expect(b?.get('cn')).toEqual(['b']);
    expect(b?.get('changetype')).toEqual([]);
  });

  it('reads plain ldapsearch output, and refuses one whose result says it is incomplete', async () => {
    const output = (result: string): string => `# extended LDIF
#
# LDAPv3
# base <dc=x> with scope subtree
# filter: (objectClass=*)
# requesting: ALL
#

# a, x
dn: cn=a,dc=x
objectClass: person
cn: a

# search result
search: 2
result: ${result}

# numResponses: 2
# numEntries: 1
`;
    const ok = await ldifFile(output('0 Success'));
    expect(dns(await search(ok, { base: 'dc=x' }))).toEqual(['cn=a,dc=x']);
    const cut = await ldifFile(output('4 Size limit exceeded'));
    const error = await failure(search(cut, { base: 'dc=x' }));
    expect(error.message).toBe(
      `${cut}:16: the export is incomplete: ldapsearch ended with "result: 4 Size limit exceeded"`,
    );
  });

  it('fails open() for a missing file, with a hint about relative paths', async () => {
    const missing = join(await tempDir(), 'nope.ldif');
    const error = await failure(new LdifDirectory({ file: missing }).open());
    expect(error.code).toBe('LDAP_LDIF');
    expect(error.message).toContain(`cannot read the LDIF file ${missing}`);
    expect(error.hint).toContain('relative to the config file');
  });

  it('refuses a file that changes between the passes of one run', async () => {
    const file = await ldifFile(COMPANY);
    const source = new LdifDirectory({ file });
    await source.open();
    await appendFile(file, '\ndn: uid=late,ou=hq,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\n');
    const error = await failure(search(file, { base: 'dc=example,dc=com' }, source));
    expect(error.message).toBe(`the LDIF file ${file} changed while adsync was reading it`);
  });
});

describe('LDIF search semantics', () => {
  it('compares bases as DNs (case, spaces, escapes) and honours sub and one scopes', async () => {
    const file = await ldifFile(COMPANY);
    const sub = await search(file, { base: 'OU=People , DC=Example,dc=COM' });
    expect(dns(sub)).toEqual([
      'ou=people,dc=example,dc=com',
      'ou=hq,ou=people,dc=example,dc=com',
      'uid=ada,ou=hq,ou=people,dc=example,dc=com',
      'uid=zoë,ou=hq,ou=people,dc=example,dc=com',
      'uid=sam,ou=people,dc=example,dc=com',
    ]);
    const one = await search(file, { base: 'ou=people,dc=example,dc=com', scope: 'one' });
    expect(dns(one)).toEqual(['ou=hq,ou=people,dc=example,dc=com', 'uid=sam,ou=people,dc=example,dc=com']);
    const escaped = await search(file, { base: 'uid=zo\\C3\\AB,ou=HQ,ou=people,dc=example,dc=com' });
    expect(dns(escaped)).toEqual(['uid=zoë,ou=hq,ou=people,dc=example,dc=com']);
  });

  it('fails a search whose base is not in the file like a server (noSuchObject)', async () => {
    const file = await ldifFile(COMPANY);
    const error = await failure(search(file, { base: 'ou=warehouse,ou=people,dc=example,dc=com' }));
    expect(error.code).toBe('LDAP_NO_SUCH_OBJECT');
    expect(error.message).toBe(
      `location "hq": search of ou=warehouse,ou=people,dc=example,dc=com in ${ldifUrl(file)} failed: the base does not exist (noSuchObject, 32)`,
    );
    // An export filtered to people leaves the OUs out: entries below the base show it exists.
    const onlyPeople = await ldifFile(`dn: uid=ada${COMPANY.split('\n\ndn: uid=ada')[1] ?? ''}`);
    expect(dns(await search(onlyPeople, { base: 'ou=hq,ou=people,dc=example,dc=com' }))).toHaveLength(2);
  });

  it('evaluates equality (case-insensitive), presence, substrings, ordering, and, or, not', async () => {
    const file = await ldifFile(COMPANY);
    const people = async (filter: string): Promise<string[]> =>
      (await search(file, { base: 'dc=example,dc=com', filter })).map((f) => f.dn.split(',')[0] ?? '');
    expect(await people('(mail=ADA@example.COM)')).toEqual(['uid=ada']);
    expect(await people('mail=ada.lovelace@example.com')).toEqual(['uid=ada']);
    expect(await people('(givenName=*)')).toEqual(['uid=ada', 'uid=zoë']);
    expect(await people('(cn=*love*)')).toEqual(['uid=ada']);
    expect(await people('(cn=z*str*m)')).toEqual(['uid=zoë']);
    expect(await people('(cn=Zoe*)')).toEqual(['uid=zoë']); // the cn;lang-sv subtype matches too
    expect(await people('(cn=*ada)')).toEqual([]);
    expect(await people('(employeeNumber>=1001)')).toEqual(['uid=ada', 'uid=sam']);
    expect(await people('(employeeNumber<=999)')).toEqual(['uid=zoë']);
    expect(await people('(&(objectClass=inetOrgPerson)(!(givenName=*)))')).toEqual(['uid=sam']);
    expect(await people('(|(uid=sam)(uid=ZOË))')).toEqual(['uid=zoë', 'uid=sam']);
    expect(await people('(objectClass=organizationalUnit)')).toEqual(['ou=people', 'ou=hq']);
  });

  it('refuses a matching rule it cannot evaluate instead of guessing', async () => {
    const file = await ldifFile(COMPANY);
    const error = await failure(search(file, { base: 'dc=example,dc=com', filter: '(cn:2.5.13.99:=x)' }));
    expect(error.code).toBe('LDAP_SEARCH');
    expect(error.message).toContain('matching rule 2.5.13.99 is not supported by the LDIF source');
  });
});

/** An ldifde-style export: objectCategory DNs, userAccountControl, nested groups, memberOf on users. */
const AD_EXPORT = `
dn: OU=HQ,DC=corp,DC=example,DC=com
objectClass: organizationalUnit

dn: CN=Ada Lovelace,OU=HQ,DC=corp,DC=example,DC=com
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: user
objectCategory: CN=Person,CN=Schema,CN=Configuration,DC=corp,DC=example,DC=com
userAccountControl: 512
givenName: Ada

dn: CN=Bob Gone,OU=HQ,DC=corp,DC=example,DC=com
objectClass: user
objectCategory: CN=Person,CN=Schema,CN=Configuration,DC=corp,DC=example,DC=com
userAccountControl: 514

dn: CN=Cy Contact,OU=HQ,DC=corp,DC=example,DC=com
objectClass: contact
objectCategory: CN=Person,CN=Schema,CN=Configuration,DC=corp,DC=example,DC=com

dn: CN=Dee Deep,OU=HQ,DC=corp,DC=example,DC=com
objectClass: user
objectCategory: CN=Person,CN=Schema,CN=Configuration,DC=corp,DC=example,DC=com
userAccountControl: 66048
memberOf: CN=Forklift,OU=Groups,DC=corp,DC=example,DC=com

dn: CN=PC01,OU=HQ,DC=corp,DC=example,DC=com
objectClass: computer
objectCategory: CN=Computer,CN=Schema,CN=Configuration,DC=corp,DC=example,DC=com
userAccountControl: 4096

dn: CN=Warehouse,OU=Groups,DC=corp,DC=example,DC=com
objectClass: group
member: cn=ada lovelace, ou=hq, dc=corp, dc=example, dc=com
member: CN=Safety,OU=Groups,DC=corp,DC=example,DC=com

dn: CN=Safety,OU=Groups,DC=corp,DC=example,DC=com
objectClass: group
member: CN=Forklift,OU=Groups,DC=corp,DC=example,DC=com
member: CN=Warehouse,OU=Groups,DC=corp,DC=example,DC=com

dn: CN=Empty,OU=Groups,DC=corp,DC=example,DC=com
objectClass: group
`;

describe('Active Directory rules over an ldifde export', () => {
  const base = 'DC=corp,DC=example,DC=com';
  const names = (found: Found[]): string[] => found.map((f) => f.dn.split(',')[0] ?? '');

  it("applies AD's default user filter: objectCategory=person against the full DN, and the disabled bit", async () => {
    const file = await ldifFile(AD_EXPORT);
    const filter =
      '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))';
    expect(names(await search(file, { base, filter }))).toEqual(['CN=Ada Lovelace', 'CN=Dee Deep']);
    expect(names(await search(file, { base, filter: '(objectCategory=user)' }))).toEqual([
      'CN=Ada Lovelace',
      'CN=Bob Gone',
      'CN=Cy Contact',
      'CN=Dee Deep',
    ]);
    expect(names(await search(file, { base, filter: '(objectCategory=computer)' }))).toEqual(['CN=PC01']);
    expect(
      names(
        await search(file, {
          base,
          filter: '(objectCategory=cn=person,cn=schema,cn=configuration,dc=corp,dc=example,dc=com)',
        }),
      ),
    ).toHaveLength(4);
    // 804: any of the bits (2 = disabled, 4096 = workstation trust).
    expect(
      names(await search(file, { base, filter: '(userAccountControl:1.2.840.113556.1.4.804:=4098)' })),
    ).toEqual(['CN=Bob Gone', 'CN=PC01']);
  });

  it('resolves memberOf from the groups, and in-chain membership through nested groups (with a cycle)', async () => {
    const file = await ldifFile(AD_EXPORT);
    const direct = (g: string): string => `(memberOf=CN=${g},OU=Groups,${base})`;
    const chain = (g: string): string => `(memberOf:1.2.840.113556.1.4.1941:=cn=${g}, ou=groups,${base})`;
    expect(names(await search(file, { base, filter: direct('Warehouse') }))).toEqual([
      'CN=Ada Lovelace',
      'CN=Safety',
    ]);
    // Dee is in Forklift (her own memberOf), Forklift is in Safety, Safety is in Warehouse.
    expect(names(await search(file, { base, filter: direct('Forklift') }))).toEqual(['CN=Dee Deep']);
    expect(names(await search(file, { base, filter: chain('Warehouse') }))).toEqual([
      'CN=Ada Lovelace',
      'CN=Dee Deep',
      'CN=Warehouse', // a member of itself through the Safety ↔ Warehouse cycle
      'CN=Safety',
    ]);
    expect(names(await search(file, { base, filter: chain('Safety') }))).toEqual([
      'CN=Ada Lovelace',
      'CN=Dee Deep',
      'CN=Warehouse',
      'CN=Safety',
    ]);
    expect(names(await search(file, { base, filter: chain('Empty') }))).toEqual([]);
    // memberOf asked for comes back computed, as a server computes it.
    const [ada] = await search(file, { base: `CN=Ada Lovelace,OU=HQ,${base}`, attributes: ['memberOf'] });
    expect(ada?.get('memberOf')).toEqual([`CN=Warehouse,OU=Groups,${base}`]);
  });

  it('checks that groups exist: entries, and groups named only in memberOf values', async () => {
    const file = await ldifFile(AD_EXPORT);
    const source = new LdifDirectory({ file });
    await source.open();
    await source.assertExists(`cn=warehouse,ou=groups,${base}`, 'warehouse');
    await source.assertExists(`CN=Empty,OU=Groups,${base}`, 'warehouse');
    await source.assertExists(`CN=Forklift,OU=Groups,${base}`, 'warehouse');
    const error = await failure(source.assertExists(`CN=Warehose,OU=Groups,${base}`, 'warehouse'));
    expect(error.code).toBe('LDAP_NO_SUCH_OBJECT');
    expect(error.message).toBe(
      `location "warehouse": group CN=Warehose,OU=Groups,${base} does not exist in ${ldifUrl(file)} (noSuchObject, 32)`,
    );
    await source.close();
  });
});

describe('DN comparison', () => {
  it('ignores case, spaces around separators and escapes, and orders multi-valued RDNs', () => {
    expect(normalizeDn('CN=Ada  Lovelace , OU=HQ,DC=Corp')).toBe(
      normalizeDn('cn=ada lovelace,ou=hq,dc=corp'),
    );
    expect(normalizeDn('cn=Smith\\, John,dc=x')).toBe(normalizeDn('CN=smith\\2C john,DC=X'));
    expect(normalizeDn('cn=Zo\\C3\\AB,dc=x')).toBe(normalizeDn('cn=zoë,dc=x'));
    expect(normalizeDn('cn=a+sn=b,dc=x')).toBe(normalizeDn('sn=B + cn=A,dc=x'));
    expect(normalizeDn("cn=O'Brien,dc=x")).toBe("cn=o'brien,dc=x");
    // Plain DNs take a fast path; it must agree with the full parser.
    expect(normalizeDn(' CN = Ada  Lovelace ,OU=HQ')).toBe(normalizeDn('cn=ada\\20lovelace,ou=h\\51'));
    expect(parseDn('cn=Smith\\, John,dc=x')).toHaveLength(2);
    expect(parseDn('')).toEqual([]);
    expect(parseDn('not a dn')).toBeUndefined();
  });
});

describe('kind: ldif in the config', () => {
  const base = {
    locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
    target: { profile: 'receptionist' },
  };

  it('resolves the file against the config file and takes the flavor’s defaults', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, { ...base, directory: { kind: 'ldif', file: './people.ldif', flavor: 'ad' } });
    const { config } = await loadConfig({ cwd: '/', configPath: join(cwd, 'adsync.yaml'), env: {} });
    expect(config.directory).toMatchObject({ kind: 'ldif', flavor: 'ad', file: join(cwd, 'people.ldif') });
    expect(directoryEndpoints(config.directory)).toEqual([ldifUrl(join(cwd, 'people.ldif'))]);
    expect(config.directory.userFilter).toContain('userAccountControl:1.2.840.113556.1.4.803:=2');
    expect(config.locations[0]?.nested).toBe(true);
    await writeConfig(cwd, { ...base, directory: { kind: 'ldif', file: 'people.ldif' } });
    const ldap = await loadConfig({ cwd, env: {} });
    expect(ldap.config.directory.flavor).toBe('ldap');
    expect(ldap.config.directory.userFilter).toBe('(objectClass=inetOrgPerson)');
  });

  it('refuses server settings with kind: ldif, and a missing file or url, naming key and line', async () => {
    const cwd = await tempDir();
    await writeConfig(
      cwd,
      `directory:\n  kind: ldif\n  url: ldap://127.0.0.1\n  bindDN: cn=x\n  bindPassword: secret-value-123\nlocations:\n  - ous: [dc=x]\ntarget: { profile: receptionist }\n`,
    );
    const error = await failure(loadConfig({ cwd, env: {} }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(
      'directory.url (line 3:8): is for a directory server (kind: ad or ldap), but kind: ldif reads directory.file: remove it',
    );
    expect(error.message).toContain('directory.bindDN (line 4:11): is for a directory server');
    expect(error.message).toContain('directory.file (line 2:3): is required with kind: ldif');
    expect(error.message).not.toContain('secret-value-123');
    await writeConfig(cwd, { ...base, directory: { kind: 'ad', file: 'people.ldif' } });
    const server = await failure(loadConfig({ cwd, env: {} }));
    expect(server.message).toMatch(
      /directory\.file \(line \d+:\d+\): is for an LDIF export \(kind: ldif\), but kind: ad reads the server at directory\.url/,
    );
    expect(server.message).toMatch(/directory\.url \(line \d+:\d+\): is required with kind: ad/);
  });
});
