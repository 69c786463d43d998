import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import { AdsyncError, GuardError } from '../../errors.js';
import type { PushResult } from '../../pipeline/push.js';
import type { CommandHost } from '../context.js';
import type { Line } from '../output.js';
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
      const [{ runPush }, { renderPush, renderPushEnd, renderPushPlanned }, { pushReport, pushEnding }] =
        await Promise.all([import('./run.js'), import('./render.js'), import('./report.js')]);
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
      const verbose = ctx.options.verbose === true;
      // What was shown of the run so far: its plan is shown when known, before the upload.
      let planned: { result: PushResult; warnings: number } | undefined;
      const summary = (result: PushResult): Line[] =>
        planned ? renderPushEnd(ctx.style, result, planned.warnings) : renderPush(ctx.style, result, verbose);
      let stopped: PushResult | undefined;
      const told = {
        onStopped: (known: PushResult): void => {
          stopped = known;
        },
        onPlanned: (known: PushResult): void => {
          ctx.stopProgress();
          ctx.show(renderPushPlanned(ctx.style, known, verbose));
          planned = { result: known, warnings: known.warnings.length };
        },
      };
      const result = await runPush(ctx, config, options, ctx.limitRun(config.runTimeoutMs), told).catch(
        (error: unknown) => {
          const known = stopped ?? planned?.result;
          if (!(error instanceof AdsyncError) || known === undefined) throw error;
          // A run stopped after its plan (a guard, a failure or Ctrl-C during the upload, a
          // failure once the vendor had the file) shows and reports what it knew, then the error.
          ctx.stopProgress();
          ctx.show(summary(known));
          const report = pushReport(known, ctx.startedAt);
          throw error.withReport(
            error instanceof GuardError ? { ...report, guards: error.details.trips } : report,
          );
        },
      );
      ctx.stopProgress();
      ctx.show(summary(result));
      if (!ctx.json) ctx.show([{ level: 'data', text: result.csvPath }]);
      return { report: pushReport(result, ctx.startedAt), directoryData: ['plan'] };
    }),
  );
}
