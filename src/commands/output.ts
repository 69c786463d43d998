/**
 * What commands hand to the terminal: lines with a level, never written here. The CLI decides
 * where each level goes (stdout for data, stderr for the rest), applies --quiet/--verbose and
 * redaction, and styles them with its colours; commands only say which words are emphasised.
 */

import { quoteValue } from '../util/quote-value.js';

/**
 * Where a line belongs: data goes to stdout, the rest is for humans on stderr. `output` is
 * another process's line passed through: shown as is (not with --quiet), never logged again.
 */
export type LineLevel = 'data' | 'info' | 'warn' | 'debug' | 'error' | 'progress' | 'output';

/** One line (or block) of command output. */
export interface Line {
  /** Its kind. */
  level: LineLevel;
  /** The text, already styled. */
  text: string;
  /**
   * The line shows directory values the admin asked to see (names, cells, DNs, reasons about
   * them) and adsync's own words, nothing a server, a vendor or the config sent: it is shown as
   * it is. Secrets are hidden where they can come from; one that is also directory data is
   * `check`'s warning, not a `***` in the middle of a name.
   */
  directory?: boolean;
}

/** The emphasis a render may use; the CLI's colours, or plain text. */
export interface Style {
  green: (text: string) => string;
  yellow: (text: string) => string;
  red: (text: string) => string;
  cyan: (text: string) => string;
  bold: (text: string) => string;
  dim: (text: string) => string;
}

/** Text without any emphasis (for logs and tests). */
export const plainStyle: Style = {
  green: (t) => t,
  yellow: (t) => t,
  red: (t) => t,
  cyan: (t) => t,
  bold: (t) => t,
  dim: (t) => t,
};

/** Collects the lines of one render. */
export class Lines {
  /** The lines so far. */
  public readonly lines: Line[] = [];

  /** @param color the emphasis to use */
  public constructor(public readonly color: Style) {}

  /** @param text data for stdout */
  public data(text: string): void {
    this.lines.push({ level: 'data', text });
  }

  /** @param text progress or results */
  public info(text: string): void {
    this.lines.push({ level: 'info', text });
  }

  /**
   * @param level where it belongs
   * @param text a line of directory values and adsync's own words (see {@link Line.directory})
   */
  public directory(level: 'data' | 'info', text: string): void {
    this.lines.push({ level, text, directory: true });
  }

  /** @param text a warning */
  public warn(text: string): void {
    this.lines.push({ level: 'warn', text });
  }

  /** @param text a detail for --verbose */
  public debug(text: string): void {
    this.lines.push({ level: 'debug', text });
  }

  /** @param text what is going on now (a spinner on a terminal) */
  public progress(text: string): void {
    this.lines.push({ level: 'progress', text });
  }

  /** @param more lines of another render */
  public add(more: readonly Line[]): void {
    this.lines.push(...more);
  }
}

/**
 * "1 entry", "2 entries".
 * @param n how many
 * @param word singular
 * @param many plural
 */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/**
 * A location slug as shown ('' is every location).
 * @param slug the slug
 */
export const locationLabel = (slug: string): string => slug || '(all locations)';

/**
 * A plan in one word: "+3 ~0 -1 =7" (create, update, archive, unchanged).
 * @param plan the counts
 * @param plan.create to create
 * @param plan.update to update
 * @param plan.archive to archive
 * @param plan.unchanged unchanged
 */
export const planCountsLine = (plan: {
  create?: number | undefined;
  update?: number | undefined;
  archive?: number | undefined;
  unchanged?: number | undefined;
}): string =>
  `+${String(plan.create)} ~${String(plan.update)} -${String(plan.archive)} =${String(plan.unchanged)}`;

/**
 * The changed cells of an update, old → new, each value quoted (util/quote-value.ts) so an empty
 * cell, a space, a separator or a control character stays visible: `Business Title "Controller" → "CFO"; Department …`.
 * @param changes the changed columns with their values
 */
export const changesText = (changes: readonly { column: string; old: string; new: string }[]): string =>
  changes.map((c) => `${c.column} ${quoteValue(c.old, 300)} → ${quoteValue(c.new, 300)}`).join('; ');
