import { execFileSync } from 'node:child_process';
import { chmod, stat } from 'node:fs/promises';
import { join, win32 } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/errors.js';
import { ensureStateDir, ensureStateDirFor } from '../../src/state/paths.js';
import { judgeAcl } from '../../src/state/windows-acl.js';
import { tempDir } from '../harness/files.js';

const icacls = (...args: string[]): string =>
  execFileSync(win32.join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'icacls.exe'), args, {
    encoding: 'latin1',
  });

describe('the state directory is adsync’s own', () => {
  it.skipIf(process.platform === 'win32')(
    'POSIX: created mode 700; one every user may write to is refused',
    async () => {
      const dir = join(await tempDir(), 'state');
      await expect(ensureStateDir(dir)).resolves.toBeUndefined();
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      await chmod(dir, 0o777);
      const error: unknown = await ensureStateDir(dir).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ hint: expect.stringContaining(`chmod 700 ${dir}`) as string });
    },
  );

  it.skipIf(process.platform === 'win32')(
    'POSIX: the chmod in the hint can be pasted as it is, for a path with a space or a quote too',
    async () => {
      const dir = join(await tempDir(), "ad sync's state");
      await ensureStateDir(dir);
      await chmod(dir, 0o777);
      const error: unknown = await ensureStateDir(dir).then(
        () => undefined,
        (e: unknown) => e,
      );
      const hint = error instanceof ConfigError ? (error.hint ?? '') : '';
      const command = /`(chmod 700 [^`]+)`/.exec(hint)?.[1] ?? '';
      expect(command).toBe(`chmod 700 '${dir.replace("'", "'\\''")}'`);
      // The command as sh runs it fixes the directory.
      execFileSync('sh', ['-c', command]);
      await expect(ensureStateDir(dir)).resolves.toBeUndefined();
    },
  );

  it('a file written inside it first (a log, the scheduler status) makes it through ensureStateDir; one elsewhere does not', async () => {
    const base = await tempDir();
    const dir = join(base, 'state');
    await ensureStateDirFor(join(base, 'logs', 'adsync.log'), dir);
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await ensureStateDirFor(join(dir, 'logs', 'adsync.log'), dir);
    expect((await stat(dir)).isDirectory()).toBe(true);
    if (process.platform !== 'win32') {
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      // The refusal comes first too: nothing is written into a folder every user may write to.
      await chmod(dir, 0o777);
      await expect(ensureStateDirFor(join(dir, 'status.json'), dir)).rejects.toBeInstanceOf(ConfigError);
    }
  });

  // Real Windows sets and enforces the ACL; Wine's icacls is a stub that prints nothing, so there
  // adsync can only warn. Either way it never claims a privacy it did not read.
  it.runIf(process.platform === 'win32')(
    'Windows: a new one is made private, or the run says it cannot tell',
    async () => {
      const dir = join(await tempDir(), 'state');
      const warning = await ensureStateDir(dir);
      if (warning === undefined) expect(judgeAcl(icacls(dir), dir)).toEqual({ kind: 'private' });
      else expect(warning).toMatch(/^cannot check who may write to the state directory/);
    },
  );

  it.runIf(process.platform === 'win32')(
    'Windows: one Everyone may change is refused, or the run says it cannot tell',
    async () => {
      const dir = await tempDir();
      icacls(dir, '/grant', '*S-1-1-0:(OI)(CI)M');
      const outcome: unknown = await ensureStateDir(dir).then(
        (w) => w,
        (e: unknown) => e,
      );
      if (outcome instanceof ConfigError)
        expect(outcome.message).toMatch(/can be written by every user.*\(M\)/);
      else expect(outcome).toMatch(/^cannot check who may write to the state directory/);
    },
  );
});
