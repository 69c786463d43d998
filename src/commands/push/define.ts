import type { Command } from 'commander';

import { GuardError, VendorAnswerError } from '../../errors.js';
import type { PushResult } from '../../pipeline/push.js';
import type { CommandHost } from '../context.js';
import { wholeNumber } from '../options.js';
import type { PushCommandOptions } from './run.js';

/**
 * `adsync push`: read the directory, write the vendor CSV, upload it.
 * @param program the program to add it to
 * @param host runs its body
 */
export function definePush(program: Command, host: CommandHost): void {
  program
    .command('push')
    .description('read the directory, write the vendor CSV (and upload it)')
    .option('-n, --dry-run', 'stop before the upload; the CSV is written for inspection')
    .option('-o, --output <file>', 'write the CSV here instead of a timestamped file in output.dir')
    .option('--insecure-http', 'allow an http:// upload URL on loopback (local experiments only)')
    .option(
      '--allow-archive <n>',
      'approve up to N archives for this run (the safety guards otherwise stop it)',
      wholeNumber,
    )
    .option(
      '--allow-rename <n>',
      'approve up to N renames (the same directory entry with a new email or SMS phone) for this run',
      wholeNumber,
    )
    .option('--force', 'send the export whatever the safety guards say (including an empty one)')
    .addHelpText('after', '\nExample:\n  adsync push --dry-run --config /etc/adsync/adsync.yaml')
    .action(
      host.action(async (ctx, cmd) => {
        const options = cmd.opts<PushCommandOptions>();
        const config = await ctx.loadConfig();
        if (options.insecureHttp === true)
          ctx.show([
            {
              level: 'warn',
              text: '--insecure-http: an http:// upload URL on loopback is allowed; never use this with a real vendor',
            },
          ]);
        const [{ runPush }, { renderPush }, { pushReport }] = await Promise.all([
          import('./run.js'),
          import('./render.js'),
          import('./report.js'),
        ]);
        let stopped: PushResult | undefined;
        const result = await runPush(ctx, config, options, ctx.limitRun(config.runTimeoutMs), (known) => {
          stopped = known;
        }).catch((error: unknown) => {
          const guard = error instanceof GuardError;
          if (!(guard || error instanceof VendorAnswerError) || stopped === undefined) throw error;
          // A guard stop, or a vendor's answer far from the plan, shows and reports what a
          // successful run would (counts, plan, files, the vendor's counts), then the error: a
          // guard's with its numbers.
          ctx.stopProgress();
          ctx.show(renderPush(ctx.style, stopped, ctx.options.verbose === true));
          throw error.withReport({
            ...pushReport(stopped, ctx.startedAt),
            ...(guard ? { guards: error.details.trips } : {}),
          });
        });
        ctx.stopProgress();
        ctx.show(renderPush(ctx.style, result, ctx.options.verbose === true));
        if (!ctx.json) ctx.show([{ level: 'data', text: result.csvPath }]);
        return { report: pushReport(result, ctx.startedAt) };
      }),
    );
}
