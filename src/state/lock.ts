import { randomBytes } from 'node:crypto';
import { link, open, readFile, rm, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';

import { LockError, OutputError, describeError } from '../errors.js';
import { currentOwner, isThisHost, ownerGone, parseOwner, type Owner } from '../util/owner.js';
import { makeDir } from '../io/make-dir.js';

/** How often a held lock is refreshed, at most (a short lock timeout refreshes more often). */
const REFRESH_MS = 60_000;

/** Options for {@link acquireLock}. */
export interface LockOptions {
  /**
   * How often the holder touches the lock file (default: every minute, or a quarter of the
   * timeout when that is shorter). Tests shorten it.
   */
  refreshMs?: number | undefined;
}

/** A lock this run holds. */
export interface RunLock {
  /** Stop refreshing and remove the lock, if it is still this run's. Never throws. */
  release: () => Promise<void>;
  /** The stale lock that was taken over to get this one, if any. */
  tookOver?: string;
}

/** A lock file as another run finds it: its text, its holder, when it was last refreshed. */
interface SeenLock {
  text: string;
  holder: Owner | undefined;
  refreshedMs: number;
}

/**
 * Read the lock's text and modification time from one open file (they belong together), or
 * undefined when there is no lock file any more.
 */
async function seeLock(path: string): Promise<SeenLock | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const stat = await handle.stat();
    const text = await handle.readFile('utf8');
    return { text, holder: parseOwner(text), refreshedMs: stat.mtimeMs };
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Whether a lock may be taken over (and why), or whose it is while its holder may still be
 * working. A holder on this machine is judged by its process alone: alive means the lock is kept
 * however old it looks (a clock stepped forward makes every lock look old). Only a holder on
 * another machine (a shared state directory) is judged by age: the time since it last refreshed
 * the lock, which a working run does every minute.
 */
function judge(seen: SeenLock, timeoutMinutes: number): { takeOver: string } | { heldBy: Owner } {
  const { holder } = seen;
  if (!holder) return { takeOver: 'a damaged lock file' };
  const who = `pid ${holder.pid} on ${holder.host} since ${holder.startedAt}`;
  if (isThisHost(holder.host)) return ownerGone(holder) ? { takeOver: who } : { heldBy: holder };
  const idleMinutes = (Date.now() - seen.refreshedMs) / 60_000;
  return idleMinutes > timeoutMinutes
    ? {
        takeOver: `${who}, not refreshed for ${Math.floor(idleMinutes)} min (safety.lockTimeoutMinutes: ${timeoutMinutes})`,
      }
    : { heldBy: holder };
}

/**
 * Keep the lock's modification time fresh while the run works, so a run on another machine can
 * tell a working holder from one that stopped. The timer never keeps the process alive, and a
 * lock that is no longer this run's (removed, or taken over) is left alone.
 * @returns stops the refresh, after the one in flight
 */
function keepFresh(path: string, text: string, everyMs: number): () => Promise<void> {
  let inflight: Promise<void> = Promise.resolve();
  const touch = async (): Promise<void> => {
    if ((await readFile(path, 'utf8').catch(() => '')) !== text) return;
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
  };
  const timer = setInterval(() => {
    inflight = inflight.then(touch);
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await inflight;
  };
}

/** Put this run's lock in place in one step, or report that a lock is there already. */
async function placeLock(path: string, text: string): Promise<boolean> {
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
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new OutputError(`cannot create the lock file ${path}: ${describeError(error)}`, { cause: error });
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Take the run lock. A lock whose holder may still be working is exit 4; a stale one (its
 * process on this machine is gone; on another machine, it stopped refreshing the lock for
 * longer than the timeout; or the file is damaged) is taken over, which the caller is told
 * about. The lock refreshes itself until released.
 * @param path the lock file
 * @param timeoutMinutes how long a holder on another machine may go without refreshing
 * @param options refresh interval
 * @returns release function, and the stale lock that was taken over, if any
 */
export async function acquireLock(
  path: string,
  timeoutMinutes: number,
  options: LockOptions = {},
): Promise<RunLock> {
  makeDir(dirname(path));
  const text = JSON.stringify(currentOwner());
  let tookOver: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await placeLock(path, text)) {
      const stop = keepFresh(
        path,
        text,
        options.refreshMs ?? Math.min(REFRESH_MS, Math.max(1000, timeoutMinutes * 15_000)),
      );
      const release = async (): Promise<void> => {
        await stop();
        // Only remove the lock if it is still ours.
        const now = await readFile(path, 'utf8').catch(() => '');
        if (now === text) await rm(path, { force: true }).catch(() => undefined);
      };
      return tookOver === undefined ? { release } : { release, tookOver };
    }
    const seen = await seeLock(path);
    if (!seen) continue; // released meanwhile
    const verdict = judge(seen, timeoutMinutes);
    if ('heldBy' in verdict) throw lockedBy(path, verdict.heldBy, seen.refreshedMs);
    tookOver = verdict.takeOver;
    // Remove the stale lock only if it is still the one judged stale: another run may have
    // replaced it, or its holder refreshed it, meanwhile.
    const again = await seeLock(path);
    if (again?.text === seen.text && again.refreshedMs === seen.refreshedMs) await rm(path, { force: true });
  }
  throw new LockError(`could not take the lock ${path}`, { hint: 'Another run keeps taking it; try again.' });
}

/** The exit-4 error naming who holds the lock and when it last refreshed it. */
function lockedBy(path: string, holder: Owner, refreshedMs: number): LockError {
  const idle = Math.max(0, Math.round((Date.now() - refreshedMs) / 1000));
  return new LockError(
    `another adsync run holds the lock: pid ${holder.pid} on ${holder.host} since ${holder.startedAt} (lock refreshed ${idle} s ago)`,
    {
      hint: `Wait for it to finish. If no adsync is running${isThisHost(holder.host) ? '' : ` on ${holder.host}`}, remove ${path}.`,
    },
  );
}
