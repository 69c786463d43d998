import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import { untilStopped } from '../../util/until-stopped.js';
import type { CommandHost } from '../context.js';

/**
 * `adsync explain PERSON`: why a person is (or is not) on the kiosk.
 * @param program the program to add it to
 * @param host runs its body
 */
export function defineExplain(program: CommandUnknownOpts, host: CommandHost): void {
  const command = program
    .command('explain')
    .description(
      'why a person is (or is not) sent: each search, the mapped row, the verdict, what the next push does, what the vendor last received (reads only)',
    )
    .argument(
      '<person>',
      'an email, a login (sAMAccountName, uid, userPrincipalName), a DN, or part of a name',
    );
  command.action(
    host.action(command, async (ctx) => {
      const [person] = command.processedArgs;
      const config = await ctx.loadConfig();
      const signal = ctx.limitRun(config.runTimeoutMs);
      const [{ explain }, { renderExplain }] = await Promise.all([import('./run.js'), import('./render.js')]);
      const result = await untilStopped(
        explain(config, person, {
          onEvent: (event) => {
            ctx.onExportEvent(event);
          },
          signal,
        }),
        signal,
      );
      ctx.stopProgress();
      if (!ctx.json) ctx.show(renderExplain(ctx.style, result));
      return { report: { ...result }, directoryData: ['query', 'people', 'inLastPush'] };
    }),
  );
}
