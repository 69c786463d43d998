import { Command } from '@commander-js/extra-typings';

import { defineAdopt } from '../commands/adopt/define.js';
import { defineCheck } from '../commands/check/define.js';
import type { CommandHost } from '../commands/context.js';
import { defineDemo } from '../commands/demo/define.js';
import { defineDiff } from '../commands/diff/define.js';
import { defineExplain } from '../commands/explain/define.js';
import { defineHistory } from '../commands/history/define.js';
import { defineInit } from '../commands/init/define.js';
import { defineMockServer } from '../commands/mock-server/define.js';
import { withGlobalOptions, type Program } from '../commands/options.js';
import { definePush } from '../commands/push/define.js';
import { defineSchedule } from '../commands/schedule/define.js';
import { readBundledText } from '../runtime/assets.js';

/** Every command, in the order `--help` lists them. Each loads its own code only when it runs. */
const COMMANDS = [
  definePush,
  defineCheck,
  defineExplain,
  defineHistory,
  defineDiff,
  defineAdopt,
  defineMockServer,
  defineSchedule,
  defineDemo,
  defineInit,
] as const;

export { parseDuration } from '../commands/options.js';

/** adsync's version (through the asset helper: the single executable has no package.json beside its code). */
export function version(): string {
  return (JSON.parse(readBundledText('package.json')) as { version: string }).version;
}

/** Where commander writes its help, version and usage errors. */
export interface ProgramOutput {
  /** --help and --version. */
  writeOut: (text: string) => void;
  /** Usage errors. */
  writeErr: (text: string) => void;
}

/**
 * The command line: global options and every command.
 * @param host runs the command bodies
 * @param output where commander's own text goes
 */
export function buildProgram(host: CommandHost, output: ProgramOutput): Program {
  const program = withGlobalOptions(
    new Command('adsync')
      .description('Sync people from Active Directory or LDAP to a visitor-management address book, safely.')
      .version(version(), '--version', 'print the version'),
  )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput(output)
    .addHelpText(
      'after',
      `
Examples:
  adsync init --kind ad --profile receptionist   write a starter adsync.yaml
  adsync check                                   test the config against the directory
  adsync push --dry-run                          build the CSV and the rejects file, upload nothing
  adsync push --dry-run --json > report.json     the same, with a JSON report for monitoring
  adsync explain ada@example.com                 why a person is (not) on the kiosk

Exit codes: 0 success, 1 runtime failure, 2 configuration or usage error,
            3 a safety guard stopped the run, 4 another run holds the lock.`,
    );
  for (const define of COMMANDS) define(program, host);
  return program;
}
