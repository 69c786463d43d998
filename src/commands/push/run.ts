import { resolve } from 'node:path';

import type { ResolvedConfig } from '../../config/types.js';
import { push, type PushOptions, type PushResult } from '../../pipeline/push.js';
import type { CommandContext } from '../context.js';
import type { PushCommandOptions } from './options.js';

/**
 * Run the push as the command line asks: the pipeline with this run's limits, progress and
 * redaction.
 * @param ctx the command's context
 * @param config the loaded config
 * @param options the command's options
 * @param signal the run's limits
 * @param told what the run knew when it stopped after its plan, and its plan before delivery
 */
export function runPush(
  ctx: CommandContext,
  config: ResolvedConfig,
  options: PushCommandOptions,
  signal: AbortSignal,
  told: Pick<PushOptions, 'onStopped' | 'onPlanned'> = {},
): Promise<PushResult> {
  return push(config, {
    signal,
    ...told,
    dryRun: options.dryRun === true,
    output: options.output === undefined ? undefined : resolve(ctx.cwd, options.output),
    now: ctx.startedAt,
    runId: ctx.runId,
    onEvent: (event) => {
      ctx.onExportEvent(event);
    },
    insecureHttp: options.insecureHttp === true,
    allowArchive: options.allowArchive,
    allowRename: options.allowRename,
    redact: (text) => ctx.redact(text),
    force: options.force === true,
    firstPush: options.firstPush === true,
    env: ctx.env,
    onToken: (token) => {
      ctx.addSecret(token);
    },
    onUploadEvent: (event) => {
      ctx.onUploadEvent(event);
    },
  });
}
