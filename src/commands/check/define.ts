import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import { ExitCode } from '../../errors.js';
import { untilStopped } from '../../util/until-stopped.js';
import type { CommandHost } from '../context.js';

/**
 * `adsync check`: validate the config, reach and bind to each server, preview each location.
 * @param program the program to add it to
 * @param host runs its body
 */
export function defineCheck(program: CommandUnknownOpts, host: CommandHost): void {
  const check = program
    .command('check')
    .description(
      'validate the config, reach each directory server, bind, preview each location, and check the vendor (no upload)',
    )
    .option('--insecure-http', 'allow an http:// upload or token URL on loopback (local experiments only)');
  check.action(
    host.action(check, async (ctx) => {
      const config = await ctx.loadConfig();
      const signal = ctx.limitRun(config.runTimeoutMs);
      const [{ check: checkAll }, { renderCheck }, { checkVendorSide }] = await Promise.all([
        import('./run.js'),
        import('./render.js'),
        import('./vendor.js'),
      ]);
      const vendor = await untilStopped(
        checkVendorSide(config, {
          insecureHttp: check.opts().insecureHttp === true,
          env: ctx.env,
          onToken: (token) => {
            ctx.addSecret(token);
          },
          signal,
        }),
        signal,
      );
      const result = await untilStopped(
        checkAll(config, {
          previewRows: 5,
          onEvent: (event) => {
            ctx.onExportEvent(event);
          },
        }),
        signal,
      );
      result.vendor = vendor;
      ctx.stopProgress();
      // COLUMNS says how wide the reader is where stderr cannot (a pipe, a file, a CI log); without
      // it a pipe or a file has no width, and the preview's cells are shown whole.
      const columns = Number(ctx.env.COLUMNS);
      const width = Number.isInteger(columns) && columns > 0 ? columns : ctx.width;
      ctx.show(renderCheck(ctx.style, result, width ?? Number.POSITIVE_INFINITY));
      const failed =
        result.error !== undefined ||
        result.urls.some((u) => !u.ok) ||
        result.locations.some((l) => l.error !== undefined) ||
        vendor.status === 'failed';
      const exitCode = failed ? ExitCode.Runtime : ExitCode.Ok;
      return { report: { status: failed ? 'error' : 'ok', exitCode, ...result }, exitCode };
    }),
  );
}
