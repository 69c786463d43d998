import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, inject, it } from 'vitest';

import { isFormulaLike } from '../../src/util/spreadsheet.js';
import { runAdsync, type CliRun } from '../harness/cli.js';
import { exampleConfig, pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { useExampleServers } from '../harness/servers.js';
import { asRoot } from '../harness/slapd.js';

const skip = inject('slapdSkip');
const SECRET = 'hostile-cells-client-secret-0123';
const ENV = { TEST_BIND_PASSWORD: 'svc-password-123', ADSYNC_CLIENT_SECRET: SECRET };
const SUFFIX = 'dc=example,dc=com';
const LOBBY = `ou=lobby,ou=people,${SUFFIX}`;

/** Characters that must never reach the terminal, the CSV or the vendor raw. */
const RAW = /[\u0080-\u009f\u200b\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

/** An LDIF record; values that are not plain ASCII are written base64, as RFC 2849 asks. */
function record(dn: string, attrs: Record<string, string>): string {
  const lines = Object.entries(attrs).map(([k, v]) =>
    /^[\u0020-\u007e]*$/.test(v) && !v.startsWith(' ') && !v.startsWith(':')
      ? `${k}: ${v}`
      : `${k}:: ${Buffer.from(v, 'utf8').toString('base64')}`,
  );
  const head = /^[\u0020-\u007e]*$/.test(dn)
    ? `dn: ${dn}`
    : `dn:: ${Buffer.from(dn, 'utf8').toString('base64')}`;
  return `${head}\n${lines.join('\n')}\n`;
}

let employee = 3000;
const person = (uid: string, attrs: Record<string, string>): string =>
  record(`uid=${uid},${LOBBY}`, {
    objectClass: 'inetOrgPerson',
    uid,
    cn: uid,
    employeeNumber: String(++employee),
    mail: `${uid}@example.com`,
    ...attrs,
  });

type Row = Record<string, string>;
const readCsv = async (path: string): Promise<{ text: string; rows: Row[] }> => {
  const text = await readFile(path, 'utf8');
  return { text, rows: parse<Row>(text, { columns: true, bom: true }) };
};
const byLast = (rows: Row[], last: string): Row | undefined => rows.find((r) => r['Last Name'] === last);

interface DryRun {
  human: CliRun;
  run: CliRun;
  csv: { text: string; rows: Row[] };
  rejects: { text: string; rows: Row[] };
  warnings: string[];
  reasons: (last: string) => string;
}

interface Report {
  csvPath: string;
  rejectsPath: string;
  rows: number;
  rejected: number;
  warnings: { message: string; dn?: string }[];
}

describe.skipIf(skip !== '')(
  `hostile cells: what the vendor and the admin receive (CLI, slapd, mock vendor)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const servers = useExampleServers(SECRET);
    beforeAll(async () => {
      const ldif = [
        record(LOBBY, { objectClass: 'organizationalUnit', ou: 'lobby' }),
        person('bidi', { givenName: 'Bi\u202edi', sn: 'Override' }),
        person('csi', { givenName: 'Carl', sn: 'Csi', title: 'Boss\u009b31m\u202e' }),
        person('rlo', { givenName: 'Rita', sn: 'Rlo', title: 'CEO\u202egnp.exe' }),
        person('zw', { givenName: 'Zo\u200be', sn: 'Width', title: 'Head\u2028of Sales' }),
        person('long', { givenName: 'Lou', sn: 'Long', title: 'T'.repeat(10_000) }),
        person('longname', { givenName: 'N'.repeat(300), sn: 'Longname' }),
        person('formula', { givenName: 'Fred', sn: "=cmd|' /C calc'!A0" }),
        person('dash', { givenName: "-2+3+cmd|' /C calc'!A0", sn: 'Dash' }),
        person('formtitle', {
          givenName: 'Tina',
          sn: 'Title',
          title: '@SUM(1,2)',
          departmentNumber: '+SUM(1,2)',
        }),
        person('js', { givenName: 'Ian', sn: 'Image', labeledURI: 'javascript:alert(1)' }),
        person('file', { givenName: 'Fay', sn: 'File', labeledURI: 'file:///etc/passwd' }),
        person('https', {
          givenName: 'Hugo',
          sn: 'Https',
          labeledURI: 'https://intranet.example.com/hugo.jpg',
        }),
        // A DN is directory data too: shown escaped wherever it is printed.
        record(`cn=Dee\u202eDn\u009b,${LOBBY}`, {
          objectClass: 'inetOrgPerson',
          cn: 'Dee\u202eDn\u009b',
          givenName: 'Dee',
          sn: 'Dn',
          mail: 'dn@example.com',
          title: 'x\u009by',
        }),
        person('http', { givenName: 'Hal', sn: 'Http', labeledURI: 'http://intranet.example.com/hal.jpg' }),
      ].join('\n');
      const file = join(await tempDir(), 'lobby.ldif');
      await writeFile(file, ldif);
      await asRoot(servers.slapd, 'ldapmodify', SUFFIX, ['-a', '-f', file]);
    });

    const config = (): Record<string, unknown> => ({
      ...pushConfig(
        { ldapUrl: servers.slapd.url, mockUrl: servers.mock.url, caFile: servers.caFile },
        {},
        { baseDN: SUFFIX },
      ),
      locations: [{ slug: 'lobby', ous: [LOBBY] }],
      columns: { Identification: 'employeeNumber', Image: 'labeledURI' },
      phone: { defaultCountry: 'CA' },
      output: { dir: './out' },
    });
    const sh = (args: string[], cwd: string): Promise<CliRun> => runAdsync(args, { cwd, env: ENV });

    /** One dry run, human and --json, shared by the tests below (each checks one rule). */
    let dryRun: Promise<DryRun> | undefined;
    const once = (): Promise<DryRun> =>
      (dryRun ??= (async (): Promise<DryRun> => {
        const cwd = await tempDir();
        await writeConfig(cwd, config());
        const human = await sh(['push', '--dry-run', '-v'], cwd);
        expect(human.code, human.stderr).toBe(0);
        const run = await sh(['push', '--dry-run', '--json'], cwd);
        expect(run.code, run.stderr).toBe(0);
        const report = JSON.parse(run.stdout) as Report;
        const csv = await readCsv(report.csvPath);
        const rejects = await readCsv(report.rejectsPath);
        return {
          human,
          run,
          csv,
          rejects,
          warnings: report.warnings.map((w) => w.message),
          reasons: (last) => byLast(rejects.rows, last)?.Reasons ?? '',
        };
      })());

    it('sends the rows the rules keep, rejects the others', async () => {
      const { csv, rejects } = await once();
      expect(csv.rows.map((r) => r['Last Name']).sort()).toEqual(
        ['File', 'Http', 'Https', 'Image', 'Long', 'Rlo', 'Title', 'Width'].sort(),
      );
      expect(rejects.rows.map((r) => r['Last Name']).sort()).toEqual(
        ['Csi', 'Dash', 'Dn', 'Longname', 'Override', "'=cmd|' /C calc'!A0"].sort(),
      );
      // The vendor's CSV holds no control, direction or invisible character (the rejects file
      // keeps a rejected value as read: its Reasons show it escaped).
      expect(csv.text).not.toMatch(RAW);
    });

    it('1. direction controls reject a name and empty a title; zero-width characters and U+2028 are mended', async () => {
      const { csv, warnings, reasons } = await once();
      expect(reasons('Override')).toContain('First Name contains U+202E, a direction control');
      expect(byLast(csv.rows, 'Rlo')?.['Business Title']).toBe('');
      expect(byLast(csv.rows, 'Width')).toMatchObject({
        'First Name': 'Zoe',
        'Business Title': 'Head of Sales',
      });
      expect(warnings).toContain(
        'Business Title contains U+202E, a direction control that changes what a reader sees, in "CEO\\u202egnp.exe"; left empty (fix the value in the directory)',
      );
      expect(warnings).toContain('First Name had invisible characters (U+200B) removed from "Zo\\u200be"');
    });

    it('3. C1 and direction characters in values reach the terminal escaped, never raw', async () => {
      const { human, run } = await once();
      for (const text of [human.stderr, human.stdout, run.stderr, run.stdout]) expect(text).not.toMatch(RAW);
      expect(human.stderr).toContain(
        'Business Title contains a control character (U+009B) in "Boss\\u009b31m\\u202e"',
      );
      expect(human.stderr).toContain(`cn=Dee\\u202eDn\\u009b,${LOBBY}`);
    });

    it('4. an optional title over its limit is cut, a long name rejects its row; nothing huge is written', async () => {
      const { csv, rejects, warnings, reasons } = await once();
      expect(byLast(csv.rows, 'Long')?.['Business Title']).toBe('T'.repeat(255));
      expect(warnings).toContain(
        'Business Title is 10000 characters long, over the limit of 255: cut to 255 characters',
      );
      expect(reasons('Longname')).toContain('First Name is 300 characters long, over the limit of 255');
      expect(csv.text).not.toContain('T'.repeat(256));
      expect(rejects.text).not.toContain('N'.repeat(256));
    });

    it('5. a formula rejects a name and empties a title; neither CSV holds a live formula', async () => {
      const { csv, rejects, reasons } = await once();
      expect(reasons("'=cmd|' /C calc'!A0")).toContain(
        'starts with "=": a spreadsheet would run it as a formula',
      );
      expect(reasons('Dash')).toContain('starts with "-": a spreadsheet would run it as a formula');
      expect(byLast(csv.rows, 'Title')).toMatchObject({ 'Business Title': '', Department: '' });
      for (const file of [csv, rejects]) {
        const records: string[][] = parse(file.text, { bom: true });
        expect(records.flat().filter(isFormulaLike)).toEqual([]);
      }
      // The admin still sees the refused value in the rejects file, as text.
      expect(rejects.text).toContain(`'=cmd|' /C calc'!A0`);
    });

    it('6. the Image column takes https:// (http:// with a warning), nothing else', async () => {
      const { csv, warnings } = await once();
      expect(byLast(csv.rows, 'Https')?.Image).toBe('https://intranet.example.com/hugo.jpg');
      expect(byLast(csv.rows, 'Http')?.Image).toBe('http://intranet.example.com/hal.jpg');
      expect(byLast(csv.rows, 'Image')?.Image).toBe('');
      expect(byLast(csv.rows, 'File')?.Image).toBe('');
      expect(warnings).toContain(
        'Image "javascript:alert(1)" is not an https:// URL; left empty (fix the value in the directory)',
      );
      expect(
        warnings.some((m) => m.startsWith('Image "http://intranet.example.com/hal.jpg" is an http:// URL')),
      ).toBe(true);
    });

    it('4. a push: the vendor and the state get the bounded, clean values only', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, { ...config(), state: { dir: './state' } });
      const push = await sh(['push', '--first-push'], cwd);
      expect(push.code, push.stderr).toBe(0);
      const lobby = servers.mock.contacts().filter((c) => c.location === 'lobby');
      expect(lobby).toHaveLength(8);
      for (const contact of lobby)
        for (const value of Object.values(contact.fields)) {
          expect(value.length).toBeLessThanOrEqual(255);
          expect(value).not.toMatch(RAW);
          expect(isFormulaLike(value)).toBe(false);
        }
      for (const name of await readdir(join(cwd, 'state'), { recursive: true })) {
        const text = await readFile(join(cwd, 'state', name), 'utf8').catch(() => '');
        expect(text, name).not.toContain('T'.repeat(256));
      }
    });
  },
);

describe('emails in two normal forms, look-alikes and invisible characters (LDIF file)', () => {
  const HQ = `ou=hq,ou=people,${SUFFIX}`;
  const hq = (uid: string, givenName: string, sn: string, mail: string): string =>
    record(`uid=${uid},${HQ}`, { objectClass: 'inetOrgPerson', givenName, sn, mail });
  const ldif = [
    hq('zoe1', 'Zoë', 'Nfc', 'zoë@example.com'.normalize('NFC')),
    hq('zoe2', 'Zoë', 'Nfd', 'zoë@example.com'.normalize('NFD')),
    hq('noel', 'Noël', 'Only', 'noël@example.com'.normalize('NFD')),
    hq('ada', 'Ada', 'Latin', 'ada@example.com'),
    hq('ada2', 'Ada', 'Cyrillic', '\u0430da@example.com'),
    hq('zw', 'Zed', 'Zerowidth', 'zw\u200b@example.com'),
  ].join('\n');

  /** A project reading `people` as an LDIF export of ou=hq, with these column overrides. */
  const ldifProject = async (people: string, columns: Record<string, unknown> = {}): Promise<string> => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'people.ldif'), people);
    await writeConfig(cwd, {
      ...exampleConfig(),
      directory: { kind: 'ldif', file: './people.ldif', baseDN: SUFFIX },
      locations: [{ slug: 'hq', ous: [HQ] }],
      columns,
    });
    return cwd;
  };

  it('2. one contact per email whatever its normal form, NFC in the CSV; a look-alike warned; a zero-width email rejected', async () => {
    const cwd = await ldifProject(ldif);
    const run = await runAdsync(['push', '--dry-run', '--json'], { cwd, env: {} });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    const csv = await readCsv(report.csvPath);
    const rejects = await readCsv(report.rejectsPath);
    // The two Zoës hold one email: the duplicate rule sees it (nobody held it: neither is sent).
    expect(csv.rows.map((r) => r.Email).sort()).toEqual(
      ['ada@example.com', '\u0430da@example.com', 'noël@example.com'.normalize('NFC')].sort(),
    );
    expect(csv.text).not.toContain('noël@example.com'.normalize('NFD'));
    expect(rejects.rows.map((r) => r['Last Name']).sort()).toEqual(['Nfc', 'Nfd', 'Zerowidth']);
    expect(byLast(rejects.rows, 'Nfd')?.Reasons).toContain(
      `duplicate Email "${'zoë@example.com'.normalize('NFC')}" is also on the row of Zoë Nfc`,
    );
    expect(byLast(rejects.rows, 'Zerowidth')?.Reasons).toBe(
      'Email contains the invisible character U+200B in "zw\\u200b@example.com"; fix the value in the directory',
    );
    expect(report.warnings.map((w) => w.message)).toContain(
      'Email "\u0430da@example.com" mixes letters of different scripts in "\u0430da": it may be a look-alike of another address',
    );
    expect(run.stderr).not.toMatch(RAW);
  });

  it('3. a DN with C1 and direction characters in a duplicate reason reaches the terminal and the log escaped', async () => {
    const dup = (uid: string, sn: string): string =>
      record(`uid=${uid},${HQ}`, {
        objectClass: 'inetOrgPerson',
        givenName: 'Dup',
        sn,
        mail: 'dup@example.com',
      });
    const cwd = await ldifProject(
      [dup('one\u202e\u009b', 'One'), dup('two', 'Two'), hq('ok', 'Oki', 'Doki', 'ok@example.com')].join(
        '\n',
      ),
    );
    const run = await runAdsync(['push', '--dry-run', '-v', '--log-file', 'run.log'], { cwd, env: {} });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('uid=one\\u202e\\u009b');
    const log = await readFile(join(cwd, 'run.log'), 'utf8');
    expect(log).toContain('uid=one\\u202e\\u009b');
    for (const text of [run.stderr, run.stdout, log]) expect(text).not.toMatch(RAW);
  });

  it("4. a column's maxLength replaces its limit: a long joined value is kept whole, a short limit cuts", async () => {
    const many = Array.from({ length: 40 }, (_, i) => `Team ${i} of the hall`);
    const person = hq('many', 'Many', 'Teams', 'many@example.com');
    const cwd = await ldifProject(`${person}${many.map((team) => `ou: ${team}`).join('\n')}\n`, {
      Department: { from: 'ou', multi: 'join', separator: '|', maxLength: 5000 },
      'Business Title': { from: 'sn', maxLength: 3 },
    });
    const run = await runAdsync(['push', '--dry-run', '--json'], { cwd, env: {} });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    const row = byLast((await readCsv(report.csvPath)).rows, 'Teams');
    expect(row?.Department?.split('|')).toEqual(many);
    expect(row?.Department?.length).toBeGreaterThan(255);
    expect(row?.['Business Title']).toBe('Tea');
    expect(report.warnings.map((w) => w.message).join('\n')).toContain('over the limit of 3');
  });

  it('2. iLobby: an extraContacts row holding a directory email in NFD is the same contact (the directory wins)', async () => {
    const cwd = await tempDir();
    const lee = record(`uid=lee,ou=lab,${SUFFIX}`, {
      objectClass: 'inetOrgPerson',
      givenName: 'Lee',
      sn: 'Lab',
      mail: 'lee@example.com',
    });
    await writeFile(
      join(cwd, 'people.ldif'),
      `${hq('zoe1', 'Zoë', 'Nfc', 'zoë@example.com'.normalize('NFC'))}\n${lee}`,
    );
    const extra = 'zoë@example.com'.normalize('NFD');
    await writeFile(
      join(cwd, 'desk.csv'),
      `FIRSTNAME,LASTNAME,TITLE,DIVISION,EMAIL,MOBILE,DESKPHONE,SITE\nZoë,Extra,,,${extra},,,Lab\n`,
    );
    await writeConfig(cwd, {
      ...exampleConfig(),
      directory: { kind: 'ldif', file: './people.ldif', baseDN: SUFFIX },
      locations: [
        { slug: 'HQ', ous: [HQ] },
        { slug: 'Lab', ous: [`ou=lab,${SUFFIX}`] },
      ],
      target: { profile: 'ilobby' },
      columns: {},
      extraContacts: './desk.csv',
    });
    const run = await runAdsync(['push', '--dry-run', '--json'], { cwd, env: {} });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    const csv = await readCsv(report.csvPath);
    expect(csv.rows.map((r) => [r.LASTNAME, r.EMAIL, r.SITE])).toEqual([
      ['Nfc', 'zoë@example.com'.normalize('NFC'), 'HQ'],
      ['Lab', 'lee@example.com', 'Lab'],
    ]);
    expect(report.warnings.map((w) => w.message)).toContain(
      `Zoë Extra <${extra.normalize('NFC')}> is left out: uid=zoe1,${HQ} in location HQ has the same EMAIL "${'zoë@example.com'.normalize('NFC')}", and the directory's row wins; remove the line from the file`,
    );
  });
});

describe('a location slug with control or invisible characters', () => {
  it('7. fails config load with exit 2 naming locations[i].slug', async () => {
    for (const slug of ['new\nline', 'lob\u009bby', 'lob\u202eby']) {
      const cwd = await tempDir();
      const base = exampleConfig();
      await writeConfig(cwd, {
        ...base,
        locations: [
          { slug: 'hq', ous: [`ou=hq,ou=people,${SUFFIX}`] },
          { slug, ous: [`ou=warehouse,ou=people,${SUFFIX}`] },
        ],
      });
      const run = await runAdsync(['push', '--dry-run'], { cwd, env: { TEST_BIND_PASSWORD: 'x' } });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('locations[1].slug');
      expect(run.stderr).toContain('contains the control or invisible character U+');
      expect(run.stderr).not.toMatch(RAW);
    }
  });
});
