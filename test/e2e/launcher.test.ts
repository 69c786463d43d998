// The launchers scripts/install.sh leaves at the top of the checkout (README, "Install"): ./adsync
// runs adsync with the Node install.sh chose even when the machine's own node is too old, and
// adsync.cmd does the same on Windows (checked by content here; the Windows suite runs it under
// Wine's cmd /c).
import { execFile } from 'node:child_process';
import { copyFile, link, mkdir, mkdtemp, readFile, realpath, rm, stat, symlink } from 'node:fs/promises';
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

  it('adsync.cmd starts bin\\adsync.js from its own folder with the real Node program, arguments and exit code passed through', async () => {
    const text = await readFile(join(ROOT, 'adsync.cmd'), 'utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replaceAll('\r\n', '')).not.toContain('\n');
    const lines = text.split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toBe('@echo off');
    // The node call is the last line: the batch file ends with node's exit code (%ERRORLEVEL%),
    // and %* hands on the arguments as typed, quoted ones with their spaces.
    const node = cmdNode(lines.at(-1) ?? '', ROOT);
    // Node's own program (process.execPath), not npm's .bin shim, and the one ./adsync runs.
    expect(node).not.toContain('.bin');
    expect((await stat(node)).isFile()).toBe(true);
    const sh = await readFile(join(ROOT, 'adsync'), 'utf8');
    const exec = /^exec "([^"]+)" "\$here\/bin\/adsync\.js" "\$@"$/m.exec(sh)?.[1] ?? '';
    expect(await realpath(exec.replace(/^\$here\//, ROOT))).toBe(await realpath(node));
  });

  it.skipIf(process.platform === 'win32')(
    'names a Node outside the checkout by its absolute path (spaces and % kept), one inside relative to the launchers',
    async () => {
      // A checkout of its own (the scripts, package.json and bin/ of this one), so this one's launchers stay.
      const checkout = join(dir, 'my checkout');
      await mkdir(join(checkout, 'scripts'), { recursive: true });
      for (const name of ['write-launchers.sh', 'write-launchers.mjs', 'ensure-node.sh'])
        await copyFile(join(ROOT, 'scripts', name), join(checkout, 'scripts', name));
      // ensure-node.sh reads the Node version rule from package.json's engines.
      await copyFile(join(ROOT, 'package.json'), join(checkout, 'package.json'));
      await symlink(join(ROOT, 'bin'), join(checkout, 'bin'));
      const outside = join(dir, 'Program Files', 'node 100%');
      const inside = join(checkout, '.tools', 'node', 'bin');
      for (const [folder, expected] of [
        [outside, { cmd: join(outside, 'node').replaceAll('%', '%%'), sh: join(outside, 'node') }],
        [inside, { cmd: '%~dp0.tools\\node\\bin\\node', sh: '$here/.tools/node/bin/node' }],
      ] as const) {
        await placeNode(folder);
        await run('bash', [join(checkout, 'scripts', 'write-launchers.sh')], {
          env: { PATH: `${folder}:/usr/bin:/bin`, HOME: dir },
        });
        const cmd = (await readFile(join(checkout, 'adsync.cmd'), 'utf8'))
          .split('\r\n')
          .filter((l) => l !== '');
        expect(cmd.at(-1)).toBe(`"${expected.cmd}" "%~dp0bin\\adsync.js" %*`);
        expect(await readFile(join(checkout, 'adsync'), 'utf8')).toContain(
          `exec "${expected.sh}" "$here/bin/adsync.js" "$@"`,
        );
        const version = await runProgram(join(checkout, 'adsync'), ['--version'], {
          cwd: dir,
          env: { PATH: '/usr/bin:/bin' },
        });
        expect(version.code, version.stderr).toBe(0);
        expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
      }
    },
    60_000,
  );
});

/**
 * The Node program an adsync.cmd line starts, as a path here: `%~dp0` is the launcher's folder.
 * @param line the node call
 * @param root the launcher's folder
 */
function cmdNode(line: string, root: string): string {
  const match = /^"([^"]+)" "%~dp0bin\\adsync\.js" %\*$/.exec(line);
  expect(match, line).not.toBeNull();
  return (match?.[1] ?? '')
    .replace(/^%~dp0/, root)
    .replaceAll('\\', '/')
    .replaceAll('%%', '%');
}

/**
 * Put this Node program (a hard link, or a copy across file systems) at `folder`/node, so its
 * process.execPath is there.
 * @param folder where
 */
async function placeNode(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const target = join(folder, 'node');
  await link(process.execPath, target).catch(() => copyFile(process.execPath, target));
}
