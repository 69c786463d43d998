import { resolve } from 'node:path';

import { ownFileAt } from '../config/own-files.js';
import type { ResolvedConfig } from '../config/types.js';

/** An output option naming a file adsync reads or keeps, and why it is refused. */
export interface OwnOutput {
  /** The option. */
  flag: '--report' | '--log-file';
  /** Which of adsync's files it names. */
  reason: string;
}

/**
 * The first of --report and --log-file that names a file the config makes adsync read or keep
 * (the config itself, the state, a CSV): writing a report or a log there would destroy it.
 * @param config the resolved config
 * @param outputs the options as given: --report relative to `cwd`, --log-file already absolute
 * @returns the option to refuse and why, or undefined when both are free
 */
export async function ownOutput(
  config: ResolvedConfig,
  outputs: { cwd: string; report: string | undefined; logFile: string | undefined },
): Promise<OwnOutput | undefined> {
  const checks = [
    ['--report', outputs.report === undefined ? undefined : resolve(outputs.cwd, outputs.report)],
    ['--log-file', outputs.logFile],
  ] as const;
  for (const [flag, path] of checks) {
    if (path === undefined) continue;
    const what = await ownFileAt(path, config, flag === '--log-file' ? config.logging?.file : undefined);
    if (what !== undefined)
      return {
        flag,
        reason: `${path} is ${what}; adsync never writes its ${flag === '--report' ? 'report' : 'log'} there`,
      };
  }
  return undefined;
}
