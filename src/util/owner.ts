import { hostname } from 'node:os';

/** The process that holds something (the run lock, a run's work folder). */
export interface Owner {
  /** Its process id. */
  pid: number;
  /** The machine it runs on. */
  host: string;
  /** When it started holding it (ISO time). */
  startedAt: string;
}

/** This process, now. */
export function currentOwner(): Owner {
  return { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
}

/**
 * Whether the owner is known to be gone: a process of this machine that no longer exists.
 * An owner on another machine (a shared disk) is never judged gone by its pid.
 * @param owner the holder
 */
export function ownerGone(owner: Owner): boolean {
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists, under another account.
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/**
 * An owner read back from a file, or undefined when the text is not one (damaged, foreign).
 * @param text the file's content
 */
export function parseOwner(text: string): Owner | undefined {
  try {
    const value = JSON.parse(text) as Partial<Owner> | null;
    return typeof value?.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.startedAt === 'string'
      ? { pid: value.pid, host: value.host, startedAt: value.startedAt }
      : undefined;
  } catch {
    return undefined;
  }
}
