import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { tempDir } from './files.js';

const run = promisify(execFile);

/** tmpfs mounts made by {@link mountTmpfs} in this test file, unmounted after its last test. */
const mounted: string[] = [];

/** Why this machine cannot mount a tmpfs for a test, or '' when it can (root on Linux). */
export const tmpfsSkip =
  process.platform !== 'linux'
    ? 'tmpfs mounts need Linux'
    : process.getuid?.() !== 0
      ? 'mounting a tmpfs needs root'
      : '';

/**
 * A small file system of its own (tmpfs), to run adsync against a full disk. Unmounted when the
 * test file ends (test/harness/cleanup.ts), before its temporary directory is removed.
 * @param options mount options, e.g. `size=64k` or `nr_inodes=4`
 * @returns the mount point
 */
export async function mountTmpfs(options: string): Promise<string> {
  const dir = await tempDir('adsync-tmpfs-');
  await run('mount', ['-t', 'tmpfs', '-o', `mode=700,${options}`, 'tmpfs', dir]);
  mounted.push(dir);
  return dir;
}

/** Unmount every tmpfs this test file mounted. */
export async function unmountAll(): Promise<void> {
  for (const dir of mounted.splice(0).reverse()) await run('umount', [dir]);
}
