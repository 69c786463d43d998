import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { push, type PushResult } from '../../src/pipeline/push.js';
import { tempDir, writeConfig } from '../harness/files.js';

/** The file the slapd suites load: read here as an LDIF export, so no server is needed. */
const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));

async function dryRun(
  profile: 'receptionist' | 'ilobby',
  files: Record<string, string>,
): Promise<{ result: PushResult; csv: Record<string, string>[]; rejects: Record<string, string>[] }> {
  const dir = await tempDir();
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  await writeConfig(dir, {
    directory: { kind: 'ldif', file: EXAMPLE_LDIF },
    locations: [
      { slug: 'hq', ous: ['ou=hq,ou=people,dc=example,dc=com'] },
      { slug: 'warehouse', ous: ['ou=warehouse,ou=people,dc=example,dc=com'] },
    ],
    target: { profile },
    ...(profile === 'receptionist' ? { columns: { Identification: 'employeeNumber' } } : {}),
    phone: { defaultCountry: 'CA' },
    output: { dir: './out' },
    extraContacts: Object.keys(files),
  });
  const { config } = await loadConfig({ cwd: dir, env: {} });
  const result = await push(config, { dryRun: true });
  const read = async (path: string): Promise<Record<string, string>[]> =>
    parse<Record<string, string>>(await readFile(path, 'utf8'), { columns: true });
  return { result, csv: await read(result.csvPath), rejects: await read(result.rejectsPath) };
}

const ILOBBY = 'FIRSTNAME,LASTNAME,TITLE,DIVISION,EMAIL,MOBILE,DESKPHONE,SITE';

describe('extraContacts merged into an export (LDIF directory, dry run)', () => {
  it('iLobby: a directory email wins in any site; rule breakers, unknown sites and unheld repeats are rejected with their line', async () => {
    const { result, csv, rejects } = await dryRun('ilobby', {
      'desk.csv': [
        ILOBBY,
        'Front,Desk,Reception,,frontdesk@example.com,,,hq',
        // zoe@example.com is an hq person in the directory: the directory's row wins, in any site.
        'Zoe,Copy,,,ZOE@example.com,,,warehouse',
        'Wrong,Site,,,wrong-site@example.com,,,warehose',
        'No,Email,,,,,,hq',
        // A repeat among the files, held by neither in a last push and the only key of both:
        // neither keeps it (the CSV's order decides nothing).
        'Other,Desk,,,frontdesk@example.com,,,hq',
        'Short,Row,,,short@example.com',
        'Tab,Title,"a\tb",,tab@example.com,,,hq',
        '',
      ].join('\n'),
    });
    expect(csv.filter((r) => r['LASTNAME'] === 'Desk')).toEqual([]);
    expect(csv.some((r) => r['LASTNAME'] === 'Copy')).toBe(false);
    expect(result.warnings).toContainEqual({
      dn: 'desk.csv line 3',
      location: 'warehouse',
      message: expect.stringContaining(
        'is left out: uid=zoe,ou=hq,ou=people,dc=example,dc=com in location hq has the same EMAIL "zoe@example.com"',
      ) as string,
    });
    const why: Record<string, string> = Object.fromEntries(
      rejects.map((r) => [r['Source DN'] ?? '', r['Reasons'] ?? '']),
    );
    expect(why).toMatchObject({
      'desk.csv line 4':
        'SITE "warehose" is not a configured location (did you mean "warehouse"?); write one of: hq, warehouse',
      'desk.csv line 5': 'EMAIL is required but empty (the vendor matches contacts by email)',
      'desk.csv line 2':
        'duplicate EMAIL "frontdesk@example.com" is also on the row of Other Desk <frontdesk@example.com> (desk.csv line 6), and nobody held it in the last push: left empty on each of them, and the row has no other key the vendor could match it by',
      'desk.csv line 6':
        'duplicate EMAIL "frontdesk@example.com" is also on the row of Front Desk <frontdesk@example.com> (desk.csv line 2), and nobody held it in the last push: left empty on each of them, and the row has no other key the vendor could match it by',
      'desk.csv line 7': expect.stringContaining('the line has 5 fields, the header 8') as string,
      'desk.csv line 8': expect.stringContaining('fix it in desk.csv') as string,
    });
    expect(result.locations.find((l) => l.slug === 'hq')?.extraContacts).toBe(0);
  });

  it("a row naming an unknown location is no location's reject: counted on its own, in the total and the rejects file", async () => {
    const typo = await dryRun('ilobby', {
      'desk.csv': `${ILOBBY}\nWrong,Site,,,wrong-site@example.com,,,warehose\n`,
    });
    const clean = await dryRun('ilobby', { 'desk.csv': `${ILOBBY}\n` });
    // Each location's rejects are what they were without the file: the typo is not blamed on hq.
    expect(typo.result.locations.map((l) => [l.slug, l.rejected])).toEqual(
      clean.result.locations.map((l) => [l.slug, l.rejected]),
    );
    expect(typo.result.rejectedWithoutLocation).toBe(1);
    expect(typo.result.rejected).toBe(clean.result.rejected + 1);
    expect(typo.result.rejectedRows).toContainEqual({
      dn: 'desk.csv line 2',
      location: 'warehose',
      reasons: [expect.stringContaining('SITE "warehose" is not a configured location') as string],
    });
    expect(typo.rejects.map((r) => r['Source DN'])).toContain('desk.csv line 2');
  });

  it('The Receptionist: the same email in another location is another contact', async () => {
    const header =
      'First Name,Last Name,Email,SMS Phone,Business Title,Department,Image,PIN,Location Slug,Identification,Slack';
    const { csv, result } = await dryRun('receptionist', {
      'guests.csv': `${header}\nZoe,Visiting,zoe@example.com,,,,,,warehouse,,\n`,
    });
    expect(
      csv.filter((r) => r['Email']?.toLowerCase() === 'zoe@example.com').map((r) => r['Location Slug']),
    ).toEqual(['hq', 'warehouse']);
    expect(result.warnings.filter((w) => w.dn?.startsWith('guests.csv'))).toEqual([]);
    expect(result.locations.map((l) => [l.slug, l.extraContacts])).toEqual([
      ['hq', 0],
      ['warehouse', 1],
    ]);
  });
});
