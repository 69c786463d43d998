import { dirname, isAbsolute, relative } from 'node:path';

import type { DemoFile, DemoResult, DemoSetup, DemoStep } from './run.js';
import { renderCheck, renderPush } from '../../cli/render.js';
import { pushReport } from '../../cli/report.js';
import type { Ui } from '../../cli/ui.js';

/** A path as the user would type it from here: relative when it is below the working directory. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** The command line a step stands for. */
function commandLine(args: readonly string[], setup: DemoSetup, cwd: string): string {
  return `adsync ${args.join(' ')} --config ${shown(setup.configPath, cwd)}`;
}

/**
 * The demo's introduction, once its directory, config and mock vendor are ready.
 * @param ui the terminal
 * @param setup what the demo set up
 * @param cwd working directory, for short paths
 */
export function renderDemoSetup(ui: Ui, setup: DemoSetup, cwd: string): void {
  const c = ui.color;
  ui.info(
    `${c.bold('adsync demo')}: Lakeside Freight (two locations, a few tricky names) read from an LDIF file, sent to the bundled mock vendor.`,
  );
  ui.info(
    `  mock vendor: ${setup.vendorUrl} (this process, loopback only; TLS verified with its own certificate)`,
  );
  ui.info(
    `  directory:   ${shown(setup.dir, cwd)}${setup.reused ? " (the earlier demo's files were replaced)" : ''}`,
  );
}

/**
 * One step of the demo: its command line, why, and what it did (the usual check and push output).
 * @param ui the terminal
 * @param step the step
 * @param index 1-based step number
 * @param setup the demo's set-up
 * @param options working directory and --verbose
 * @param options.cwd working directory, for short paths
 * @param options.verbose show every warning and rejected row
 */
export function renderDemoStep(
  ui: Ui,
  step: DemoStep,
  index: number,
  setup: DemoSetup,
  options: { cwd: string; verbose: boolean },
): void {
  const c = ui.color;
  const number = c.bold(`Step ${index}/${setup.totalSteps}`);
  const title =
    step.kind === 'change'
      ? `a directory change: ${shown(step.file, options.cwd)} edited`
      : c.cyan(`$ ${commandLine(step.args, setup, options.cwd)}`);
  ui.info(`\n${number}  ${title}`);
  ui.info(c.dim(`  ${step.about}`));
  switch (step.kind) {
    case 'check':
      renderCheck(ui, step.result);
      return;
    case 'push':
      renderPush(ui, step.result, options.verbose);
      return;
    case 'change':
      for (const change of step.changes) {
        const mark = { added: c.green('+'), changed: c.yellow('~'), removed: c.red('-') }[change.kind];
        ui.info(
          `  ${mark} ${change.name} (${change.location})${change.detail ? `: ${change.detail}` : ` ${change.kind}`}`,
        );
      }
      return;
    case 'guard': {
      const [first, ...rest] = step.error.message.split('\n');
      ui.info(`${c.yellow('✋')} ${(first ?? '').replace(/:$/, '')} (as designed):`);
      for (const line of rest) ui.info(line);
      if (step.error.hint) ui.info(`${c.cyan('hint:')} ${step.error.hint}`);
      return;
    }
  }
}

/**
 * The end of the demo: the vendor's address book, the files written, and what to try next.
 * @param ui the terminal
 * @param result what the demo did
 * @param cwd working directory, for short paths
 */
export function renderDemoEnd(ui: Ui, result: DemoResult, cwd: string): void {
  const c = ui.color;
  ui.info(
    `\n${c.green('✔')} demo finished: the mock vendor holds ${result.vendor.active} active contacts and ${result.vendor.archived} archived; it has been stopped.`,
  );
  ui.info(`Files written in ${shown(result.dir, cwd)}:`);
  // Every run wrote a CSV, a rejects file and a plan: the last run's in full, the others counted.
  const lastStep = Math.max(0, ...result.files.map((f) => f.step ?? 0));
  const listed = result.files.filter((f) => f.step === undefined || f.step === lastStep);
  const label = (f: DemoFile): string => (f.step === undefined ? f.what : `${f.what} (step ${f.step})`);
  const width = Math.max(...listed.map((f) => label(f).length));
  for (const file of listed) ui.info(`  ${label(file).padEnd(width)}  ${shown(file.path, cwd)}`);
  const earlier = [...new Set(result.files.flatMap((f) => (f.step && f.step !== lastStep ? [f.step] : [])))];
  if (earlier.length > 0) {
    const first = result.files.find((f) => f.step === earlier[0]);
    ui.info(
      `  ${'earlier runs'.padEnd(width)}  the same three files of steps ${earlier.join(', ')}, in ${shown(dirname(first?.path ?? result.dir), cwd)}`,
    );
  }
  const config = shown(result.configPath, cwd);
  const next: [string, string][] = [
    [
      `adsync push --dry-run --config ${config}`,
      `after editing ${shown(result.ldifPath, cwd)} (no vendor needed)`,
    ],
    [`adsync diff --config ${config}`, 'what changed between the last two runs'],
    [`adsync history --config ${config}`, 'the runs so far'],
    ['adsync init --kind ad', 'a starter config for your own directory'],
  ];
  const commandWidth = Math.max(...next.map(([command]) => command.length));
  ui.info('Next:');
  for (const [command, what] of next) ui.info(`  ${command.padEnd(commandWidth)}  ${c.dim(what)}`);
}

/**
 * The `--json` report of the demo: every step with its own report.
 * @param result what the demo did
 * @param startedAt when the command started
 */
export function demoReport(result: DemoResult, startedAt: Date): Record<string, unknown> {
  return {
    command: 'demo',
    status: 'ok',
    exitCode: 0,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    dir: result.dir,
    configPath: result.configPath,
    ldifPath: result.ldifPath,
    vendorUrl: result.vendorUrl,
    steps: result.steps.map((step) => {
      switch (step.kind) {
        case 'push':
          return { kind: step.kind, args: step.args, report: pushReport(step.result, step.startedAt) };
        case 'check':
          return { kind: step.kind, args: step.args, result: step.result };
        case 'change':
          return { kind: step.kind, file: step.file, changes: step.changes };
        case 'guard':
          return { kind: step.kind, args: step.args, error: step.error, files: step.files };
      }
    }),
    files: result.files,
    vendor: result.vendor,
  };
}
