import { dirname, isAbsolute, relative } from 'node:path';

import type { DemoFile, DemoResult, DemoSetup, DemoStep } from './run.js';
import { renderCheck } from '../check/render.js';
import { Lines, type Line, type Style } from '../output.js';
import { renderPush } from '../push/render.js';
import { pushReport } from '../push/report.js';
import { commandLine } from '../../util/shell-quote.js';

/** A path as the user would type it from here: relative when it is below the working directory. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** An adsync command line to paste, with `--config` and quoted for this machine's shell. */
function adsyncLine(args: readonly string[], configPath: string, cwd: string): string {
  return commandLine('adsync', [...args, '--config', shown(configPath, cwd)], process.platform);
}

/**
 * The demo's introduction, once its directory, config and mock vendor are ready.
 * @param style the terminal's emphasis
 * @param setup what the demo set up
 * @param cwd working directory, for short paths
 */
export function renderDemoSetup(style: Style, setup: DemoSetup, cwd: string): Line[] {
  const out = new Lines(style);
  const c = style;
  out.info(
    `${c.bold('adsync demo')}: Lakeside Freight (two locations, a few tricky names) read from an LDIF file, sent to the bundled mock vendor.`,
  );
  out.info(
    `  mock vendor: ${setup.vendorUrl} (this process, loopback only; TLS verified with its own certificate)`,
  );
  out.info(
    `  directory:   ${shown(setup.dir, cwd)}${setup.reused ? " (the earlier demo's files were replaced)" : ''}`,
  );
  return out.lines;
}

/**
 * One step of the demo: its command line, why, and what it did (the usual check and push output).
 * @param style the terminal's emphasis
 * @param step the step
 * @param index 1-based step number
 * @param setup the demo's set-up
 * @param options working directory and --verbose
 * @param options.cwd working directory, for short paths
 * @param options.verbose show every warning and rejected row
 */
export function renderDemoStep(
  style: Style,
  step: DemoStep,
  index: number,
  setup: DemoSetup,
  options: { cwd: string; verbose: boolean },
): Line[] {
  const out = new Lines(style);
  const c = style;
  const number = c.bold(`Step ${index}/${setup.totalSteps}`);
  const title =
    step.kind === 'change'
      ? `a directory change: ${shown(step.file, options.cwd)} edited`
      : c.cyan(`$ ${adsyncLine(step.args, setup.configPath, options.cwd)}`);
  out.info(`\n${number}  ${title}`);
  out.info(c.dim(`  ${step.about}`));
  switch (step.kind) {
    case 'check':
      out.add(renderCheck(style, step.result));
      return out.lines;
    case 'push':
      out.add(renderPush(style, step.result, options.verbose));
      return out.lines;
    case 'change':
      for (const change of step.changes) {
        const mark = { added: c.green('+'), changed: c.yellow('~'), removed: c.red('-') }[change.kind];
        out.info(
          `  ${mark} ${change.name} (${change.location})${change.detail ? `: ${change.detail}` : ` ${change.kind}`}`,
        );
      }
      return out.lines;
    case 'guard': {
      const [first, ...rest] = step.error.message.split('\n');
      out.info(`${c.yellow('✋')} ${(first ?? '').replace(/:$/, '')} (as designed):`);
      for (const line of rest) out.info(line);
      if (step.error.hint) out.info(`${c.cyan('hint:')} ${step.error.hint}`);
      return out.lines;
    }
  }
}

/**
 * The end of the demo: the vendor's address book, the files written, and what to try next.
 * @param style the terminal's emphasis
 * @param result what the demo did
 * @param cwd working directory, for short paths
 */
export function renderDemoEnd(style: Style, result: DemoResult, cwd: string): Line[] {
  const out = new Lines(style);
  const c = style;
  out.info(
    `\n${c.green('✔')} demo finished: the mock vendor holds ${result.vendor.active} active contacts and ${result.vendor.archived} archived; it has been stopped.`,
  );
  out.info(`Files written in ${shown(result.dir, cwd)}:`);
  // Every run wrote a CSV, a rejects file and a plan: the last run's in full, the others counted.
  const lastStep = Math.max(0, ...result.files.map((f) => f.step ?? 0));
  const listed = result.files.filter((f) => f.step === undefined || f.step === lastStep);
  const label = (f: DemoFile): string => (f.step === undefined ? f.what : `${f.what} (step ${f.step})`);
  const width = Math.max(...listed.map((f) => label(f).length));
  for (const file of listed) out.info(`  ${label(file).padEnd(width)}  ${shown(file.path, cwd)}`);
  const earlier = [...new Set(result.files.flatMap((f) => (f.step && f.step !== lastStep ? [f.step] : [])))];
  if (earlier.length > 0) {
    const first = result.files.find((f) => f.step === earlier[0]);
    out.info(
      `  ${'earlier runs'.padEnd(width)}  the same three files of steps ${earlier.join(', ')}, in ${shown(dirname(first?.path ?? result.dir), cwd)}`,
    );
  }
  const next: [string, string][] = [
    [
      adsyncLine(['push', '--dry-run'], result.configPath, cwd),
      `after editing ${shown(result.ldifPath, cwd)} (no vendor needed)`,
    ],
    [adsyncLine(['diff'], result.configPath, cwd), 'what changed between the last two runs'],
    [adsyncLine(['history'], result.configPath, cwd), 'the runs so far'],
    ['adsync init --kind ad', 'a starter config for your own directory'],
  ];
  const commandWidth = Math.max(...next.map(([command]) => command.length));
  out.info('Next:');
  for (const [command, what] of next) out.info(`  ${command.padEnd(commandWidth)}  ${c.dim(what)}`);
  return out.lines;
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
