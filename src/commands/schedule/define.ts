import { resolve } from 'node:path';

import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';

import type { ScheduledRun } from '../../schedule/runner.js';
import { UsageError } from '../../errors.js';
import { selfCommand, type SelfCommand } from '../../util/self-command.js';
import type { CommandContext, CommandHost } from '../context.js';
import { checkTimeoutOption } from '../options.js';

/**
 * `adsync schedule run` and `adsync schedule install`.
 * @param program the program to add them to
 * @param host runs their bodies
 */
export function defineSchedule(program: CommandUnknownOpts, host: CommandHost): void {
  const schedule = program
    .command('schedule')
    .description('run the push on schedule.cron, or set up Task Scheduler, cron or systemd to do it');
  defineScheduleRun(schedule, host);
  defineScheduleInstall(schedule, host);
}

/** `adsync schedule run`: the scheduler, until stopped. */
function defineScheduleRun(schedule: CommandUnknownOpts, host: CommandHost): void {
  const command = schedule
    .command('run')
    .description(
      'stay running and push on schedule.cron (one run at a time; Ctrl-C, SIGTERM, SIGHUP or Ctrl-Break stops)',
    )
    .option('--now', 'also run once right away')
    .addHelpText(
      'after',
      '\nEach run is a separate `adsync push` with the same config (re-read every time) and logging.\nThe status (last run, outcome, next run) is kept in schedule.statusFile.',
    );
  command.action(
    host.action(command, async (ctx) => {
      const options = command.opts();
      const config = await ctx.loadConfig();
      checkTimeoutOption(ctx.options.timeout, config);
      const signal = ctx.untilStopped((by) => {
        ctx.show([
          {
            level: 'info',
            text: `${by}: stopping the scheduler (a run in progress is asked to stop safely first)`,
          },
        ]);
      });
      const runs = await scheduleRun(ctx, config, options.now === true, signal);
      const failed = runs.filter((r) => r.outcome !== 'ok').length;
      ctx.show([{ level: 'info', text: `scheduler stopped after ${runs.length} run(s), ${failed} failed` }]);
      return { report: { runs } };
    }),
  );
}

/** `adsync schedule install`: a task, cron job or systemd unit that runs `adsync push`. */
function defineScheduleInstall(schedule: CommandUnknownOpts, host: CommandHost): void {
  const install = schedule
    .command('install')
    .description('set up Task Scheduler (windows), cron or systemd to run `adsync push` on schedule.cron')
    .addOption(
      new Option('--platform <platform>', 'which scheduler')
        .choices(['windows', 'cron', 'systemd'])
        .makeOptionMandatory(),
    )
    .option('--print', 'only print what would be installed (stdout)')
    .option(
      '--output <file>',
      'write it to FILE instead of stdout (implies --print), in the encoding its XML declaration names (the task: UTF-16, as schtasks reads it)',
    )
    .option('--name <name>', 'task / unit name', 'adsync')
    .option(
      '--user <account>',
      'windows: the account the task runs as (default: yours; a gMSA: DOMAIN\\name$)',
    )
    .option(
      '--task-config <path>',
      "the config's path on the machine that runs the job (default: this config's); the job runs in its folder",
    )
    .option(
      '--task-program <path>',
      'the program the job starts there: adsync-win-x64.exe, adsync.cmd, ./adsync, or node with --task-script (default: this node and adsync)',
    )
    .option('--task-script <path>', "with --task-program naming node: adsync's bin/adsync.js there")
    // The older name of --task-program: a path ending in .js runs under this node.
    .addOption(new Option('--command <path>').hideHelp())
    .addHelpText(
      'after',
      `
The job names paths on the machine that runs it: by default this machine's (this config, this
node and adsync). Preparing a Windows task elsewhere, give the Windows paths with --task-config
and --task-program, and save it with --output rather than a shell redirect (Windows PowerShell
5.1's > writes UTF-16 under a declaration that says UTF-8).

Examples:
  adsync schedule install --platform systemd --config /etc/adsync/adsync.yaml
  adsync schedule install --platform cron --print
  adsync schedule install --platform windows --print --output adsync-task.xml --task-config C:\\ProgramData\\adsync\\adsync.yaml --task-program "C:\\Program Files\\adsync\\adsync-win-x64.exe"`,
    );
  install.action(
    host.action(install, async (ctx) => {
      const options = install.opts();
      // The job's secrets exist where it runs (its credentials, its environment), not here.
      const config = await ctx.loadConfig({ localOnly: true });
      const [{ scheduleInstall, writeScheduleOutput }, { renderScheduleInstall }] = await Promise.all([
        import('./run.js'),
        import('./render.js'),
      ]);
      const output = options.output === undefined ? undefined : resolve(ctx.cwd, options.output);
      const result = scheduleInstall(config, {
        platform: options.platform,
        print: options.print === true || output !== undefined,
        output,
        taskConfig: options.taskConfig,
        name: options.name,
        command: taskCommand(options, selfCommand(ctx.argv), ctx.cwd),
        programGiven: options.taskProgram !== undefined || options.command !== undefined,
        user: options.user,
        env: ctx.env,
        os: process.platform,
      });
      const done = output === undefined ? result : await writeScheduleOutput(result, output, config);
      ctx.show(renderScheduleInstall(ctx.style, done, ctx.json));
      return { report: { ...done } };
    }),
  );
}

/**
 * How the job starts adsync: `--task-program` (with `--task-script` under node), the older
 * `--command`, or this adsync.
 * @param options the install options
 * @param options.taskProgram the program on the machine that runs the job
 * @param options.taskScript under node: adsync's script there
 * @param options.command the older option (a .js path runs under this node)
 * @param self this adsync
 * @param cwd where a relative --command is resolved
 */
export function taskCommand(
  options: {
    taskProgram?: string | undefined;
    taskScript?: string | undefined;
    command?: string | undefined;
  },
  self: SelfCommand,
  cwd: string,
): SelfCommand {
  if (options.command !== undefined && options.taskProgram !== undefined) {
    throw new UsageError('--command and --task-program name the same thing; give only --task-program');
  }
  if (options.taskScript !== undefined && options.taskProgram === undefined) {
    throw new UsageError('--task-script needs --task-program, the node that runs it on that machine', {
      hint: 'e.g. --task-program "C:\\Program Files\\nodejs\\node.exe" --task-script C:\\adsync\\bin\\adsync.js',
    });
  }
  if (options.taskProgram !== undefined) {
    return {
      program: options.taskProgram,
      programArgs: options.taskScript === undefined ? [] : [options.taskScript],
    };
  }
  if (options.command === undefined) return self;
  return options.command.endsWith('.js')
    ? { program: self.program, programArgs: [resolve(cwd, options.command)] }
    : { program: options.command, programArgs: [] };
}

/** The scheduler, until `signal`: each run a child `adsync push`, its outcome shown and logged. */
async function scheduleRun(
  ctx: CommandContext,
  config: Awaited<ReturnType<CommandContext['loadConfig']>>,
  runNow: boolean,
  signal: AbortSignal,
): Promise<ScheduledRun[]> {
  const [{ scheduleRun: run }, { renderSchedulerEvent, describeSchedulerEvent }] = await Promise.all([
    import('./run.js'),
    import('./render.js'),
  ]);
  const { logFile, timeout, verbose } = ctx.options;
  const pendingNotices: Promise<void>[] = [];
  const timezone = config.schedule?.timezone;
  const runs = await run(config, {
    command: selfCommand(ctx.argv),
    env: ctx.env,
    extraArgs: [
      ...(logFile !== undefined ? ['--log-file', resolve(ctx.cwd, logFile)] : []),
      ...(timeout !== undefined ? ['--timeout', `${timeout}ms`] : []),
      ...(verbose === true ? ['--verbose'] : []),
    ],
    runNow,
    timeoutMs: timeout,
    signal,
    onEvent: (event) => {
      if (event.type === 'run-end') {
        const run = event.run;
        ctx.log(
          run.outcome === 'ok' ? 'info' : 'error',
          describeSchedulerEvent(event, timezone)?.text ?? '',
          {
            event: 'scheduled-run',
            run,
          },
        );
        // A run that was killed (or never started) could not send its own notification.
        if (run.outcome === 'killed' || run.outcome === 'unstarted') {
          pendingNotices.push(
            ctx.notify(config, {
              runId: run.runId,
              command: 'push',
              exitCode: run.exitCode,
              startedAt: new Date(run.startedAt),
              config: config.filepath,
              error: {
                code: run.outcome === 'killed' ? 'RUN_KILLED' : 'RUN_NOT_STARTED',
                message: run.message ?? '',
              },
            }),
          );
        }
      }
      ctx.show(renderSchedulerEvent(event, timezone));
    },
  });
  await Promise.all(pendingNotices);
  return runs;
}
