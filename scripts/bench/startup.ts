/**
 * Start-up time of `adsync --version` and `adsync --help` against `node -e 0` (issue 25: they
 * must stay within 2.5 times of it, which is why chalk, ora, csv-stringify and every package a
 * run needs are loaded only when a command runs; test/unit/cli-startup.test.ts checks which
 * modules load, this measures the time). The three are run alternately, `--runs` times (default
 * 30) after two warm-up rounds; it prints the median and best wall times and the ratios, and
 * exits 1 when a median ratio is over the limit.
 *
 * node scripts/bench/startup.ts [--runs N] [--root DIR]   (after `npm run build`; DIR: another
 * built checkout, to compare)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const LIMIT = 2.5;
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '30' }, root: { type: 'string' } },
});
const root = values.root ?? fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'adsync.js');
const runs = Math.max(1, Number(values.runs));

const commands: [string, string[]][] = [
  ['node -e 0', ['-e', '0']],
  ['adsync --version', [bin, '--version']],
  ['adsync --help', [bin, '--help']],
];

/** GNU time, for the CPU time (user + system) of each run, which a loaded machine disturbs less. */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Wall time and CPU time of one run, in ms; a run that fails ends the benchmark. */
function once(args: string[]): { wall: number; cpu: number } {
  const command = TIME ? [TIME, '-f', 'CPU %U %S', process.execPath, ...args] : [process.execPath, ...args];
  const started = process.hrtime.bigint();
  const run = spawnSync(command[0] ?? '', command.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH },
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${String(run.status)}: ${String(run.stderr)}`);
  const [user, system] = (/CPU (\S+) (\S+)\s*$/.exec(String(run.stderr))?.slice(1) ?? []).map(Number);
  return { wall, cpu: ((user ?? NaN) + (system ?? NaN)) * 1000 };
}

const times = new Map<string, number[]>(commands.map(([name]) => [name, []]));
const cpu = new Map<string, number[]>(commands.map(([name]) => [name, []]));
for (let r = -2; r < runs; r++) {
  for (const [name, args] of commands) {
    const sample = once(args);
    if (r < 0) continue;
    times.get(name)?.push(sample.wall);
    cpu.get(name)?.push(sample.cpu);
  }
}
const median = (list: number[]): number => {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};
const base = median(times.get('node -e 0') ?? []);
const baseCpu = median(cpu.get('node -e 0') ?? []);
let over = false;
console.log(
  `Node ${process.version}, ${runs} runs each, alternating; load average ${(await import('node:os'))
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);
console.log('| command | median ms | best ms | median / node -e 0 | median CPU ms | CPU / node -e 0 |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name] of commands) {
  const list = times.get(name) ?? [];
  const ratio = median(list) / base;
  if (ratio > LIMIT) over = true;
  console.log(
    `| \`${name}\` | ${median(list).toFixed(1)} | ${Math.min(...list).toFixed(1)} | ${ratio.toFixed(2)} | ${median(cpu.get(name) ?? []).toFixed(0)} | ${(median(cpu.get(name) ?? []) / baseCpu).toFixed(2)} |`,
  );
}
if (over) {
  console.error(`over the limit: --version and --help must take at most ${LIMIT} × node -e 0`);
  process.exitCode = 1;
}
