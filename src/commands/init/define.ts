import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';

import { PROFILE_NAMES } from '../../vendors/names.js';
import type { CommandHost } from '../context.js';

/**
 * `adsync init`: a commented starter config.
 * @param program the program to add it to
 * @param host runs its body
 */
export function defineInit(program: CommandUnknownOpts, host: CommandHost): void {
  const command = program
    .command('init')
    .description('write a commented starter config (never overwrites)')
    .addOption(new Option('--kind <kind>', 'directory kind').choices(['ad', 'ldap']).default('ad'))
    .addOption(
      new Option('--profile <profile>', 'vendor profile').choices(PROFILE_NAMES).default(PROFILE_NAMES[0]),
    )
    .option('--file <path>', 'where to write it', 'adsync.yaml');
  command.action(
    host.action(command, async (ctx) => {
      const options = command.opts();
      const [{ init }, { renderInit }] = await Promise.all([import('./run.js'), import('./render.js')]);
      const written = await init({
        kind: options.kind,
        profile: options.profile,
        path: options.file,
        cwd: ctx.cwd,
      });
      ctx.show(renderInit(written.path, ctx.json, options.file, process.platform, written.createdFolder));
      return { report: { path: written.path } };
    }),
  );
}
