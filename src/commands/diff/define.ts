import { resolve } from 'node:path';

import type { Command } from 'commander';

import type { CommandHost } from '../context.js';

/**
 * `adsync diff`: what changed between two runs' CSVs.
 * @param program the program to add it to
 * @param host runs its body
 */
export function defineDiff(program: Command, host: CommandHost): void {
  program
    .command('diff')
    .description("show what changed between two runs' CSVs (default: the last two)")
    .argument('[older]', 'older CSV')
    .argument('[newer]', 'newer CSV')
    .action(
      host.action(async (ctx, cmd) => {
        const [older, newer] = cmd.processedArgs as (string | undefined)[];
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
