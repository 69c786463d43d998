import { resolve } from 'node:path';

import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import type { CommandHost } from '../context.js';
import type { DemoSetup } from './run.js';

/**
 * `adsync demo`: the whole job on a sample company, against the bundled mock vendor.
 * @param program the program to add it to
 * @param host runs its body
 */
export function defineDemo(program: CommandUnknownOpts, host: CommandHost): void {
  const command = program
    .command('demo')
    .description(
      'try adsync on a sample company: check, dry run, push, a directory change, push (no server, no network)',
    )
    .option('--dir <dir>', 'where the demo writes its config, LDIF copy, CSVs and state', 'adsync-demo')
    .addHelpText(
      'after',
      '\nThe vendor is the bundled mock server, started in this process on 127.0.0.1 and stopped at the end.\nRe-running the demo in its own directory replaces its files; any other non-empty directory is refused.',
    );
  command.action(
    host.action(command, async (ctx) => {
      const { dir } = command.opts();
      const [{ demo }, render] = await Promise.all([import('./run.js'), import('./render.js')]);
      const verbose = ctx.options.verbose === true;
      let ready: DemoSetup | undefined;
      const result = await demo({
        dir: resolve(ctx.cwd, dir),
        signal: ctx.limitRun(undefined),
        onSetup: (setup) => {
          ready = setup;
          ctx.show(render.renderDemoSetup(ctx.style, setup, ctx.cwd));
        },
        onStep: (step, index) => {
          ctx.stopProgress();
          if (ready)
            ctx.show(render.renderDemoStep(ctx.style, step, index, ready, { cwd: ctx.cwd, verbose }));
        },
        onEvent: (event) => {
          ctx.onExportEvent(event);
        },
        onUploadEvent: (event) => {
          ctx.onUploadEvent(event);
        },
        onSecret: (secret) => {
          ctx.addSecret(secret);
        },
        redact: (text) => ctx.redact(text),
      });
      ctx.stopProgress();
      ctx.show(render.renderDemoEnd(ctx.style, result, ctx.cwd));
      if (!ctx.json) ctx.show([{ level: 'data', text: result.dir }]);
      return { report: render.demoReport(result, ctx.startedAt) };
    }),
  );
}
