import { resolve } from 'node:path';

import type { ResolvedConfig } from '../../config/types.js';
import { push, type PushResult } from '../../pipeline/push.js';
import type { CommandContext } from '../context.js';

/** The options of `adsync push`. */
export interface PushCommandOptions {
  dryRun?: boolean;
  output?: string;
  insecureHttp?: boolean;
  allowArchive?: number;
  allowRename?: number;
  force?: boolean;
}

/**
 * Run the push as the command line asks: the pipeline with this run's limits, progress and
 * redaction.
 * @param ctx the command's context
 * @param config the loaded config
 * @param options the command's options
 * @param signal the run's limits
 * @param onGuardStop told what the run knew when a safety guard stopped it, or when the vendor's
 *   answer was far from the plan (its upload included)
 */
export function runPush(
  ctx: CommandContext,
  config: ResolvedConfig,
  options: PushCommandOptions,
  signal: AbortSignal,
  onGuardStop?: (result: PushResult) => void,
): Promise<PushResult> {
  return push(config, {
    signal,
    onGuardStop,
    onVendorStop: onGuardStop,
    dryRun: options.dryRun === true,
    output: options.output === undefined ? undefined : resolve(ctx.cwd, options.output),
    now: ctx.startedAt,
    onEvent: (event) => {
      ctx.onExportEvent(event);
    },
    insecureHttp: options.insecureHttp === true,
    allowArchive: options.allowArchive,
    allowRename: options.allowRename,
    redact: (text) => ctx.redact(text),
    force: options.force === true,
    env: ctx.env,
    onToken: (token) => {
      ctx.addSecret(token);
    },
    onUploadEvent: (event) => {
      ctx.onUploadEvent(event);
    },
  });
}
