import type { CommandUnknownOpts } from '@commander-js/extra-typings';

import type { ResolvedConfig } from '../config/types.js';
import type { ExitCodeValue } from '../errors.js';
import type { LogLevel } from '../log/json-log.js';
import type { RunNoticeInput } from '../notify/notice.js';
import type { ExportEvent } from '../pipeline/export.js';
import type { HistoryEntry } from '../state/history.js';
import type { UploadEvent } from '../upload/client.js';
import type { GlobalOptions } from './options.js';
import type { Line, Style } from './output.js';

export type { GlobalOptions } from './options.js';

/**
 * What a command gets from the CLI: where it runs, the terminal (as lines), the log, the config,
 * the run's limits and the report. Implemented by src/cli; commands never reach the terminal or
 * the process themselves.
 */
export interface CommandContext {
  /** The full process argv (to start this adsync again). */
  readonly argv: readonly string[];
  /** Working directory. */
  readonly cwd: string;
  /** Environment. */
  readonly env: NodeJS.ProcessEnv;
  /** The global options. */
  readonly options: GlobalOptions;
  /** Whether the JSON report goes to stdout (so no other data does). */
  readonly json: boolean;
  /** When the command started. */
  readonly startedAt: Date;
  /** This run's id. */
  readonly runId: string;
  /** The terminal's emphasis. */
  readonly style: Style;
  /**
   * Columns a line on stderr may take: the terminal's width (80 when it says 0); undefined when
   * stderr is not a terminal (a pipe or a file has no width).
   */
  readonly width: number | undefined;
  /** Show lines (data on stdout, the rest on stderr; logged). */
  show(lines: readonly Line[]): void;
  /** End a progress display before results are shown. */
  stopProgress(): void;
  /** A line for the log file only. */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  /**
   * Load the config (also: its secrets are redacted, its log opened). `localOnly`: the command
   * reads only adsync's own files, so no secret reference that cannot be resolved fails it.
   */
  loadConfig(options?: { localOnly?: boolean }): Promise<ResolvedConfig>;
  /**
   * The limits of one run: its time limit (--timeout, else `timeoutMs`), SIGINT/SIGTERM and the
   * scheduler's stop, each ending it safely through the returned signal.
   */
  limitRun(timeoutMs: number | undefined): AbortSignal;
  /**
   * For a command that runs until stopped (scheduler, mock server): aborts on SIGINT/SIGTERM or
   * the scheduler's stop, after telling `onStop` who asked.
   */
  untilStopped(onStop: (by: string) => void): AbortSignal;
  /** Never show or write these. */
  addSecret(...secrets: string[]): void;
  /** Remove every known secret from a text. */
  redact(text: string): string;
  /** Directory progress, shown the same way by every command. */
  onExportEvent(event: ExportEvent): void;
  /** Upload progress, shown the same way by every command. */
  onUploadEvent(event: UploadEvent): void;
  /**
   * Emit the report now (stdout with --json, the --report file) instead of when the command
   * returns: for a command that keeps running, so a script can read its first line.
   */
  emitReport(report: ReportBody, options?: ReportOptions): Promise<void>;
  /** Send the webhook for a run, when the config asks for its outcome; never throws. */
  notify(config: ResolvedConfig, run: RunNoticeInput): Promise<void>;
  /**
   * How this run ends (the log's finish line, the webhook), read from the command's own report:
   * set by a command whose runs the config's webhook reports on, before it can fail.
   */
  endWith(ending: RunEnding): void;
}

/** A report as the end of a run reads it: the command's own, or the failure's. */
export type FinishedReport = Readonly<Record<string, unknown>> | undefined;

/**
 * What a command tells the end of its run. It reads the command's report, whose shape only the
 * command knows; the CLI adds the outcome (exit code, error) and sends the webhook when the
 * config asks for that outcome.
 */
export interface RunEnding {
  /** Facts of the report for the log's finish line (rows, plan, the CSV). */
  facts(report: FinishedReport): Record<string, unknown>;
  /** The webhook's one-line summary of what the run did, when it got that far. */
  summary(report: FinishedReport): string | undefined;
  /**
   * The history line of a run that failed before its config was loaded (a `${env:}` secret
   * the scheduler's environment lacks); every later failure is recorded by the run itself.
   * Absent: the command keeps no history.
   */
  failedEarly?(run: { runId: string; startedAt: Date; exitCode: number; error: string }): HistoryEntry;
}

/** A command's part of the run report (the CLI adds runId, command, status, exitCode, times). */
export type ReportBody = Record<string, unknown> & { status?: 'ok' | 'error'; exitCode?: number };

/** How a report is written. */
export interface ReportOptions {
  /** On one line (a scheduler's status, a log). */
  compact?: boolean | undefined;
  /**
   * Top-level keys whose values are directory data the admin asked to see (names, cells, the
   * plan's contacts): not redacted, as lines of directory values are not (see Line.directory).
   */
  directoryData?: readonly string[] | undefined;
}

/** What a command body returns: its report, or nothing when it emitted it itself. */
export type CommandResult =
  ({ report: ReportBody; exitCode?: ExitCodeValue } & Pick<ReportOptions, 'directoryData'>) | undefined;

/** How a command's definition hands its body to the CLI. */
export interface CommandHost {
  /**
   * A commander action for `command` that runs `body` with the command's context; the CLI emits
   * the report and turns failures into exit codes. The body reads the command's options and
   * arguments from `command` itself (`opts()`, `processedArgs`), typed by their declarations.
   */
  action(
    command: CommandUnknownOpts,
    body: (ctx: CommandContext) => Promise<CommandResult>,
  ): () => Promise<void>;
}
