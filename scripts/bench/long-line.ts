/**
 * How long reading an LDIF file with one long line takes (issue 24: a 40 MB line took 8.6 s, a
 * 500 MB line ran for minutes, as the unfinished line was joined again with every chunk read).
 * Reads the built adsync (run `npm run build` first):
 *
 *     node scripts/bench/long-line.ts [MB…]
 *
 * For each size, one entry whose `description` is that many MB, written on one line and again as
 * 76-column continuation lines; prints the time until adsync read it or refused it (values over
 * 10 MB are refused) and the peak RSS.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Write the file: one entry with a value of `bytes`, on one line or folded at 76 columns. */
async function writeLdif(path: string, bytes: number, folded: boolean): Promise<void> {
  const out = createWriteStream(path);
  out.write('dn: cn=long,dc=example\ncn: long\ndescription: ');
  const piece = 'x'.repeat(folded ? 75 : 1024 * 1024);
  for (let left = bytes; left > 0; left -= piece.length) {
    const text = piece.slice(0, Math.min(left, piece.length));
    if (!out.write(folded ? `${text}\n ` : text)) await once(out, 'drain');
  }
  out.end('\n\n');
  await once(out, 'finish');
}

const { readLdif } = (await import(pathToFileURL(join(ROOT, 'dist/directory/ldif/reader.js')).href)) as {
  readLdif: (path: string, file: string) => AsyncGenerator;
};
const sizes = process.argv.slice(2).map(Number);
const dir = await mkdtemp(join(tmpdir(), 'adsync-long-line-'));
try {
  for (const mb of sizes.length > 0 ? sizes : [9, 40, 500]) {
    for (const folded of [false, true]) {
      const path = join(dir, `long-${mb}.ldif`);
      await writeLdif(path, mb * 1024 * 1024, folded);
      const started = performance.now();
      let outcome = 'read';
      try {
        for await (const record of readLdif(path, 'long.ldif')) if (record === undefined) break;
      } catch (error) {
        outcome = `refused: ${error instanceof Error ? error.message : String(error)}`;
      }
      const ms = Math.round(performance.now() - started);
      const rss = Math.round(process.resourceUsage().maxRSS / 1024);
      console.log(
        `${mb} MB ${folded ? 'folded' : 'one line'}: ${ms} ms, peak RSS so far ${rss} MB, ${outcome}`,
      );
      await rm(path);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
