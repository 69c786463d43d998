import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import type { CommandHost } from '../context.js';

/**
 * `adsync diff`: what changed between two runs' CSVs.
 * @param program the program to add it to
 * @param host runs its body
 */
export function defineDiff(program: CommandUnknownOpts, host: CommandHost): void {
  const command = program
    .command('diff')
    .description("show what changed between two runs' CSVs (default: the last two pushes)")
    .argument('[older]', 'older run: its id (see `adsync history`) or its CSV')
    .argument('[newer]', 'newer run: its id or its CSV (default: the last push)');
  command.action(
    host.action(command, async (ctx) => {
      const [older, newer] = command.processedArgs;
      const config = await ctx.loadConfig({ localOnly: true });
      const [{ diff }, { renderDiff }] = await Promise.all([import('./run.js'), import('./render.js')]);
      const result = await diff(config, [older, newer], ctx.cwd);
      if (!ctx.json) ctx.show(renderDiff(result));
      return { report: { ...result }, directoryData: ['added', 'removed', 'changed'] };
    }),
  );
}
