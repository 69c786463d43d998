import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import type { CommandHost } from '../context.js';
import { countOfOne } from '../options.js';

/**
 * `adsync history`: the recent runs.
 * @param program the program to add it to
 * @param host runs its body
 */
export function defineHistory(program: CommandUnknownOpts, host: CommandHost): void {
  const command = program
    .command('history')
    .description('list recent runs (from runs.jsonl in the state directory)')
    .option('--limit <n>', 'how many runs (1 or more)', countOfOne, 20);
  command.action(
    host.action(command, async (ctx) => {
      const { limit } = command.opts();
      const config = await ctx.loadConfig({ localOnly: true });
      const [{ history }, { renderHistory }] = await Promise.all([import('./run.js'), import('./render.js')]);
      const runs = await history(config, limit);
      if (!ctx.json) ctx.show(renderHistory(runs));
      return { report: { runs } };
    }),
  );
}
