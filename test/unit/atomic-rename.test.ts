import { spawnSync } from 'node:child_process';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { OutputError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/io/atomic-file.js';
import { tempDir } from '../harness/files.js';

/** Files made immutable by a test, made mutable again after it (or the clean-up could not remove them). */
const immutable = new Set<string>();

const chattr = (flag: '+i' | '-i', path: string): boolean =>
  spawnSync('chattr', [flag, path], { stdio: 'ignore' }).status === 0;

afterEach(() => {
  for (const path of immutable) chattr('-i', path);
  immutable.clear();
});

/**
 * A real condition under which the file system refuses to rename over a file: an immutable file
 * (ext4's `chattr +i`, which needs root) makes rename(2) fail with EPERM until `chattr -i`. Where
 * that cannot be set (not root, another file system, Windows) the tests using it are skipped.
 */
async function immutableTarget(): Promise<string | undefined> {
  if (process.platform === 'win32') return undefined;
  const path = join(await tempDir(), 'contacts.csv');
  await writeFile(path, 'old\n');
  if (!chattr('+i', path)) return undefined;
  immutable.add(path);
  return path;
}

const probe = await immutableTarget();
for (const path of immutable) chattr('-i', path);
immutable.clear();
const canHold = probe !== undefined;

/** The real rename, recording each outcome; `onFailure` runs after a refused call. */
function observedRename(onFailure: (failures: number) => void = () => undefined) {
  const codes: (string | undefined)[] = [];
  const call = async (from: string, to: string): Promise<void> => {
    try {
      await rename(from, to);
      codes.push('ok');
    } catch (error) {
      codes.push((error as NodeJS.ErrnoException).code);
      onFailure(codes.length);
      throw error;
    }
  };
  return { call, codes };
}

/** The names in a directory besides `keep` (temporary files left behind). */
const leftovers = async (dir: string, keep: string): Promise<string[]> =>
  (await readdir(dir)).filter((name) => name !== keep);

describe('atomic rename over a file another program holds (Windows)', () => {
  it.skipIf(!canHold)('retries on win32 until the real refusal clears, then replaces the file', async () => {
    const target = await immutableTarget();
    if (target === undefined) throw new Error('immutable file not available');
    // The hold ends after the second refusal, like an antivirus letting go.
    const os = observedRename((failures) => {
      if (failures === 2) chattr('-i', target);
    });
    await writeFileAtomic(target, 'new\n', { replace: { platform: 'win32', rename: os.call } });
    expect(os.codes).toEqual(['EPERM', 'EPERM', 'ok']);
    expect(await readFile(target, 'utf8')).toBe('new\n');
    expect(await leftovers(join(target, '..'), 'contacts.csv')).toEqual([]);
  });

  it.skipIf(!canHold)('elsewhere a refused rename fails at once, leaving the old file', async () => {
    const target = await immutableTarget();
    if (target === undefined) throw new Error('immutable file not available');
    const os = observedRename();
    await expect(
      writeFileAtomic(target, 'new\n', { replace: { platform: 'linux', rename: os.call } }),
    ).rejects.toMatchObject({ code: 'EPERM' });
    expect(os.codes).toEqual(['EPERM']);
    expect(await readFile(target, 'utf8')).toBe('old\n');
    expect(await leftovers(join(target, '..'), 'contacts.csv')).toEqual([]);
  });

  it.skipIf(!canHold)(
    'a file held for good: a bounded wait, then an error naming the likely cause',
    async () => {
      const target = await immutableTarget();
      if (target === undefined) throw new Error('immutable file not available');
      const os = observedRename();
      const started = Date.now();
      const held = await writeFileAtomic(target, 'new\n', {
        replace: { platform: 'win32', rename: os.call, retryMs: 400 },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const waited = Date.now() - started;
      expect(held).toBeInstanceOf(OutputError);
      expect(held).toMatchObject({
        code: 'OUTPUT_WRITE',
        message: expect.stringContaining('another program has it open') as string,
        hint: expect.stringMatching(/Close .*contacts\.csv.*Excel/) as string,
      });
      expect(waited).toBeLessThan(400 + 2000);
      expect(os.codes.length).toBeGreaterThan(2);
      expect(new Set(os.codes)).toEqual(new Set(['EPERM']));
      expect(await readFile(target, 'utf8')).toBe('old\n');
      expect(await leftovers(join(target, '..'), 'contacts.csv')).toEqual([]);
    },
  );
});

describe('atomic rename: the OS call refuses by design (every platform)', () => {
  /** The OS rename refusing `times` times with `code`, then the real one. */
  function refusing(times: number, code: string) {
    let calls = 0;
    const call = async (from: string, to: string): Promise<void> => {
      if (++calls <= times)
        throw Object.assign(new Error(`${code}: resource busy or locked, rename '${from}' -> '${to}'`), {
          code,
        });
      await rename(from, to);
    };
    return { call, calls: () => calls };
  }

  it('EBUSY twice on win32: retried, and the file is replaced', async () => {
    const dir = await tempDir();
    const target = join(dir, 'state.json');
    await writeFile(target, 'old');
    const os = refusing(2, 'EBUSY');
    await writeFileAtomic(target, 'new', { replace: { platform: 'win32', rename: os.call } });
    expect(os.calls()).toBe(3);
    expect(await readFile(target, 'utf8')).toBe('new');
    expect(await leftovers(dir, 'state.json')).toEqual([]);
  });

  it('a refusal that is not one of a held file is not retried', async () => {
    const dir = await tempDir();
    const target = join(dir, 'state.json');
    const os = refusing(1, 'ENOSPC');
    await expect(
      writeFileAtomic(target, 'new', { replace: { platform: 'win32', rename: os.call } }),
    ).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(os.calls()).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('no file under the final name: the refusal is the file system error, not "held by a program"', async () => {
    const dir = await tempDir();
    const target = join(dir, 'new.csv');
    const os = refusing(1000, 'EACCES');
    await expect(
      writeFileAtomic(target, 'new', { replace: { platform: 'win32', rename: os.call, retryMs: 100 } }),
    ).rejects.toMatchObject({ code: 'EACCES' });
    expect(os.calls()).toBeGreaterThan(1);
    expect(await readdir(dir)).toEqual([]);
  });
});
