// scripts/install.sh with a Node that is too old first on PATH (issue 27): the version rule is
// package.json's engines.node, read by ensure-node.sh (which fetches Node 24 into .tools/node24)
// and by bin/adsync.js (which refuses an older Node), so a Node 22 before that minor must not
// pass the one and fail the other. The "old Node" is a stub that answers `node --version` and
// fails on anything else: ensure-node.sh asks nothing more of the machine's node, and the test
// fails if anything else runs on it. Its closing message says how to get a global `adsync`.
import { copyFile, mkdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { runProgram } from '../harness/cli.js';
import { tempDir } from '../harness/files.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A folder holding a `node` that says it is `version` and does nothing else.
 * @param version e.g. "22.12.0"
 */
async function stubNode(version: string): Promise<string> {
  const dir = await tempDir('adsync-stub-node-');
  await writeFile(
    join(dir, 'node'),
    `#!/bin/sh\nif [ "$1" = --version ]; then echo v${version}; exit 0; fi\necho "stub node ${version} was asked to run: $*" >&2\nexit 99\n`,
    { mode: 0o755 },
  );
  return dir;
}

/**
 * A checkout of its own: the scripts, bin/, package files and sources are copied or linked from
 * this one, node_modules is shared and the fetched Node is the test's own (so no network is needed), and
 * dist/ is its own, built by install.sh.
 */
async function checkout(): Promise<string> {
  const dir = join(await tempDir('adsync-install-'), 'adsync');
  await mkdir(join(dir, 'scripts'), { recursive: true });
  await mkdir(join(dir, 'bin'));
  for (const name of ['ensure-node.sh', 'install.sh', 'write-launchers.sh', 'write-launchers.mjs'])
    await copyFile(join(ROOT, 'scripts', name), join(dir, 'scripts', name));
  for (const name of ['adsync.js', 'node-version.cjs'])
    await copyFile(join(ROOT, 'bin', name), join(dir, 'bin', name));
  for (const name of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'])
    await copyFile(join(ROOT, name), join(dir, name));
  for (const name of ['src', 'examples', 'node_modules']) await symlink(join(ROOT, name), join(dir, name));
  // The fetched Node is this test's own (22.19 or newer) where ensure-node.sh puts Node 24: no
  // network, and no dependence on whether this checkout had to fetch one (a machine whose own
  // node is new enough has no .tools/node24).
  const fetched = join(dir, '.tools', 'node24', 'node_modules', '.bin');
  await mkdir(fetched, { recursive: true });
  await symlink(process.execPath, join(fetched, 'node'));
  // install.sh runs `npm ci` when the lock file is newer than node_modules' record of it; that
  // would reinstall the shared node_modules, so the copy keeps the older time.
  const installed = await stat(join(ROOT, 'node_modules', '.package-lock.json'));
  const past = new Date(installed.mtimeMs - 60_000);
  await utimes(join(dir, 'package-lock.json'), past, past);
  return dir;
}

describe('install.sh with an older Node first on PATH', () => {
  it.skipIf(process.platform === 'win32')(
    'with Node 22.12 first on PATH it uses the fetched Node 24, and ./adsync --version and ./adsync demo work',
    async () => {
      const dir = await checkout();
      const env = { PATH: `${await stubNode('22.12.0')}:/usr/bin:/bin`, HOME: dir };
      const install = await runProgram('bash', [join(dir, 'scripts', 'install.sh')], {
        cwd: dir,
        env,
        timeout: 240_000,
      });
      expect(install.code, install.stderr).toBe(0);
      expect(install.stderr).not.toContain('stub node');
      const version = await runProgram(join(dir, 'adsync'), ['--version'], { cwd: dir, env });
      expect(version.stderr).toBe('');
      expect(version.code).toBe(0);
      expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
      // The README's next step: the demo, with its own mock vendor, runs to its end.
      const demo = await runProgram(join(dir, 'adsync'), ['demo', '--dir', 'try-it'], { cwd: dir, env });
      expect(demo.code, demo.stderr).toBe(0);
      expect(demo.stderr).toContain('uploaded (HTTP 200)');
      // Its closing words say how to get a global `adsync`; done (into a folder of the test's
      // own rather than /usr/local/bin), adsync runs by that name from anywhere.
      expect(install.stderr).toContain(`sudo ln -s ${join(dir, 'adsync')} /usr/local/bin/adsync`);
      const bin = await tempDir('adsync-bin-');
      await symlink(join(dir, 'adsync'), join(bin, 'adsync'));
      const global = await runProgram('adsync', ['--version'], {
        cwd: bin,
        env: { ...env, PATH: `${bin}:${env.PATH}` },
      });
      expect(global.code, global.stderr).toBe(0);
      expect(global.stdout).toBe(version.stdout);
    },
    300_000,
  );

  it.skipIf(process.platform === 'win32').each([
    ['20.20.2', true],
    ['22.0.0', true],
    ['22.12.0', true],
    ['22.18.9', true],
    ['22.19.0', false],
    ['23.0.0', false],
    ['24.1.0', false],
  ])('ensure-node.sh with Node %s first on PATH: puts Node 24 before it: %s', async (version, fetched) => {
    const dir = await checkout();
    const env = { PATH: `${await stubNode(version)}:/usr/bin:/bin`, HOME: dir };
    const run = await runProgram(
      'bash',
      ['-c', 'source scripts/ensure-node.sh && command -v node && node --version'],
      { cwd: dir, env },
    );
    expect(run.code, run.stderr).toBe(0);
    const [path = '', said = ''] = run.stdout.trim().split('\n');
    expect(path.endsWith('.tools/node24/node_modules/.bin/node')).toBe(fetched);
    expect(said === `v${version}`).toBe(!fetched);
  });
});
