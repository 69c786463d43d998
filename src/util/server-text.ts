import { stripVTControlCharacters } from 'node:util';

/**
 * Control characters a server's text must not carry to a terminal, a log or a report: C0 and
 * C1 controls except tab and line feed (NUL, CR, ESC, BEL…), and the bidirectional overrides
 * that make a line read differently from what it holds.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A server's text (a vendor's error body, an LDAP diagnostic message) made safe to show: escape
 * sequences (colours, cursor moves, OSC titles and links) and other control characters removed.
 * @param text what the server sent
 */
export function cleanServerText(text: string): string {
  return stripVTControlCharacters(text).replace(UNSAFE, '');
}

/**
 * A short excerpt of a server's text for a message: cleaned, whitespace runs collapsed, at most
 * `max` characters (a 100 MB error page must not become a 100 MB error message).
 * @param text what the server sent
 * @param max longest excerpt (default 300)
 */
export function serverExcerpt(text: string, max = 300): string {
  const clean = cleanServerText(text.length > max * 4 ? text.slice(0, max * 4) : text)
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > max ? `${clean.slice(0, max)}… (${text.length} characters in all)` : clean;
}

/**
 * A copy of a parsed JSON answer with every string cleaned (see {@link cleanServerText}).
 * @param value parsed JSON
 */
export function cleanServerValue(value: unknown): unknown {
  if (typeof value === 'string') return cleanServerText(value);
  if (Array.isArray(value)) return value.map(cleanServerValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [cleanServerText(k), cleanServerValue(v)]),
    );
  }
  return value;
}
