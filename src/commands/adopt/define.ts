import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import type { CommandHost } from '../context.js';

/**
 * `adsync adopt FILE`: take the CSV the vendor last received as the baseline.
 * @param program the program to add it to
 * @param host runs its body
 */
export function defineAdopt(program: CommandUnknownOpts, host: CommandHost): void {
  const adopt = program
    .command('adopt')
    .argument('<file>', "the CSV the vendor last received, in the upload's columns")
    .description('make the CSV the vendor last received the baseline, so the first push is guarded')
    .option('--replace', 'replace the baseline this vendor account has (it is copied aside first)')
    .addHelpText(
      'after',
      "\nThe vendor's PowerShell script's last output, or an export from the vendor in the profile's\nlayout. The next push is planned against it: whoever it holds and the directory does not is an\narchive, counted by the guards.\n\nExample:\n  adsync adopt ./last-upload.csv && adsync push --dry-run",
    );
  adopt.action(
    host.action(adopt, async (ctx) => {
      const [file] = adopt.processedArgs;
      const { replace } = adopt.opts();
      const config = await ctx.loadConfig();
      const [{ runAdopt }, { renderAdopt }] = await Promise.all([import('./run.js'), import('./render.js')]);
      const result = await runAdopt(ctx, config, { file, replace: replace === true });
      if (!ctx.json) ctx.show(renderAdopt(ctx.style, result));
      return { report: { adopted: result } };
    }),
  );
}
