// The launchers scripts/install.sh leaves at the top of the checkout (README, "Install"): ./adsync
// runs adsync with the Node install.sh chose even when the machine's own node is too old, and
// adsync.cmd does the same on Windows (checked by content: there is no Windows here).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runProgram } from '../harness/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

describe('the launchers written by install.sh', () => {
  let dir = '';
  beforeAll(async () => {
    // The test command ran install.sh already; writing them again checks the script on its own
    // and gives this file launchers whatever ran before.
    await run('bash', [join(ROOT, 'scripts/write-launchers.sh')], { cwd: ROOT });
    dir = await mkdtemp(join(tmpdir(), 'adsync-launcher-'));
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("./adsync runs the demo with the machine's own node, whatever its version, first on PATH", async () => {
    expect((await stat(join(ROOT, 'adsync'))).mode & 0o111).not.toBe(0);
    // /usr/bin holds the machine's own node (20 on the development and CI images): the launcher
    // must not depend on it.
    const env = { PATH: '/usr/bin:/bin', HOME: dir };
    const version = await runProgram(join(ROOT, 'adsync'), ['--version'], { cwd: dir, env });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const demo = await runProgram(join(ROOT, 'adsync'), ['demo', '--dir', join(dir, 'demo')], {
      cwd: dir,
      env,
    });
    expect(demo.stderr).not.toContain('bug in adsync');
    expect(demo.code).toBe(0);
  }, 120_000);

  it('./adsync works through a symbolic link from a bin directory', async () => {
    const link = join(dir, 'adsync-link');
    await symlink(join(ROOT, 'adsync'), link);
    const version = await runProgram(link, ['--version'], { cwd: dir, env: { PATH: '/usr/bin:/bin' } });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('adsync.cmd starts bin\\adsync.js from its own folder with a Node that exists here', async () => {
    const text = await readFile(join(ROOT, 'adsync.cmd'), 'utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('@echo off');
    const last = lines.filter((l) => l !== '').at(-1) ?? '';
    const match = /^"([^"]+)" "%~dp0bin\\adsync\.js" %\*$/.exec(last);
    expect(match, last).not.toBeNull();
    // The node it names is the one ./adsync uses, relative to the checkout (%~dp0) or absolute.
    const node = (match?.[1] ?? '').replace(/^%~dp0/, ROOT).replaceAll('\\', '/');
    expect((await stat(node)).isFile()).toBe(true);
  });
});
