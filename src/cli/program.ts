import { Command, InvalidArgumentError, Option } from 'commander';

import { defineAdopt } from '../commands/adopt/define.js';
import { defineCheck } from '../commands/check/define.js';
import type { CommandHost } from '../commands/context.js';
import { defineDemo } from '../commands/demo/define.js';
import { defineDiff } from '../commands/diff/define.js';
import { defineExplain } from '../commands/explain/define.js';
import { defineHistory } from '../commands/history/define.js';
import { defineInit } from '../commands/init/define.js';
import { defineMockServer } from '../commands/mock-server/define.js';
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

/**
 * Parse a duration such as 30m, 90s, 2h or a bare number of minutes.
 * @param text the option value
 * @returns milliseconds
 */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError('expected a duration such as 30m, 90s or 2h');
  const value = Number(match[1]);
  const unit = match[2] ?? 'm';
  const ms = value * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  if (ms <= 0) throw new InvalidArgumentError('the time limit must be more than zero');
  // Timers cannot wait longer than 2^31-1 ms (24.8 days); a longer limit would fire at once.
  if (ms > 2_147_483_647) throw new InvalidArgumentError('the time limit must be under 24 days');
  return ms;
}

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
export function buildProgram(host: CommandHost, output: ProgramOutput): Command {
  const program = new Command('adsync')
    .description('Sync people from Active Directory or LDAP to a visitor-management address book, safely.')
    .version(version(), '--version', 'print the version')
    .option(
      '-c, --config <file>',
      'config file (default: adsync.yaml, adsync.yml, .adsyncrc.yaml or adsync.config.yaml here)',
    )
    .option('--json', 'print a machine-readable JSON report on stdout')
    .option('--report <file>', 'also write the JSON run report to this file (for monitoring)')
    .option(
      '--timeout <duration>',
      'stop a run that takes longer than this (30m, 90s, 2h; default schedule.timeoutMinutes or 30m)',
      parseDuration,
    )
    .option('--log-file <file>', 'append JSON-lines events to this file (default logging.file)')
    .addOption(new Option('-v, --verbose', 'show details (searches, filters, references)').conflicts('quiet'))
    .option('-q, --quiet', 'only print errors')
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
