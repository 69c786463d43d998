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

/** What the scheduler keeps of a run's report (read by the command that defines the report). */
export type RunFacts = Pick<ScheduledRun, 'message' | 'rows' | 'plan'>;

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
  /**
   * What a run's `--report` file says (its error, rows and plan counts): the push command owns
   * the report's shape, so it reads it. Undefined for a report that cannot be read.
   */
  readReport: (text: string) => RunFacts | undefined;
}

function outcomeOf(exitCode: number): ScheduledRun['outcome'] {
  return exitCode === 0 ? 'ok' : exitCode === 3 ? 'guard' : exitCode === 4 ? 'locked' : 'failed';
}

/** How one run's process ended. */
interface ProcessEnd {
  exitCode: number;
  killed: boolean;
  spawnError?: string;
}

/** The scheduler's state between its cron firings: the status file, the run in progress. */
class Scheduler {
  public readonly runs: ScheduledRun[] = [];
  public readonly status: ScheduleStatus;
  private child: ChildProcess | undefined;
  /** The run in progress, if any. */
  public active: Promise<void> | undefined;
  /** Set once the stop signal arrived: no run starts after it. */
  private stopRequested = false;
  /** The cron task, once created. */
  public task: ScheduledTask | undefined;

  public constructor(private readonly options: SchedulerOptions) {
    this.status = {
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
  }

  /** Stop starting runs: the stop signal arrived. */
  public requestStop(): void {
    this.stopRequested = true;
  }

  /** Whether the stop signal arrived (a method: the flag changes while a run is awaited). */
  private stopping(): boolean {
    return this.stopRequested;
  }

  /** Write the status file; a failure is reported, never fatal. */
  public async saveStatus(): Promise<void> {
    const { statusFile, onEvent } = this.options;
    try {
      makeDir(dirname(statusFile));
      await writeAtomic(statusFile, `${JSON.stringify(this.status, null, 2)}\n`);
    } catch (error) {
      onEvent({
        type: 'status-error',
        message: `cannot write the status file ${statusFile}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }

  /** Start a run unless one is in progress (node-cron's noOverlap only knows its own firings). */
  public start(reason: 'scheduled' | 'startup'): Promise<void> {
    if (this.active) {
      this.options.onEvent({ type: 'overlap', runId: this.status.running?.runId ?? '' });
      return this.active;
    }
    const run = this.runOnce(reason).finally(() => {
      this.active = undefined;
    });
    this.active = run;
    return run;
  }

  /** Ask the run in progress to stop, kill it after the grace period, and wait for it. */
  public async stopRun(): Promise<void> {
    const current = this.active;
    if (!current) return;
    // The run stops itself safely when asked (nothing half-recorded); one that does not stop
    // within the grace period is killed, and its lock is taken over by the next run.
    const running = this.child;
    if (running?.connected) running.send({ adsync: 'stop' });
    else running?.kill('SIGTERM');
    const grace = setTimeout(() => this.child?.kill('SIGKILL'), this.options.stopGraceMs ?? 60_000);
    await current;
    clearTimeout(grace);
  }

  private async runOnce(reason: 'scheduled' | 'startup'): Promise<void> {
    if (this.stopping()) return;
    const { status, options } = this;
    const runId = newRunId();
    const startedAt = new Date();
    const report = join(tmpdir(), `adsync-run-${runId}.json`);
    status.state = 'running';
    status.running = { runId, startedAt: startedAt.toISOString() };
    await this.saveStatus();
    if (this.stopping()) {
      // Stopped while the status was written: no run is started after a stop.
      status.running = null;
      status.state = 'stopped';
      return;
    }
    options.onEvent({ type: 'run-start', runId, reason });
    const end = await this.spawnPush(runId, report);
    const facts = await readFile(report, 'utf8')
      .then(options.readReport)
      .catch(() => undefined);
    await rm(report, { force: true });
    await this.record({
      runId,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      exitCode: end.exitCode,
      outcome: end.spawnError ? 'unstarted' : end.killed ? 'killed' : outcomeOf(end.exitCode),
      message:
        end.spawnError ??
        (end.killed
          ? `killed after ${Math.round((options.runTimeoutMs + HARD_LIMIT_GRACE_MS) / 60_000)} min: the run did not stop at its own time limit`
          : facts?.message),
      rows: facts?.rows,
      plan: facts?.plan,
    });
  }

  /** Run `adsync push` in its own process, killed past its time limit plus a grace period. */
  private spawnPush(runId: string, report: string): Promise<ProcessEnd> {
    const { options } = this;
    const args = [
      ...options.programArgs,
      ...pushArgs(options.configPath).filter((a) => a !== '--quiet'),
      '--report',
      report,
      ...(options.extraArgs ?? []),
    ];
    const ended: ProcessEnd = { exitCode: 1, killed: false };
    return new Promise<ProcessEnd>((resolve) => {
      // An IPC channel carries the stop request: a signal would also arrive from the terminal
      // (Ctrl-C reaches the whole process group) or from systemd, and Windows has no SIGTERM.
      const proc = spawn(options.program, args, {
        env: { ...options.env, ADSYNC_RUN_ID: runId },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      this.child = proc;
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
        this.child = undefined;
        resolve({ ...ended, exitCode: code ?? 1 });
      });
    });
  }

  /** Count a finished run into the status, save it and tell. */
  private async record(run: ScheduledRun): Promise<void> {
    const { status } = this;
    this.runs.push(run);
    status.runs++;
    if (run.outcome === 'ok') status.consecutiveFailures = 0;
    else {
      status.failures++;
      status.consecutiveFailures++;
    }
    status.lastRun = run;
    status.running = null;
    status.state = this.stopping() ? 'stopped' : 'waiting';
    status.nextRun = this.stopping() ? null : (this.task?.getNextRun()?.toISOString() ?? null);
    await this.saveStatus();
    this.options.onEvent({ type: 'run-end', run, nextRun: status.nextRun });
  }
}

/** The cron task that starts the scheduler's runs; node-cron's own notes become events. */
function cronTask(scheduler: Scheduler, options: SchedulerOptions): ScheduledTask {
  const task = createTask(options.cron, () => scheduler.start('scheduled'), {
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
    options.onEvent({ type: 'overlap', runId: scheduler.status.running?.runId ?? '' });
  });
  return task;
}

/** Resolves when the signal aborts (at once if it has). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else
      signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
  });
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
  const scheduler = new Scheduler(options);
  const { status } = scheduler;
  const task = cronTask(scheduler, options);
  scheduler.task = task;
  await task.start();
  status.nextRun = task.getNextRun()?.toISOString() ?? null;
  await scheduler.saveStatus();
  options.onEvent({ type: 'started', nextRun: status.nextRun });
  if (options.runNow) void scheduler.start('startup');

  await aborted(options.signal);
  scheduler.requestStop();
  await task.stop();
  options.onEvent({ type: 'stopping', waitingFor: status.running?.runId ?? null });
  await scheduler.stopRun();
  await task.destroy();
  status.state = 'stopped';
  status.nextRun = null;
  await scheduler.saveStatus();
  return scheduler.runs;
}
