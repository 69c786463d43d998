import { basename, dirname, posix, win32 } from 'node:path';

import type { ResolvedConfig } from '../../config/types.js';
import { ConfigError, describeError, OutputError, UsageError } from '../../errors.js';
import { findConfig } from '../../config/find.js';
import { ownFileAt } from '../../config/own-files.js';
import { referenceNames } from '../../config/secrets.js';
import { notReplaceable, writeFileAtomic } from '../../io/atomic-file.js';
import { parseCron } from '../../schedule/cron-convert.js';
import { installSchedule, type InstallOutcome } from '../../schedule/install.js';
import { jobLacks, shellOnlyNote } from '../../schedule/job-env.js';
import {
  scheduleArtifacts,
  scheduleFileBytes,
  type ScheduleArtifacts,
  type SchedulePlatform,
} from '../../schedule/platforms.js';
import { readPushReport } from '../push/report.js';
import { runScheduler, type ScheduledRun, type SchedulerEvent } from '../../schedule/runner.js';
import { ensureStateDirFor } from '../../state/paths.js';
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
  /** With print: the file the artifacts go to (its name is used in the install commands). */
  output?: string | undefined;
  /** The config's path on the machine that runs the job (default: this config's). */
  taskConfig?: string | undefined;
  /** Unit / task name. */
  name: string;
  /** How the scheduler should start adsync (default: this adsync). */
  command: SelfCommand;
  /** Whether `command` was given (`--task-program`), not this adsync. */
  programGiven: boolean;
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
  /** Paths in the artifacts that only hold on this machine, when they go to another platform. */
  warnings: string[];
  /** The file written with --output. */
  wrote?: string;
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
  // This config's own path is absolute here; one given for another machine is checked for its.
  const configPath =
    options.taskConfig === undefined ? config.filepath : taskConfigPath(options.platform, options.taskConfig);
  const spec = {
    name: options.name,
    program: options.command.program,
    programArgs: options.command.programArgs,
    configPath,
    workingDir: (options.platform === 'windows' ? win32 : posix).dirname(configPath),
    cron: parseCron(schedule.cron),
    timezone: schedule.timezone,
    randomDelayMs: schedule.randomDelayMs,
    timeoutMs: config.runTimeoutMs,
    user: options.user,
    ...configReferenceNames(config.filepath),
  };
  const toFile = options.output !== undefined;
  const artifacts = scheduleArtifacts(options.platform, spec, {
    // A redirect's encoding is the shell's (Windows PowerShell 5.1 writes UTF-16): stdout says
    // UTF-8, a file adsync writes itself says what it is, UTF-16 as schtasks reads it.
    encoding: options.print && !toFile ? 'UTF-8' : 'UTF-16',
    fileName: toFile ? basename(options.output ?? '') : undefined,
  });
  const warnings = foreignPaths(options, configPath);
  artifacts.notes.push(...shellOnlyNote(jobLacks(options.platform, spec.envNames), options.env));
  if (options.platform !== 'systemd' && spec.credentialNames.length > 0) {
    // Only systemd gives a job its credentials; elsewhere the run would stop on each of them.
    artifacts.notes.push(
      `the config's \${credential:} references (${spec.credentialNames.join(', ')}) are read from CREDENTIALS_DIRECTORY, which only systemd sets for a service: give this job CREDENTIALS_DIRECTORY=<a folder only its account can read> holding one file per name, use --platform systemd, or use \${file:…}`,
    );
  }
  if (options.print || toFile) return { artifacts, warnings };
  const installed = installSchedule(artifacts, {
    configPath,
    name: options.name,
    env: options.env,
    os: options.os,
  });
  return { artifacts, installed, warnings };
}

/**
 * The variables and credentials the config's `${env:}` and `${credential:}` references name,
 * read from the file as written (the loaded config holds their values, which are not wanted here).
 * @param filepath the config file
 */
function configReferenceNames(filepath: string): { envNames: string[]; credentialNames: string[] } {
  const raw = findConfig({ configPath: filepath, cwd: dirname(filepath) }).value;
  return { envNames: referenceNames(raw, 'env'), credentialNames: referenceNames(raw, 'credential') };
}

/**
 * The config path the job names, checked to be absolute on the platform that runs it (the job
 * starts in another folder, and runs in the config's).
 * @param platform where the job runs
 * @param path `--task-config`
 */
function taskConfigPath(platform: SchedulePlatform, path: string): string {
  const absolute = platform === 'windows' ? /^([A-Za-z]:[\\/]|\\\\)/.test(path) : posix.isAbsolute(path);
  if (absolute) return path;
  throw new UsageError(
    `--task-config ${path} is not an absolute ${platform === 'windows' ? 'Windows ' : ''}path`,
    {
      hint:
        platform === 'windows'
          ? 'Give the full path the config will have on the Windows machine, e.g. --task-config C:\\ProgramData\\adsync\\adsync.yaml.'
          : 'Give the full path the config will have on the machine that runs the job, e.g. --task-config /etc/adsync/adsync.yaml.',
      details: { option: '--task-config' },
    },
  );
}

/**
 * This machine's paths written into a job for another OS (a Windows task made on Linux): they
 * do not exist where it runs.
 * @param options what was asked
 * @param configPath the config path the task names
 */
function foreignPaths(options: ScheduleInstallOptions, configPath: string): string[] {
  if ((options.platform === 'windows') === (options.os === 'win32')) return [];
  const mine: string[] = [];
  if (options.taskConfig === undefined) mine.push(`--task-config (the config is ${configPath} here)`);
  if (!options.programGiven) mine.push(`--task-program (the program is ${options.command.program} here)`);
  if (mine.length === 0) return [];
  return [
    `the ${options.platform === 'windows' ? 'task' : 'job'} names paths of this ${options.os} machine; give the ones it will have on the machine that runs it with ${mine.join(' and ')}`,
  ];
}

/**
 * Write the artifact to `--output`, atomically, in the encoding its declaration names; refused
 * for a file adsync reads or keeps, and for anything but a new or regular file.
 * @param result what {@link scheduleInstall} produced
 * @param path the absolute path of `--output`
 * @param config the resolved config (its own files are refused)
 * @returns the result, with the file written
 */
export async function writeScheduleOutput(
  result: ScheduleInstallResult,
  path: string,
  config: ResolvedConfig,
): Promise<ScheduleInstallResult> {
  const files = result.artifacts.files;
  const file = files[0];
  if (file === undefined || files.length > 1) {
    throw new UsageError(`--output writes one file; ${result.artifacts.platform} needs ${files.length}`, {
      hint: 'Use --print and save each file it shows under its name.',
      details: { option: '--output' },
    });
  }
  const own = await ownFileAt(path, config);
  const reason = own === undefined ? await notReplaceable(path) : `${path} is ${own}`;
  if (reason !== undefined) {
    throw new UsageError(`--output: ${reason}`, {
      hint: 'Name a new file for --output (or an earlier task file to replace), e.g. --output adsync-task.xml.',
      details: { option: '--output' },
    });
  }
  try {
    await writeFileAtomic(path, scheduleFileBytes(file.content), { mode: 0o644, createDir: false });
  } catch (error) {
    // "another program has it open" (src/io/atomic-file.ts) already names the cause and the fix.
    if (error instanceof OutputError) throw error;
    throw new OutputError(`cannot write ${path}: ${describeError(error)}`, { cause: error });
  }
  return { ...result, wrote: path };
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
  // The status file is written first; each run repeats the state directory's warning, if any.
  await ensureStateDirFor(schedule.statusFile, config.stateDir);
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
