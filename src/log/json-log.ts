import { appendFileSync, closeSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

import { ConfigError, describeError } from '../errors.js';
import { makeDir } from '../io/make-dir.js';
import { redactValues } from '../config/secrets.js';
import { safeLine } from '../util/quote-value.js';

/** Severity of a log line. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Settings of {@link JsonLog}. */
export interface JsonLogOptions {
  /** The log file (created mode 600, its directory too). */
  file: string;
  /** Rotate when the file would grow past this many bytes. */
  maxBytes: number;
  /** Rotated files kept: file.1 (newest) … file.N. */
  keep: number;
  /** Lowest level written: 'info' drops debug lines. */
  level: 'info' | 'debug';
  /** Correlates every line of one run (a scheduled run's lines share it with the scheduler's). */
  runId: string;
  /** Applied to every line before it is written, so no secret reaches the file. */
  redact: (text: string) => string;
}

/**
 * A JSON-lines log for unattended runs: one object per event with time, level, run id, message
 * and fields, appended synchronously (few lines per run, and a crash must not lose the last
 * one), rotated by size. Lines are small single writes with O_APPEND, so a scheduler and its
 * run can share the file.
 */
export class JsonLog {
  private failed = false;

  /**
   * Open (create) the log, so an unwritable path fails the run at its start rather than silently.
   * @param options file, rotation, level, run id, redaction
   * @throws {ConfigError} when the file cannot be created or appended to
   */
  public constructor(private readonly options: JsonLogOptions) {
    try {
      makeDir(dirname(options.file));
      closeSync(openSync(options.file, 'a', 0o600));
    } catch (error) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `cannot write the log file ${options.file}: ${describeError(error)}`,
        {
          hint: 'Fix logging.file (or --log-file): its directory must exist or be creatable, and be writable by the account adsync runs as.',
          cause: error,
        },
      );
    }
  }

  /**
   * Append one event.
   * @param level severity
   * @param message human text (no colours)
   * @param fields structured facts (never secrets; redacted anyway)
   * @param options how the message is written
   * @param options.directory the message shows directory values and adsync's own words only: not
   *   redacted (a secret that is also directory data is `check`'s warning, not a `***` in a name)
   * @returns an error message if the line could not be written (reported once by the caller)
   */
  public write(
    level: LogLevel,
    message: string,
    fields: Record<string, unknown> = {},
    options: { directory?: boolean } = {},
  ): string | undefined {
    if (level === 'debug' && this.options.level !== 'debug') return undefined;
    // Redacted value by value, before JSON escaping could hide a secret with a quote in it.
    const record = {
      ...redactValues(
        { time: new Date().toISOString(), level, runId: this.options.runId, message, ...fields },
        this.options.redact,
      ),
      ...(options.directory === true ? { message } : {}),
    };
    // C1 and format characters escaped too: `tail -f` shows the log on a terminal.
    const line = `${safeLine(JSON.stringify(record))}\n`;
    try {
      // A failed rotation (another process rotated first; Windows holding the file) must not
      // cost the line itself.
      try {
        this.rotateFor(Buffer.byteLength(line));
      } catch {
        // appended to the current file instead
      }
      appendFileSync(this.options.file, line, { mode: 0o600 });
      return undefined;
    } catch (error) {
      if (this.failed) return undefined;
      this.failed = true;
      return `cannot write the log file ${this.options.file}: ${describeError(error)}`;
    }
  }

  /**
   * Take the config's rotation and level for a log opened from `--log-file` before the config
   * was read.
   * @param settings size limit, kept files and level
   * @param settings.maxBytes rotate past this size
   * @param settings.keep rotated files kept
   * @param settings.level lowest level written
   */
  public configure(settings: { maxBytes: number; keep: number; level: 'info' | 'debug' }): void {
    Object.assign(this.options, settings);
  }

  private rotateFor(bytes: number): void {
    let size: number;
    try {
      size = statSync(this.options.file).size;
    } catch {
      return;
    }
    if (size === 0 || size + bytes <= this.options.maxBytes) return;
    const { file, keep } = this.options;
    try {
      unlinkSync(`${file}.${keep}`);
    } catch {
      // not there yet
    }
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      } catch {
        // a gap in the series
      }
    }
    renameSync(file, `${file}.1`);
  }
}
