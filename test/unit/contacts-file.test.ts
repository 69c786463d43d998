import { execFileSync } from 'node:child_process';
import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { readContactsFile } from '../../src/csv/contacts-file.js';
import { ConfigError } from '../../src/errors.js';
import { FILE_LIMITS } from '../../src/io/small-file.js';
import { tempDir } from '../harness/files.js';

const HEADERS = ['FIRSTNAME', 'LASTNAME', 'EMAIL', 'SITE'];

async function file(content: string | Buffer, name = 'extra.csv'): Promise<string> {
  const path = join(await tempDir(), name);
  await writeFile(path, content);
  return path;
}

async function refusal(path: string): Promise<ConfigError> {
  try {
    await readContactsFile(path, HEADERS);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_EXTRA_CONTACTS');
    return error as ConfigError;
  }
  throw new Error(`${path} was read`);
}

describe('readContactsFile (extraContacts)', () => {
  it('skips a BOM, keeps quoted commas and line breaks, and numbers rows by the line they start on', async () => {
    const path = await file(
      '\ufeffFIRSTNAME,LASTNAME,EMAIL,SITE\r\n' +
        'Ann,"Smith, Jr.",ann@x.example,hq\r\n' +
        '\r\n' +
        'Bob,"Two\r\nLines",bob@x.example,hq\r\n' +
        ',,,\r\n' +
        '  Cy  ,Doe,cy@x.example,warehouse\r\n',
    );
    const read = await readContactsFile(path, HEADERS);
    expect(read.name).toBe('extra.csv');
    expect(read.rows).toEqual([
      { cells: ['Ann', 'Smith, Jr.', 'ann@x.example', 'hq'], line: 2 },
      { cells: ['Bob', 'Two\r\nLines', 'bob@x.example', 'hq'], line: 4 },
      { cells: ['Cy', 'Doe', 'cy@x.example', 'warehouse'], line: 7 },
    ]);
  });

  it('reads a file of many rows in pieces: characters split between pieces, quoted line breaks and line numbers stay right', async () => {
    const rows = Array.from({ length: 3000 }, (_, n) =>
      n % 7 === 0 ? `Zoë,"Ør\nsted",z${n}@x.example,hq` : `Ann,Łoś ${n},a${n}@x.example,hq`,
    );
    const read = await readContactsFile(
      await file(`FIRSTNAME,LASTNAME,EMAIL,SITE\n${rows.join('\n')}\n`),
      HEADERS,
    );
    expect(read.rows).toHaveLength(3000);
    let line = 2;
    for (const [n, row] of read.rows.entries()) {
      expect(row).toEqual({
        cells:
          n % 7 === 0
            ? ['Zoë', 'Ør\nsted', `z${n}@x.example`, 'hq']
            : ['Ann', `Łoś ${n}`, `a${n}@x.example`, 'hq'],
        line,
      });
      line += n % 7 === 0 ? 2 : 1;
    }
  });

  it('takes the columns in any order, and marks a row with too few or too many fields', async () => {
    const path = await file('SITE,EMAIL,LASTNAME,FIRSTNAME\nhq,ann@x.example,Smith,Ann\nhq,bob@x.example\n');
    expect((await readContactsFile(path, HEADERS)).rows).toEqual([
      { cells: ['Ann', 'Smith', 'ann@x.example', 'hq'], line: 2 },
      { cells: ['', '', 'bob@x.example', 'hq'], line: 3, cellCount: 2 },
    ]);
  });

  it("refuses a header that is not the upload's, naming what is missing, unknown or repeated", async () => {
    const error = await refusal(
      await file('FIRSTNAME,LASTNAME,E-MAIL,SITE,SITE\nAnn,Smith,a@x.example,hq,hq\n'),
    );
    expect(error.message).toContain(
      'its header does not match the upload\'s columns: missing "EMAIL"; unknown "E-MAIL" (did you mean "EMAIL"?); repeated "SITE"',
    );
    expect(error.hint).toContain('write the header line as: FIRSTNAME,LASTNAME,EMAIL,SITE');
    expect((await refusal(await file(''))).message).toContain('is empty: it has no header line');
  });

  // A FIFO is POSIX's: Windows has no named pipes in the file system.
  it.skipIf(process.platform === 'win32')('refuses a FIFO without blocking on it', async () => {
    const fifo = join(await tempDir(), 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    // Opened without blocking and refused: a FIFO with no writer would hang the run.
    expect((await refusal(fifo)).message).toContain('is a FIFO (named pipe), not a regular file');
  });

  it('refuses a missing file, a directory, a huge file, non-UTF-8 text and broken quoting', async () => {
    const dir = await tempDir();
    expect((await refusal(join(dir, 'nope.csv'))).message).toBe(
      `extraContacts file ${join(dir, 'nope.csv')} does not exist`,
    );
    expect((await refusal(dir)).message).toMatch(/is (refused: .* is a directory|a directory)/);
    const huge = join(dir, 'huge.csv');
    await writeFile(huge, 'FIRSTNAME,LASTNAME,EMAIL,SITE\n');
    await truncate(huge, FILE_LIMITS.contacts + 1);
    expect((await refusal(huge)).message).toContain(`at most ${FILE_LIMITS.contacts} are read`);
    const latin1 = await file(
      Buffer.from('FIRSTNAME,LASTNAME,EMAIL,SITE\nJos\xe9,X,j@x.example,hq\n', 'latin1'),
    );
    expect((await refusal(latin1)).message).toContain('is not UTF-8 text');
    const quote = await refusal(await file('FIRSTNAME,LASTNAME,EMAIL,SITE\n"Ann,Smith,a@x.example,hq\n'));
    expect(quote.message).toContain('is not a valid CSV');
    expect(quote.hint).toContain('double quotes');
  });
});
