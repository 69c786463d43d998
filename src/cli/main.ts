import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { check } from '../commands/check.js';
import { diff, history } from '../commands/history.js';
import type { ExportEvent } from '../commands/export.js';
import { init } from '../commands/init.js';
import { mockServer, type MockServerCommandOptions } from '../commands/mock-server.js';
import { push } from '../commands/push.js';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/normalize.js';
import { Redactor } from '../config/secrets.js';
import { writeAtomic } from '../state/store.js';
import { AdsyncError, ExitCode, type ExitCodeValue } from '../errors.js';
import { renderCheck, renderDiff, renderHistory, renderPush } from './render.js';
import { errorReport, pushReport, type RunReport } from './report.js';
import { Ui } from './ui.js';

/** Where the CLI reads and writes; the real process by default, replaceable in tests. */
export interface CliIo {
  /** Data stream. */
  stdout: NodeJS.WritableStream;
  /** Human stream. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Environment. */
  env: NodeJS.ProcessEnv;
  /** Working directory. */
  cwd: string;
}

interface GlobalOptions {
  config?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  report?: string;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** A password bind over a plain connection to a host other than this one. */
function cleartextBind(c: { url: string; tlsVersion: string | undefined; boundAs: string }): boolean {
  if (c.tlsVersion !== undefined || c.boundAs === 'anonymous') return false;
  const host = new URL(c.url).hostname;
  return !(host === 'localhost' || host === '[::1]' || host === '::1' || host.startsWith('127.'));
}

/** The password in a proxy URL, for redaction. */
function proxySecret(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

function describeEvent(event: ExportEvent): string {
  switch (event.type) {
    case 'connected': {
      const c = event.connection;
      return `connected to ${c.url}${c.tlsVersion ? ` (${c.tlsVersion})` : ' (no TLS)'} as ${c.boundAs}`;
    }
    case 'search':
      return `searching ${event.base} for location ${event.location || '(all)'} with ${event.filter}`;
    case 'entries':
      return `${event.total} entries read`;
    case 'reference':
      return `ignoring search reference ${event.uri}`;
  }
}

/**
 * Run the adsync command line. The only place that prints and decides the exit code.
 * @param argv full argv (node, script, args…)
 * @param io streams, environment and working directory
 * @returns the process exit code
 */
export async function main(argv: readonly string[], io?: Partial<CliIo>): Promise<number> {
  const env = io?.env ?? process.env;
  const cwd = io?.cwd ?? process.cwd();
  const stdout = io?.stdout ?? process.stdout;
  const stderr = io?.stderr ?? process.stderr;
  const redactor = new Redactor();
  let ui = new Ui({ stdout, stderr, env, quiet: false, verbose: false, redactor });
  let exitCode: ExitCodeValue = ExitCode.Ok;
  let jsonMode = false;
  let reportPath: string | undefined;
  let command = 'adsync';
  const startedAt = new Date();

  const setup = (cmd: Command): { opts: GlobalOptions } => {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    jsonMode = opts.json === true;
    reportPath = opts.report === undefined ? undefined : resolve(cwd, opts.report);
    command = cmd.name();
    ui = new Ui({
      stdout,
      stderr,
      env,
      quiet: opts.quiet === true,
      verbose: opts.verbose === true,
      redactor,
    });
    return { opts };
  };
  const load = async (opts: GlobalOptions): Promise<ResolvedConfig> => {
    const loaded = await loadConfig({ configPath: opts.config, cwd, env });
    redactor.add(...loaded.secrets);
    ui.debug(`config: ${loaded.config.filepath}`);
    return loaded.config;
  };
  const onEvent = (event: ExportEvent): void => {
    const text = describeEvent(event);
    if (event.type === 'connected' && cleartextBind(event.connection)) {
      ui.warn(
        `the bind password went to ${event.connection.url} without TLS: use ldaps:// or directory.startTLS: true`,
      );
    }
    if (event.type === 'search' || event.type === 'reference' || event.type === 'connected') ui.debug(text);
    ui.progress(text);
  };
  const emitReport = async (report: RunReport | Record<string, unknown>): Promise<void> => {
    const text = JSON.stringify(report, null, 2);
    if (jsonMode) ui.data(text);
    if (reportPath === undefined) return;
    try {
      await writeAtomic(reportPath, `${redactor.redact(text)}\n`);
    } catch (error) {
      // A report that cannot be written must not hide the run's own outcome.
      ui.warn(
        `could not write the report ${reportPath}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  const program = new Command('adsync')
    .description('Sync people from Active Directory or LDAP to a visitor-management address book, safely.')
    .version(version(), '--version', 'print the version')
    .option(
      '-c, --config <file>',
      'config file (default: adsync.yaml, adsync.yml, .adsyncrc.yaml or adsync.config.yaml here)',
    )
    .option('--json', 'print a machine-readable JSON report on stdout')
    .option('--report <file>', 'also write the JSON run report to this file (for monitoring)')
    .addOption(new Option('-v, --verbose', 'show details (searches, filters, references)').conflicts('quiet'))
    .option('-q, --quiet', 'only print errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => {
        ui.raw(text);
      },
    })
    .addHelpText(
      'after',
      `
Examples:
  adsync init --kind ad --profile receptionist   write a starter adsync.yaml
  adsync check                                   test the config against the directory
  adsync push --dry-run                          build the CSV and the rejects file, upload nothing
  adsync push --dry-run --json > report.json     the same, with a JSON report for monitoring

Exit codes: 0 success, 1 runtime failure, 2 configuration or usage error,
            3 a safety guard stopped the run, 4 another run holds the lock.`,
    );

  program
    .command('push')
    .description('read the directory, write the vendor CSV (and upload it)')
    .option('-n, --dry-run', 'stop before the upload; the CSV is written for inspection')
    .option('-o, --output <file>', 'write the CSV here instead of a timestamped file in output.dir')
    .option('--insecure-http', 'allow an http:// upload URL on loopback (local experiments only)')
    .option(
      '--allow-archive <n>',
      'approve up to N archives for this run (the safety guards otherwise stop it)',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
        return n;
      },
    )
    .option('--force', 'send the export whatever the safety guards say (including an empty one)')
    .addHelpText('after', '\nExample:\n  adsync push --dry-run --config /etc/adsync/adsync.yaml')
    .action(
      async (
        options: {
          dryRun?: boolean;
          output?: string;
          insecureHttp?: boolean;
          allowArchive?: number;
          force?: boolean;
        },
        cmd: Command,
      ) => {
        const { opts } = setup(cmd);
        const config = await load(opts);
        const proxyPassword = proxySecret(config.target.proxy ?? env.HTTPS_PROXY ?? env.https_proxy);
        if (proxyPassword) redactor.add(proxyPassword);
        if (options.insecureHttp === true)
          ui.warn(
            '--insecure-http: an http:// upload URL on loopback is allowed; never use this with a real vendor',
          );
        const result = await push(config, {
          dryRun: options.dryRun === true,
          output: options.output === undefined ? undefined : resolve(cwd, options.output),
          now: startedAt,
          onEvent,
          insecureHttp: options.insecureHttp === true,
          allowArchive: options.allowArchive,
          redact: (text) => redactor.redact(text),
          force: options.force === true,
          env,
          onToken: (token) => {
            redactor.add(token);
          },
          onUploadEvent: (event) => {
            if (event.type === 'retry')
              ui.warn(
                `upload attempt ${event.attempt} failed (${event.reason}); retrying in ${(event.waitMs / 1000).toFixed(1)} s`,
              );
            else
              ui.progress(
                event.type === 'token' ? `getting a token from ${event.url}` : `uploading to ${event.url}`,
              );
          },
        });
        ui.stopSpinner();
        renderPush(ui, result, opts.verbose === true);
        if (!jsonMode) ui.data(result.csvPath);
        await emitReport(pushReport(result, startedAt));
      },
    );

  program
    .command('check')
    .description('validate the config, reach each directory server, bind, and preview each location')
    .action(async (_options: unknown, cmd: Command) => {
      const { opts } = setup(cmd);
      const config = await load(opts);
      const result = await check(config, { previewRows: 5, onEvent });
      ui.stopSpinner();
      renderCheck(ui, result);
      const failed = result.urls.some((u) => !u.ok);
      exitCode = failed ? ExitCode.Runtime : ExitCode.Ok;
      await emitReport({ command: 'check', status: failed ? 'error' : 'ok', exitCode, ...result });
    });

  program
    .command('history')
    .description('list recent runs (from runs.jsonl in the state directory)')
    .option('--limit <n>', 'how many runs', (v) => Number(v), 20)
    .action(async (options: { limit: number }, cmd: Command) => {
      const { opts } = setup(cmd);
      const config = await load(opts);
      const runs = await history(config, options.limit);
      if (jsonMode) ui.data(JSON.stringify(runs, null, 2));
      else renderHistory(ui, runs);
    });

  program
    .command('diff')
    .description("show what changed between two runs' CSVs (default: the last two)")
    .argument('[older]', 'older CSV')
    .argument('[newer]', 'newer CSV')
    .action(async (older: string | undefined, newer: string | undefined, _options: unknown, cmd: Command) => {
      const { opts } = setup(cmd);
      const config = await load(opts);
      const result = await diff(
        config,
        older === undefined ? undefined : resolve(cwd, older),
        newer === undefined ? undefined : resolve(cwd, newer),
      );
      if (jsonMode) ui.data(JSON.stringify(result, null, 2));
      else renderDiff(ui, result);
    });

  program
    .command('mock-server')
    .description(
      'run the bundled mock vendor (HTTPS, OAuth2 client credentials, Receptionist and iLobby imports)',
    )
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 = pick a free one)', (v) => Number(v), 0)
    .option('--cert <file>', 'PEM certificate (default: a self-signed one made at start)')
    .option('--key <file>', 'PEM private key for --cert')
    .option('--ca-out <file>', 'write the server certificate here, for target.caFile')
    .option(
      '--client <id:secret>',
      'an API client (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--clients <file>', 'a file with one id:secret per line')
    .option('--sites <names>', 'comma-separated iLobby site names it accepts')
    .option('--token-lifetime <seconds>', 'token lifetime', (v) => Number(v), 3600)
    .option('--state <file>', 'keep contacts and uploads in this JSON file')
    .option('--reset', 'start with no contacts even if --state exists', false)
    .option('--fail <n:status>', 'fail the next N uploads with STATUS (500, 503, 429…)')
    .option('--retry-after <seconds>', 'Retry-After for injected failures', (v) => Number(v))
    .option('--drop <n>', 'drop the connection in the middle of the next N uploads', (v) => Number(v), 0)
    .option('--delay <ms>', 'delay every response', (v) => Number(v), 0)
    .addHelpText(
      'after',
      '\nExample:\n  adsync mock-server --port 8443 --client adsync:demo-secret-123 --ca-out mock-ca.pem --state mock.json',
    )
    .action(async (options: MockServerCommandOptions, cmd: Command) => {
      setup(cmd);
      const started = await mockServer(options, cwd);
      redactor.add(...started.clients.map((c) => c.secret));
      const { server, caFile } = started;
      if (jsonMode) ui.data(JSON.stringify({ url: server.url, caFile }));
      else ui.data(server.url);
      ui.info(`mock vendor listening on ${server.url} (TLS 1.2+; certificate in ${caFile})`);
      ui.info(`  token:  ${server.url}/oauth/token  (also /auth/connect/token)`);
      ui.info(
        `  upload: ${server.url}/contacts/import (Receptionist), ${server.url}/addressbook/uploadcsv (iLobby)`,
      );
      ui.info(`  look:   GET ${server.url}/contacts and /uploads with a bearer token`);
      ui.info(`  clients: ${started.clients.map((c) => c.id).join(', ')}. Stop with Ctrl-C.`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.stop();
      ui.info('mock vendor stopped');
    });

  program
    .command('init')
    .description('write a commented starter config (never overwrites)')
    .addOption(new Option('--kind <kind>', 'directory kind').choices(['ad', 'ldap']).default('ad'))
    .addOption(
      new Option('--profile <profile>', 'vendor profile')
        .choices(['receptionist', 'ilobby', 'custom'])
        .default('receptionist'),
    )
    .option('--file <path>', 'where to write it', 'adsync.yaml')
    .action(
      async (
        options: { kind: 'ad' | 'ldap'; profile: 'receptionist' | 'ilobby' | 'custom'; file: string },
        cmd: Command,
      ) => {
        setup(cmd);
        const written = await init({ kind: options.kind, profile: options.profile, path: options.file, cwd });
        ui.info(`wrote ${written.path}; edit it, then run \`adsync check\``);
        if (jsonMode)
          ui.data(JSON.stringify({ command: 'init', status: 'ok', exitCode: 0, path: written.path }));
        else ui.data(written.path);
      },
    );

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    ui.stopSpinner();
    if (error instanceof CommanderError) {
      // Commander's own verdict: 0 for --help/--version, non-zero for a usage problem (including a
      // missing subcommand, for which it prints the help).
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Config;
    }
    if (error instanceof AdsyncError) {
      exitCode = error.exitCode;
      ui.error(error.message);
      if (error.hint) ui.info(`${ui.color.cyan('hint:')} ${error.hint}`);
      const cause = error.cause;
      if (cause instanceof Error) ui.debug(`cause: ${cause.stack ?? cause.message}`);
      else if (typeof cause === 'string') ui.debug(`cause: ${cause}`);
      await emitReport(errorReport(command, error, startedAt));
      return exitCode;
    }
    // A bug, not a user error: say so, with the stack, and fail.
    exitCode = ExitCode.Runtime;
    ui.error(
      `unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    ui.info('This is a bug in adsync; please report it with the output above (check it holds no secrets).');
    await emitReport(errorReport(command, error, startedAt));
    return exitCode;
  }
  return exitCode;
}
