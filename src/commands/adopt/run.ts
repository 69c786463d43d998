import { resolve } from 'node:path';

import type { ResolvedConfig } from '../../config/types.js';
import { AdsyncError, describeError } from '../../errors.js';
import { adopt, type AdoptResult } from '../../pipeline/adopt.js';
import { targetStatePaths } from '../../pipeline/target-state.js';
import { appendHistory, runTarget, type HistoryEntry } from '../../state/history.js';
import type { CommandContext } from '../context.js';

/** What `adsync adopt` did, and what the admin should hear about it. */
export interface AdoptOutcome extends AdoptResult {
  /** A history line that could not be written. */
  historyProblem?: string;
}

/**
 * Adopt the file and record the run in the history, as every run that changes state is.
 * @param ctx the command's context
 * @param config the loaded config
 * @param options the file (as given) and --replace
 * @param options.file the CSV, relative to the working directory
 * @param options.replace replace a baseline that is there
 */
export async function runAdopt(
  ctx: CommandContext,
  config: ResolvedConfig,
  options: { file: string; replace: boolean },
): Promise<AdoptOutcome> {
  const paths = targetStatePaths(config);
  const entry: HistoryEntry = {
    time: ctx.startedAt.toISOString(),
    command: 'adopt',
    outcome: 'error',
    exitCode: 1,
    dryRun: false,
    target: runTarget(
      {
        profile: config.layout.profile,
        uploadUrl: config.target.uploadUrl,
        clientId: config.target.clientId,
      },
      paths.state,
      (text) => ctx.redact(text),
    ),
  };
  let result: AdoptResult | undefined;
  try {
    result = await adopt(config, {
      file: resolve(ctx.cwd, options.file),
      replace: options.replace,
      now: ctx.startedAt,
    });
    Object.assign(entry, { outcome: 'adopted', exitCode: 0, rows: result.contacts, csvPath: result.file });
  } catch (error) {
    if (error instanceof AdsyncError) entry.exitCode = error.exitCode;
    entry.error = ctx.redact(error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    // The state directory may not exist when adopt failed before making it: no line then.
    const written = await appendHistory(paths.history, entry).then(
      () => undefined,
      (error: unknown) => describeError(error),
    );
    if (result && written !== undefined) Object.assign(result, { historyProblem: written });
  }
  return result;
}
