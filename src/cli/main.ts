import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import type { ExportEvent } from '../pipeline/export.js';
import type { MockServerCommandOptions } from '../commands/mock-server/run.js';
import type { DemoSetup } from '../commands/demo/run.js';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { Redactor } from '../config/secrets.js';
import { writeAtomic } from '../io/atomic-file.js';
import { AdsyncError, ExitCode, RunStoppedError, type ExitCodeValue } from '../errors.js';
import { JsonLog, redactValues, type LogLevel } from '../log/json-log.js';
import { noticeKind, runNotice } from '../notify/notice.js';
import type { SchedulePlatform } from '../schedule/platforms.js';
import { newRunId } from '../schedule/runner.js';
import { isLoopbackHost } from '../util/loopback.js';
import { selfCommand } from '../util/self-command.js';
import { untilStopped } from '../util/until-stopped.js';
import { describeSchedulerEvent, renderScheduleInstall } from '../commands/schedule/render.js';
import { readBundledText } from '../runtime/assets.js';
import { renderCheck, renderDiff, renderHistory, renderPush } from './render.js';
import { demoReport, renderDemoEnd, renderDemoSetup, renderDemoStep } from '../commands/demo/render.js';
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
  timeout?: number;
  logFile?: string;
}

/**
 * Parse a duration such as 30m, 90s, 2h or a bare number of minutes.
 * @param text the option value
 */
function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError('expected a duration such as 30m, 90s or 2h');
  const value = Number(match[1]);
  const unit = match[2] ?? 'm';
  const ms = value * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  if (ms <= 0) throw new InvalidArgumentError('the time limit must be more than zero');
  // Timers cannot wait longer than 2^31-1 ms (24.8 days); a longer limit would fire at once.
  if (ms > 2_147_483_647) throw new InvalidArgumentError('the time limit must be under 24 days');
  return ms;
}

/** 90000 → "1.5 min". */
function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 6000) / 10} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}

function version(): string {
  // Through the asset helper: the single executable has no package.json beside its code.
  const pkg = JSON.parse(readBundledText('package.json')) as {
    version: string;
  };
  return pkg.version;
}

/** A password bind over a plain connection to a host other than this one. */
function cleartextBind(c: { url: string; tlsVersion: string | undefined; boundAs: string }): boolean {
  // An LDIF file (ldif:///…) has no connection and no password.
  if (c.tlsVersion !== undefined || c.boundAs === 'anonymous' || !/^ldaps?:/i.test(c.url)) return false;
  return !isLoopbackHost(new URL(c.url).hostname);
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
      if (c.url.startsWith('ldif:')) return `reading ${c.url}`;
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
  // `adsync … | head`: a reader that went away is not an error of ours; stop quietly.
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') ui.warn(`cannot write to standard output: ${error.message}`);
  });
  let jsonMode = false;
  let reportPath: string | undefined;
  let command = 'adsync';
  const startedAt = new Date();
  // A scheduled run gets its id from `adsync schedule run`, so their log lines correlate.
  const runId = env.ADSYNC_RUN_ID ?? newRunId();
  // `adsync schedule run` asks its runs to stop over the IPC channel (see the runner). Listen
  // from the start so an early request is not lost; the channel must not keep the run alive.
  const stopRequest: { reason?: string; listener?: ((reason: string) => void) | undefined } = {};
  if (env.ADSYNC_RUN_ID !== undefined && process.send !== undefined) {
    process.channel?.unref();
    process.on('message', (message: unknown) => {
      if ((message as { adsync?: unknown } | null)?.adsync !== 'stop') return;
      stopRequest.reason = 'the scheduler, which is shutting down';
      stopRequest.listener?.(stopRequest.reason);
    });
  }
  let log: JsonLog | undefined;
  let loaded: ResolvedConfig | undefined;
  let lastReport: RunReport | Record<string, unknown> | undefined;
  const pending: { level: LogLevel; message: string; fields: Record<string, unknown> }[] = [];
  let stopRun: (() => void) | undefined;
  const logLine = (level: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
    if (!log) {
      // Lines before the config says where the log is: kept and written once it is open.
      if (pending.length < 500) pending.push({ level, message, fields });
      return;
    }
    const problem = log.write(level, message, fields);
    if (problem) ui.warn(problem);
  };
  const openLog = (file: string, settings: ResolvedConfig['logging']): void => {
    if (log) {
      // Opened from --log-file before the config was read: the config's rotation still applies.
      if (settings) log.configure(settings);
      return;
    }
    log = new JsonLog({
      file,
      maxBytes: settings?.maxBytes ?? 10 * 1024 * 1024,
      keep: settings?.keep ?? 5,
      level: settings?.level ?? 'info',
      runId,
      redact: (text) => redactor.redact(text),
    });
    for (const line of pending.splice(0)) logLine(line.level, line.message, line.fields);
  };
  const onLine = (level: LogLevel, text: string): void => {
    logLine(level, stripVTControlCharacters(text));
  };
  ui = new Ui({ stdout, stderr, env, quiet: false, verbose: false, redactor, onLine });

  const setup = (cmd: Command): { opts: GlobalOptions } => {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    jsonMode = opts.json === true;
    reportPath = opts.report === undefined ? undefined : resolve(cwd, opts.report);
    // Subcommands are named with their parent: "schedule run".
    command = cmd.parent && cmd.parent.parent ? `${cmd.parent.name()} ${cmd.name()}` : cmd.name();
    ui = new Ui({
      stdout,
      stderr,
      env,
      quiet: opts.quiet === true,
      verbose: opts.verbose === true,
      redactor,
      onLine,
    });
    if (opts.logFile !== undefined) openLog(resolve(cwd, opts.logFile), undefined);
    logLine('info', `adsync ${command} started`, {
      event: 'start',
      command,
      version: version(),
      pid: process.pid,
      host: hostname(),
    });
    return { opts };
  };
  const load = async (opts: GlobalOptions): Promise<ResolvedConfig> => {
    const result = await loadConfig({ configPath: opts.config, cwd, env });
    redactor.add(...result.secrets);
    const { directory, target, notify } = result.config;
    // Secrets written literally in the config (not through ${env:}/${file:}) are secrets too.
    for (const value of [directory.bindPassword, target.clientSecret, target.apiKey, notify?.webhook])
      if (value) redactor.add(value);
    if (result.config.logging) {
      openLog(
        opts.logFile !== undefined ? resolve(cwd, opts.logFile) : result.config.logging.file,
        result.config.logging,
      );
    }
    ui.debug(`config: ${result.config.filepath}`);
    loaded = result.config;
    return result.config;
  };
  /**
   * The limits of one run: its time limit and SIGINT/SIGTERM, both ending it safely through the
   * returned signal (a second signal quits at once).
   */
  const limitRun = (config: ResolvedConfig, opts: GlobalOptions): AbortSignal => {
    const controller = new AbortController();
    const ms = opts.timeout ?? config.runTimeoutMs;
    const timer = setTimeout(() => {
      controller.abort(
        new RunStoppedError(
          'RUN_TIMEOUT',
          `the run was stopped after ${formatDuration(ms)}, its time limit (--timeout, or schedule.timeoutMinutes)`,
          {
            hint: 'The baseline was not moved. If the upload had started, the vendor may have imported the file; the next push compares against the last accepted one. Run with --verbose to see the slow step; raise the limit if the directory is simply large.',
          },
        ),
      );
    }, ms);
    const stop = (by: string): void => {
      if (controller.signal.aborted) return;
      ui.warn(`stopping the run safely, as asked by ${by}`);
      controller.abort(
        new RunStoppedError('RUN_INTERRUPTED', `the run was stopped by ${by}`, {
          hint: 'The baseline was not moved, so nothing is lost: the next push compares against the last accepted one.',
        }),
      );
    };
    // The same stop often arrives twice (Ctrl-C reaches the whole process group, systemd signals
    // every process of the unit): only a second Ctrl-C by a person quits at once.
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signal === 'SIGINT' && controller.signal.aborted) process.exit(130);
      stop(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    stopRequest.listener = stop;
    if (stopRequest.reason !== undefined) stop(stopRequest.reason);
    stopRun = (): void => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      stopRequest.listener = undefined;
    };
    return controller.signal;
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
  const emitReport = async (withoutId: RunReport | Record<string, unknown>): Promise<void> => {
    const report = { runId, ...withoutId };
    lastReport = report;
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
    .option(
      '--timeout <duration>',
      'stop a run that takes longer than this (30m, 90s, 2h; default schedule.timeoutMinutes or 30m)',
      parseDuration,
    )
    .option('--log-file <file>', 'append JSON-lines events to this file (default logging.file)')
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
        const { push } = await import('../pipeline/push.js');
        const result = await push(config, {
          signal: limitRun(config, opts),
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
      const signal = limitRun(config, opts);
      const { check } = await import('../commands/check/run.js');
      const result = await untilStopped(check(config, { previewRows: 5, onEvent }), signal);
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
      const { history } = await import('../commands/history/run.js');
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
      const { diff } = await import('../commands/history/run.js');
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
      const { mockServer } = await import('../commands/mock-server/run.js');
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

  const schedule = program
    .command('schedule')
    .description('run the push on schedule.cron, or set up Task Scheduler, cron or systemd to do it');
  schedule
    .command('run')
    .description('stay running and push on schedule.cron (one run at a time; Ctrl-C or SIGTERM stops)')
    .option('--now', 'also run once right away')
    .addHelpText(
      'after',
      '\nEach run is a separate `adsync push` with the same config (re-read every time) and logging.\nThe status (last run, outcome, next run) is kept in schedule.statusFile.',
    )
    .action(async (options: { now?: boolean }, cmd: Command) => {
      const { opts } = setup(cmd);
      const config = await load(opts);
      const controller = new AbortController();
      const onSignal = (signal: NodeJS.Signals): void => {
        if (controller.signal.aborted) {
          if (signal === 'SIGINT') process.exit(130);
          return;
        }
        ui.info(`${signal}: stopping the scheduler (a run in progress is asked to stop safely first)`);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const pendingNotices: Promise<void>[] = [];
      const extraArgs = [
        ...(opts.logFile !== undefined ? ['--log-file', resolve(cwd, opts.logFile)] : []),
        ...(opts.timeout !== undefined ? ['--timeout', `${opts.timeout}ms`] : []),
        ...(opts.verbose === true ? ['--verbose'] : []),
      ];
      try {
        const { scheduleRun } = await import('../commands/schedule/run.js');
        const runs = await scheduleRun(config, {
          command: selfCommand(argv),
          env,
          extraArgs,
          runNow: options.now === true,
          timeoutMs: opts.timeout,
          signal: controller.signal,
          onEvent: (event) => {
            const line = describeSchedulerEvent(event);
            if (!line) return;
            if (event.type === 'output') {
              // The run logs its own lines (same log file, its own run id): shown, not logged twice.
              if (opts.quiet !== true) ui.raw(`${line.text}\n`);
            } else if (event.type === 'run-end') {
              logLine(event.run.outcome === 'ok' ? 'info' : 'error', line.text, {
                event: 'scheduled-run',
                run: event.run,
              });
              // A run that was killed (or never started) could not send its own notification.
              if (event.run.outcome === 'killed' || event.run.outcome === 'unstarted') {
                const run = event.run;
                pendingNotices.push(
                  notifyRun(config, {
                    runId: run.runId,
                    command: 'push',
                    exitCode: run.exitCode,
                    startedAt: new Date(run.startedAt),
                    config: config.filepath,
                    error: {
                      code: run.outcome === 'killed' ? 'RUN_KILLED' : 'RUN_NOT_STARTED',
                      message: run.message ?? '',
                    },
                  }),
                );
              }
              if (event.run.outcome === 'ok') ui.info(line.text);
              else ui.raw(`${ui.color.red('error:')} ${line.text}\n`);
            } else if (line.level === 'warn') ui.warn(line.text);
            else if (line.level === 'debug') ui.debug(line.text);
            else ui.info(line.text);
          },
        });
        await Promise.all(pendingNotices);
        const failed = runs.filter((r) => r.outcome !== 'ok').length;
        ui.info(`scheduler stopped after ${runs.length} run(s), ${failed} failed`);
        await emitReport({ command: 'schedule run', status: 'ok', exitCode: 0, runs });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  schedule
    .command('install')
    .description('set up Task Scheduler (windows), cron or systemd to run `adsync push` on schedule.cron')
    .addOption(
      new Option('--platform <platform>', 'which scheduler')
        .choices(['windows', 'cron', 'systemd'])
        .makeOptionMandatory(),
    )
    .option('--print', 'only print what would be installed')
    .option('--name <name>', 'task / unit name', 'adsync')
    .option('--user <account>', 'windows: the account the task runs as (default: yours)')
    .option(
      '--command <path>',
      'the adsync program on the target machine (default: this one); a path ending in .js runs under this node',
    )
    .addHelpText(
      'after',
      `
Examples:
  adsync schedule install --platform systemd --config /etc/adsync/adsync.yaml
  adsync schedule install --platform cron --print
  adsync schedule install --platform windows --print --command "C:\\adsync\\adsync.exe" > adsync-task.xml`,
    )
    .action(
      async (
        options: {
          platform: SchedulePlatform;
          print?: boolean;
          name: string;
          user?: string;
          command?: string;
        },
        cmd: Command,
      ) => {
        const { opts } = setup(cmd);
        const config = await load(opts);
        const self = selfCommand(argv);
        const command =
          options.command === undefined
            ? self
            : options.command.endsWith('.js')
              ? { program: self.program, programArgs: [resolve(cwd, options.command)] }
              : { program: options.command, programArgs: [] };
        const { scheduleInstall } = await import('../commands/schedule/run.js');
        const result = scheduleInstall(config, {
          platform: options.platform,
          print: options.print === true,
          name: options.name,
          command,
          user: options.user,
          env,
          os: process.platform,
        });
        renderScheduleInstall(ui, result, jsonMode);
        if (jsonMode) await emitReport({ command: 'schedule install', status: 'ok', exitCode, ...result });
      },
    );

  program
    .command('demo')
    .description(
      'try adsync on a sample company: check, dry run, push, a directory change, push (no server, no network)',
    )
    .option('--dir <dir>', 'where the demo writes its config, LDIF copy, CSVs and state', 'adsync-demo')
    .addHelpText(
      'after',
      '\nThe vendor is the bundled mock server, started in this process on 127.0.0.1 and stopped at the end.\nRe-running the demo in its own directory replaces its files; any other non-empty directory is refused.',
    )
    .action(async (options: { dir: string }, cmd: Command) => {
      const { opts } = setup(cmd);
      let ready: DemoSetup | undefined;
      const { demo } = await import('../commands/demo/run.js');
      const result = await demo({
        dir: resolve(cwd, options.dir),
        onSetup: (s) => {
          ready = s;
          renderDemoSetup(ui, s, cwd);
        },
        onStep: (step, index) => {
          ui.stopSpinner();
          if (ready) renderDemoStep(ui, step, index, ready, { cwd, verbose: opts.verbose === true });
        },
        onEvent,
        onUploadEvent: (event) => {
          if (event.type === 'retry')
            ui.warn(`upload attempt ${event.attempt} failed (${event.reason}); retrying`);
          else
            ui.progress(
              event.type === 'token' ? `getting a token from ${event.url}` : `uploading to ${event.url}`,
            );
        },
        onSecret: (secret) => {
          redactor.add(secret);
        },
        redact: (text) => redactor.redact(text),
      });
      ui.stopSpinner();
      renderDemoEnd(ui, result, cwd);
      if (!jsonMode) ui.data(result.dir);
      await emitReport(demoReport(result, startedAt));
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
        const { init } = await import('../commands/init/run.js');
        const written = await init({ kind: options.kind, profile: options.profile, path: options.file, cwd });
        ui.info(`wrote ${written.path}; edit it, then run \`adsync check\``);
        if (jsonMode)
          ui.data(JSON.stringify({ command: 'init', status: 'ok', exitCode: 0, path: written.path }));
        else ui.data(written.path);
      },
    );

  let failure: { code: string; message: string } | undefined;
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
      failure = { code: error.code, message: error.message };
      ui.error(error.message);
      if (error.hint) ui.info(`${ui.color.cyan('hint:')} ${error.hint}`);
      const cause = error.cause;
      if (cause instanceof Error) ui.debug(`cause: ${cause.stack ?? cause.message}`);
      else if (typeof cause === 'string') ui.debug(`cause: ${cause}`);
    } else {
      // A bug, not a user error: say so, with the stack, and fail.
      exitCode = ExitCode.Runtime;
      failure = { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
      ui.error(
        `unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      ui.info('This is a bug in adsync; please report it with the output above (check it holds no secrets).');
    }
    await emitReport(errorReport(command, error, startedAt));
  } finally {
    stopRun?.();
  }
  await finish(exitCode, failure);
  return exitCode;

  /**
   * The end of every run: one log line with the outcome and, for a push that failed or was
   * stopped by a guard, the webhook. Neither can change the exit code.
   */
  async function finish(code: number, error: { code: string; message: string } | undefined): Promise<void> {
    const report = lastReport as Partial<RunReport> | undefined;
    logLine(
      code === 0 ? 'info' : 'error',
      `adsync ${command} finished: exit ${code}${error ? ` (${error.code})` : ''}`,
      {
        event: 'finish',
        command,
        exitCode: code,
        durationMs: Date.now() - startedAt.getTime(),
        ...(error ? { error } : {}),
        ...(report?.rows !== undefined ? { rows: report.rows, rejected: report.rejected } : {}),
        ...(report?.plan ? { plan: report.plan } : {}),
        ...(report?.csvPath ? { csvPath: report.csvPath } : {}),
      },
    );
    if (command !== 'push' || !loaded) return;
    const plan = report?.plan;
    await notifyRun(loaded, {
      runId,
      command,
      exitCode: code,
      startedAt,
      config: loaded.filepath,
      error,
      summary: plan
        ? `${report.rows ?? 0} rows; +${plan.create} ~${plan.update} -${plan.archive} =${plan.unchanged}`
        : undefined,
    });
  }

  /**
   * Send the webhook for a run, when the config asks for this outcome. A failure to notify is
   * warned about and logged, and changes nothing else.
   */
  async function notifyRun(config: ResolvedConfig, run: Parameters<typeof runNotice>[0]): Promise<void> {
    const notify = config.notify;
    if (!notify || !notify.on.includes(noticeKind(run.exitCode))) return;
    const notice = redactValues(runNotice(run, hostname()), (text) => redactor.redact(text));
    let problem: string | undefined;
    try {
      // Loaded only when there is something to send: most runs never need an HTTP client here.
      const { sendWebhook } = await import('../notify/webhook.js');
      const { transportFor } = await import('../upload/settings.js');
      problem = await sendWebhook(
        notify.webhook,
        notice,
        transportFor(config, { env, caFile: notify.caFile, timeoutMs: 10_000 }),
      );
    } catch (e) {
      problem = e instanceof Error ? e.message : String(e);
    }
    if (problem) {
      ui.warn(`could not send the failure notification: ${problem}`);
      logLine('warn', 'notification failed', { event: 'notify', ok: false, runId: run.runId });
    } else
      logLine('info', `notification sent (${notice.adsync.outcome})`, {
        event: 'notify',
        ok: true,
        runId: run.runId,
      });
  }
}
