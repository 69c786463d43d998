import type { RunEnding } from '../commands/context.js';
import type { LoadConfigOptions, RunTrace } from '../config/load.js';
import { redactValues, type Redactor } from '../config/secrets.js';
import type { ResolvedConfig } from '../config/types.js';
import { describeError } from '../errors.js';
import { recordRun } from '../state/history.js';
import { ensureStateDir, statePaths } from '../state/paths.js';

/** What {@link traceFailedLoad} works with: the run, and the context's log and redaction. */
export interface TraceInput {
  /** Where the config was looked for. */
  load: LoadConfigOptions;
  /** How the command's runs end (its history line), if it keeps any. */
  ending: RunEnding | undefined;
  /** The run as it ended. */
  run: { runId: string; startedAt: Date; exitCode: number; error: string | undefined };
  /** The run's redaction: takes the secret values seen while reading the config. */
  redactor: Pick<Redactor, 'add' | 'redact'>;
  /** Open the config's log file; absent when --log-file named another. */
  openLog: ((file: string, settings: ResolvedConfig['logging']) => void) | undefined;
  /** Where a problem is told (the history line could not be written). */
  ui: { warn(message: string): void };
}

/**
 * A run whose config failed to load (most often a `${env:}` secret a scheduler's environment
 * lacks) still leaves its trace: the config's log gets its finish line, and a command that keeps
 * a history gets its line there. The returned settings let its webhook fire when the webhook
 * itself resolves.
 * @param input the run and the context's log and redaction
 * @returns the trace settings, or undefined when the config cannot be read at all
 */
export async function traceFailedLoad(input: TraceInput): Promise<RunTrace | undefined> {
  const { loadRunTrace } = await import('../config/load.js');
  const loaded = loadRunTrace(input.load);
  if (loaded === undefined) return undefined;
  const { trace, secrets } = loaded;
  input.redactor.add(...secrets);
  if (trace.logging) input.openLog?.(trace.logging.file, trace.logging);
  const { run } = input;
  const entry = input.ending?.failedEarly?.({ ...run, error: run.error ?? `exit ${run.exitCode}` });
  if (entry === undefined) return trace;
  let problem: string | undefined;
  try {
    const warning = await ensureStateDir(trace.stateDir);
    if (warning !== undefined) input.ui.warn(warning);
    problem = await recordRun(
      statePaths(trace.stateDir, '').history,
      redactValues(entry, (text) => input.redactor.redact(text)),
    );
  } catch (error) {
    problem = `this run is not in the run history: ${describeError(error)}`;
  }
  if (problem !== undefined) input.ui.warn(problem);
  return trace;
}
