import { chmod, lstat, mkdir, readFile, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { MockServer } from '../../src/mock-server/server.js';
import { runAdsync, type CliRun } from '../harness/cli.js';
import { exampleConfig, mockTarget } from '../harness/example-config.js';
import { allFilesText, tempDir, writeConfig } from '../harness/files.js';
import { startTrustedMock } from '../harness/mock.js';

/** The file the harness loads into slapd: read as an LDIF export, no server needed. */
const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));
const SECRET = 'hostile-files-secret-Q9';
const ENV = { ADSYNC_CLIENT_SECRET: SECRET };

describe('files outside adsync’s own are never clobbered, followed or leaked (real file system, mock vendor)', () => {
  let mock: MockServer;
  let caFile: string;

  /** A directory with an LDIF-based config pushing to the mock vendor. */
  const project = async (extra: Record<string, unknown> = {}): Promise<string> => {
    const cwd = await tempDir();
    const base = exampleConfig();
    await writeConfig(cwd, {
      ...base,
      directory: { kind: 'ldif', file: EXAMPLE_LDIF, baseDN: base.directory.baseDN },
      target: { ...mockTarget(mock.url, caFile), retries: { attempts: 1 } },
      state: { dir: './state' },
      ...extra,
    });
    return cwd;
  };
  const adsync = (args: string[], cwd: string): Promise<CliRun> => runAdsync(args, { cwd, env: ENV });

  beforeAll(async () => {
    ({ mock, caFile } = await startTrustedMock(SECRET));
  });
  afterAll(async () => {
    await mock.stop();
  });

  it('--output and --report refuse a device, a FIFO, a directory and a symbolic link (exit 2), and write a new file', async () => {
    const cwd = await project();
    const victim = join(cwd, 'victim.txt');
    await writeFile(victim, 'keep me');
    await symlink(victim, join(cwd, 'link.csv'));
    await mkdir(join(cwd, 'folder.csv'));
    for (const target of ['/dev/null', join(cwd, 'link.csv'), join(cwd, 'folder.csv')]) {
      const out = await adsync(['push', '--dry-run', '--output', target], cwd);
      expect(out.code).toBe(2);
      expect(out.stderr).toContain(`--output: ${target} is a`);
      expect(out.stderr).not.toContain('bug in adsync');
      const report = await adsync(['push', '--dry-run', '--report', target], cwd);
      expect(report.code).toBe(2);
      expect(report.stderr).toContain(`--report: ${target} is a`);
    }
    // The device is still a device, the link still a link, its target untouched.
    expect((await lstat('/dev/null')).isCharacterDevice()).toBe(true);
    expect(await readlink(join(cwd, 'link.csv'))).toBe(victim);
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    // A new name, or a regular file adsync wrote before, is fine.
    const fine = await adsync(['push', '--dry-run', '--output', 'mine.csv', '--report', 'run.json'], cwd);
    expect(fine.code).toBe(0);
    expect((await adsync(['push', '--dry-run', '--output', 'mine.csv'], cwd)).code).toBe(0);
    expect(JSON.parse(await readFile(join(cwd, 'run.json'), 'utf8'))).toMatchObject({ status: 'ok' });
  });

  it('a symbolic link planted at the lock’s and the state’s names is never followed', async () => {
    const cwd = await project();
    const first = await adsync(['push', '--first-push'], cwd);
    expect(first.code).toBe(0);
    const state = join(cwd, 'state');
    const names = await readdir(state);
    const stateFile = names.find((n) => /^state-.*\.json$/.test(n)) ?? '';
    const victim = join(cwd, 'victim.txt');
    await writeFile(victim, 'keep me');
    // The names older versions used (pid-based temporary names), and the lock itself.
    const lock = stateFile.replace(/\.json$/, '.lock');
    // The next pids this machine hands out (the run's own among them).
    const last = Number(await readFile('/proc/sys/kernel/ns_last_pid', 'utf8').catch(() => '0'));
    for (let pid = last + 1; pid < last + 300; pid++) {
      await symlink(victim, join(state, `${lock}.${pid}.0.tmp`)).catch(() => undefined);
      await symlink(victim, join(state, `${stateFile}.${pid}.tmp`)).catch(() => undefined);
    }
    await symlink(victim, join(state, lock));
    const second = await adsync(['push', '--force'], cwd);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('took over a stale lock (a damaged lock file)');
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    expect((await lstat(join(state, stateFile))).isFile()).toBe(true);
    expect(await readdir(state)).not.toContain(lock);
  });

  it('refuses a state directory every user may write to (exit 2), before reading or writing anything', async () => {
    const cwd = await project();
    const state = join(cwd, 'state');
    await mkdir(state);
    await chmod(state, 0o777);
    const run = await adsync(['push', '--dry-run'], cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `the state directory ${state} can be written by every user of this machine (mode 777)`,
    );
    expect(run.stderr).toContain(`chmod 700 ${state}`);
    expect(await readdir(state)).toEqual([]);
    expect(await readdir(cwd)).not.toContain('out');
  });

  it('removes the work folder (contacts) a killed run left behind, but not a live run’s', async () => {
    const cwd = await project();
    const out = join(cwd, 'out');
    const dead = join(out, '.adsync-run-dead01');
    const live = join(out, '.adsync-run-live01');
    const unowned = join(out, '.adsync-run-old001');
    for (const dir of [dead, live, unowned]) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'contacts'), 'Ada Lovelace,ada@example.com,+14165550101\n');
    }
    // A pid that cannot be running (beyond pid_max), and this test's own process.
    await writeFile(
      join(dead, 'owner.json'),
      JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }),
    );
    await writeFile(
      join(live, 'owner.json'),
      JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }),
    );
    const run = await adsync(['push', '--dry-run'], cwd);
    expect(run.code).toBe(0);
    const left = await readdir(out);
    expect(left).not.toContain('.adsync-run-dead01');
    expect(left).toContain('.adsync-run-live01');
    // Without an owner file and fresh: perhaps a run in its first millisecond; kept for a day.
    expect(left).toContain('.adsync-run-old001');
  });

  it('an LDIF "attribute:< file://" line does not pull a secret file into the CSV, the output or the vendor', async () => {
    const cwd = await project();
    const secretFile = join(cwd, 'client-secret.txt');
    await writeFile(secretFile, SECRET);
    const ldif = (await readFile(EXAMPLE_LDIF, 'utf8')).replace(
      /^(title: .*)$/m,
      `title:< file://${secretFile}`,
    );
    await writeFile(join(cwd, 'people.ldif'), ldif);
    const base = exampleConfig();
    await writeConfig(cwd, {
      ...base,
      directory: { kind: 'ldif', file: './people.ldif', baseDN: base.directory.baseDN },
      target: mockTarget(mock.url, caFile),
      state: { dir: './state' },
    });
    const uploads = mock.uploads().length;
    const run = await adsync(['push', '--json'], cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /people\.ldif:\d+: title takes its value from the file file:\/\/.*client-secret\.txt, which adsync does not read/,
    );
    expect(mock.uploads().length).toBe(uploads);
    const files = await allFilesText(cwd);
    for (const text of [run.stdout, run.stderr, files.replace(SECRET, '')]) {
      expect(text).not.toContain(SECRET.slice(0, 12));
    }
  });

  it('a log directory that cannot be created is a warning: the run goes on with its own exit code', async () => {
    const cwd = await project();
    const run = await adsync(['push', '--dry-run', '--log-file', '/proc/1/adsync-x/y.log'], cwd);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('cannot write the log file /proc/1/adsync-x/y.log');
    expect(run.stderr).toContain('this run goes on without a log file');
  }, 30_000);
});
