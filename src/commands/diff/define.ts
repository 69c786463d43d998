import { resolve } from 'node:path';

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
    .description("show what changed between two runs' CSVs (default: the last two)")
    .argument('[older]', 'older CSV')
    .argument('[newer]', 'newer CSV');
  command.action(
    host.action(command, async (ctx) => {
      const [older, newer] = command.processedArgs;
      const config = await ctx.loadConfig();
      const [{ diff }, { renderDiff }] = await Promise.all([import('./run.js'), import('./render.js')]);
      const result = await diff(
        config,
        older === undefined ? undefined : resolve(ctx.cwd, older),
        newer === undefined ? undefined : resolve(ctx.cwd, newer),
      );
      if (!ctx.json) ctx.show(renderDiff(result));
      return { report: { ...result }, directoryData: ['added', 'removed', 'changed'] };
    }),
  );
}
