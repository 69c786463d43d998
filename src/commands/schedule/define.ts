import { resolve } from 'node:path';

import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';

import type { ScheduledRun } from '../../schedule/runner.js';
import { selfCommand } from '../../util/self-command.js';
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
    .option('--print', 'only print what would be installed')
    .option('--name <name>', 'task / unit name', 'adsync')
    .option('--user <account>', 'windows: the account the task runs as (default: yours)')
    .option(
      '--command <path>',
      'the adsync program on the target machine (default: this one); a path ending in .js runs under this node',
    )
    .addHelpText(
      'after',
      `
Examples:
  adsync schedule install --platform systemd --config /etc/adsync/adsync.yaml
  adsync schedule install --platform cron --print
  adsync schedule install --platform windows --print --command "C:\\adsync\\adsync.exe" > adsync-task.xml`,
    );
  install.action(
    host.action(install, async (ctx) => {
      const options = install.opts();
      const config = await ctx.loadConfig();
      const self = selfCommand(ctx.argv);
      const command =
        options.command === undefined
          ? self
          : options.command.endsWith('.js')
            ? { program: self.program, programArgs: [resolve(ctx.cwd, options.command)] }
            : { program: options.command, programArgs: [] };
      const [{ scheduleInstall }, { renderScheduleInstall }] = await Promise.all([
        import('./run.js'),
        import('./render.js'),
      ]);
      const result = scheduleInstall(config, {
        platform: options.platform,
        print: options.print === true,
        name: options.name,
        command,
        user: options.user,
        env: ctx.env,
        os: process.platform,
      });
      ctx.show(renderScheduleInstall(ctx.style, result, ctx.json));
      return { report: { ...result } };
    }),
  );
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
        ctx.log(run.outcome === 'ok' ? 'info' : 'error', describeSchedulerEvent(event)?.text ?? '', {
          event: 'scheduled-run',
          run,
        });
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
      ctx.show(renderSchedulerEvent(event));
    },
  });
  await Promise.all(pendingNotices);
  return runs;
}
