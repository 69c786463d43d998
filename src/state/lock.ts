import { randomBytes } from 'node:crypto';
import { link, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

import { LockError, OutputError, describeError } from '../errors.js';
import { currentOwner, ownerGone, parseOwner } from '../util/owner.js';
import { makeDir } from '../io/make-dir.js';

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
  const me = currentOwner();
  let tookOver: string | undefined;
  const text = JSON.stringify(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    // Write the holder to a private file and hard-link it into place: the lock appears with its
    // content in one step, so no other run can ever read a half-written lock. The private name
    // is unpredictable and created exclusively: a link planted there in advance is never followed.
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(tmp, 'wx', 0o600).catch((error: unknown) => {
      throw new OutputError(`cannot create the lock file ${path}: ${describeError(error)}`, { cause: error });
    });
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
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
    const holder = parseOwner(seen); // undefined: damaged, so stale
    const ageMinutes = holder ? (Date.now() - Date.parse(holder.startedAt)) / 60_000 : Infinity;
    const stale = !holder || ownerGone(holder) || ageMinutes > timeoutMinutes;
    if (!stale) {
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
