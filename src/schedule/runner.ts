import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

import { createTask, type ScheduledTask } from 'node-cron';

import { writeAtomic } from '../io/atomic-file.js';
import { HARD_LIMIT_GRACE_MS, pushArgs } from './platforms.js';
import { newRunId } from './run-id.js';
import { makeDir } from '../io/make-dir.js';

/** The outcome of one scheduled run. */
export interface ScheduledRun {
  /** Run id (the child's log lines carry it too). */
  runId: string;
  /** When it started. */
  startedAt: string;
  /** When it ended. */
  finishedAt: string;
  /** The push's exit code (1 if it had to be killed). */
  exitCode: number;
  /** ok, failed, guard (exit 3), locked (exit 4), killed (past the limit), unstarted. */
  outcome: 'ok' | 'failed' | 'guard' | 'locked' | 'killed' | 'unstarted';
  /** The error message from the run's report, when it failed. */
  message?: string | undefined;
  /** Rows and plan counts from the run's report, when it got that far. */
  rows?: number | undefined;
  /** The plan: create, update, archive, unchanged. */
  plan?: Record<string, number> | undefined;
}

/** The status file `adsync schedule run` keeps, for monitoring. */
export interface ScheduleStatus {
  pid: number;
  host: string;
  cron: string;
  timezone: string | null;
  since: string;
  state: 'waiting' | 'running' | 'stopped';
  running: { runId: string; startedAt: string } | null;
  lastRun: ScheduledRun | null;
  nextRun: string | null;
  runs: number;
  failures: number;
  consecutiveFailures: number;
}

/** What the scheduler reports while it runs. */
export type SchedulerEvent =
  | { type: 'started'; nextRun: string | null }
  | { type: 'run-start'; runId: string; reason: 'scheduled' | 'startup' }
  | { type: 'output'; runId: string; line: string }
  | { type: 'run-end'; run: ScheduledRun; nextRun: string | null }
  | { type: 'overlap'; runId: string }
  | { type: 'stopping'; waitingFor: string | null }
  | { type: 'status-error'; message: string }
  | { type: 'cron-warning'; message: string };

/** Settings of {@link runScheduler}. */
export interface SchedulerOptions {
  /** Absolute config path; each run reads it afresh, so edits apply from the next run. */
  configPath: string;
  /** `schedule.cron`. */
  cron: string;
  /** `schedule.timezone`. */
  timezone: string | undefined;
  /** Random delay before each scheduled run, in ms. */
  randomDelayMs: number;
  /** A run's own limit; it is killed this long plus a grace period after its start. */
  runTimeoutMs: number;
  /** Where the status is written. */
  statusFile: string;
  /** The program and leading arguments that run adsync (node + script, or the executable). */
  program: string;
  /** Leading arguments (the script path under node). */
  programArgs: string[];
  /** Environment for the runs. */
  env: NodeJS.ProcessEnv;
  /** Extra arguments for every push (e.g. --log-file). */
  extraArgs?: string[];
  /** Run once right away as well. */
  runNow?: boolean;
  /** Progress. */
  onEvent: (event: SchedulerEvent) => void;
  /** Ends the scheduler: the current run is asked to stop (SIGTERM), then waited for. */
  signal: AbortSignal;
  /** How long a stopping run may take before it is killed (default 60 s). */
  stopGraceMs?: number;
}

function outcomeOf(exitCode: number): ScheduledRun['outcome'] {
  return exitCode === 0 ? 'ok' : exitCode === 3 ? 'guard' : exitCode === 4 ? 'locked' : 'failed';
}

/**
 * `adsync schedule run`: a long-running process that starts `adsync push` on the cron schedule,
 * each run in its own process (a hung or crashed run cannot take the scheduler down, and its
 * memory is returned), one at a time, killed if it outlives its time limit. Keeps going after a
 * failed run. Resolves when the signal aborts and the current run has ended.
 * @param options schedule, program, status file, events and stop signal
 * @returns the runs made
 */
export async function runScheduler(options: SchedulerOptions): Promise<ScheduledRun[]> {
  const runs: ScheduledRun[] = [];
  const status: ScheduleStatus = {
    pid: process.pid,
    host: hostname(),
    cron: options.cron,
    timezone: options.timezone ?? null,
    since: new Date().toISOString(),
    state: 'waiting',
    running: null,
    lastRun: null,
    nextRun: null,
    runs: 0,
    failures: 0,
    consecutiveFailures: 0,
  };
  // Held in an object: set and cleared from callbacks, read when stopping.
  const active: { child?: ChildProcess | undefined; run?: Promise<void> | undefined } = {};
  const flags = { stopping: false };
  // A function, not the property itself: the flag changes while a run is awaited.
  const stopping = (): boolean => flags.stopping;

  const saveStatus = async (): Promise<void> => {
    try {
      makeDir(dirname(options.statusFile));
      await writeAtomic(options.statusFile, `${JSON.stringify(status, null, 2)}\n`);
    } catch (error) {
      options.onEvent({
        type: 'status-error',
        message: `cannot write the status file ${options.statusFile}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  };

  const runOnce = async (reason: 'scheduled' | 'startup'): Promise<void> => {
    if (stopping()) return;
    const runId = newRunId();
    const startedAt = new Date();
    const report = join(tmpdir(), `adsync-run-${runId}.json`);
    status.state = 'running';
    status.running = { runId, startedAt: startedAt.toISOString() };
    await saveStatus();
    if (stopping()) {
      // Stopped while the status was written: no run is started after a stop.
      status.running = null;
      status.state = 'stopped';
      return;
    }
    options.onEvent({ type: 'run-start', runId, reason });
    const args = [
      ...options.programArgs,
      ...pushArgs(options.configPath).filter((a) => a !== '--quiet'),
      '--report',
      report,
      ...(options.extraArgs ?? []),
    ];
    const ended: { killed: boolean; spawnError?: string } = { killed: false };
    const exitCode = await new Promise<number>((resolve) => {
      // An IPC channel carries the stop request: a signal would also arrive from the terminal
      // (Ctrl-C reaches the whole process group) or from systemd, and Windows has no SIGTERM.
      const proc = spawn(options.program, args, {
        env: { ...options.env, ADSYNC_RUN_ID: runId },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      active.child = proc;
      for (const stream of [proc.stdout, proc.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream }).on('line', (line) => {
          options.onEvent({ type: 'output', runId, line });
        });
      }
      const hardLimit = setTimeout(() => {
        ended.killed = true;
        proc.kill('SIGKILL');
      }, options.runTimeoutMs + HARD_LIMIT_GRACE_MS);
      proc.on('error', (error) => {
        ended.spawnError = `cannot start ${options.program}: ${error.message}`;
      });
      proc.on('close', (code) => {
        clearTimeout(hardLimit);
        active.child = undefined;
        resolve(code ?? 1);
      });
    });
    const facts = await readFile(report, 'utf8')
      .then(
        (text) =>
          JSON.parse(text) as { error?: { message?: string }; rows?: number; plan?: Record<string, unknown> },
      )
      .catch(() => undefined);
    await rm(report, { force: true });
    const plan = facts?.plan;
    const run: ScheduledRun = {
      runId,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      exitCode,
      outcome: ended.spawnError ? 'unstarted' : ended.killed ? 'killed' : outcomeOf(exitCode),
      message: ended.spawnError
        ? ended.spawnError
        : ended.killed
          ? `killed after ${Math.round((options.runTimeoutMs + HARD_LIMIT_GRACE_MS) / 60_000)} min: the run did not stop at its own time limit`
          : facts?.error?.message,
      rows: facts?.rows,
      plan: plan
        ? Object.fromEntries(
            (['create', 'update', 'archive', 'unchanged'] as const).map((k) => [k, Number(plan[k] ?? 0)]),
          )
        : undefined,
    };
    runs.push(run);
    status.runs++;
    if (run.outcome === 'ok') status.consecutiveFailures = 0;
    else {
      status.failures++;
      status.consecutiveFailures++;
    }
    status.lastRun = run;
    status.running = null;
    status.state = stopping() ? 'stopped' : 'waiting';
    status.nextRun = stopping() ? null : (task.getNextRun()?.toISOString() ?? null);
    await saveStatus();
    options.onEvent({ type: 'run-end', run, nextRun: status.nextRun });
  };

  const start = (reason: 'scheduled' | 'startup'): Promise<void> => {
    // node-cron's noOverlap only knows its own firings, not the --now run.
    if (active.run) {
      options.onEvent({ type: 'overlap', runId: status.running?.runId ?? '' });
      return active.run;
    }
    const run = runOnce(reason).finally(() => {
      active.run = undefined;
    });
    active.run = run;
    return run;
  };

  const task: ScheduledTask = createTask(options.cron, () => start('scheduled'), {
    name: 'adsync-push',
    noOverlap: true,
    // node-cron's own notes (a missed firing after the machine slept, an overlap) go through
    // adsync's output and log instead of straight to the console.
    logger: {
      info: () => undefined,
      debug: () => undefined,
      warn: (message: string) => {
        if (!/overlap/i.test(message)) options.onEvent({ type: 'cron-warning', message });
      },
      error: (message: string | Error) => {
        options.onEvent({
          type: 'cron-warning',
          message: message instanceof Error ? message.message : message,
        });
      },
    },
    ...(options.timezone ? { timezone: options.timezone } : {}),
    ...(options.randomDelayMs > 0 ? { maxRandomDelay: options.randomDelayMs } : {}),
  });
  task.on('execution:overlap', () => {
    options.onEvent({ type: 'overlap', runId: status.running?.runId ?? '' });
  });

  await task.start();
  status.nextRun = task.getNextRun()?.toISOString() ?? null;
  await saveStatus();
  options.onEvent({ type: 'started', nextRun: status.nextRun });
  if (options.runNow) void start('startup');

  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    else
      options.signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
  });
  flags.stopping = true;
  await task.stop();
  options.onEvent({ type: 'stopping', waitingFor: status.running?.runId ?? null });
  const current = active.run;
  if (current) {
    // The run stops itself safely when asked (nothing half-recorded); one that does not stop
    // within the grace period is killed, and its lock is taken over by the next run.
    const running = active.child;
    if (running?.connected) running.send({ adsync: 'stop' });
    else running?.kill('SIGTERM');
    const grace = setTimeout(() => active.child?.kill('SIGKILL'), options.stopGraceMs ?? 60_000);
    await current;
    clearTimeout(grace);
  }
  await task.destroy();
  status.state = 'stopped';
  status.nextRun = null;
  await saveStatus();
  return runs;
}
