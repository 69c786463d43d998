import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/**
 * Create a directory and its missing parents, one level at a time, each with `mode`.
 *
 * Node's own `mkdir(…, { recursive: true })` never returns for some paths: under /proc (where
 * mkdir answers ENOENT although the parent exists) it retries forever at 100% CPU. Walking down
 * from the nearest existing ancestor turns that into an ordinary ENOENT naming the path.
 * Synchronous: a few system calls, once per run and directory.
 * @param path the directory
 * @param mode permission bits of each directory created (default 0o700: adsync's files hold
 *   personal data)
 * @returns the topmost directory created, or undefined when it existed (as `mkdir` does)
 * @throws the file system's error (ENOENT, EACCES, ENOTDIR, …) naming the path
 */
export function makeDir(path: string, mode = 0o700): string | undefined {
  const missing: string[] = [];
  for (let dir = resolve(path); ;) {
    try {
      if (statSync(dir).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), {
        code: 'ENOTDIR',
        path: dir,
      });
    } catch (error) {
      const parent = dirname(dir);
      if (errno(error) !== 'ENOENT' || parent === dir) throw error;
      missing.push(dir);
      dir = parent;
    }
  }
  let created: string | undefined;
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir, { mode });
    } catch (error) {
      // Made meanwhile by another run: fine, if it is a directory.
      if (errno(error) === 'EEXIST' && statSync(dir).isDirectory()) continue;
      throw error;
    }
    created ??= dir;
  }
  return created;
}
