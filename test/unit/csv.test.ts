import { createHash } from 'node:crypto';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';

import { buildLocationFilter, escapeFilterValue } from '../../src/directory/filter.js';
import { encodeCsvRow, encodeCsvRows, runFiles, runStamp, writeCsv } from '../../src/csv/writer.js';
import { pruneRuns } from '../../src/pipeline/run-files.js';
import { neutralizeFormula } from '../../src/util/spreadsheet.js';
import { tempDir } from '../harness/files.js';

describe('CSV writer', () => {
  const tricky = [
    ['Zoë', 'Ångström', 'Head of "Quality", Europe'],
    ['李', '小龍', 'multi\nline'],
    ['Sam 🚀', "O'Neil", ' padded '],
    ['', 'a,b', 'tab\there'],
  ];

  it('round-trips quotes, commas, newlines, accents, CJK and emoji with CRLF line ends', async () => {
    const dir = await tempDir();
    const path = join(dir, 'out.csv');
    await writeCsv(path, ['A', 'B', 'C'], tricky, { bom: false });
    const bytes = await readFile(path);
    const text = bytes.toString('utf8');
    expect(text.startsWith('A,B,C\r\n')).toBe(true);
    expect(text).toContain('"Head of ""Quality"", Europe"');
    expect(text.endsWith('\r\n')).toBe(true);
    // Five records end in CRLF; the one bare LF is inside the quoted multi-line value.
    expect(text.split('\r\n')).toHaveLength(6);
    expect(text).toContain('"multi\nline"');
    expect(text.replace('"multi\nline"', '').replace(/\r\n/g, '')).not.toContain('\n');
    expect(parse(text, { relax_column_count: false })).toEqual([['A', 'B', 'C'], ...tricky]);
  });

  it('quotes exactly the fields that need it: fixed bytes for tricky cells', async () => {
    const cells = [
      'a',
      'b,c',
      'say "hi"',
      ' lead',
      'trail ',
      'multi\nline',
      'cr\rx',
      '',
      'tab\tin',
      '\tedge',
      '\u00a0nbsp',
      "O'Neil",
      '=1+1',
    ];
    const expected =
      'a,"b,c","say ""hi"""," lead","trail ","multi\nline","cr\rx",,tab\tin,\'\tedge,"\u00a0nbsp",O\'Neil,\'=1+1\r\n';
    expect(encodeCsvRow(cells)).toBe(expected);
    const dir = await tempDir();
    await writeCsv(join(dir, 'fixed.csv'), ['H', 'I J'], [cells, ['x']], { bom: true });
    expect((await readFile(join(dir, 'fixed.csv'))).toString('utf8')).toBe(`\ufeffH,I J\r\n${expected}x\r\n`);
  });

  it('writes the same bytes as csv-stringify with the quoting rules the files always had', async () => {
    let seed = 3;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pool = [
      'a',
      'Z',
      ' ',
      ',',
      '"',
      '\r',
      '\n',
      '\t',
      '\u00a0',
      '\u2028',
      'é',
      '李',
      '🚀',
      '=',
      "'",
      ';',
    ];
    const field = (): string =>
      Array.from({ length: Math.floor(rand() * 5) }, () => pool[Math.floor(rand() * pool.length)] ?? '').join(
        '',
      );
    const rows = Array.from({ length: 5000 }, () =>
      Array.from({ length: 1 + Math.floor(rand() * 4) }, field),
    );
    // Formula-like fields get their leading "'" first (util/spreadsheet.ts); quoting is the same.
    const expected = stringify([['H1', 'H 2'], ...rows.map((r) => r.map(neutralizeFormula))], {
      record_delimiter: 'windows',
      bom: true,
      quoted_match: /[\r\n]|^\s|\s$/,
    });
    expect(`\ufeff${['H1', 'H 2'].join(',')}\r\n${rows.map(encodeCsvRow).join('')}`).toBe(expected);
    const dir = await tempDir();
    const { sha256, bytes } = await writeCsv(join(dir, 'same.csv'), ['H1', 'H 2'], rows, { bom: true });
    const written = await readFile(join(dir, 'same.csv'));
    expect(written.toString('utf8')).toBe(expected);
    expect(bytes).toBe(written.length);
    expect(sha256).toBe(createHash('sha256').update(written).digest('hex'));
  });

  // Golden bytes captured from the hand-written encoder that csv-stringify replaced again (issue
  // 25), before the switch: the files adsync writes must not change by a byte.
  const hostile = [
    ['"', 'a"b', '""', 'say "hi"', '"quoted"'],
    ['\r', 'a\rb', '\n', 'a\nb', '\r\n', 'a\r\nb', 'end\r\n', '\r\nstart'],
    [',', 'a,b', ',,', 'a, "b"'],
    [' ', ' lead', 'trail ', '  both  ', '\u00a0nbsp', 'nbsp\u00a0', '\u2028ls', 'tab\t', '\tedge'],
    ['', '', ''],
    [''],
    ['é', 'Zoë Ångström', '李小龍', 'Сергей', 'שלום', '🚀', 'a\u0301', '\ufeffbom', '\u0000nul'],
    [
      '=1+1',
      '@SUM(A1)',
      '+cmd',
      '-2+3+cmd|x',
      '+14165550101',
      '-2',
      '+1.5',
      ' =1',
      '\r=1',
      '\t=x',
      '=a,b',
      '="q"',
      '-',
    ],
    ["'", "'already", "O'Neil", "'=x", "=''"],
  ];
  const hostileGolden = [
    '"""","a""b","""""","say ""hi""","""quoted"""\r\n',
    '"\'\r","a\rb","\n","a\nb","\'\r\n","a\r\nb","end\r\n","\'\r\nstart"\r\n',
    '",","a,b",",,","a, ""b"""\r\n',
    '" "," lead","trail ","  both  ","\u00a0nbsp","nbsp\u00a0","\u2028ls","tab\t",\'\tedge\r\n',
    ',,\r\n',
    '\r\n',
    'é,Zoë Ångström,李小龍,Сергей,שלום,🚀,a\u0301,"\ufeffbom",\u0000nul\r\n',
    '\'=1+1,\'@SUM(A1),\'+cmd,\'-2+3+cmd|x,+14165550101,-2,+1.5,\' =1,"\'\r=1",\'\t=x,"\'=a,b","\'=""q""",\'-\r\n',
    "','already,O'Neil,'=x,'=''\r\n",
  ];
  const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

  it('encodes hostile cells to the same bytes as before csv-stringify came back (golden)', () => {
    expect(hostile.map((row) => encodeCsvRow(row))).toEqual(hostileGolden);
    // Every hostile cell alone in a row and between plain cells, encoded as one batch.
    const cells = hostile.flat();
    const rows = [...hostile, ...cells.map((c) => [c]), ...cells.map((c) => ['x', c, 'y'])];
    const text = encodeCsvRows(rows);
    expect([text.length, sha256(text)]).toEqual([
      1446,
      'bef64f8a82f8bbe7b74a1ebe8b655c04ae0ef6e2797d74d7c4c4bd40ad3b9104',
    ]);
  });

  it('encodes 20,000 random hostile rows to the same bytes as before (golden)', () => {
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pool = ['a', 'Z', ' ', ',', '"', '\r', '\n', '\r\n', '\t', '\u00a0', '\u2028', 'é', '李', '🚀'];
    pool.push('=', '@', '+', '-', '1', "'", ';', '');
    const field = (): string =>
      Array.from({ length: Math.floor(rand() * 6) }, () => pool[Math.floor(rand() * pool.length)] ?? '').join(
        '',
      );
    const rows = Array.from({ length: 20_000 }, () =>
      Array.from({ length: 1 + Math.floor(rand() * 6) }, field),
    );
    const text = encodeCsvRows(rows);
    expect([text.length, sha256(text)]).toEqual([
      378435,
      '34c77faa61d9c5aa02bb3fab0bbbdc7223cc9e821d2ecd413c08354b17d0165c',
    ]);
  });

  it('writes a BOM only when asked, and files readable by the owner only', async () => {
    const dir = await tempDir();
    await writeCsv(join(dir, 'bom.csv'), ['A'], [['x']], { bom: true });
    expect([...(await readFile(join(dir, 'bom.csv'))).subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    if (process.platform !== 'win32') expect((await stat(join(dir, 'bom.csv'))).mode & 0o777).toBe(0o600);
  });

  it('leaves no file under the final name when writing fails', async () => {
    const dir = await tempDir();
    const path = join(dir, 'missing-dir-is-a-file');
    await writeFile(path, 'not a directory');
    await expect(writeCsv(join(path, 'x.csv'), ['A'], [['x']], { bom: false })).rejects.toMatchObject({
      code: 'OUTPUT_WRITE',
    });
  });

  it('names run files by time and keeps the newest runs only', async () => {
    const dir = await tempDir();
    const stamps = ['20260101T000000000Z', '20260102T000000000Z', '20260103T000000000Z'];
    for (const stamp of stamps) {
      const f = runFiles({ dir, profile: 'receptionist', stamp });
      await writeFile(f.csvPath, '');
      await writeFile(f.rejectsPath, '');
    }
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    const deleted = await pruneRuns(dir, 2);
    expect(deleted.sort()).toEqual([
      'adsync-receptionist-20260101T000000000Z.csv',
      'adsync-receptionist-20260101T000000000Z.rejects.csv',
    ]);
    expect((await readdir(dir)).sort()).toContain('notes.txt');
    expect(runStamp(new Date('2026-11-21T19:18:00.123Z'))).toBe('20261121T191800123Z');
    expect(runFiles({ dir, output: '/x/my.csv', profile: 'p', stamp: 's' })).toEqual({
      csvPath: '/x/my.csv',
      rejectsPath: '/x/my.rejects.csv',
      planPath: join('/x', 'plan-s.json'),
    });
  });
});

describe('LDAP filters', () => {
  it('escapes values and combines user filter, extra filter and groups', () => {
    expect(escapeFilterValue('cn=a(b)*\\')).toBe('cn=a\\28b\\29\\2a\\5c');
    expect(buildLocationFilter({ userFilter: '(objectClass=person)', groups: [] })).toBe(
      '(objectClass=person)',
    );
    expect(
      buildLocationFilter({
        userFilter: '(objectClass=person)',
        filter: 'mail=*',
        groups: ['cn=g1', 'cn=(g2)'],
      }),
    ).toBe('(&(objectClass=person)(mail=*)(|(memberOf=cn=g1)(memberOf=cn=\\28g2\\29)))');
  });
});
