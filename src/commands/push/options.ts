import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import { wholeNumber } from '../options.js';

/**
 * The `adsync push` command with its options, declared once: {@link PushCommandOptions} is
 * inferred from them, for the command's body and its run alike.
 * @param program the program to add it to
 */
export function pushCommand(program: CommandUnknownOpts) {
  return program
    .command('push')
    .description('read the directory, write the vendor CSV (and upload it)')
    .option('-n, --dry-run', 'stop before the upload; the CSV is written for inspection')
    .option('-o, --output <file>', 'write the CSV here instead of a timestamped file in output.dir')
    .option('--insecure-http', 'allow an http:// upload URL on loopback (local experiments only)')
    .option(
      '--allow-archive <n>',
      'approve up to N archives for this run (the safety guards otherwise stop it)',
      wholeNumber,
    )
    .option(
      '--allow-rename <n>',
      'approve up to N renames (the same directory entry with a new email or SMS phone) for this run',
      wholeNumber,
    )
    .option('--force', 'send the export whatever the safety guards say (including an empty one)')
    .option(
      '--first-push',
      'approve a push with no baseline: the vendor archives every contact it holds that is not in the CSV (see adsync adopt)',
    );
}

/** The options of `adsync push`, as commander parses them. */
export type PushCommandOptions = ReturnType<ReturnType<typeof pushCommand>['opts']>;
