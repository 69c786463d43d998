import type { Command } from 'commander';

import type { CommandHost } from '../context.js';
import { wholeNumber } from '../options.js';

/**
 * `adsync history`: the recent runs.
 * @param program the program to add it to
 * @param host runs its body
 */
export function defineHistory(program: Command, host: CommandHost): void {
  program
    .command('history')
    .description('list recent runs (from runs.jsonl in the state directory)')
    .option('--limit <n>', 'how many runs', wholeNumber, 20)
    .action(
      host.action(async (ctx, cmd) => {
        const { limit } = cmd.opts<{ limit: number }>();
        const config = await ctx.loadConfig();
        const [{ history }, { renderHistory }] = await Promise.all([
          import('./run.js'),
          import('./render.js'),
        ]);
        const runs = await history(config, limit);
        if (!ctx.json) ctx.show(renderHistory(runs));
        return { report: { runs } };
      }),
    );
}
