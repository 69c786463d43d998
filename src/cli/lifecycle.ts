import { quitNow } from './exit.js';
import { startWatchdog, WATCHDOG_GRACE_MS } from './watchdog.js';

/** How one guarded run or service ends. */
export interface LimitOptions {
  /** Stop after this long (none: only a signal or the scheduler stop it). */
  timeoutMs?: number | undefined;
  /** The abort reason when the time limit is reached. */
  onTimeout?: (() => unknown) | undefined;
  /** Told who asked to stop (SIGINT, SIGTERM, the scheduler); returns the abort reason. */
  onStop: (by: string) => unknown;
}

/** The process's stop requests for one CLI invocation. */
export interface Lifecycle {
  /**
   * Guard a run: its time limit, SIGINT/SIGTERM and the scheduler's IPC stop all end it through
   * the returned signal. The same stop often arrives twice (Ctrl-C reaches the whole process
   * group, systemd signals every process of the unit), so a repeat is ignored; only a second
   * SIGINT, a person insisting, quits at once (exit 130).
   */
  limit(options: LimitOptions): AbortSignal;
  /**
   * Stop the guarded run as a signal would, for a reason of adsync's own.
   * @param by who asks (shown to the user)
   * @returns whether a run was there to stop
   */
  interrupt(by: string): boolean;
  /** Remove the timer and the handlers. */
  dispose(): void;
}

/**
 * Start listening for stop requests. A scheduled run (ADSYNC_RUN_ID set, with an IPC channel)
 * listens to its scheduler from the start, so an early request is not lost.
 * @param env the environment
 */
export function createLifecycle(env: NodeJS.ProcessEnv): Lifecycle {
  let pending: string | undefined;
  let listener: ((by: string) => void) | undefined;
  let current: AbortSignal | undefined;
  const cleanups: (() => void)[] = [];
  if (env.ADSYNC_RUN_ID !== undefined && process.send !== undefined) {
    // The channel must not keep the run alive.
    process.channel?.unref();
    const onMessage = (message: unknown): void => {
      if ((message as { adsync?: unknown } | null)?.adsync !== 'stop') return;
      pending = 'the scheduler, which is shutting down';
      listener?.(pending);
    };
    process.on('message', onMessage);
    cleanups.push(() => process.off('message', onMessage));
  }
  return {
    limit(options: LimitOptions): AbortSignal {
      const controller = new AbortController();
      const stop = (by: string): void => {
        if (!controller.signal.aborted) controller.abort(options.onStop(by));
      };
      const onSignal = (signal: NodeJS.Signals): void => {
        if (signal === 'SIGINT' && controller.signal.aborted) quitNow(130);
        stop(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              if (!controller.signal.aborted) controller.abort(options.onTimeout?.());
            }, options.timeoutMs);
      // The timer above needs the main thread; the watchdog ends a run stuck where it cannot run.
      const watchdog =
        options.timeoutMs === undefined
          ? undefined
          : startWatchdog(
              options.timeoutMs + WATCHDOG_GRACE_MS,
              `error: the run did not end within ${WATCHDOG_GRACE_MS / 1000} s after its time limit; adsync is ending the process (exit 137). The baseline moves only after the vendor accepted an upload, and the next run takes over this run's lock.`,
            );
      listener = stop;
      current = controller.signal;
      cleanups.push(() => {
        clearTimeout(timer);
        watchdog?.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        listener = undefined;
        current = undefined;
      });
      if (pending !== undefined) stop(pending);
      return controller.signal;
    },
    interrupt(by: string): boolean {
      // A run already stopped (its time limit passed) and still waiting cannot be stopped again.
      if (!listener || current?.aborted !== false) return false;
      listener(by);
      return true;
    },
    dispose(): void {
      for (const cleanup of cleanups.splice(0)) cleanup();
    },
  };
}
