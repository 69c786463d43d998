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
 * end the whole process: a worker's `process.exit` ends the worker alone, so it sends SIGKILL.
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
setTimeout(() => {
  try { writeSync(2, workerData.message); } catch {}
  process.kill(process.pid, 'SIGKILL');
}, workerData.ms);
`;

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
