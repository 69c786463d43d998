import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** The process that holds something (the run lock, a run's work folder). */
export interface Owner {
  /** Its process id. */
  pid: number;
  /** The machine it runs on. */
  host: string;
  /** When it started holding it (ISO time). */
  startedAt: string;
  /**
   * Which process that pid was, where the system tells (Linux: boot id and start tick), so a pid
   * reused by another process after a crash or a reboot is not mistaken for the holder. Absent
   * elsewhere, and in files written by earlier releases: the pid alone decides then.
   */
  process?: string;
}

/**
 * The identity of a live process of this machine, independent of the clock: the boot it runs
 * in and the tick it started at (Linux `/proc`). Undefined where the system does not tell, or
 * when there is no such process.
 * @param pid the process
 */
export function processIdentity(pid: number): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which may itself hold spaces and parentheses.
    const startTick = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return boot !== '' && startTick !== undefined && /^\d+$/.test(startTick)
      ? `${boot}:${startTick}`
      : undefined;
  } catch {
    return undefined;
  }
}

/** This process, now. */
export function currentOwner(): Owner {
  const identity = processIdentity(process.pid);
  return {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    ...(identity === undefined ? {} : { process: identity }),
  };
}

/**
 * Whether a host name is this machine's. Case does not count: Windows reports the same machine
 * as `SERVER1` or `server1` depending on where the name comes from.
 * @param host the name an owner recorded
 */
export function isThisHost(host: string): boolean {
  return host.toLowerCase() === hostname().toLowerCase();
}

/**
 * Whether the owner is known to be gone: a process of this machine that no longer exists, or
 * whose pid now belongs to another process (its recorded identity differs). An owner on another
 * machine (a shared disk) is never judged gone by its pid. The liveness probe (signal 0) works
 * on Windows too; the clock plays no part.
 * @param owner the holder
 */
export function ownerGone(owner: Owner): boolean {
  if (!isThisHost(owner.host)) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: it exists, under another account.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return true;
  }
  if (owner.process === undefined) return false;
  const now = processIdentity(owner.pid);
  return now !== undefined && now !== owner.process;
}

/**
 * An owner read back from a file, or undefined when the text is not one (damaged, foreign).
 * @param text the file's content
 */
export function parseOwner(text: string): Owner | undefined {
  try {
    const value = JSON.parse(text) as Partial<Owner> | null;
    if (
      typeof value?.pid !== 'number' ||
      typeof value.host !== 'string' ||
      typeof value.startedAt !== 'string'
    )
      return undefined;
    const owner: Owner = { pid: value.pid, host: value.host, startedAt: value.startedAt };
    if (typeof value.process === 'string') owner.process = value.process;
    return owner;
  } catch {
    return undefined;
  }
}
