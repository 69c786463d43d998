import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

import type {
  CommandContext,
  GlobalOptions,
  ReportBody,
  ReportOptions,
  RunEnding,
} from '../commands/context.js';
import { exportEventLines, uploadEventLines } from '../commands/events.js';
import type { Line, Style } from '../commands/output.js';
import { notALog } from '../config/own-files.js';
import type { ResolvedConfig } from '../config/types.js';
import { Redactor, redactValues } from '../config/secrets.js';
import { RunStoppedError, UsageError, describeError, type ExitCodeValue } from '../errors.js';
import { notReplaceable, writeFileAtomic } from '../io/atomic-file.js';
import type { LogLevel } from '../log/json-log.js';
import { RunLog } from '../log/run-log.js';
import type { RunNoticeInput } from '../notify/notice.js';
import type { NotifyConfig } from '../notify/notify-run.js';
import type { LoadConfigOptions, RunTrace } from '../config/load.js';
import type { ExportEvent } from '../pipeline/export.js';
import { newRunId } from '../schedule/run-id.js';
import type { UploadEvent } from '../upload/client.js';
import type { Failure } from './exit.js';
import { ownOutput } from './own-outputs.js';
import { createLifecycle, formatDuration, type Lifecycle } from './lifecycle.js';
import { cleartextBindWarning, registerSecrets } from './policy.js';
import { Ui } from './ui.js';
import { safeLine } from '../util/quote-value.js';

/** Where the CLI reads and writes; the real process by default, replaceable in tests. */
export interface CliIo {
  /** Data stream. */
  stdout: NodeJS.WritableStream;
  /** Human stream. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  /** Environment. */
  env: NodeJS.ProcessEnv;
  /** Working directory. */
  cwd: string;
}

/**
 * Commands that never read a config: their --log-file opens at once. Every other command opens
 * it once the config is known, so it can be checked against adsync's own files first.
 */
const WITHOUT_CONFIG = new Set(['demo', 'init', 'mock-server']);

/**
 * One invocation of the CLI: its streams, terminal, redactor, log, run id, limits and report.
 * Every command gets this as its {@link CommandContext}.
 */
export class CliContext implements CommandContext {
  /** @inheritdoc */
  public readonly startedAt = new Date();
  /** @inheritdoc */
  public readonly runId: string;
  /** @inheritdoc */
  public readonly cwd: string;
  /** @inheritdoc */
  public readonly env: NodeJS.ProcessEnv;
  /** @inheritdoc */
  public options: GlobalOptions = {};
  /** The command's name ("push", "schedule run"). */
  public command = 'adsync';
  /** The exit code of a command that completed. */
  public exitCode: ExitCodeValue = 0;
  /** The terminal. */
  public ui: Ui;
  private readonly redactor = new Redactor();
  private readonly lifecycle: Lifecycle;
  private readonly runLog = new RunLog();
  private loaded: ResolvedConfig | undefined;
  /** --log-file, resolved; opened only after it was checked. */
  private logOption: string | undefined;
  private reportRefused = false;
  private lastReport: Record<string, unknown> | undefined;
  /** How the command's run ends (see {@link RunEnding}); none: no webhook. */
  private ending: RunEnding | undefined;
  /** The config could not be loaded: the run's end leaves its trace from what can be read. */
  private loadFailed = false;

  /**
   * @param argv the full argv
   * @param io streams, environment and working directory
   */
  public constructor(
    public readonly argv: readonly string[],
    private readonly io: CliIo,
  ) {
    this.cwd = io.cwd;
    this.env = io.env;
    // A scheduled run gets its id from `adsync schedule run`, so their log lines correlate.
    this.runId = io.env.ADSYNC_RUN_ID ?? newRunId();
    this.lifecycle = createLifecycle(io.env);
    this.ui = this.makeUi(false, false);
    // `adsync … | head`, `adsync … 2>&1 | head`: a reader that went away is not an error of
    // ours. The command goes on and ends with its own exit code; what it still writes to that
    // stream is dropped.
    io.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') this.ui.warn(`cannot write to standard output: ${error.message}`);
    });
    io.stderr.on('error', () => {
      // Nowhere left to say it: the log file (if any) still gets every line.
    });
  }

  private makeUi(quiet: boolean, verbose: boolean): Ui {
    return new Ui({
      stdout: this.io.stdout,
      stderr: this.io.stderr,
      env: this.io.env,
      quiet,
      verbose,
      redactor: this.redactor,
      onLine: (level, text, shown) => {
        this.writeLog(level, stripVTControlCharacters(text), {}, shown === 'directory');
      },
    });
  }

  /** @inheritdoc */
  public get json(): boolean {
    return this.options.json === true;
  }

  /** @inheritdoc */
  public get width(): number | undefined {
    const columns = this.io.stderr.isTTY === true ? (this.io.stderr.columns ?? 0) : undefined;
    // `ssh -t`, `docker exec -t` from a non-terminal: a terminal that reports 0 columns.
    return columns === undefined || columns > 0 ? columns : 80;
  }

  /** @inheritdoc */
  public get style(): Style {
    return this.ui.color;
  }

  /**
   * The command is known: take its global options, name it, start the log.
   * @param command the command commander chose, by name ("schedule run" for a subcommand)
   * @param options the global options, as parsed
   * @param version adsync's version, for the start line
   */
  public async begin(command: string, options: GlobalOptions, version: string): Promise<void> {
    this.options = options;
    this.command = command;
    this.ui = this.makeUi(this.options.quiet === true, this.options.verbose === true);
    await this.ui.prepare();
    if (this.options.logFile !== undefined) {
      this.logOption = resolve(this.cwd, this.options.logFile);
      if (WITHOUT_CONFIG.has(this.command)) await this.openLogOption();
    }
    if (this.options.report !== undefined) {
      const reason = await notReplaceable(resolve(this.cwd, this.options.report));
      if (reason !== undefined) {
        this.reportRefused = true;
        throw new UsageError(`--report: ${reason}`, {
          hint: 'Name a new file for --report (or an existing report to replace).',
        });
      }
    }
    this.log('info', `adsync ${this.command} started`, {
      event: 'start',
      command: this.command,
      version,
      pid: process.pid,
      host: hostname(),
    });
  }

  /** @inheritdoc */
  public show(lines: readonly Line[]): void {
    this.ui.print(lines);
  }

  /** @inheritdoc */
  public stopProgress(): void {
    this.ui.stopSpinner();
  }

  /** @inheritdoc */
  public log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    this.writeLog(level, message, fields, false);
  }

  /** A log line; `directory`: its message shows directory values, not redacted (see Line). */
  private writeLog(
    level: LogLevel,
    message: string,
    fields: Record<string, unknown>,
    directory: boolean,
  ): void {
    const problem = this.runLog.write(level, message, fields, directory);
    if (problem) this.ui.warn(problem);
  }

  /** Open --log-file, unless it holds something other than a log. */
  private async openLogOption(settings?: ResolvedConfig['logging']): Promise<void> {
    const file = this.logOption;
    if (file === undefined || this.runLog.settled) return;
    const reason = await notALog(file);
    if (reason !== undefined) this.refuse('--log-file', reason);
    this.openLog(file, settings);
  }

  /**
   * Refuse an output option before anything was written to its file: exit 2, and neither the
   * log nor the report is written there.
   */
  private refuse(flag: '--log-file' | '--report', reason: string): never {
    if (flag === '--report') this.reportRefused = true;
    else this.runLog.close();
    throw new UsageError(`${flag}: ${reason}`, {
      hint: `Name a file adsync neither reads nor keeps for ${flag} (a new file, or an earlier ${flag === '--report' ? 'report' : 'log'}).`,
      details: { option: flag },
    });
  }

  private openLog(file: string, settings: ResolvedConfig['logging']): void {
    const problems = this.runLog.openOrWarn({
      file,
      maxBytes: settings?.maxBytes ?? 10 * 1024 * 1024,
      keep: settings?.keep ?? 5,
      level: settings?.level ?? 'info',
      runId: this.runId,
      redact: (text) => this.redactor.redact(text),
    });
    for (const problem of problems) this.ui.warn(problem);
  }

  /** Where the config is looked for. */
  private get where(): LoadConfigOptions {
    return { configPath: this.options.config, cwd: this.cwd, env: this.env };
  }

  /** @inheritdoc */
  public async loadConfig(options: { localOnly?: boolean } = {}): Promise<ResolvedConfig> {
    const { loadConfig } = await import('../config/load.js');
    this.loadFailed = true;
    const result = await loadConfig({ ...this.where, ...options });
    this.loadFailed = false;
    for (const warning of result.warnings) this.ui.warn(warning);
    registerSecrets(this.redactor, result.config, result.secrets, this.env);
    const own = await ownOutput(result.config, {
      cwd: this.cwd,
      report: this.options.report,
      logFile: this.logOption,
    });
    if (own) this.refuse(own.flag, own.reason);
    const logging = result.config.logging;
    const logFile = this.logOption ?? logging?.file;
    if (logFile !== undefined) {
      const { ensureStateDirFor } = await import('../state/paths.js');
      const warning = await ensureStateDirFor(logFile, result.config.stateDir);
      if (warning !== undefined) this.ui.warn(warning);
    }
    if (this.logOption !== undefined) await this.openLogOption(logging);
    else if (logging) this.openLog(logging.file, logging);
    this.ui.debug(`config: ${result.config.filepath}`);
    this.loaded = result.config;
    return result.config;
  }

  /** @inheritdoc */
  public limitRun(timeoutMs: number | undefined): AbortSignal {
    const ms = this.options.timeout ?? timeoutMs;
    if (ms !== undefined) this.ui.debug(`time limit: ${formatDuration(ms)}`);
    return this.lifecycle.limit({
      timeoutMs: ms,
      onTimeout: () =>
        new RunStoppedError(
          'RUN_TIMEOUT',
          `the run was stopped after ${formatDuration(ms ?? 0)}, its time limit (--timeout, or schedule.timeoutMinutes)`,
          {
            hint: 'The baseline was not moved. If the upload had started, the vendor may have imported the file; the next push compares against the last accepted one. Run with --verbose to see the slow step; raise the limit if the directory is simply large.',
          },
        ),
      onStop: (by) => {
        this.ui.warn(`stopping the run safely, as asked by ${by}`);
        return new RunStoppedError('RUN_INTERRUPTED', `the run was stopped by ${by}`, {
          hint: 'The baseline was not moved, so nothing is lost: the next push compares against the last accepted one.',
        });
      },
    });
  }

  /** @inheritdoc */
  public untilStopped(onStop: (by: string) => void): AbortSignal {
    return this.lifecycle.limit({
      onStop: (by) => {
        onStop(by);
        return undefined;
      },
    });
  }

  /** @inheritdoc */
  public addSecret(...secrets: string[]): void {
    this.redactor.add(...secrets);
  }

  /** @inheritdoc */
  public redact(text: string): string {
    return this.redactor.redact(text);
  }

  /** @inheritdoc */
  public onExportEvent(event: ExportEvent): void {
    if (event.type === 'connected') {
      const warning = cleartextBindWarning(event.connection);
      if (warning) this.ui.warn(warning);
    }
    this.ui.print(exportEventLines(event));
  }

  /** @inheritdoc */
  public onUploadEvent(event: UploadEvent): void {
    this.ui.print(uploadEventLines(event));
  }

  /** @inheritdoc */
  public async emitReport(body: ReportBody, options: ReportOptions = {}): Promise<void> {
    const report: Record<string, unknown> = {
      runId: this.runId,
      command: this.command,
      status: 'ok',
      exitCode: 0,
      startedAt: this.startedAt.toISOString(),
      durationMs: Date.now() - this.startedAt.getTime(),
      ...body,
    };
    this.lastReport = report;
    // Redacted value by value before JSON escaping: a secret holding `"` or `\` would survive
    // as escaped text, and a secret that reads as a number would turn `"rows":40` into invalid
    // JSON. Numbers are facts of the run, never secrets.
    const shown = new Set(options.directoryData ?? []);
    const safe = Object.fromEntries(
      Object.entries(report).map(([k, v]) => [
        k,
        shown.has(k) ? v : redactValues(v, (text) => this.redactor.redact(text)),
      ]),
    );
    const text = safeLine(options.compact === true ? JSON.stringify(safe) : JSON.stringify(safe, null, 2));
    if (this.json) this.ui.data(text, 'redacted');
    if (this.options.report === undefined || this.reportRefused) return;
    const path = resolve(this.cwd, this.options.report);
    // Checked at the start too; something may have taken the name since.
    const reason = await notReplaceable(path);
    if (reason !== undefined) {
      this.ui.warn(`did not write the report: ${reason}`);
      return;
    }
    try {
      await writeFileAtomic(path, `${text}\n`, { createDir: false });
    } catch (error) {
      // A report that cannot be written must not hide the run's own outcome.
      this.ui.warn(
        `could not write the report ${path}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** @inheritdoc */
  public endWith(ending: RunEnding): void {
    this.ending = ending;
  }

  /** @inheritdoc */
  public async notify(config: NotifyConfig, run: RunNoticeInput): Promise<void> {
    const { notifyRun } = await import('../notify/notify-run.js');
    await notifyRun(config, run, {
      env: this.env,
      redact: (text) => this.redactor.redact(text),
      onFailure: (problem) => {
        this.ui.warn(`could not send the failure notification: ${problem}`);
        this.log('warn', 'notification failed', { event: 'notify', ok: false, runId: run.runId });
      },
      onSent: (outcome) => {
        this.log('info', `notification sent (${outcome})`, { event: 'notify', ok: true, runId: run.runId });
      },
    });
  }

  /**
   * Stop the run safely, as a signal would (see {@link Lifecycle.interrupt}).
   * @param by why, for the message
   * @returns whether a run was there to stop
   */
  public interrupt(by: string): boolean {
    return this.lifecycle.interrupt(by);
  }

  /** Remove the run's signal handlers and timers. */
  public dispose(): void {
    this.lifecycle.dispose();
  }

  /**
   * The end of every run: one log line with the outcome and, for a push, the webhook when the
   * config asks for this outcome. Neither can change the exit code.
   * @param code the exit code
   * @param failure the error, when it failed
   */
  public async finish(code: number, failure: Failure | undefined): Promise<void> {
    // A run that ended before its config was read (a config error) still logs to --log-file.
    await this.openLogOption().catch((error: unknown) => {
      this.ui.warn(`no log file: ${describeError(error)}`);
    });
    const report = this.lastReport;
    const error = failure ? { code: failure.code, message: failure.message } : undefined;
    const trace = this.loadFailed ? await this.traceFailedLoad(code, failure) : undefined;
    this.log(
      code === 0 ? 'info' : 'error',
      `adsync ${this.command} finished: exit ${code}${error ? ` (${error.code})` : ''}`,
      {
        event: 'finish',
        command: this.command,
        exitCode: code,
        durationMs: Date.now() - this.startedAt.getTime(),
        ...(error ? { error } : {}),
        ...this.ending?.facts(report),
      },
    );
    const config = this.loaded ?? trace;
    if (this.ending === undefined || !config) return;
    await this.notify(config, {
      runId: this.runId,
      command: this.command,
      exitCode: code,
      startedAt: this.startedAt,
      config: config.filepath,
      error,
      summary: this.ending.summary(report),
    });
  }

  /** The trace of a run whose config failed to load (see traceFailedLoad). */
  private async traceFailedLoad(exitCode: number, failure?: Failure): Promise<RunTrace | undefined> {
    const { traceFailedLoad } = await import('./trace.js');
    return traceFailedLoad({
      load: this.where,
      ending: this.ending,
      run: { runId: this.runId, startedAt: this.startedAt, exitCode, error: failure?.message },
      redactor: this.redactor,
      openLog: this.logOption === undefined ? this.openLog.bind(this) : undefined,
      ui: this.ui,
    });
  }
}
