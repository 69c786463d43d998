import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { readLdif, type LdifRecord } from '../../src/directory/ldif/reader.js';
import { DirectoryError } from '../../src/errors.js';
import { runAdsync } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/files.js';

/**
 * LDIF files cut short (issue 23 §1): a copy or export that stopped must not be read as a smaller
 * directory, and a complete file that merely lacks its last line break must still be read.
 */

const BASE = 'ou=people,dc=example,dc=com';
/** What OpenLDAP 2.5's `ldapsearch -x -E pr=2/noprompt` wrote for 5 people: 3 pages, 3 trailers. */
const PAGED = fileURLToPath(new URL('../fixtures/ldapsearch-paged.ldif', import.meta.url));
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

const record = (n: number): string =>
  [
    `dn: uid=p${n},${BASE}`,
    'objectClass: inetOrgPerson',
    `uid: p${n}`,
    `givenName: P${n}`,
    `sn: N${n}`,
    `mail: p${n}@example.com`,
  ]
    .join('\n')
    .concat('\n');

/** Plain `ldapsearch` output (no -L): its header, its entries and, unless cut, its trailer. */
function ldapsearchOutput(count: number, trailer = true, numEntries = count): string {
  const header = `# extended LDIF\n#\n# LDAPv3\n# base <${BASE}> with scope subtree\n# filter: (objectClass=inetOrgPerson)\n# requesting: ALL\n#\n\n`;
  const entries = Array.from(
    { length: count },
    (_, i) => `# p${i + 1}, people, example.com\n${record(i + 1)}\n`,
  ).join('');
  const end = `# search result\nsearch: 2\nresult: 0 Success\n\n# numResponses: ${count + 1}\n# numEntries: ${numEntries}\n`;
  return header + entries + (trailer ? end : '');
}

async function ldifFile(content: string): Promise<string> {
  const path = join(await tempDir('adsync-cut-'), 'people.ldif');
  await writeFile(path, content);
  return path;
}

async function read(content: string): Promise<LdifRecord[]> {
  const path = await ldifFile(content);
  const records: LdifRecord[] = [];
  for await (const r of readLdif(path, 'people.ldif')) records.push(r);
  return records;
}

async function refused(content: string): Promise<DirectoryError> {
  const error: unknown = await read(content).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DirectoryError)) throw new Error(`expected a DirectoryError, got ${String(error)}`);
  expect(error.code).toBe('LDAP_LDIF');
  expect(error.hint).toContain('cut short');
  return error;
}

const lineCount = (text: string): number => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

describe('a plain ldapsearch output', () => {
  it('is read when it ends with its trailer', async () => {
    expect(await read(ldapsearchOutput(3))).toHaveLength(3);
  });

  it('is read when it was paged: a trailer after each page, the last with an empty cookie', async () => {
    expect(await read(await readFile(PAGED, 'utf8'))).toHaveLength(5);
  });

  it('is never read short, wherever a paged output is cut', async () => {
    const full = await readFile(PAGED, 'utf8');
    // Inside every line of the trailers and headers, near the start of each line of the entries.
    const cuts: number[] = [];
    let start = 0;
    for (const line of full.split('\n')) {
      const trailer = !/^(dn|objectClass|uid|cn|givenName|sn|mail|entryUUID):/.test(line);
      for (let i = 0; i <= line.length; i++) if (trailer || i < 2 || i === 5) cuts.push(start + i);
      start += line.length + 1;
    }
    for (const at of cuts.filter((n) => n > 16 && n <= full.length)) {
      const outcome = await read(full.slice(0, at)).then(
        (records) => records.length,
        (e: unknown) => (e instanceof DirectoryError ? 'refused' : e),
      );
      if (outcome !== 'refused') expect(outcome, `cut at byte ${at}`).toBe(5);
    }
  });

  it('is refused when a paged output ends after a page that names the next one', async () => {
    const full = await readFile(PAGED, 'utf8');
    const end = full.indexOf('pagedresults: cookie=MQ==\n') + 'pagedresults: cookie=MQ==\n'.length;
    const error = await refused(full.slice(0, end));
    expect(error.message).toBe(
      `people.ldif:${lineCount(full.slice(0, end))}: the paged ldapsearch output ends after a page that was not the last (its trailer has no empty "pagedresults: cookie="), without the pages after it: it was cut off`,
    );
  });

  it('is refused when its trailer is missing, naming the last line', async () => {
    const cut = ldapsearchOutput(2, false);
    const error = await refused(cut);
    expect(error.message).toBe(
      `people.ldif:${lineCount(cut)}: the ldapsearch output ends without its "# search result" and "result:" lines after the last entry: it was cut off`,
    );
  });

  it('is refused when # numEntries does not match the records read', async () => {
    const text = ldapsearchOutput(3, true, 4);
    const error = await refused(text);
    expect(error.message).toBe(
      `people.ldif:${lineCount(text)}: ldapsearch counted 4 entries ("# numEntries: 4") but the file holds 3 records: records are missing or were added`,
    );
  });
});

describe('any LDIF file whose last record is cut off', () => {
  const two = `${record(1)}\n${record(2)}`;

  it('is refused when it ends in a base64 value no writer would leave', async () => {
    const text = `${two}description:: ${b64('Head of quality, Europe').slice(0, 10)}`;
    const error = await refused(text);
    expect(error.message).toBe(
      `people.ldif:14: the file ends in the base64 value of description (line 14), which is not padded to its full length: the last record is cut off`,
    );
  });

  it('is refused when it ends after a folded line, before the continuation that completes the value', async () => {
    const value = b64('a description long enough to be folded by the writer');
    const error = await refused(`${two}description:: ${value.slice(0, 30)}\n`);
    expect(error.message).toContain(
      'people.ldif:14: the file ends in the base64 value of description (line 14)',
    );
  });

  it('is refused when it ends in a continuation line without a line break', async () => {
    const error = await refused(`${two}description: a description long enough to be\n  folded by the wri`);
    expect(error.message).toBe(
      'people.ldif:15: the file ends without a line break in a continuation line of description (line 14): the last record is cut off',
    );
  });

  it('is refused when it ends after a record’s dn line', async () => {
    const error = await refused(`${two}\ndn: uid=p3,${BASE}\n`);
    expect(error.message).toBe(
      `people.ldif:15: the file ends after the "dn:" line of line 15, without the record's attributes or a blank line: the last record is cut off`,
    );
  });

  it('is refused when it ends right after an attribute name, or inside one', async () => {
    expect((await refused(`${two}mail:`)).message).toBe(
      'people.ldif:14: the file ends right after "mail:", without its value or a line break: the last record is cut off',
    );
    expect((await refused(`${two}telephoneNu`)).message).toBe(
      'people.ldif:14: the file ends in the middle of a line, before its ":": the last record is cut off',
    );
  });

  it('is read whole when it merely lacks the last line break or blank line', async () => {
    for (const text of [
      two.trimEnd(),
      two,
      `${two}description:: ${b64('Head of quality')}`,
      `${two}description:: ${b64('Head of quality, Europe')}\n`,
      `${two}description: a description long enough to be\n  folded by the writer\n`,
      `${two}description:\n`,
      `${record(1)}\ndn: uid=p2,${BASE}\n\n`,
    ]) {
      expect(
        (await read(text)).map((r) => r.dn),
        JSON.stringify(text.slice(-40)),
      ).toHaveLength(2);
    }
  });
});

describe('adsync push --dry-run over a cut ldapsearch export', () => {
  it('exits 1 with LDAP_LDIF naming the file and line, and writes nothing', async () => {
    const cwd = await tempDir();
    const cut = ldapsearchOutput(3, false);
    await writeFile(join(cwd, 'people.ldif'), cut);
    await writeConfig(cwd, {
      directory: { kind: 'ldif', file: 'people.ldif' },
      locations: [{ slug: 'hq', ous: [BASE] }],
      target: { profile: 'receptionist' },
      output: { dir: './out' },
    });
    const run = await runAdsync(['push', '--dry-run', '--json'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `people.ldif:${lineCount(cut)}: the ldapsearch output ends without its "# search result" and "result:" lines after the last entry: it was cut off`,
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'LDAP_LDIF' } });
    expect(await readdir(cwd)).not.toContain('out');
  });
});
