import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';

import { ConfigError } from '../errors.js';
import { makeDir } from '../io/make-dir.js';
import { shellQuote } from '../util/shell-quote.js';
import { secureWindowsStateDir } from './state-dir-acl.js';

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
 * Make sure the state directory exists and is adsync's alone before anything is read from or
 * written to it: a directory other users may write to would let them plant links at the names
 * of the lock or the state file, or swap the baseline the guards trust. Created with mode 700;
 * an existing one must be a directory that others cannot write to. On Windows, where modes mean
 * nothing, a new one gets an ACL for adsync's account, SYSTEM and Administrators only, and one
 * that every user may write to is refused (src/state/windows-acl.ts).
 * @param dir the state directory
 * @returns a warning when its privacy could not be checked (Windows without a readable ACL)
 * @throws {ConfigError} when it is not a private directory
 */
export async function ensureStateDir(dir: string): Promise<string | undefined> {
  const created = makeDir(dir) !== undefined;
  // Followed if it is a link: /etc/adsync/state → /var/lib/adsync is a fine setup.
  const info = await stat(dir);
  if (info.isDirectory() && process.platform === 'win32') return secureWindowsStateDir(dir, created);
  const problem = !info.isDirectory()
    ? 'is not a directory'
    : (info.mode & 0o002) !== 0
      ? `can be written by every user of this machine (mode ${(info.mode & 0o777).toString(8)})`
      : undefined;
  if (problem === undefined) return undefined;
  throw new ConfigError('CONFIG_INVALID', `the state directory ${dir} ${problem}`, {
    hint: `adsync keeps its lock and the last good push there, so it must be its own: run \`chmod 700 ${shellQuote(dir, 'linux')}\` (or point state.dir at a directory only adsync's account can write to).`,
  });
}

/**
 * Make the state directory adsync's own before something other than a run creates a file in it
 * (the scheduler's status file, a log kept there): whatever comes first creates the folder, and
 * on Windows only {@link ensureStateDir} gives a new one its private ACL, so it must be first.
 * @param file the file about to be written
 * @param stateDir the state directory
 * @returns the warning of {@link ensureStateDir}, if any; nothing when `file` is elsewhere
 * @throws {ConfigError} when the state directory is not a private directory
 */
export async function ensureStateDirFor(file: string, stateDir: string): Promise<string | undefined> {
  const inside = relative(stateDir, dirname(file));
  if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
  return ensureStateDir(stateDir);
}
