/**
 * `npm run bench:rejects`: peak memory of pushes whose rows are (nearly) all rejected (issue 24).
 * Rejected rows used to be held in memory until the end of the run: an `extraContacts` file of
 * 800,000 of them (within the file's 10 MB cap) took 1.4 GB, six such files crashed Node.
 *
 * Cases, each `adsync` run as a child process under GNU time (peak RSS of the process):
 *   extra-800k    `push --dry-run`, one extraContacts file of 800,000 rejected rows (about 9 MB);
 *   ldif-300k     `push --dry-run`, an LDIF directory of 300,000 people, every one rejected;
 *   extra-6x800k  `push --dry-run`, six such files (4.8 million rejected rows): no crash, exit 0,
 *                 its history line written;
 *   push-800k     a real first push of the 800,000-reject file to the bundled mock vendor.
 * Each must exit 0, count every reject exactly (JSON report, history line, rejects file) and stay
 * under 200 MB of peak RSS; the script exits 1 otherwise.
 *
 * Run it through `npm run bench:rejects -- [--only extra-800k,ldif-300k] [--root DIR]`; `--root`
 * measures the adsync built in another checkout (e.g. the main branch's, for a before/after).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { stringify } from 'yaml';

const TIME = '/usr/bin/time';
/** The target of issue 24. */
const LIMIT_MB = 200;
/** The extraContacts cap (FILE_LIMITS.contacts). */
const CONTACTS_CAP = 10 * 1024 * 1024;
const SUFFIX = 'dc=bench,dc=example';
const OU = `ou=hq,ou=people,${SUFFIX}`;

interface Options {
  root: string;
  only: string[] | undefined;
}

function optionsOf(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: { root: { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    console.log('npm run bench:rejects -- [--only extra-800k,ldif-300k,extra-6x800k,push-800k] [--root DIR]');
    process.exit(0);
  }
  return {
    root:
      values.root === undefined ? fileURLToPath(new URL('../../', import.meta.url)) : resolve(values.root),
    only: values.only?.split(','),
  };
}

/** The Receptionist's header row, from the build measured (vendors/ since the target seam). */
async function headersOf(root: string): Promise<string[]> {
  type Compile = (o: { profile: string; kind: string }) => { set: { headers: string[] } };
  const vendors = join(root, 'dist/vendors/registry.js');
  if (existsSync(vendors)) {
    const registry = (await import(pathToFileURL(vendors).href)) as { compileLayout: Compile };
    return registry.compileLayout({ profile: 'receptionist', kind: 'ldap' }).set.headers;
  }
  const columns = (await import(pathToFileURL(join(root, 'dist/mapping/columns.js')).href)) as {
    compileColumns: Compile;
  };
  return columns.compileColumns({ profile: 'receptionist', kind: 'ldap' }).set.headers;
}

/**
 * An extraContacts file of `count` rejected rows: only the Email cell is set, to "x" (no name,
 * no valid email, no location: three reasons a row), as short as a row can be.
 */
async function writeRejectedContacts(path: string, headers: string[], count: number): Promise<void> {
  const email = headers.indexOf('Email');
  const row = `${headers.map((_, i) => (i === email ? 'x' : '')).join(',')}\n`;
  const out = createWriteStream(path);
  let chunk = `${headers.join(',')}\n`;
  for (let n = 0; n < count; n++) {
    chunk += row;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  const size = (await stat(path)).size;
  if (size > CONTACTS_CAP) throw new Error(`${path} is ${size} bytes, over the ${CONTACTS_CAP} cap`);
}

/** An LDIF directory: one valid person and `rejected` people without a first name or a valid email. */
async function writeLdif(path: string, rejected: number): Promise<void> {
  const out = createWriteStream(path);
  let chunk =
    `dn: ${SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: bench\no: Bench\n\n` +
    `dn: ou=people,${SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n` +
    `dn: ${OU}\nobjectClass: organizationalUnit\nou: hq\n\n` +
    `dn: uid=ada,${OU}\nobjectClass: inetOrgPerson\nuid: ada\ncn: Ada Lovelace\ngivenName: Ada\nsn: Lovelace\nmail: ada@bench.example.com\n\n`;
  for (let n = 0; n < rejected; n++) {
    const uid = `u${String(n).padStart(7, '0')}`;
    chunk += `dn: uid=${uid},${OU}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: Person ${n}\nsn: Person\nmail: not-an-email-${n}\n\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

interface Measured {
  code: number | null;
  wall: number;
  rssMb: number;
  stderr: string;
}

/** Run adsync under GNU time: exit code, wall time and peak RSS of the process. */
async function measure(args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
  const out = join(tmpdir(), `adsync-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const child = spawn(TIME, ['-o', out, '-f', '%e %M', process.execPath, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const text = await readFile(out, 'utf8').catch(() => '');
  await rm(out, { force: true });
  const [wall, rssKb] = (text.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { code, wall: wall ?? NaN, rssMb: (rssKb ?? NaN) / 1024, stderr };
}

/** Lines of a file, counted as it streams (the rejects file of millions of rows). */
async function lineCount(path: string): Promise<number> {
  if (!existsSync(path)) return NaN;
  const { createReadStream } = await import('node:fs');
  let lines = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

/** The last line of the run history under a state directory, if any. */
async function lastHistory(dir: string): Promise<Record<string, unknown> | undefined> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (entry.name !== 'runs.jsonl') continue;
    const lines = (await readFile(join(entry.parentPath, entry.name), 'utf8')).trim().split('\n');
    return JSON.parse(lines.pop() ?? '{}') as Record<string, unknown>;
  }
  return undefined;
}

interface Case {
  name: string;
  about: string;
  files: number;
  ldifRejected: number;
  upload: boolean;
}

const CASES: Case[] = [
  {
    name: 'extra-800k',
    about: 'dry run, 1 extraContacts file of 800,000 rejected rows',
    files: 1,
    ldifRejected: 0,
    upload: false,
  },
  {
    name: 'ldif-300k',
    about: 'dry run, LDIF directory of 300,000 rejected people',
    files: 0,
    ldifRejected: 300_000,
    upload: false,
  },
  {
    name: 'extra-6x800k',
    about: 'dry run, 6 such files (4,800,000 rejected rows)',
    files: 6,
    ldifRejected: 0,
    upload: false,
  },
  {
    name: 'push-800k',
    about: 'first push to the mock vendor, 1 file of 800,000 rejected rows',
    files: 1,
    ldifRejected: 0,
    upload: true,
  },
];

const ROWS_PER_FILE = 800_000;

interface Outcome {
  name: string;
  about: string;
  measured: Measured;
  expected: number;
  report: number | undefined;
  rejectsFile: number;
  history: number | undefined;
  ok: boolean;
}

interface MockServer {
  url: string;
  certificate: string;
  stop(): Promise<void>;
}

async function runCase(c: Case, root: string, headers: string[]): Promise<Outcome> {
  const work = await mkdtemp(join(tmpdir(), `adsync-bench-rejects-${c.name}-`));
  let mock: MockServer | undefined;
  try {
    await writeLdif(join(work, 'people.ldif'), c.ldifRejected);
    const files: string[] = [];
    for (let f = 0; f < c.files; f++) {
      files.push(`./extra-${f}.csv`);
      await writeRejectedContacts(join(work, `extra-${f}.csv`), headers, ROWS_PER_FILE);
    }
    let target: Record<string, unknown> = { profile: 'receptionist' };
    if (c.upload) {
      const server = (await import(pathToFileURL(join(root, 'dist/mock-server/server.js')).href)) as {
        startMockServer: (o: { clients: { id: string; secret: string }[] }) => Promise<MockServer>;
      };
      mock = await server.startMockServer({ clients: [{ id: 'bench', secret: 'bench-secret-123' }] });
      await writeFile(join(work, 'mock-ca.pem'), mock.certificate);
      target = {
        profile: 'receptionist',
        tokenUrl: `${mock.url}/oauth/token`,
        uploadUrl: `${mock.url}/contacts/import`,
        clientId: 'bench',
        clientSecret: '${env:BENCH_CLIENT_SECRET}',
        caFile: './mock-ca.pem',
      };
    }
    await writeFile(
      join(work, 'adsync.yaml'),
      stringify({
        directory: { kind: 'ldif', file: './people.ldif', flavor: 'ldap' },
        locations: [{ slug: 'hq', ous: [OU] }],
        target,
        ...(files.length > 0 ? { extraContacts: files } : {}),
        output: { dir: './out', keep: 1 },
        state: { dir: './state' },
      }),
    );
    const report = join(work, 'report.json');
    const args = [join(root, 'bin/adsync.js'), 'push', '--quiet', '--config', join(work, 'adsync.yaml')];
    args.push(...(c.upload ? ['--first-push'] : ['--dry-run']), '--report', report);
    const env = { ...process.env, NO_COLOR: '1', BENCH_CLIENT_SECRET: 'bench-secret-123' };
    const measured = await measure(args, env);
    const json = JSON.parse(await readFile(report, 'utf8').catch(() => '{}')) as {
      rejected?: number;
      rejectsPath?: string;
    };
    const expected = c.files * ROWS_PER_FILE + c.ldifRejected;
    const rejectsFile = json.rejectsPath ? (await lineCount(json.rejectsPath)) - 1 : NaN;
    const history = (await lastHistory(join(work, 'state')))?.rejected;
    const ok =
      measured.code === 0 &&
      measured.rssMb < LIMIT_MB &&
      json.rejected === expected &&
      rejectsFile === expected &&
      history === expected;
    return {
      name: c.name,
      about: c.about,
      measured,
      expected,
      report: json.rejected,
      rejectsFile,
      history: typeof history === 'number' ? history : undefined,
      ok,
    };
  } finally {
    await mock?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

const show = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '—' : String(n));

async function main(): Promise<void> {
  const options = optionsOf(process.argv.slice(2));
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed: apt-get install time`);
  if (!existsSync(join(options.root, 'dist/cli/main.js')))
    throw new Error(`build adsync first: npm run build (in ${options.root})`);
  const headers = await headersOf(options.root);
  const cases = CASES.filter((c) => options.only?.includes(c.name) ?? true);
  const outcomes: Outcome[] = [];
  for (const c of cases) {
    console.error(`== ${c.name}: ${c.about}`);
    const o = await runCase(c, options.root, headers);
    console.error(
      `   exit ${String(o.measured.code)}, ${o.measured.wall.toFixed(1)} s, peak RSS ${o.measured.rssMb.toFixed(0)} MB; rejected: report ${show(o.report)}, rejects file ${show(o.rejectsFile)}, history ${show(o.history)} (of ${o.expected})${o.ok ? '' : '  ** FAILED **'}`,
    );
    if (o.measured.code !== 0) console.error(o.measured.stderr.split('\n').slice(-12).join('\n'));
    outcomes.push(o);
  }
  console.log(
    [
      `Run ${new Date().toISOString()} (${options.root}), Node ${process.version}; limit ${LIMIT_MB} MB peak RSS.`,
      '',
      '| case | what | exit | wall s | peak RSS MB | rejected (report / rejects file / history) | |',
      '| --- | --- | ---: | ---: | ---: | --- | --- |',
      ...outcomes.map(
        (o) =>
          `| ${o.name} | ${o.about} | ${String(o.measured.code)} | ${o.measured.wall.toFixed(1)} | ${o.measured.rssMb.toFixed(0)} | ${show(o.report)} / ${show(o.rejectsFile)} / ${show(o.history)} | ${o.ok ? 'met' : '**not met**'} |`,
      ),
    ].join('\n'),
  );
  if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}

await main();
