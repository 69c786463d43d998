import { dirname } from 'node:path';

import type { ResolvedConfig } from '../../config/types.js';
import { ConfigError } from '../../errors.js';
import { parseCron } from '../../schedule/cron-convert.js';
import { installSchedule, type InstallOutcome } from '../../schedule/install.js';
import {
  scheduleArtifacts,
  type ScheduleArtifacts,
  type SchedulePlatform,
} from '../../schedule/platforms.js';
import { readPushReport } from '../push/report.js';
import { runScheduler, type ScheduledRun, type SchedulerEvent } from '../../schedule/runner.js';
import type { SelfCommand } from '../../util/self-command.js';

/** The config's schedule, or a config error saying how to add one. */
function scheduleOf(config: ResolvedConfig): NonNullable<ResolvedConfig['schedule']> {
  if (!config.schedule) {
    throw new ConfigError('CONFIG_INVALID', `${config.filepath}: schedule.cron is not set`, {
      hint: 'Add a schedule section, e.g.\n  schedule:\n    cron: "0 6 * * *"\n    timezone: America/Toronto',
    });
  }
  return config.schedule;
}

/** Options of {@link scheduleInstall}. */
export interface ScheduleInstallOptions {
  /** Which scheduler. */
  platform: SchedulePlatform;
  /** Only produce the files; install nothing. */
  print: boolean;
  /** Unit / task name. */
  name: string;
  /** How the scheduler should start adsync (default: this adsync). */
  command: SelfCommand;
  /** Windows: the account the task runs as. */
  user?: string | undefined;
  /** Environment (HOME, XDG_CONFIG_HOME, PATH for crontab/systemctl). */
  env: NodeJS.ProcessEnv;
  /** This machine's OS. */
  os: NodeJS.Platform;
}

/** What `adsync schedule install` produced and did. */
export interface ScheduleInstallResult {
  /** The files and commands for the platform. */
  artifacts: ScheduleArtifacts;
  /** What was installed, unless --print. */
  installed?: InstallOutcome;
}

/**
 * Produce what a platform scheduler needs to run `adsync push` on `schedule.cron`, and install it
 * unless only printing.
 * @param config the resolved config
 * @param options platform, name, program, environment
 */
export function scheduleInstall(
  config: ResolvedConfig,
  options: ScheduleInstallOptions,
): ScheduleInstallResult {
  const schedule = scheduleOf(config);
  if (!/^[A-Za-z0-9_-]+$/.test(options.name)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `--name "${options.name}" may only hold letters, digits, - and _`,
      {
        hint: 'It names the systemd units or the task, e.g. adsync or adsync-hq.',
      },
    );
  }
  const spec = {
    name: options.name,
    program: options.command.program,
    programArgs: options.command.programArgs,
    configPath: config.filepath,
    workingDir: dirname(config.filepath),
    cron: parseCron(schedule.cron),
    timezone: schedule.timezone,
    randomDelayMs: schedule.randomDelayMs,
    timeoutMs: config.runTimeoutMs,
    user: options.user,
  };
  const artifacts = scheduleArtifacts(options.platform, spec, options.print ? 'UTF-8' : 'UTF-16');
  if (options.print) return { artifacts };
  const installed = installSchedule(artifacts, {
    configPath: config.filepath,
    name: options.name,
    env: options.env,
    os: options.os,
  });
  return { artifacts, installed };
}

/** Options of {@link scheduleRun}. */
export interface ScheduleRunOptions {
  /** How to start each push. */
  command: SelfCommand;
  /** Environment for the runs. */
  env: NodeJS.ProcessEnv;
  /** Extra push arguments (e.g. --log-file, --verbose). */
  extraArgs: string[];
  /** Run once at start too. */
  runNow: boolean;
  /** `--timeout`: each run's limit (default `schedule.timeoutMinutes`); the hard kill follows it. */
  timeoutMs?: number | undefined;
  /** Progress. */
  onEvent: (event: SchedulerEvent) => void;
  /** Stops the scheduler. */
  signal: AbortSignal;
}

/**
 * `adsync schedule run`: push on `schedule.cron` until stopped.
 * @param config the resolved config
 * @param options program, environment, events, stop signal
 * @returns every run made
 */
export async function scheduleRun(
  config: ResolvedConfig,
  options: ScheduleRunOptions,
): Promise<ScheduledRun[]> {
  const schedule = scheduleOf(config);
  return runScheduler({
    configPath: config.filepath,
    cron: schedule.cron,
    timezone: schedule.timezone,
    randomDelayMs: schedule.randomDelayMs,
    runTimeoutMs: options.timeoutMs ?? config.runTimeoutMs,
    statusFile: schedule.statusFile,
    program: options.command.program,
    programArgs: options.command.programArgs,
    env: options.env,
    extraArgs: options.extraArgs,
    runNow: options.runNow,
    onEvent: options.onEvent,
    signal: options.signal,
    readReport: readPushReport,
  });
}
