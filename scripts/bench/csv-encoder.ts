/**
 * The CSV encoder alone (`encodeCsvRows` from the build), on 100,000 rows shaped like the
 * receptionist CSV of `npm run bench` (plain names, accented and non-Latin ones, E.164 phones,
 * a few cells that need quotes or a formula guard), in batches of 500 as `CsvFileWriter` encodes
 * them. CPU time of the encoding only, in-process, so a loaded machine disturbs it less than
 * the wall times of the full bench: the best and the median of `--runs` (default 15).
 *
 * node scripts/bench/csv-encoder.ts [--runs N] [--root DIR]   (after `npm run build`)
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, root: { type: 'string' } },
});
const root = values.root ?? fileURLToPath(new URL('../../', import.meta.url));
const writer = (await import(pathToFileURL(join(root, 'dist/csv/writer.js')).href)) as {
  encodeCsvRows: (rows: readonly (readonly string[])[]) => string;
};

const FIRST = ['Anna', 'José', 'Zoë', '李', 'Сергей', 'Mary Ann', 'Ørjan', "D'Arcy"];
const LAST = ['Smith', 'Ångström', 'O’Neil', '小龍', 'Иванов', 'van der Berg', 'Łukasz', 'Nguyen'];
const TITLE = ['Engineer', 'Head of "Quality", Europe', 'Manager', ' Receptionist', 'Analyst'];
const rows: string[][] = [];
for (let i = 0; i < 100_000; i++) {
  const first = FIRST[i % FIRST.length] ?? '';
  const last = LAST[(i * 7) % LAST.length] ?? '';
  rows.push([
    first,
    last,
    `${first.toLowerCase()}.${i}@example.com`,
    `+1416555${String(i % 10_000).padStart(4, '0')}`,
    i % 3 === 0 ? '' : `+4420794${String(i % 100_000).padStart(5, '0')}`,
    TITLE[i % TITLE.length] ?? '',
    `Dept ${i % 40}`,
    `E${100_000 + i}`,
    i % 500 === 0 ? '=HYPERLINK("x")' : 'Toronto',
    'yes',
  ]);
}

const runs = Math.max(1, Number(values.runs));
const times: number[] = [];
let digest = '';
for (let r = 0; r < runs; r++) {
  const batches = [];
  for (let i = 0; i < rows.length; i += 500) batches.push(rows.slice(i, i + 500));
  const out: string[] = [];
  const started = process.cpuUsage();
  for (const batch of batches) out.push(writer.encodeCsvRows(batch));
  const used = process.cpuUsage(started);
  times.push((used.user + used.system) / 1000);
  const hash = createHash('sha256');
  for (const text of out) hash.update(text);
  digest = hash.digest('hex');
}
const sorted = [...times].sort((a, b) => a - b);
console.log(
  `encodeCsvRows, 100,000 rows in batches of 500 (${runs} runs): best ${(sorted[0] ?? NaN).toFixed(0)} ms, median ${(sorted[sorted.length >> 1] ?? NaN).toFixed(0)} ms of CPU; output sha256 ${digest}`,
);
