import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** What {@link cronDaemon} found. */
export type CronDaemon =
  | { state: 'running'; name: string; pid: number }
  | { state: 'stopped'; systemd: boolean }
  | { state: 'unknown'; why: string };

/**
 * Process names of the cron daemons that run users' crontabs: Debian's cron, cronie's, dcron's
 * and BusyBox's crond (as a link), fcron.
 */
const DAEMONS = new Set(['cron', 'crond', 'fcron']);

/** A file of /proc, or undefined when it cannot be read (the process ended, or is hidden). */
function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * The cron daemon's name when this process is one: by its name, or BusyBox's applet run as
 * `busybox crond` (its name is then busybox).
 */
function daemonName(dir: string): string | undefined {
  const comm = readProc(join(dir, 'comm'))?.trim();
  if (comm === undefined) return undefined;
  if (DAEMONS.has(comm)) return comm;
  const argv = (readProc(join(dir, 'cmdline')) ?? '').split('\0');
  const applet = basename(argv[0] ?? '') === 'busybox' ? argv[1] : undefined;
  return applet !== undefined && DAEMONS.has(applet) ? `busybox ${applet}` : undefined;
}

/**
 * Whether a cron daemon runs on this machine, from the processes `procRoot` lists: a crontab
 * line does nothing without one (a container without an init, a minimal install). Unknown when
 * the processes cannot be listed (no /proc, or one that hides other users' processes, where
 * PID 1 is not seen) and none of those seen is a daemon.
 * @param procRoot where the processes are listed (a parameter so a built tree can stand in)
 */
export function cronDaemon(procRoot = '/proc'): CronDaemon {
  let entries: string[];
  try {
    entries = readdirSync(procRoot).filter((name) => /^\d+$/.test(name));
  } catch {
    return { state: 'unknown', why: `${procRoot} cannot be read` };
  }
  for (const pid of entries) {
    const name = daemonName(join(procRoot, pid));
    if (name !== undefined) return { state: 'running', name, pid: Number(pid) };
  }
  // Mounted with hidepid, /proc hides other users' processes (PID 1 among them): a daemon
  // running as root would not be seen.
  const init = readProc(join(procRoot, '1', 'comm'))?.trim();
  if (init === undefined) {
    return { state: 'unknown', why: `${procRoot} does not show other users' processes` };
  }
  return { state: 'stopped', systemd: init === 'systemd' };
}
