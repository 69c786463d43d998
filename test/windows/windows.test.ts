import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { startMockServer, type MockServer } from '../../src/mock-server/server.js';
import { runProgram, startAdsync, runAdsync } from '../harness/cli.js';
import { until } from '../harness/clock.js';
import { exampleConfig, mockTarget } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';

/**
 * What only Windows can show, run under Wine by scripts/windows/test.sh (issue 26): the
 * single-file adsync-win-x64.exe, Ctrl-C's safe stop as the console delivers it, and the lock.
 * On Linux the whole file is skipped (vitest.config.ts does not even include it).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXE = join(ROOT, 'dist-sea', 'adsync-win-x64.exe');
const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));
const SECRET = 'windows-suite-secret-4Tz9';
const ENV = { ADSYNC_CLIENT_SECRET: SECRET };
const VERSION = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

const servers: MockServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** A project pushing an LDIF copy of the example company to a fresh mock vendor over TLS. */
async function project(): Promise<{ cwd: string; mock: MockServer }> {
  const mock = await startMockServer({ clients: [{ id: 'adsync', secret: SECRET }] });
  servers.push(mock);
  const cwd = await tempDir();
  await writeFile(join(cwd, 'mock-ca.pem'), mock.certificate);
  await copyFile(EXAMPLE_LDIF, join(cwd, 'company.ldif'));
  const base = exampleConfig();
  await writeConfig(cwd, {
    ...base,
    directory: { kind: 'ldif', file: './company.ldif', baseDN: base.directory.baseDN },
    target: { ...mockTarget(mock.url, join(cwd, 'mock-ca.pem')), retries: { attempts: 1 } },
    state: { dir: './state' },
    output: { dir: './out' },
  });
  return { cwd, mock };
}

/**
 * Ctrl-C as a console delivers it. Node on Windows cannot send it (`kill('SIGINT')` is
 * TerminateProcess); Wine turns a Unix SIGINT to a process into the console's CTRL_C_EVENT,
 * which libuv hands to adsync as SIGINT, so the Unix side of Wine sends it to the one process
 * whose command line carries `marker`.
 * @param marker a string only the target process's command line contains
 */
function ctrlC(marker: string): void {
  const script = `for p in /proc/[0-9]*; do n=\${p#/proc/}; [ "$n" = $$ ] && continue; grep -qa -- '${marker}' "$p/cmdline" 2>/dev/null && kill -INT "$n"; done; true`;
  const sent = spawnSync('start.exe', ['/wait', '/unix', '/bin/sh', '-c', script]);
  if (sent.error) throw sent.error;
}

describe.runIf(process.platform === 'win32')('Windows (under Wine)', () => {
  it('the single-file adsync-win-x64.exe says its version, refuses a bad config with exit 2, and runs the demo', async () => {
    // scripts/windows/test.sh builds it (npm run build:sea); a run without it proves nothing.
    expect(existsSync(EXE), `${EXE} (npm run build:sea)`).toBe(true);
    const cwd = await tempDir();
    const version = await runProgram(EXE, ['--version'], { cwd });
    expect(version.stdout.trim()).toBe(VERSION);
    await writeFile(join(cwd, 'adsync.yaml'), 'directory: [\n');
    const bad = await runProgram(EXE, ['check'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('YAML syntax error');
    const demo = await runProgram(EXE, ['demo', '--dir', 'try it'], { cwd, timeout: 120_000 });
    expect(demo.stderr).not.toContain('error:');
    expect(demo.code).toBe(0);
    expect(demo.stdout.trim()).toBe(join(cwd, 'try it'));
    expect((await readdir(join(cwd, 'try it'))).sort()).toContain('adsync.yaml');
  }, 180_000);

  it("adsync.cmd, written with this node.exe by install's launcher step, runs under cmd: a path with a space, and %ERRORLEVEL% is adsync's", async () => {
    // The checkout under test is the Windows suite's own copy: install.sh writes these files there too.
    const written = await runProgram(process.execPath, [join(ROOT, 'scripts', 'write-launchers.mjs')], {
      cwd: ROOT,
    });
    expect(written.code, written.stderr).toBe(0);
    const launcher = join(ROOT, 'adsync.cmd');
    expect(await readFile(launcher, 'utf8')).toContain(`"${process.execPath}" "%~dp0bin\\adsync.js" %*`);
    const cwd = join(await tempDir(), 'my dir');
    await mkdir(cwd);
    const version = await runProgram('cmd.exe', ['/d', '/c', launcher, '--version'], { cwd });
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(VERSION);
    // As an administrator's batch file (or a task's action) calls it.
    await writeFile(join(cwd, 'adsync.yaml'), 'directory: [\n');
    const bat = join(cwd, 'run.bat');
    await writeFile(
      bat,
      `@echo off\r\ncall "${launcher}" check --config "${join(cwd, 'adsync.yaml')}"\r\necho ERRORLEVEL=%ERRORLEVEL%\r\n`,
    );
    const called = await runProgram('cmd.exe', ['/d', '/c', bat], { cwd });
    expect(called.stdout).toContain('ERRORLEVEL=2');
    expect(called.stderr).toContain('YAML syntax error');
    expect(called.stderr).toContain(join(cwd, 'adsync.yaml'));
  }, 120_000);

  it('Ctrl-C stops a push safely while the vendor holds the upload; a second run meanwhile exits 4 (locked)', async () => {
    const { cwd, mock } = await project();
    expect((await runAdsync(['push', '--first-push'], { cwd, env: ENV })).code).toBe(0);
    const stateDir = join(cwd, 'state');
    const stateName = (await readdir(stateDir)).find((n) => /^state-.*\.json$/.test(n)) ?? '';
    const baseline = await readFile(join(stateDir, stateName));

    mock.faults.delayMs = 60_000;
    const seen = mock.requestsSeen();
    const marker = `ctrl-c-${Date.now()}`;
    const slow = startAdsync(['push', '--allow-archive', '0', '--log-file', `${marker}.log`], {
      cwd,
      env: ENV,
    });
    await until('the token request', () => Promise.resolve(mock.requestsSeen() > seen), 60_000);
    const locked = await runAdsync(['push'], { cwd, env: ENV });
    expect(locked.code).toBe(4);
    expect(locked.stderr).toMatch(/lock/i);

    ctrlC(marker);
    const stopped = await slow.done;
    mock.faults.delayMs = 0;
    expect(stopped.code, stopped.stderr).toBe(1);
    expect(stopped.stderr).toContain('the run was stopped by SIGINT');
    expect(await readFile(join(stateDir, stateName))).toEqual(baseline);
    // The lock went with the run.
    const next = await runAdsync(['push'], { cwd, env: ENV });
    expect(next.code, next.stderr).toBe(0);
  }, 180_000);
});
