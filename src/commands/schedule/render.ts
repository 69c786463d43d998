import type { ScheduleInstallResult } from './run.js';
import { declaredEncoding } from '../../schedule/platforms.js';
import { describeRunTime } from '../../schedule/run-time.js';
import type { SchedulerEvent } from '../../schedule/runner.js';
import { Lines, planCountsLine, type Line, type Style } from '../output.js';

/**
 * One human line for a scheduler event (undefined: nothing to say).
 * @param event what the scheduler reported
 * @param timezone schedule.timezone: the next run is shown in it (else in this machine's zone)
 *   and in UTC
 */
export function describeSchedulerEvent(
  event: SchedulerEvent,
  timezone: string | undefined,
): { level: 'info' | 'warn' | 'debug'; text: string } | undefined {
  const next = (iso: string | null): string =>
    iso ? `next run ${describeRunTime(iso, timezone)}` : 'no next run';
  switch (event.type) {
    case 'started':
      return { level: 'info', text: `scheduler started; ${next(event.nextRun)}` };
    case 'run-start':
      return {
        level: 'info',
        text: `run ${event.runId} started (${event.reason === 'startup' ? '--now' : 'on schedule'})`,
      };
    case 'output':
      return { level: 'info', text: `  [${event.runId}] ${event.line}` };
    case 'run-end': {
      const r = event.run;
      const plan = r.plan ? ` (${planCountsLine(r.plan)})` : '';
      const what =
        r.outcome === 'ok'
          ? `succeeded: ${r.rows ?? 0} rows${plan}`
          : `${r.outcome === 'guard' ? 'was stopped by a safety guard' : r.outcome === 'locked' ? 'found another run holding the lock' : r.outcome === 'killed' ? 'was killed' : r.outcome === 'unstarted' ? 'could not start' : 'failed'} (exit ${r.exitCode})${r.message ? `: ${r.message.split('\n')[0] ?? ''}` : ''}`;
      return { level: 'info', text: `run ${r.runId} ${what}; ${next(event.nextRun)}` };
    }
    case 'overlap':
      return {
        level: 'warn',
        text: `skipped a scheduled run: run ${event.runId} is still going (runs never overlap)`,
      };
    case 'stopping':
      return {
        level: 'info',
        text: event.waitingFor ? `waiting for run ${event.waitingFor} to stop safely` : 'stopping',
      };
    case 'status-error':
      return { level: 'warn', text: event.message };
    case 'cron-warning':
      return { level: 'warn', text: `scheduler: ${event.message}` };
  }
}

/**
 * Show what `adsync schedule install` produced: the files (stdout with --print, so they can be
 * redirected), what was installed, and what is left to do.
 * @param style the terminal's emphasis
 * @param result artifacts and outcome
 * @param json whether a JSON report goes to stdout instead
 */
export function renderScheduleInstall(style: Style, result: ScheduleInstallResult, json: boolean): Line[] {
  const ui = new Lines(style);
  const { artifacts, installed } = result;
  for (const warning of result.warnings) ui.warn(warning);
  if (result.wrote !== undefined) {
    const encoding = declaredEncoding(artifacts.files[0]?.content ?? '');
    ui.info(`wrote ${result.wrote} (${encoding})`);
  }
  if (!installed) {
    if (!json && result.wrote === undefined) {
      const many = artifacts.files.length > 1;
      for (const file of artifacts.files)
        ui.data(many ? `# ----- ${file.name} -----\n${file.content}` : file.content);
    }
    ui.info(`To install by hand:\n${artifacts.installCommands.map((c) => `  ${c}`).join('\n')}`);
  } else {
    ui.info(`installed for ${artifacts.platform}: ${installed.written.join(', ')}`);
    for (const step of installed.ran) {
      if (!step.ok) ui.warn(`${step.command} failed: ${step.output}`);
    }
    if (installed.active) ui.info('the schedule is active');
    else
      ui.warn(
        `${installed.why ?? 'the files are in place but the schedule is not active yet'}; run:\n${installed.todo.map((c) => `  ${c}`).join('\n')}`,
      );
  }
  for (const note of artifacts.notes) ui.info(`note: ${note}`);
  return ui.lines;
}

/**
 * What the scheduler shows for an event: a run's own output passes through, a failed run is an
 * error, the rest by its level.
 * @param event what the scheduler reported
 * @param timezone schedule.timezone (see {@link describeSchedulerEvent})
 */
export function renderSchedulerEvent(event: SchedulerEvent, timezone: string | undefined): Line[] {
  const line = describeSchedulerEvent(event, timezone);
  if (!line) return [];
  if (event.type === 'output') return [{ level: 'output', text: line.text }];
  if (event.type === 'run-end' && event.run.outcome !== 'ok') return [{ level: 'error', text: line.text }];
  return [line];
}
