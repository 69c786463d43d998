/** What a notification says about a run. */
export interface RunNotice {
  /** One line for people (Slack shows `text`). */
  text: string;
  /** The same facts for machines. */
  adsync: {
    runId: string;
    host: string;
    command: string;
    status: 'ok' | 'error';
    outcome: 'success' | 'failure' | 'guard';
    exitCode: number;
    code?: string | undefined;
    message?: string | undefined;
    config?: string | undefined;
    startedAt: string;
  };
}

/** Which notification, if any, a finished run calls for. */
export function noticeKind(exitCode: number): RunNotice['adsync']['outcome'] {
  return exitCode === 0 ? 'success' : exitCode === 3 ? 'guard' : 'failure';
}

/** The facts of a finished run a notice is made from. */
export interface RunNoticeInput {
  runId: string;
  command: string;
  exitCode: number;
  startedAt: Date;
  config: string | undefined;
  error?: { code: string; message: string } | undefined;
  summary?: string | undefined;
}

/**
 * The notice for a finished run: one readable line, and the facts.
 * @param run what happened
 * @param run.runId run id
 * @param run.command the command
 * @param run.exitCode its exit code
 * @param run.startedAt when it started
 * @param run.config the config file
 * @param run.error the error, when it failed
 * @param run.error.code machine code
 * @param run.error.message human message
 * @param run.summary for a success: a short summary (rows, plan)
 * @param host this machine's name
 */
export function runNotice(run: RunNoticeInput, host: string): RunNotice {
  const outcome = noticeKind(run.exitCode);
  const first = (run.error?.message ?? '').split('\n')[0] ?? '';
  const text =
    outcome === 'success'
      ? `adsync ${run.command} on ${host} succeeded${run.summary ? `: ${run.summary}` : ''}.`
      : outcome === 'guard'
        ? `adsync ${run.command} on ${host} was stopped by a safety guard (exit 3), nothing was uploaded: ${first} See the plan named in the log (run ${run.runId}).`
        : `adsync ${run.command} on ${host} FAILED (exit ${run.exitCode}${run.error ? `, ${run.error.code}` : ''}): ${first} (run ${run.runId})`;
  return {
    text,
    adsync: {
      runId: run.runId,
      host,
      command: run.command,
      status: outcome === 'success' ? 'ok' : 'error',
      outcome,
      exitCode: run.exitCode,
      code: run.error?.code,
      message: run.error?.message,
      config: run.config,
      startedAt: run.startedAt.toISOString(),
    },
  };
}
