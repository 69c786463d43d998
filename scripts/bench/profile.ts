/**
 * Summarise a V8 CPU profile (`node --cpu-prof`): self time by function and by package, so the
 * benchmark can say where the time goes without opening DevTools.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which package or part of adsync a script URL belongs to. */
function owner(url: string): string {
  if (url === '') return '(V8 / native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const own = /\/dist\/([^/]+)\//.exec(url)?.[1];
  return own ? `adsync ${own}` : url.replace(/^file:\/\//, '');
}

/**
 * The top functions and packages by self time of each busy thread of the run profiled in a
 * directory: the main thread (thread 0 in the file name) and the search thread (the largest of
 * the others; the watchdog's profile is a few kilobytes of idle time and is left out).
 * @param dir where `--cpu-prof-dir` wrote the profiles
 * @param top how many functions to list per thread
 */
export async function summarizeProfile(dir: string, top: number): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile'));
  const sized = await Promise.all(names.map(async (n) => ({ n, size: (await stat(join(dir, n))).size })));
  sized.sort((a, b) => b.size - a.size);
  // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main thread.
  const isMain = (n: string): boolean => /\.\d+\.0\.\d+\.cpuprofile$/.test(n);
  const main = sized.find((f) => isMain(f.n)) ?? sized[0];
  const search = sized.find((f) => f !== main);
  if (!main) return ['(no profile written)'];
  const lines = [`main thread: ${await summarizeOne(join(dir, main.n), top)}`];
  if (search && search.size > 100_000)
    lines.push(`search thread: ${await summarizeOne(join(dir, search.n), top)}`);
  return lines.flatMap((l) => l.split('\n'));
}

/**
 * The summary of one profile file (lines joined by newlines).
 * @param path the .cpuprofile file
 * @param top how many functions to list
 */
async function summarizeOne(path: string, top: number): Promise<string> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = profile.endTime - profile.startTime;
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(node_modules|dist)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const o = ['(idle)', '(program)', '(garbage collector)'].includes(functionName)
      ? functionName
      : owner(url);
    byOwner.set(o, (byOwner.get(o) ?? 0) + us);
  }
  const pct = (us: number): string => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const ms = (us: number): string => `${(us / 1000).toFixed(0).padStart(6)} ms`;
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
  return [
    `profile ${path}: ${(total / 1e6).toFixed(2)} s`,
    'by package (self time):',
    ...sorted(byOwner).map(([k, us]) => `  ${ms(us)} ${pct(us)}  ${k}`),
    `top ${top} functions (self time):`,
    ...sorted(byFunction)
      .slice(0, top)
      .map(([k, us]) => `  ${ms(us)} ${pct(us)}  ${k}`),
  ].join('\n');
}

// Run directly: node scripts/bench/profile.ts DIR [TOP]
if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node scripts/bench/profile.ts DIR [TOP]');
  for (const line of await summarizeProfile(dir, Number(process.argv[3] ?? 30))) console.log(line);
}
