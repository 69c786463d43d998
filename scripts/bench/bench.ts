/**
 * `npm run bench`: how fast adsync streams a large directory to CSV, against the floor set by the
 * directory server and the protocol (ldapsearch), and how fast the CSV is uploaded and imported.
 *
 * For each size (10k, 100k, optionally 1M people across the OUs of two locations, served by a
 * slapd on loopback from a cached mdb database), it alternates, `--runs` times:
 *   A   `adsync push --dry-run` (receptionist CSV, two locations);
 *   B   ldapsearch with paged results, the same searches one after another, output to /dev/null;
 *   B∥  the same ldapsearches all at once (the floor when the searches run concurrently);
 *   S   the same searches through ldapts `searchPaginated` into csv-stringify, nothing else
 *       (what Node.js and ldapts alone cost: the floor of any ldapts-based exporter);
 *   P   the same searches through a 25-line python-ldap script writing the CSV with the csv module
 *       (`scripts/bench/python-ldap.py`: what an admin would write instead of adsync);
 * and at 100k:
 *   C   `adsync push` of a first push (100k creates) to the bundled mock vendor, then a second
 *       push (everything unchanged, planned against the 100k-contact state); the mock reports how
 *       long it took to receive the upload and to import it.
 * It prints medians of wall time, CPU time (user+sys) and peak RSS per process, slapd's CPU time,
 * the A/B ratios and the per-entry cost, and writes them with the machine into BENCHMARKS.md.
 *
 * Run it through `npm run bench -- [--size 10k,100k] [--with-1m] [--runs N] [--no-upload]
 * [--cpu-prof DIR] [--no-write]`.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { stringify } from 'yaml';

import { summarizeProfile } from './profile.ts';
import { BENCH_BIND_DN, BENCH_BIND_PASSWORD, BENCH_LOCATIONS } from './ldif.ts';
import { benchDatabase, startBenchSlapd, type BenchSlapd } from './slapd.ts';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'adsync.js');
const TIME = '/usr/bin/time';
/** Debian's python3 (the one python3-ldap is installed for, whatever python3 is first on PATH). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface Options {
  sizes: number[];
  runs: number;
  upload: boolean;
  cpuProf: string | undefined;
  write: boolean;
  pageSize: number;
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (!m) throw new Error(`--size: "${text}" is not a size like 10k, 100k or 1m`);
  const unit = (m[2] ?? '').toLowerCase();
  return Math.round(Number(m[1]) * (unit === 'k' ? 1000 : unit === 'm' ? 1_000_000 : 1));
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    sizes: [10_000, 100_000],
    runs: 5,
    upload: true,
    cpuProf: undefined,
    write: true,
    pageSize: 500,
  };
  let with1m = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--size' || arg === '--sizes') options.sizes = value().split(',').map(parseSize);
    else if (arg === '--with-1m') with1m = true;
    else if (arg === '--runs') options.runs = Math.max(1, Number(value()));
    else if (arg === '--no-upload') options.upload = false;
    else if (arg === '--cpu-prof') options.cpuProf = value();
    else if (arg === '--no-write') options.write = false;
    else if (arg === '--page-size') options.pageSize = Number(value());
    else if (arg === '--help' || arg === '-h') {
      console.log(
        'npm run bench -- [--size 10k,100k] [--with-1m] [--runs N] [--no-upload] [--cpu-prof DIR] [--page-size N] [--no-write]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  if (with1m && !options.sizes.includes(1_000_000)) options.sizes.push(1_000_000);
  return options;
}

/** One measured process. */
interface Sample {
  wall: number;
  cpu: number;
  rssMb: number;
  /** slapd's CPU seconds during the run. */
  serverCpu: number;
}

function slapdCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of /proc/PID/stat (11 and 12 after "state").
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * Run a command under GNU time and return its wall time, CPU time and peak RSS.
 * @param command program and arguments
 * @param slapd the server, for its CPU time
 * @param env environment
 */
async function measure(
  command: string[],
  slapd: BenchSlapd,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Sample> {
  const out = join(tmpdir(), `adsync-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const before = slapdCpu(slapd.pid);
  const child = spawn(TIME, ['-o', out, '-f', '%e %U %S %M', ...command], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const serverCpu = slapdCpu(slapd.pid) - before;
  const text = await readFile(out, 'utf8').catch(() => '');
  await rm(out, { force: true });
  if (code !== 0)
    throw new Error(`${command.join(' ')} exited ${String(code)}:\n${stderr.slice(-2000)}\n${text}`);
  const last = text.trim().split('\n').pop() ?? '';
  const [wall, user, sys, rssKb] = last.split(' ').map(Number);
  return {
    wall: wall ?? NaN,
    cpu: (user ?? NaN) + (sys ?? NaN),
    rssMb: (rssKb ?? NaN) / 1024,
    serverCpu,
  };
}

/** Several ldapsearches at once, measured as one (sum of CPU, max RSS). */
async function measureParallel(commands: string[][], slapd: BenchSlapd): Promise<Sample> {
  const started = process.hrtime.bigint();
  const before = slapdCpu(slapd.pid);
  const samples = await Promise.all(commands.map((c) => measure(c, slapd)));
  return {
    wall: Number(process.hrtime.bigint() - started) / 1e9,
    cpu: samples.reduce((n, s) => n + s.cpu, 0),
    rssMb: Math.max(...samples.map((s) => s.rssMb)),
    serverCpu: slapdCpu(slapd.pid) - before,
  };
}

function sumSamples(samples: Sample[]): Sample {
  return {
    wall: samples.reduce((n, s) => n + s.wall, 0),
    cpu: samples.reduce((n, s) => n + s.cpu, 0),
    rssMb: Math.max(...samples.map((s) => s.rssMb)),
    serverCpu: samples.reduce((n, s) => n + s.serverCpu, 0),
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};

function medianSample(samples: Sample[]): Sample {
  return {
    wall: median(samples.map((s) => s.wall)),
    cpu: median(samples.map((s) => s.cpu)),
    rssMb: median(samples.map((s) => s.rssMb)),
    serverCpu: median(samples.map((s) => s.serverCpu)),
  };
}

interface Layout {
  attributes: string[];
}

/** The attributes adsync asks for, from the built code, so ldapsearch asks for the same. */
async function receptionistAttributes(): Promise<string[]> {
  const vendors = (await import(pathToFileURL(join(ROOT, 'dist/vendors/registry.js')).href)) as {
    compileLayout: (options: { profile: 'receptionist'; kind: 'ldap' }) => { set: Layout };
  };
  return vendors.compileLayout({ profile: 'receptionist', kind: 'ldap' }).set.attributes;
}

function benchConfig(
  url: string,
  pageSize: number,
  target: Record<string, unknown>,
): Record<string, unknown> {
  return {
    directory: {
      kind: 'ldap',
      url,
      bindDN: BENCH_BIND_DN,
      bindPassword: '${env:BENCH_BIND_PASSWORD}',
      pageSize,
    },
    locations: BENCH_LOCATIONS.map((l) => ({ slug: l.slug, ous: [...l.ous] })),
    target,
    phone: { defaultCountry: 'CA' },
    output: { dir: './out', keep: 1 },
    state: { dir: './state' },
    safety: { maxArchive: 1_000_000, maxArchivePercent: 100 },
  };
}

interface SizeResult {
  size: number;
  rows: number;
  /** SHA-256 of the CSVs A wrote, by name without the time stamp. */
  hashes: Record<string, string>;
  a: Sample;
  b: Sample;
  bParallel: Sample;
  s: Sample;
  p: Sample;
  runs: number;
}

interface UploadResult {
  first: Sample & { receiveMs: number; importMs: number; bytes: number };
  second: Sample & { receiveMs: number; importMs: number };
}

const ENV = { ...process.env, BENCH_BIND_PASSWORD, NO_COLOR: '1' };

function ldapsearchCommands(url: string, attributes: string[], pageSize: number): string[][] {
  return BENCH_LOCATIONS.flatMap((l) =>
    l.ous.map((base) => [
      'ldapsearch',
      '-x',
      '-LLL',
      '-H',
      url,
      '-D',
      BENCH_BIND_DN,
      '-w',
      BENCH_BIND_PASSWORD,
      '-b',
      base,
      '-E',
      `pr=${pageSize}/noprompt`,
      '(objectClass=inetOrgPerson)',
      ...attributes,
    ]),
  );
}

async function rowsOf(csvDir: string): Promise<number> {
  const { stdout } = await execFileAsync('bash', [
    '-c',
    `cat ${csvDir}/out/adsync-receptionist-*[0-9]Z.csv | wc -l`,
  ]);
  return Number(stdout.trim()) - 1;
}

/**
 * SHA-256 of each CSV adsync wrote (the vendor CSV and the rejects file of each location), keyed
 * by its name without the run's time stamp: the same directory must give the same bytes before
 * and after a change to the writer.
 */
async function csvHashes(csvDir: string): Promise<Record<string, string>> {
  const dir = join(csvDir, 'out');
  const hashes: Record<string, string> = {};
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.csv')).sort()) {
    const key = name.replace(/-\d{8}T\d{9}Z/, '');
    hashes[key] = createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
  }
  return hashes;
}

/** The command lines one size compares: adsync (A), ldapsearch (B), a straight Node script (S), python-ldap (P). */
interface BenchCommands {
  /** adsync push --dry-run, with extra Node flags when given. */
  a: (extra?: string[]) => string[];
  /** One ldapsearch per searched OU. */
  searches: string[][];
  straight: string[];
  python: string[];
}

/** The command lines for one size, writing into `work`. */
function benchCommands(
  work: string,
  configPath: string,
  url: string,
  pageSize: number,
  attributes: string[],
): BenchCommands {
  const a = (extra: string[] = []): string[] => [
    process.execPath,
    ...extra,
    BIN,
    'push',
    '--dry-run',
    '--quiet',
    '--config',
    configPath,
  ];
  const straight = [
    process.execPath,
    join(ROOT, 'scripts/bench/straight.ts'),
    url,
    BENCH_BIND_DN,
    BENCH_BIND_PASSWORD,
    join(work, 'straight.csv'),
    String(pageSize),
    ...BENCH_LOCATIONS.flatMap((l) => l.ous),
    '--',
    ...attributes,
  ];
  const python = [
    PYTHON,
    join(ROOT, 'scripts/bench/python-ldap.py'),
    ...straight.slice(2, 5),
    join(work, 'python.csv'),
    ...straight.slice(6),
  ];
  return { a, searches: ldapsearchCommands(url, attributes, pageSize), straight, python };
}

/** B: the ldapsearch commands one after the other, summed. */
async function runSearches(searches: string[][], slapd: BenchSlapd): Promise<Sample> {
  const parts: Sample[] = [];
  for (const c of searches) parts.push(await measure(c, slapd));
  return sumSamples(parts);
}

/** `runs` rounds of A, B, B in parallel, S and P, interleaved so drift hits them alike; the medians. */
async function sampleRounds(
  commands: BenchCommands,
  slapd: BenchSlapd,
  runs: number,
  log: (line: string) => void,
  sameBytes: (run: number) => Promise<void>,
): Promise<Pick<SizeResult, 'a' | 'b' | 'bParallel' | 's' | 'p'>> {
  const samples: { a: Sample[]; b: Sample[]; bp: Sample[]; s: Sample[]; p: Sample[] } = {
    a: [],
    b: [],
    bp: [],
    s: [],
    p: [],
  };
  for (let r = 0; r < runs; r++) {
    const sa = await measure(commands.a(), slapd, ENV);
    await sameBytes(r + 1);
    const sb = await runSearches(commands.searches, slapd);
    const sp = await measureParallel(commands.searches, slapd);
    const ss = await measure(commands.straight, slapd);
    const sq = await measure(commands.python, slapd);
    samples.a.push(sa);
    samples.p.push(sq);
    samples.b.push(sb);
    samples.bp.push(sp);
    samples.s.push(ss);
    log(
      `  run ${r + 1}/${runs}: A ${sa.wall.toFixed(2)} s (${sa.rssMb.toFixed(0)} MB)  B ${sb.wall.toFixed(2)} s  B∥ ${sp.wall.toFixed(2)} s  S ${ss.wall.toFixed(2)} s (${ss.rssMb.toFixed(0)} MB)  P ${sq.wall.toFixed(2)} s (${sq.rssMb.toFixed(0)} MB)  A/B ${(sa.wall / sb.wall).toFixed(2)}`,
    );
  }
  return {
    a: medianSample(samples.a),
    b: medianSample(samples.b),
    bParallel: medianSample(samples.bp),
    s: medianSample(samples.s),
    p: medianSample(samples.p),
  };
}

async function benchSize(
  size: number,
  options: Options,
  attributes: string[],
  log: (line: string) => void,
): Promise<{ result: SizeResult; upload?: UploadResult }> {
  log(`\n== ${size.toLocaleString('en')} people`);
  const db = await benchDatabase(size, log);
  const slapd = await startBenchSlapd(db);
  const work = await mkdtemp(join(tmpdir(), 'adsync-bench-run-'));
  try {
    const configPath = join(work, 'adsync.yaml');
    await writeFile(
      configPath,
      stringify(benchConfig(slapd.url, options.pageSize, { profile: 'receptionist' })),
    );
    const commands = benchCommands(work, configPath, slapd.url, options.pageSize, attributes);
    // Warm up: the database pages into the page cache, and the first run of each is discarded.
    await measure(commands.a(), slapd, ENV);
    await runSearches(commands.searches, slapd);
    const rows = await rowsOf(work);
    const hashes = await csvHashes(work);
    for (const [name, hash] of Object.entries(hashes)) log(`  sha256 ${hash}  ${name}`);
    // Every run must write the same bytes (the sort, the duplicates and the encoder are deterministic).
    const sameBytes = async (run: number): Promise<void> => {
      const again = await csvHashes(work);
      if (JSON.stringify(again) !== JSON.stringify(hashes))
        throw new Error(`run ${run} wrote other CSV bytes than the warm-up run: ${JSON.stringify(again)}`);
    };
    const runs = size >= 1_000_000 ? Math.max(1, Math.min(options.runs, 3)) : options.runs;
    const medians = await sampleRounds(commands, slapd, runs, log, sameBytes);
    if (options.cpuProf) {
      const dir = join(options.cpuProf, `a-${size}`);
      await measure(commands.a(['--cpu-prof', '--cpu-prof-dir', dir]), slapd, ENV);
      log(`  CPU profile of A in ${dir}:`);
      for (const line of await summarizeProfile(dir, 25)) log(`    ${line}`);
    }
    const result: SizeResult = { size, rows, hashes, ...medians, runs };
    const upload =
      options.upload && size === 100_000 ? await benchUpload(slapd, options, runs, log) : undefined;
    return upload ? { result, upload } : { result };
  } finally {
    await slapd.stop();
    await rm(work, { recursive: true, force: true });
  }
}

interface MockUploadRecord {
  bytes: number;
  receiveMs?: number;
  importMs?: number;
}

interface MockServerModule {
  startMockServer: (options: { clients: { id: string; secret: string }[] }) => Promise<{
    url: string;
    certificate: string;
    uploads(): MockUploadRecord[];
    stop(): Promise<void>;
  }>;
}

async function benchUpload(
  slapd: BenchSlapd,
  options: Options,
  runs: number,
  log: (line: string) => void,
): Promise<UploadResult> {
  const mock = (await import(
    pathToFileURL(join(ROOT, 'dist/mock-server/server.js')).href
  )) as MockServerModule;
  const firsts: UploadResult['first'][] = [];
  const seconds: UploadResult['second'][] = [];
  for (let r = 0; r < runs; r++) {
    const server = await mock.startMockServer({ clients: [{ id: 'bench', secret: 'bench-secret-123' }] });
    const work = await mkdtemp(join(tmpdir(), 'adsync-bench-push-'));
    try {
      const caFile = join(work, 'mock-ca.pem');
      await writeFile(caFile, server.certificate);
      const configPath = join(work, 'adsync.yaml');
      await writeFile(
        configPath,
        stringify(
          benchConfig(slapd.url, options.pageSize, {
            profile: 'receptionist',
            tokenUrl: `${server.url}/oauth/token`,
            uploadUrl: `${server.url}/contacts/import`,
            clientId: 'bench',
            clientSecret: '${env:BENCH_CLIENT_SECRET}',
            caFile,
          }),
        ),
      );
      const env = { ...ENV, BENCH_CLIENT_SECRET: 'bench-secret-123' };
      const push = [process.execPath, BIN, 'push', '--quiet', '--config', configPath];
      const first = await measure(push, slapd, env);
      const second = await measure(push, slapd, env);
      const [u1, u2] = server.uploads();
      firsts.push({
        ...first,
        receiveMs: u1?.receiveMs ?? NaN,
        importMs: u1?.importMs ?? NaN,
        bytes: u1?.bytes ?? 0,
      });
      seconds.push({ ...second, receiveMs: u2?.receiveMs ?? NaN, importMs: u2?.importMs ?? NaN });
      log(
        `  upload run ${r + 1}/${runs}: first push ${first.wall.toFixed(2)} s (${first.rssMb.toFixed(0)} MB; mock received ${(u1?.bytes ?? 0) / 1e6} MB in ${u1?.receiveMs ?? '?'} ms, imported in ${u1?.importMs ?? '?'} ms), second push ${second.wall.toFixed(2)} s (${second.rssMb.toFixed(0)} MB; import ${u2?.importMs ?? '?'} ms)`,
      );
    } finally {
      await server.stop();
      await rm(work, { recursive: true, force: true });
    }
  }
  const med = (
    list: (Sample & { receiveMs: number; importMs: number })[],
  ): Sample & { receiveMs: number; importMs: number } => ({
    ...medianSample(list),
    receiveMs: median(list.map((s) => s.receiveMs)),
    importMs: median(list.map((s) => s.importMs)),
  });
  return {
    first: { ...med(firsts), bytes: firsts[0]?.bytes ?? 0 },
    second: med(seconds),
  };
}

function machine(): Record<string, string> {
  // slapd -VV prints its version on stderr.
  const version = spawnSync('/usr/sbin/slapd', ['-VV'], { encoding: 'utf8' });
  const slapdVersion = `${version.stdout}${version.stderr}`;
  const os = existsSync('/etc/os-release')
    ? (/PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux')
    : process.platform;
  return {
    cpu: `${cpus()[0]?.model ?? '?'} (${cpus().length} cores)`,
    ram: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os}, kernel ${execFileSync('uname', ['-r']).toString().trim()}`,
    node: process.version,
    slapd: /slapd ([^\s]+)/.exec(slapdVersion)?.[1] ?? '?',
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const label = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

function table(results: SizeResult[]): string[] {
  const lines = [
    '| entries | rows | A wall s | A CPU s | A peak RSS MB | B wall s | B∥ wall s | S wall s | S peak RSS MB | P wall s | P peak RSS MB | slapd CPU s (A / B) | **A/B** | A/B∥ | S/B | **A/P** | A µs/entry |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    lines.push(
      `| ${label(r.size)} | ${r.rows} | ${fmt(r.a.wall)} | ${fmt(r.a.cpu)} | ${fmt(r.a.rssMb, 0)} | ${fmt(r.b.wall)} | ${fmt(r.bParallel.wall)} | ${fmt(r.s.wall)} | ${fmt(r.s.rssMb, 0)} | ${fmt(r.p.wall)} | ${fmt(r.p.rssMb, 0)} | ${fmt(r.a.serverCpu)} / ${fmt(r.b.serverCpu)} | **${fmt(r.a.wall / r.b.wall)}** | ${fmt(r.a.wall / r.bParallel.wall)} | ${fmt(r.s.wall / r.b.wall)} | **${fmt(r.a.wall / r.p.wall)}** | ${fmt((r.a.wall / r.size) * 1e6, 1)} |`,
    );
  }
  return lines;
}

function targets(results: SizeResult[], upload: UploadResult | undefined): string[] {
  const at = (n: number): SizeResult | undefined => results.find((r) => r.size === n);
  const mark = (ok: boolean | undefined): string =>
    ok === undefined ? 'not measured' : ok ? 'met' : '**not met**';
  const k100 = at(100_000);
  const m1 = at(1_000_000);
  return [
    '| target | measured | |',
    '| --- | ---: | --- |',
    `| A wall time ≤ P (python-ldap) at 100k | ${k100 ? `A/P ${fmt(k100.a.wall / k100.p.wall)}` : '—'} | ${mark(k100 && k100.a.wall <= k100.p.wall)} |`,
    `| A/B wall time ≤ 2.0 at 100k | ${k100 ? fmt(k100.a.wall / k100.b.wall) : '—'} | ${mark(k100 && k100.a.wall / k100.b.wall <= 2)} |`,
    `| A peak RSS ≤ 150 MB at 100k | ${k100 ? `${fmt(k100.a.rssMb, 0)} MB` : '—'} | ${mark(k100 && k100.a.rssMb <= 150)} |`,
    `| A/B wall time ≤ 2.0 at 1M | ${m1 ? fmt(m1.a.wall / m1.b.wall) : '—'} | ${mark(m1 && m1.a.wall / m1.b.wall <= 2)} |`,
    `| A peak RSS ≤ 250 MB at 1M | ${m1 ? `${fmt(m1.a.rssMb, 0)} MB` : '—'} | ${mark(m1 && m1.a.rssMb <= 250)} |`,
    `| mock import of 100k rows ≤ 1.5 s | ${upload ? `${fmt(upload.first.importMs / 1000)} s` : '—'} | ${mark(upload && upload.first.importMs <= 1500)} |`,
    `| second (all-unchanged) push of 100k ≤ 1.2 × A | ${upload && k100 ? `${fmt(upload.second.wall / k100.a.wall)} × A` : '—'} | ${mark(upload && k100 && upload.second.wall <= 1.2 * k100.a.wall)} |`,
  ];
}

function uploadTable(u: UploadResult): string[] {
  return [
    '| push to the mock vendor (100k) | wall s | CPU s | peak RSS MB | upload received in ms | mock import ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| first push (${fmt(u.first.bytes / 1e6, 1)} MB CSV, 100k creates) | ${fmt(u.first.wall)} | ${fmt(u.first.cpu)} | ${fmt(u.first.rssMb, 0)} | ${fmt(u.first.receiveMs, 0)} | ${fmt(u.first.importMs, 0)} |`,
    `| second push (planned against the state, all unchanged) | ${fmt(u.second.wall)} | ${fmt(u.second.cpu)} | ${fmt(u.second.rssMb, 0)} | ${fmt(u.second.receiveMs, 0)} | ${fmt(u.second.importMs, 0)} |`,
  ];
}

function marginal(results: SizeResult[]): string[] {
  const sorted = [...results].sort((a, b) => a.size - b.size);
  const lines: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const lo = sorted[i - 1];
    const hi = sorted[i];
    if (!lo || !hi) continue;
    const us = ((hi.a.wall - lo.a.wall) / (hi.size - lo.size)) * 1e6;
    const cpu = ((hi.a.cpu - lo.a.cpu) / (hi.size - lo.size)) * 1e6;
    lines.push(
      `- from ${label(lo.size)} to ${label(hi.size)}: ${fmt(us, 1)} µs wall and ${fmt(cpu, 1)} µs CPU per added entry`,
    );
  }
  return lines;
}

const BEGIN = '<!-- bench:begin (written by npm run bench) -->';
const END = '<!-- bench:end -->';

async function writeReport(text: string): Promise<string> {
  const path = join(ROOT, 'BENCHMARKS.md');
  const old = await readFile(path, 'utf8').catch(() => '');
  const start = old.indexOf(BEGIN);
  const end = old.indexOf(END);
  const block = `${BEGIN}\n${text}\n${END}`;
  const next =
    start >= 0 && end > start
      ? `${old.slice(0, start)}${block}${old.slice(end + END.length)}`
      : `# Benchmarks\n\n${block}\n`;
  await writeFile(path, next);
  // The same formatting as the rest of the repository (npm run lint checks it).
  await execFileAsync(join(ROOT, 'node_modules/.bin/prettier'), ['--write', path]).catch(() => undefined);
  return path;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed: apt-get install time`);
  if (!existsSync(join(ROOT, 'dist/cli/main.js')))
    throw new Error('build adsync first: bash scripts/install.sh');
  const log = (line: string): void => {
    console.error(line);
  };
  const info = machine();
  log(
    `adsync benchmark on ${info.cpu}, ${info.ram}, ${info.os}, Node ${info.node}, slapd ${info.slapd}; load ${info.load}`,
  );
  const attributes = await receptionistAttributes();
  const results: SizeResult[] = [];
  let upload: UploadResult | undefined;
  for (const size of options.sizes) {
    const out = await benchSize(size, options, attributes, log);
    results.push(out.result);
    upload ??= out.upload;
  }
  const lines = [
    `Run ${new Date().toISOString()}: ${results.map((r) => r.runs).join('/')} runs per size (medians), page size ${options.pageSize}.`,
    '',
    `Machine: ${info.cpu}, ${info.ram} RAM, ${info.os}, Node ${info.node}, OpenLDAP slapd ${info.slapd}; load average at start ${info.load}.`,
    '',
    ...table(results),
    '',
    ...targets(results, upload),
    '',
    'Per-entry cost of A (marginal, between sizes):',
    '',
    ...marginal(results),
    ...(upload ? ['', ...uploadTable(upload)] : []),
  ];
  const text = lines.join('\n');
  console.log(`\n${text}\n`);
  if (options.write) log(`written to ${await writeReport(text)}`);
}

await main();
