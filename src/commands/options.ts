import { InvalidArgumentError, Option, type Command } from '@commander-js/extra-typings';

import { runLimitProblem } from '../config/run-limit.js';
import type { ResolvedConfig } from '../config/types.js';
import { UsageError } from '../errors.js';

/**
 * A whole number of zero or more, for options such as --allow-archive N.
 * @param text the option value
 */
export function wholeNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a whole number');
  return n;
}

/**
 * A whole number of one or more, for options such as `history --limit N`.
 * @param text the option value
 */
export function countOfOne(text: string): number {
  const n = wholeNumber(text);
  if (n === 0) throw new InvalidArgumentError('expected 1 or more');
  return n;
}

/**
 * A TCP port, 0 to 65535 (0: any free one).
 * @param text the option value
 */
export function portNumber(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 65_535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 picks a free one)');
  return n;
}

/**
 * Refuse a `--timeout` at or above `safety.lockTimeoutMinutes` (exit 2), for the commands whose
 * runs take the lock: see {@link runLimitProblem}.
 * @param timeoutMs the `--timeout` given, if any
 * @param config the loaded config
 */
export function checkTimeoutOption(timeoutMs: number | undefined, config: ResolvedConfig): void {
  if (timeoutMs === undefined) return;
  const problem = runLimitProblem({ ms: timeoutMs, name: '--timeout' }, config.safety.lockTimeoutMinutes);
  if (problem !== undefined) {
    throw new UsageError(problem, {
      hint: 'A run of adsync keeps its lock while it works; the time limit guarantees it stops before another run may judge the lock abandoned.',
    });
  }
}

/**
 * Parse a duration such as 30m, 90s or 2h. A bare number is refused: `--timeout 5` reads as
 * seconds to some and minutes to others.
 * @param text the option value
 * @returns milliseconds
 */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError('expected a duration such as 30m, 90s or 2h');
  const value = Number(match[1]);
  const unit = match[2];
  if (unit === undefined)
    throw new InvalidArgumentError(
      `give a unit: ${match[1]}m (minutes), ${match[1]}s (seconds) or ${match[1]}h`,
    );
  const ms = value * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : 60_000);
  if (ms <= 0) throw new InvalidArgumentError('the time limit must be more than zero');
  // Timers cannot wait longer than 2^31-1 ms (24.8 days); a longer limit would fire at once.
  if (ms > 2_147_483_647) throw new InvalidArgumentError('the time limit must be under 24 days');
  return ms;
}

/**
 * The options every command takes (before or after its name), declared once: their type,
 * {@link GlobalOptions}, is inferred from these declarations (so no return type is written).
 * @param program the program (no options yet)
 */
export function withGlobalOptions(program: Command) {
  return program
    .option(
      '-c, --config <file>',
      'config file (default: the first of adsync.yaml, adsync.yml, .adsyncrc, adsync.config.yaml… here; see docs/configuration.md)',
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
    .option('-q, --quiet', 'only print errors');
}

/** The program with its global options declared. */
export type Program = ReturnType<typeof withGlobalOptions>;

/** The global options as parsed: `timeout` in ms; flags are `true` or absent. */
export type GlobalOptions = ReturnType<Program['opts']>;
