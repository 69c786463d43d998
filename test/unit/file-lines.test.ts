import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { fileLines } from '../../src/io/file-lines.js';
import { tempDir } from '../harness/files.js';
import { seededRandom } from '../harness/random.js';

async function read(path: string, chunkSize?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const line of fileLines(path, chunkSize)) out.push(line);
  return out;
}

/** What the lines of a file are: its text split at line feeds, without a last empty one. */
function expected(bytes: Buffer): string[] {
  const lines = bytes.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

describe('file lines', () => {
  it('gives every line whole, whatever the chunk size cuts: multi-byte characters, long and empty lines', async () => {
    const rand = seededRandom(17);
    const pool = ['a', 'Z', ' ', 'é', '李', '🚀', '"', '\r', '\u2028'];
    const lines = Array.from({ length: 400 }, (_, n) =>
      n % 50 === 0
        ? 'x'.repeat(3000)
        : Array.from({ length: Math.floor(rand() * 12) }, () => pool[Math.floor(rand() * pool.length)]).join(
            '',
          ),
    );
    const dir = await tempDir();
    for (const [name, text] of [
      ['ended', `${lines.join('\n')}\n`],
      ['unended', lines.join('\n')],
      ['empty', ''],
      ['blank lines', '\n\n\n'],
    ] as const) {
      const path = join(dir, `${name}.txt`);
      await writeFile(path, text);
      const bytes = Buffer.from(text, 'utf8');
      for (const chunk of [1, 2, 3, 7, 64, undefined])
        expect(await read(path, chunk)).toEqual(expected(bytes));
    }
  });

  it('reads bytes that are not UTF-8 as U+FFFD, as decoding the whole file does', async () => {
    const bytes = Buffer.concat([
      Buffer.from('ok\n'),
      Buffer.from([0xc3, 0x28, 0x0a, 0xe6, 0x9d]),
      Buffer.from('\nend'),
      Buffer.from([0xf0, 0x9f]),
    ]);
    const path = join(await tempDir(), 'bad.txt');
    await writeFile(path, bytes);
    for (const chunk of [1, 2, 5, undefined]) expect(await read(path, chunk)).toEqual(expected(bytes));
  });
});
