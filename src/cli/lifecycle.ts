import { quitNow } from './exit.js';
import { startWatchdog, watchdogMessage, WATCHDOG_GRACE_MS } from './watchdog.js';

/**
 * The signals that ask a run to stop safely, where Node delivers them: SIGINT (Ctrl-C), SIGTERM
 * (systemd, kill), SIGHUP (the terminal went away; on Windows, the console window was closed,
 * after which Windows ends the process about 10 s later) and, on Windows only, SIGBREAK
 * (Ctrl-Break). Without a handler each of them ends the process at once, without the safe stop.
 */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = stopSignals(process.platform);

/**
 * The stop signals on `platform` (SIGBREAK exists only on Windows).
 * @param platform the OS (process.platform)
 */
export function stopSignals(platform: NodeJS.Platform): NodeJS.Signals[] {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  if (platform === 'win32') signals.push('SIGBREAK');
  return signals;
}

/** How one guarded run or service ends. */
export interface LimitOptions {
  /** Stop after this long (none: only a signal or the scheduler stop it). */
  timeoutMs?: number | undefined;
  /** The abort reason when the time limit is reached. */
  onTimeout?: (() => unknown) | undefined;
  /** Told who asked to stop (SIGINT, SIGTERM, SIGHUP, SIGBREAK, the scheduler); returns the abort reason. */
  onStop: (by: string) => unknown;
}

/** The process's stop requests for one CLI invocation. */
export interface Lifecycle {
  /**
   * Guard a run: its time limit, the {@link STOP_SIGNALS} and the scheduler's IPC stop all end it through
   * the returned signal. The same stop often arrives twice (Ctrl-C reaches the whole process
   * group, systemd signals every process of the unit), so a repeat is ignored; only a second
   * Ctrl-C (SIGINT) or Ctrl-Break (SIGBREAK), a person insisting, quits at once (exit 130).
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
        if ((signal === 'SIGINT' || signal === 'SIGBREAK') && controller.signal.aborted) quitNow(130);
        stop(signal);
      };
      for (const name of STOP_SIGNALS) process.on(name, onSignal);
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
          : startWatchdog(options.timeoutMs + WATCHDOG_GRACE_MS, watchdogMessage(process.platform));
      listener = stop;
      current = controller.signal;
      cleanups.push(() => {
        clearTimeout(timer);
        watchdog?.stop();
        for (const name of STOP_SIGNALS) process.off(name, onSignal);
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

/**
 * A duration as a person reads it: 90000 → "1.5 min".
 * @param ms milliseconds
 */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 6000) / 10} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}
