/** One entry for {@link writeLdif}: its DN and its attributes' values, in order. */
export interface LdifEntry {
  /** The DN. */
  dn: string;
  /** Attribute description (with options, e.g. `cn;lang-fr`) and its values as bytes. */
  attributes: { description: string; values: Buffer[] }[];
}

/** How {@link writeLdif} lays the file out, as different exporters do. */
export interface LdifLayout {
  /** Fold lines longer than this many characters (RFC 2849 continuation lines); 0: never. */
  width: number;
  /** End lines with CRLF instead of LF. */
  crlf: boolean;
  /** Start with `version: 1`. */
  version: boolean;
  /** End with a blank line after the last record. */
  finalBlank: boolean;
}

/**
 * Whether RFC 2849 lets a value be written as it is (SAFE-STRING, ASCII only): no NUL, CR or LF,
 * not starting with a space, `:` or `<`, and (as exporters do) not ending with a space.
 */
function isSafe(value: Buffer): boolean {
  if (value.length === 0) return true;
  const first = value[0];
  if (first === 0x20 || first === 0x3a || first === 0x3c || value[value.length - 1] === 0x20) return false;
  return value.every((b) => b !== 0 && b !== 0x0a && b !== 0x0d && b < 0x80);
}

/** `text` folded at `width`: a first line of `width` characters, then a space and `width - 1` more each. */
function fold(text: string, width: number): string[] {
  if (width <= 1 || text.length <= width) return [text];
  const parts = [text.slice(0, width)];
  for (let i = width; i < text.length; i += width - 1) parts.push(` ${text.slice(i, i + width - 1)}`);
  return parts;
}

/**
 * `name: value` or `name:: base64`, folded at `width`. A plain value that would fold into a
 * continuation line of spaces only is written in base64: adsync's reader takes a line of only
 * white space for a record separator with stray blanks (a hand-edited file), not a continuation.
 */
function line(name: string, value: Buffer, width: number, eol: string): string {
  const plain = isSafe(value) ? fold(`${name}: ${value.toString('latin1')}`, width) : undefined;
  const parts =
    plain && !plain.some((p) => /^[ \t]+$/.test(p))
      ? plain
      : fold(`${name}:: ${value.toString('base64')}`, width);
  return parts.join(eol) + eol;
}

/**
 * A minimal LDIF writer (RFC 2849) for tests: plain values where they are safe, base64 otherwise,
 * folding at the layout's width, records separated by blank lines.
 * @param entries the records
 * @param layout folding, line ends, version line, final blank line
 */
export function writeLdif(entries: readonly LdifEntry[], layout: LdifLayout): string {
  const eol = layout.crlf ? '\r\n' : '\n';
  const records = entries.map(
    (e) =>
      line('dn', Buffer.from(e.dn, 'utf8'), layout.width, eol) +
      e.attributes.flatMap((a) => a.values.map((v) => line(a.description, v, layout.width, eol))).join(''),
  );
  return (
    (layout.version ? `version: 1${eol}${eol}` : '') + records.join(eol) + (layout.finalBlank ? eol : '')
  );
}
