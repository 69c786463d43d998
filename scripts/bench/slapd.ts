/**
 * A slapd for the benchmark: the generated directory is loaded offline with slapadd (far faster
 * than ldapadd through the server) into an mdb database that is kept between runs, then served
 * on a free loopback port.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { startServerProcess } from '../../test/harness/process.ts';
import { freePort, slapdInstallation, slapdUnavailable, waitForPort } from '../../test/harness/slapd.ts';
import { BENCH_SUFFIX, writeBenchLdif } from './ldif.ts';

const run = promisify(execFile);

/** Bump when the generator changes, so cached databases are rebuilt. */
const DATA_VERSION = 2;

/** A running benchmark slapd. */
export interface BenchSlapd {
  /** ldap:// URL. */
  url: string;
  /** slapd's process id (for its CPU time). */
  pid: number;
  /** Stop it (the cached database stays). */
  stop(): Promise<void>;
}

function config(install: { moduleDir: string; schemaDir: string }, dbDir: string, runDir: string): string {
  return `include ${install.schemaDir}/core.schema
include ${install.schemaDir}/cosine.schema
include ${install.schemaDir}/inetorgperson.schema
modulepath ${install.moduleDir}
moduleload back_mdb
pidfile ${join(runDir, 'slapd.pid')}
sizelimit unlimited
tool-threads 2
database mdb
suffix "${BENCH_SUFFIX}"
rootdn "cn=admin,${BENCH_SUFFIX}"
rootpw bench-root-secret
directory ${dbDir}
maxsize 17179869184
index objectClass eq
`;
}

/**
 * The database for `count` people, generated and loaded on first use and cached in the system's
 * temporary directory (`adsync-bench-cache/`).
 * @param count people in the directory
 * @param log progress output
 * @returns the database directory
 */
export async function benchDatabase(count: number, log: (line: string) => void): Promise<string> {
  const problem = slapdUnavailable();
  const install = slapdInstallation();
  if (problem || !install) throw new Error(problem ?? 'slapd is not installed');
  const dbDir = join(tmpdir(), 'adsync-bench-cache', `v${DATA_VERSION}-${count}`);
  if (existsSync(join(dbDir, 'complete'))) return dbDir;
  await rm(dbDir, { recursive: true, force: true });
  await mkdir(dbDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'adsync-bench-load-'));
  try {
    const ldif = join(work, 'people.ldif');
    let started = Date.now();
    await writeBenchLdif(ldif, count);
    log(`  generated ${count} people as LDIF in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const confFile = join(work, 'slapd.conf');
    await writeFile(confFile, config(install, dbDir, work));
    started = Date.now();
    await run(install.slapd.replace(/slapd$/, 'slapadd'), ['-f', confFile, '-q', '-l', ldif], {
      maxBuffer: 64 * 1024 * 1024,
    });
    log(`  loaded them with slapadd in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await writeFile(join(dbDir, 'complete'), `${count}\n`);
    return dbDir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Serve a cached benchmark database on a free loopback port.
 * @param dbDir from {@link benchDatabase}
 */
export async function startBenchSlapd(dbDir: string): Promise<BenchSlapd> {
  const install = slapdInstallation();
  if (!install) throw new Error('slapd is not installed');
  const runDir = await mkdtemp(join(tmpdir(), 'adsync-bench-slapd-'));
  const confFile = join(runDir, 'slapd.conf');
  await writeFile(confFile, config(install, dbDir, runDir));
  const port = await freePort();
  const proc = startServerProcess(
    install.slapd,
    ['-f', confFile, '-h', `ldap://127.0.0.1:${port}/`, '-d', '0'],
    runDir,
    10_000,
  );
  try {
    await waitForPort(port, proc.child, proc.output);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  // slapd -d 0 stays in the foreground, so the child is slapd itself.
  const pid = proc.child.pid ?? Number((await readFile(join(runDir, 'slapd.pid'), 'utf8')).trim());
  return { url: `ldap://127.0.0.1:${port}`, pid, stop: proc.stop };
}
