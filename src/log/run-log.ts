import { AdsyncError, describeError } from '../errors.js';
import { JsonLog, type JsonLogOptions, type LogLevel } from './json-log.js';

/** Lines logged before the config says where the log is, at most. */
const PENDING_LINES = 500;

/** A line written before the log was open. */
interface PendingLine {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
  directory: boolean;
}

/**
 * The log of one run, which opens only once the config (or --log-file) says where it is: lines
 * written before are kept and written when it opens; a log that cannot be opened drops them.
 */
export class RunLog {
  private log: JsonLog | undefined;
  private closed = false;
  private readonly pending: PendingLine[] = [];

  /** Whether it is open, or can no longer be. */
  public get settled(): boolean {
    return this.log !== undefined || this.closed;
  }

  /**
   * Append a line, or keep it until the log is open.
   * @param level severity
   * @param message human text
   * @param fields structured facts
   * @param directory the message shows directory values only: not redacted (see JsonLog.write)
   * @returns a problem writing the file, if any
   */
  public write(
    level: LogLevel,
    message: string,
    fields: Record<string, unknown>,
    directory: boolean,
  ): string | undefined {
    if (this.log) return this.log.write(level, message, fields, { directory });
    if (!this.closed && this.pending.length < PENDING_LINES)
      this.pending.push({ level, message, fields, directory });
    return undefined;
  }

  /**
   * Open the file (once; a second call only takes the config's rotation and level) and write
   * the lines kept so far.
   * @param options the log's settings
   * @returns problems writing the kept lines
   * @throws {ConfigError} when the file cannot be created (the log is then closed for good)
   */
  public open(options: JsonLogOptions): string[] {
    if (this.log) {
      // Opened from --log-file before the config was read: the config's rotation still applies.
      this.log.configure({ maxBytes: options.maxBytes, keep: options.keep, level: options.level });
      return [];
    }
    if (this.closed) return [];
    try {
      this.log = new JsonLog(options);
    } catch (error) {
      this.close();
      throw error;
    }
    return this.pending
      .splice(0)
      .map((l) => this.write(l.level, l.message, l.fields, l.directory))
      .filter((p): p is string => p !== undefined);
  }

  /**
   * {@link open}, where a log that cannot be created costs the log, not the run: its outcome and
   * exit code stay the run's own, and the warning says why there is no log.
   * @param options the log's settings
   * @returns problems to show: writing the kept lines, or why there is no log
   */
  public openOrWarn(options: JsonLogOptions): string[] {
    try {
      return this.open(options);
    } catch (error) {
      const failure = error instanceof AdsyncError ? error : undefined;
      const hint = failure?.hint ? ` (${failure.hint})` : '';
      return [`${failure?.message ?? describeError(error)}; this run goes on without a log file${hint}`];
    }
  }

  /** No log for this run: the kept lines are dropped. */
  public close(): void {
    this.closed = true;
    this.pending.splice(0);
  }
}
