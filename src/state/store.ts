import { createHash } from 'node:crypto';
import { appendFile, link, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { LockError, OutputError, describeError } from '../errors.js';
import type { LastPush } from './plan.js';

/** Files of one target's state. */
export interface StatePaths {
  /** The last good push. */
  state: string;
  /** The run lock. */
  lock: string;
  /** The run history (JSON lines). */
  history: string;
}

/**
 * Where a target's state lives: one state file per upload target, so two configs pushing to
 * different vendors (or locations accounts) never share a baseline.
 * @param dir the state directory
 * @param target what identifies the target (profile and upload URL)
 */
export function statePaths(dir: string, target: string): StatePaths {
  const id = createHash('sha256').update(target).digest('hex').slice(0, 12);
  return {
    state: join(dir, `state-${id}.json`),
    lock: join(dir, `state-${id}.lock`),
    history: join(dir, 'runs.jsonl'),
  };
}

/**
 * The last good push, or undefined before the first one.
 * @param path the state file
 */
export async function readLastPush(path: string): Promise<LastPush | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OutputError(`cannot read the state file ${path}: ${describeError(error)}`, { cause: error });
  }
  try {
    return JSON.parse(text) as LastPush;
  } catch (error) {
    throw new OutputError(`the state file ${path} is damaged (not JSON)`, {
      hint: 'Restore it from a backup, or move it away to start over (the next push is then planned as a first push).',
      cause: error,
    });
  }
}

/**
 * Write a file atomically and durably: temporary file, fsync, rename. A run that dies at any
 * point leaves either the old file or the new one, never a mix.
 * @param path final path
 * @param text content
 */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new OutputError(`cannot write ${path}: ${describeError(error)}`, { cause: error });
  }
}

/**
 * Save the last good push (only ever after the vendor accepted the upload).
 * @param path the state file
 * @param push what was accepted
 */
export async function writeLastPush(path: string, push: LastPush): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await writeAtomic(path, `${JSON.stringify(push)}\n`);
}

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
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
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

/** One line of the run history. */
export interface HistoryEntry {
  time: string;
  command: string;
  outcome: string;
  exitCode: number;
  dryRun: boolean;
  csvPath?: string;
  planPath?: string;
  rows?: number;
  rejected?: number;
  plan?: { create: number; update: number; archive: number; unchanged: number; firstPush: boolean };
  guards?: string[];
  vendor?: unknown;
  error?: string;
}

/**
 * Append one run to the history.
 * @param path runs.jsonl
 * @param entry the run
 */
export async function appendHistory(path: string, entry: HistoryEntry): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await appendFile(path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

/**
 * Recent runs, newest last.
 * @param path runs.jsonl
 * @param limit how many
 */
export async function readHistory(path: string, limit: number): Promise<HistoryEntry[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const entries = text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as HistoryEntry];
      } catch {
        return [];
      }
    });
  return entries.slice(-limit);
}
