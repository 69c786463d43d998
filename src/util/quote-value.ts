/**
 * Characters a quoted value must not carry raw to a terminal, a log or a ticket: C0 controls and
 * DEL, C1 controls (U+009B is a one-byte CSI on many terminals), and the invisible format and
 * separator characters (Unicode Cf, Zl, Zp: zero-width characters, the bidirectional overrides
 * and isolates that make a line read differently from what it holds, U+2028, U+2029).
 */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

const escape = (char: string): string => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;

/**
 * Directory text shown without quotes (a DN, a name) with every control, format and separator
 * character written as a `\u009b`-style escape, as {@link quoteValue} does.
 * @param text the text
 */
export function showValue(text: string): string {
  return text.replace(UNSHOWABLE, escape);
}

/**
 * A directory value (or a file's cell) quoted for a message: in double quotes, JSON-style, with
 * every control, format and separator character written as a `\u009b`-style escape, so the
 * reader sees what the value holds and the terminal runs none of it. A long value is cut to
 * `max` characters and ends with `...`.
 * @param value the value
 * @param max longest excerpt shown (default 60)
 */
export function quoteValue(value: string, max = 60): string {
  const shown = value.length > max ? `${value.slice(0, max - 3)}...` : value;
  return JSON.stringify(shown).replace(UNSHOWABLE, escape);
}

/**
 * What a terminal must never receive raw in a finished line, whatever built it: C0 controls but
 * tab, line feed and ESC (the CLI's own colours start with ESC), DEL, C1 controls, and the
 * invisible format and separator characters. Values are escaped where they are quoted; this is
 * the last line of defence for a value that reached a line another way (a name in an old state).
 */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const NEVER_RAW = /[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * A finished line (or a serialised JSON text) with every character of {@link NEVER_RAW} written
 * as a `\u009b`-style escape. JSON stays valid and means the same: JSON.stringify leaves C1 and
 * format characters raw, and `\u009b` is how JSON writes them escaped.
 * @param text the line
 */
export function safeLine(text: string): string {
  return text.replace(NEVER_RAW, escape);
}
