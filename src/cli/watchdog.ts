import { Worker } from 'node:worker_threads';

/**
 * How long after its time limit a run may take to wind down (close sockets, write the report,
 * the history line and release the lock) before the watchdog ends the process.
 */
export const WATCHDOG_GRACE_MS = 15_000;

/**
 * The watchdog's own thread. It has its own event loop, so its timer fires even when the main
 * thread is stuck in a synchronous loop (a terminal library erasing lines forever, a runaway
 * regular expression) where no timer or signal handler of the main thread can run. It can only
 * end the whole process: a worker's `process.exit` ends the worker alone, so it sends SIGKILL
 * (on Windows libuv turns that into TerminateProcess with exit code 1: {@link watchdogEnding}).
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
setTimeout(() => {
  try { writeSync(2, workerData.message); } catch {}
  process.kill(process.pid, 'SIGKILL');
}, workerData.ms);
`;

/**
 * How a process the watchdog ended looks from outside, on `platform`: on POSIX it dies of SIGKILL,
 * which has no exit code (a shell shows 128 + 9 = 137, systemd "status=9/KILL"); on Windows
 * `process.kill` is libuv's `TerminateProcess(handle, 1)`, so the process ends with exit code 1,
 * which Task Scheduler shows as 0x1.
 * @param platform the OS the process runs on (process.platform)
 */
export function watchdogEnding(platform: NodeJS.Platform): string {
  return platform === 'win32'
    ? 'exit code 1, which Task Scheduler shows as "Last Run Result" 0x1'
    : 'killed with SIGKILL: a shell shows exit 137, systemd "status=9/KILL"';
}

/**
 * The watchdog's last line on stderr, with the way the process ends on `platform`.
 * @param platform the OS the process runs on (process.platform)
 */
export function watchdogMessage(platform: NodeJS.Platform): string {
  return `error: the run did not end within ${WATCHDOG_GRACE_MS / 1000} s after its time limit; adsync is ending the process (${watchdogEnding(platform)}). The baseline moves only after the vendor accepted an upload, and the next run takes over this run's lock.`;
}

/** A started watchdog. */
export interface Watchdog {
  /** The run ended on its own: stop watching. */
  stop(): void;
}

/**
 * Watch a run from another thread: if the process is still there `ms` after it started (its time
 * limit plus {@link WATCHDOG_GRACE_MS}), say so on stderr and end the process. A stale lock left
 * by a killed run is taken over by the next run (its pid is gone), which reports it.
 * @param ms when to end the process, from now
 * @param message the last line on stderr
 */
export function startWatchdog(ms: number, message: string): Watchdog {
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { ms, message: `${message}\n` },
    // Its own stdio would be piped through the main thread, which may be the stuck one.
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  });
  // The watchdog never keeps a finished process alive.
  worker.unref();
  worker.on('error', () => undefined);
  return {
    stop(): void {
      void worker.terminate();
    },
  };
}
