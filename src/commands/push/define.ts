import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import { AdsyncError, GuardError } from '../../errors.js';
import type { PushResult } from '../../pipeline/push.js';
import type { CommandHost } from '../context.js';
import { checkTimeoutOption } from '../options.js';
import { pushCommand } from './options.js';

/**
 * `adsync push`: read the directory, write the vendor CSV, upload it.
 * @param program the program to add it to
 * @param host runs its body
 */
export function definePush(program: CommandUnknownOpts, host: CommandHost): void {
  const command = pushCommand(program).addHelpText(
    'after',
    '\nExample:\n  adsync push --dry-run --config /etc/adsync/adsync.yaml',
  );
  command.action(
    host.action(command, async (ctx) => {
      const options = command.opts();
      const [{ runPush }, { renderPush }, { pushReport, pushEnding }] = await Promise.all([
        import('./run.js'),
        import('./render.js'),
        import('./report.js'),
      ]);
      // First: a push that fails early still logs how it ended (and, once its config is read,
      // sends the webhook).
      ctx.endWith(pushEnding(options.dryRun === true));
      const config = await ctx.loadConfig();
      checkTimeoutOption(ctx.options.timeout, config);
      if (options.insecureHttp === true)
        ctx.show([
          {
            level: 'warn',
            text: '--insecure-http: an http:// upload URL on loopback is allowed; never use this with a real vendor',
          },
        ]);
      let stopped: PushResult | undefined;
      const result = await runPush(ctx, config, options, ctx.limitRun(config.runTimeoutMs), (known) => {
        stopped = known;
      }).catch((error: unknown) => {
        if (!(error instanceof AdsyncError) || stopped === undefined) throw error;
        // A run stopped after its plan (a guard, or a failure once the vendor had the file)
        // shows and reports what a successful run would (counts, plan, files), then the error.
        ctx.stopProgress();
        ctx.show(renderPush(ctx.style, stopped, ctx.options.verbose === true));
        const report = pushReport(stopped, ctx.startedAt);
        throw error.withReport(
          error instanceof GuardError ? { ...report, guards: error.details.trips } : report,
        );
      });
      ctx.stopProgress();
      ctx.show(renderPush(ctx.style, result, ctx.options.verbose === true));
      if (!ctx.json) ctx.show([{ level: 'data', text: result.csvPath }]);
      return { report: pushReport(result, ctx.startedAt), directoryData: ['plan'] };
    }),
  );
}
