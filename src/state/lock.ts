import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

import { LockError, OutputError, describeError } from '../errors.js';
import { makeDir } from '../io/make-dir.js';

/** Who holds a lock. */
interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the run lock. A lock held by a live run is exit 4; a stale one (dead pid on this host,
 * or older than the timeout) is taken over, which the caller is told about.
 * @param path the lock file
 * @param timeoutMinutes age after which any lock is stale
 * @returns release function, and the stale lock that was taken over, if any
 */
export async function acquireLock(
  path: string,
  timeoutMinutes: number,
): Promise<{ release: () => Promise<void>; tookOver?: string }> {
  makeDir(dirname(path));
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  let tookOver: string | undefined;
  const text = JSON.stringify(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    // Write the holder to a private file and hard-link it into place: the lock appears with its
    // content in one step, so no other run can ever read a half-written lock.
    const tmp = `${path}.${process.pid}.${attempt}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    try {
      await link(tmp, path);
      const release = async (): Promise<void> => {
        // Only remove the lock if it is still ours.
        const now = await readFile(path, 'utf8').catch(() => '');
        if (now === text) await rm(path, { force: true });
      };
      return tookOver === undefined ? { release } : { release, tookOver };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new OutputError(`cannot create the lock file ${path}: ${describeError(error)}`, {
          cause: error,
        });
      }
    } finally {
      await rm(tmp, { force: true });
    }
    const seen = await readFile(path, 'utf8').catch(() => '');
    let holder: LockHolder | undefined;
    try {
      holder = JSON.parse(seen) as LockHolder;
    } catch {
      holder = undefined; // damaged: treat as stale
    }
    const ageMinutes = holder ? (Date.now() - Date.parse(holder.startedAt)) / 60_000 : Infinity;
    const stale =
      !holder || (holder.host === hostname() && !alive(holder.pid)) || ageMinutes > timeoutMinutes;
    if (!stale && holder) {
      throw new LockError(
        `another adsync run holds the lock: pid ${holder.pid} on ${holder.host} since ${holder.startedAt}`,
        {
          hint: `Wait for it to finish. If no adsync is running, remove ${path}.`,
        },
      );
    }
    tookOver = holder
      ? `pid ${holder.pid} on ${holder.host} since ${holder.startedAt}`
      : 'a damaged lock file';
    // Remove the stale lock only if it is still the one judged stale (another run may have
    // replaced it meanwhile).
    if ((await readFile(path, 'utf8').catch(() => '')) === seen) await rm(path, { force: true });
  }
  throw new LockError(`could not take the lock ${path}`, { hint: 'Another run keeps taking it; try again.' });
}
