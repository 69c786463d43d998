import type { ChalkInstance } from 'chalk';
import type { Ora } from 'ora';

import { plainStyle, type Line, type Style } from '../commands/output.js';
import type { Redactor } from '../config/secrets.js';
import { safeLine } from '../util/quote-value.js';

/**
 * Colours through chalk, at its 16 basic colours: whether to colour at all is adsync's decision
 * (TTY, NO_COLOR; see {@link Ui}), not chalk's own detection, so chalk is told its level.
 * @param chalk a chalk instance
 */
function chalkStyle(chalk: ChalkInstance): Style {
  return {
    green: (text) => chalk.green(text),
    yellow: (text) => chalk.yellow(text),
    red: (text) => chalk.red(text),
    cyan: (text) => chalk.cyan(text),
    bold: (text) => chalk.bold(text),
    dim: (text) => chalk.dim(text),
  };
}

/**
 * What a text is, for the redaction: `text` is redacted; `directory` shows directory values and
 * adsync's own words only (see {@link Line.directory}); `redacted` was redacted value by value
 * before it was serialised (a JSON report), so the serialised text must not be touched.
 */
export type ShownAs = 'text' | 'directory' | 'redacted';

/** Streams and switches the terminal UI works with. */
export interface UiOptions {
  /** Data goes here (CSV path, JSON report). */
  stdout: NodeJS.WritableStream;
  /** Everything for humans goes here. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  /** Environment (NO_COLOR, FORCE_COLOR). */
  env: NodeJS.ProcessEnv;
  /** Only errors. */
  quiet: boolean;
  /** Debug details too. */
  verbose: boolean;
  /** Applied to every line written. */
  redactor: Redactor;
  /** Also told every human line (uncoloured), whatever --quiet/--verbose say: the log file. */
  onLine?: ((level: 'error' | 'warn' | 'info' | 'debug', text: string, shown: ShownAs) => void) | undefined;
}

/**
 * The only writer to the terminal. Humans read stderr (colours and a spinner only on a TTY,
 * never with NO_COLOR); stdout carries data. Every line passes through the redactor.
 */
export class Ui {
  private spinner: Ora | undefined;
  /** Whether this terminal gets colours: a TTY, and no NO_COLOR. */
  private readonly colorful: boolean;
  /** chalk's colours, loaded by {@link prepare} only for a colour terminal. */
  private painted: Style | undefined;
  private readonly interactive: boolean;
  private resizeWatched = false;
  /** ora, loaded by {@link prepare} only when a spinner can show: start-up stays light. */
  private ora: typeof import('ora').default | undefined;

  /**
   * @param options streams and switches
   */
  public constructor(private readonly options: UiOptions) {
    const tty = options.stderr.isTTY === true;
    const noColor = options.env.NO_COLOR !== undefined && options.env.NO_COLOR !== '';
    this.colorful = tty && !noColor;
    // A terminal that reports 0 columns or rows (`ssh -t`, `docker exec -t` from a non-terminal)
    // cannot hold a spinner: ora divides by the width and would erase lines forever.
    this.interactive = tty && this.sized() && !noColor && !options.quiet && options.env.CI === undefined;
  }

  private sized(): boolean {
    const { columns, rows } = this.options.stderr;
    return (columns ?? 80) > 0 && (rows ?? 24) > 0;
  }

  /** Colours, disabled off-TTY and with NO_COLOR (and until {@link prepare} loaded them). */
  public get color(): Style {
    return this.painted ?? plainStyle;
  }

  /**
   * Load chalk for a colour terminal and ora when this terminal shows a spinner: `--version`,
   * `--help` and runs off a terminal never load them, so start-up stays light.
   */
  public async prepare(): Promise<void> {
    const [chalk, ora] = await Promise.all([
      this.colorful && !this.painted ? import('chalk') : undefined,
      this.interactive && !this.ora ? import('ora') : undefined,
    ]);
    if (chalk) this.painted = chalkStyle(new chalk.Chalk({ level: 1 }));
    if (ora) this.ora = ora.default;
  }

  /**
   * Show the lines a command rendered, each where its level belongs.
   * @param lines the lines
   */
  public print(lines: readonly Line[]): void {
    for (const line of lines) {
      switch (line.level) {
        case 'data':
          this.data(line.text, line.directory === true ? 'directory' : 'text');
          break;
        case 'info':
          this.info(line.text, line.directory === true ? 'directory' : 'text');
          break;
        case 'warn':
          this.warn(line.text);
          break;
        case 'debug':
          this.debug(line.text);
          break;
        case 'error':
          this.error(line.text);
          break;
        case 'progress':
          this.progress(line.text);
          break;
        case 'output':
          if (!this.options.quiet) this.raw(`${line.text}\n`);
          break;
      }
    }
  }

  private write(stream: NodeJS.WritableStream, text: string, shown: ShownAs = 'text'): void {
    // A reader that went away (`| head`): nothing more to show there.
    if (!stream.writable) return;
    const hadSpinner = this.spinner?.isSpinning === true;
    if (hadSpinner) this.spinner?.clear();
    stream.write(`${safeLine(shown === 'text' ? this.options.redactor.redact(text) : text)}\n`);
    if (hadSpinner) this.spinner?.render();
  }

  /**
   * @param text data for stdout (a path, the JSON report)
   * @param shown what the text is, for the redaction
   */
  public data(text: string, shown: ShownAs = 'text'): void {
    this.write(this.options.stdout, text, shown);
  }

  /**
   * @param text progress or results, hidden by --quiet
   * @param shown what the text is, for the redaction
   */
  public info(text: string, shown: ShownAs = 'text'): void {
    this.options.onLine?.('info', text, shown);
    if (!this.options.quiet) this.write(this.options.stderr, text, shown);
  }

  /** @param text details shown with --verbose */
  public debug(text: string): void {
    this.options.onLine?.('debug', text, 'text');
    if (this.options.verbose && !this.options.quiet) this.write(this.options.stderr, this.color.dim(text));
  }

  /** @param text a warning, hidden by --quiet */
  public warn(text: string): void {
    this.options.onLine?.('warn', text, 'text');
    if (!this.options.quiet) this.write(this.options.stderr, `${this.color.yellow('warning:')} ${text}`);
  }

  /** @param text an error, always shown */
  public error(text: string): void {
    this.options.onLine?.('error', text, 'text');
    this.stopSpinner();
    this.write(this.options.stderr, `${this.color.red('error:')} ${text}`);
  }

  /** @param text raw text from commander (usage, help) */
  public raw(text: string): void {
    if (this.options.stderr.writable) this.options.stderr.write(this.options.redactor.redact(text));
  }

  /** @param text what is going on now; a spinner on a TTY, nothing otherwise */
  public progress(text: string): void {
    if (!this.interactive || !this.ora) return;
    if (!this.sized()) {
      // Resized to nothing since the spinner started: no more frames.
      this.stopSpinner();
      return;
    }
    const safe = this.options.redactor.redact(text);
    if (this.spinner) this.spinner.text = safe;
    else {
      this.spinner = this.ora({ text: safe, stream: this.options.stderr, isEnabled: true }).start();
      this.watchResize();
    }
  }

  /** A terminal resized to 0 columns or rows between frames would hang ora: stop it first. */
  private watchResize(): void {
    const stream = this.options.stderr as NodeJS.WritableStream & Partial<NodeJS.EventEmitter>;
    if (this.resizeWatched || typeof stream.on !== 'function') return;
    this.resizeWatched = true;
    stream.on('resize', () => {
      if (!this.sized()) this.stopSpinner();
    });
  }

  /** Remove the spinner, if any. */
  public stopSpinner(): void {
    this.spinner?.stop();
    this.spinner = undefined;
  }
}
