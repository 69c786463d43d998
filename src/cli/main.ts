import { CommanderError, type CommandUnknownOpts } from '@commander-js/extra-typings';

import type { CommandContext, CommandResult } from '../commands/context.js';
import { CliContext, type CliIo } from './context.js';
import { ExitCode } from '../errors.js';
import { commanderExit, endProcess, failureOf, quitNow, type Failure } from './exit.js';
import { buildProgram, version } from './program.js';

export type { CliIo } from './context.js';

/**
 * Run the adsync command line: argv → command → exit code. Nothing is printed or decided about
 * the exit code anywhere else, and nothing here ends the process, so tests call it in-process.
 * @param argv full argv (node, script, args…)
 * @param io streams, environment and working directory (default: this process's)
 * @returns the process exit code
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const ctx = new CliContext(argv, {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  });
  const stdout = io.stdout ?? process.stdout;
  const program = buildProgram(
    {
      action:
        (command: CommandUnknownOpts, body: (ctx: CommandContext) => Promise<CommandResult>) =>
        async (): Promise<void> => {
          // Global options are the program's, wherever they were given on the line.
          await ctx.begin(commandName(command), program.opts(), version());
          const result = await body(ctx);
          if (result === undefined) return;
          if (result.exitCode !== undefined) ctx.exitCode = result.exitCode;
          await ctx.emitReport(result.report, { directoryData: result.directoryData });
        },
    },
    {
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => {
        ctx.ui.raw(text);
      },
    },
  );
  let failure: Failure | undefined;
  // Node empties its event loop while a run still waits on a promise nothing can settle (a
  // bug, or a library that dropped a callback): without this it would exit 13 in silence,
  // without a report, a history line or a released lock. The first time, the run is stopped as
  // a signal would stop it, so it unwinds through its normal path; if even that cannot move it,
  // say so and exit 1.
  let idle = 0;
  const onIdle = (): void => {
    idle++;
    if (idle === 1 && ctx.interrupt('adsync itself: the run waited on something that can no longer happen'))
      return;
    if (idle > 2) return;
    const message = 'the command stopped making progress and could not be ended normally';
    ctx.ui.error(`${message}; this is a bug in adsync`);
    void ctx
      .emitReport({ status: 'error', exitCode: ExitCode.Runtime, error: { code: 'INTERNAL', message } })
      .finally(() => quitNow(ExitCode.Runtime));
  };
  process.on('beforeExit', onIdle);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    ctx.ui.stopSpinner();
    if (error instanceof CommanderError) return await usageExit(ctx, argv, error);
    failure = failureOf(error);
    ctx.exitCode = failure.exitCode;
    showFailure(ctx, failure);
    await ctx.emitReport({
      ...failure.report,
      ...reportedWarnings(failure),
      status: 'error',
      exitCode: failure.exitCode,
      error: {
        code: failure.code,
        message: failure.message,
        ...(failure.hint ? { hint: failure.hint } : {}),
        ...(failure.details ? { details: failure.details } : {}),
      },
    });
  } finally {
    process.off('beforeExit', onIdle);
    ctx.dispose();
  }
  await ctx.finish(ctx.exitCode, failure);
  return ctx.exitCode;
}

/**
 * The exit code of commander's own end (help, version, a usage error). The report envelope
 * promises `error` on failure, a usage error too: --json is read from the line itself, as the
 * options never got parsed.
 */
async function usageExit(ctx: CliContext, argv: readonly string[], error: CommanderError): Promise<number> {
  const code = commanderExit(error);
  if (code !== ExitCode.Ok && argv.slice(2).includes('--json')) {
    ctx.options = { ...ctx.options, json: true };
    const message = error.message.replace(/^error: /, '');
    await ctx.emitReport({ status: 'error', exitCode: code, error: { code: 'USAGE', message } });
  }
  return code;
}

/** A command's name as the log and the report give it: a subcommand with its parent's ("schedule run"). */
function commandName(command: CommandUnknownOpts): string {
  return command.parent?.parent ? `${command.parent.name()} ${command.name()}` : command.name();
}

/** The failure on the terminal: message and hint, or for a bug the stack and where to report it. */
function showFailure(ctx: CliContext, failure: Failure): void {
  const { ui } = ctx;
  if (failure.bug) {
    ui.error(`unexpected failure: ${failure.cause ?? failure.message}`);
    ui.info('This is a bug in adsync; please report it with the output above (check it holds no secrets).');
    return;
  }
  ui.error(failure.message);
  if (failure.hint) ui.info(`${ui.color.cyan('hint:')} ${failure.hint}`);
  if (failure.cause !== undefined) ui.debug(`cause: ${failure.cause}`);
  for (const warning of failure.warnings ?? []) ui.warn(warning);
}

/** The report's warnings with the failure's own added (a history line that was not written). */
function reportedWarnings(failure: Failure): { warnings?: unknown[] } {
  if (failure.warnings === undefined) return {};
  const earlier: unknown[] = Array.isArray(failure.report?.warnings) ? failure.report.warnings : [];
  return { warnings: [...earlier, ...failure.warnings.map((message) => ({ message }))] };
}

/**
 * The program as `bin/adsync.js` starts it: main on this process, then its exit code.
 * @param argv the process's argv
 */
export async function run(argv: readonly string[] = process.argv): Promise<void> {
  endProcess(await main(argv));
}
