import type { SearchScope } from './types.js';

/**
 * Distinguished names compared the way a directory server compares them (RFC 4514, with the
 * leniencies of RFC 2253/1779 that exports and admins use): attribute types and values ignore
 * case, spaces around `=`, `,` and `+` and runs of inner spaces do not matter, escapes (`\,`,
 * `\2C`, `\C3\A9`) mean their character, and the order of a multi-valued RDN's parts does not
 * matter. Used by the LDIF source for search bases, scopes, groups and DN-valued attributes.
 */

/** A DN as a list of normalised RDNs, leaf first; compare element by element. */
export type NormalizedDn = readonly string[];

const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * A value in its comparable form (RFC 4518 in short): NFKC, lower case, inner runs of spaces as
 * one, no leading or trailing spaces.
 * @param text a value
 */
export function foldText(text: string): string {
  // eslint-disable-next-line no-control-regex -- ASCII needs no Unicode normalisation (fast path)
  const normalized = /^[\u0000-\u007f]*$/.test(text) ? text : text.normalize('NFKC');
  return normalized.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Escape what separates parts of a normalised RDN, so joined forms stay unambiguous. */
const escapePart = (text: string): string => text.replace(/[\\,+=]/g, '\\$&');

/**
 * An attribute type: a name, or an OID in dotted decimal, optionally with the `OID.` prefix of
 * RFC 1779 (which RFC 2253 asks parsers to accept).
 */
const ATTRIBUTE_TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|(?:oid\.)?\d+(?:\.\d+)*)$/i;

/**
 * An attribute type in its comparable form (lower case, `OID.` dropped), or undefined when the
 * text is not one.
 */
function attributeType(text: string): string | undefined {
  const type = text.trim();
  return ATTRIBUTE_TYPE.test(type) ? type.toLowerCase().replace(/^oid\./, '') : undefined;
}

/**
 * A DN the fast path can split: printable ASCII without escapes, quotes, `+`, `;`, `#` values or
 * `=` inside values; its values then need no escaping in the normalised form either.
 */
const SIMPLE_DN =
  /^[ -!$-*\--:<>-[\]-~]+=[ -!$-*\--:<>-[\]-~]*(?:,[ -!$-*\--:<>-[\]-~]+=[ -!$-*\--:<>-[\]-~]*)*$/;

/**
 * Parse a DN into normalised RDNs (leaf first), or undefined when it is not a DN.
 * @param dn a DN as written in a config, a filter or an LDIF file
 */
export function parseDn(dn: string): NormalizedDn | undefined {
  // Most DNs are plain ASCII without escapes, quotes or multi-valued RDNs: split them directly.
  return SIMPLE_DN.test(dn) ? parseSimpleDn(dn) : new DnScanner(dn).parse();
}

/** The fast path of {@link parseDn}: a DN that {@link SIMPLE_DN} accepts. */
function parseSimpleDn(dn: string): NormalizedDn | undefined {
  const rdns: string[] = [];
  for (const rdn of dn.split(',')) {
    const eq = rdn.indexOf('=');
    const type = attributeType(rdn.slice(0, eq));
    if (type === undefined) return undefined;
    const value = rdn
      .slice(eq + 1)
      .toLowerCase()
      .replace(/\s+/g, ' ')
      .trim();
    rdns.push(`${type}=${value}`);
  }
  return rdns;
}

/** The general path of {@link parseDn}: escapes, quoted and `#` values, multi-valued RDNs. */
class DnScanner {
  private i = 0;

  public constructor(private readonly dn: string) {}

  /** The normalised RDNs, or undefined when the text is not a DN. */
  public parse(): NormalizedDn | undefined {
    const { dn } = this;
    const rdns: string[] = [];
    let avas: string[] = [];
    this.skipSpaces();
    if (this.i === dn.length) return [];
    for (;;) {
      const ava = this.readAva();
      if (ava === undefined) return undefined;
      avas.push(ava);
      this.skipSpaces();
      const c = dn[this.i];
      if (c === '+') {
        this.i++;
        continue;
      }
      if (c !== undefined && c !== ',' && c !== ';') return undefined;
      rdns.push(avas.sort().join('+'));
      avas = [];
      if (c === undefined) return rdns;
      this.i++;
    }
  }

  private skipSpaces(): void {
    while (this.dn[this.i] === ' ' || this.dn[this.i] === '\t') this.i++;
  }

  /** One `type=value`, normalised, or undefined. */
  private readAva(): string | undefined {
    const { dn } = this;
    this.skipSpaces();
    // Attribute type: a name or an OID, up to '='.
    const typeStart = this.i;
    while (this.i < dn.length && !'=,+;'.includes(dn[this.i] ?? '')) this.i++;
    const type = attributeType(dn.slice(typeStart, this.i));
    if (dn[this.i] !== '=' || type === undefined) return undefined;
    this.i++;
    this.skipSpaces();
    const value =
      dn[this.i] === '#' ? this.readHex() : dn[this.i] === '"' ? this.readQuoted() : this.readPlain();
    return value === undefined ? undefined : `${type}=${escapePart(value)}`;
  }

  /** A BER-encoded value (hexstring): compared as written. */
  private readHex(): string {
    const start = this.i++;
    while (this.i < this.dn.length && /[0-9a-fA-F]/.test(this.dn[this.i] ?? '')) this.i++;
    return this.dn.slice(start, this.i).toLowerCase();
  }

  /** An RFC 1779 quoted value. */
  private readQuoted(): string | undefined {
    const { dn } = this;
    let out = '';
    this.i++;
    while (this.i < dn.length && dn[this.i] !== '"') {
      if (dn[this.i] === '\\' && this.i + 1 < dn.length) this.i++;
      out += dn[this.i] ?? '';
      this.i++;
    }
    if (dn[this.i] !== '"') return undefined;
    this.i++;
    return foldText(out);
  }

  /** A value up to the next separator, its escapes (`\,`, `\2C`, UTF-8 bytes) resolved. */
  private readPlain(): string | undefined {
    const { dn } = this;
    const n = dn.length;
    const bytes: number[] = [];
    let text = '';
    const flushBytes = (): void => {
      if (bytes.length === 0) return;
      text += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    };
    while (this.i < n) {
      const c = dn[this.i] ?? '';
      if (c === ',' || c === '+' || c === ';') break;
      if (c === '\\') {
        const pair = dn.slice(this.i + 1, this.i + 3);
        if (HEX.test(pair)) {
          bytes.push(Number.parseInt(pair, 16));
          this.i += 3;
          continue;
        }
        if (this.i + 1 >= n) return undefined;
        flushBytes();
        text += dn[this.i + 1] ?? '';
        this.i += 2;
        continue;
      }
      flushBytes();
      text += c;
      this.i++;
    }
    flushBytes();
    return foldText(text);
  }
}

/**
 * The comparable form of a DN as one string, or undefined when it is not a DN.
 * @param dn a DN
 */
export function normalizeDn(dn: string): string | undefined {
  return parseDn(dn)?.join(',');
}

/**
 * Whether `entry` is `base` or below it (scope `sub`), a direct child (scope `one`), or the base
 * itself (scope `base`).
 * @param entry the entry's normalised DN
 * @param base the search base's normalised DN
 * @param scope sub (the base and its whole subtree), one (direct children only) or base
 */
export function inScope(entry: NormalizedDn, base: NormalizedDn, scope: SearchScope | 'base'): boolean {
  const extra = entry.length - base.length;
  if (scope === 'one' ? extra !== 1 : scope === 'base' ? extra !== 0 : extra < 0) return false;
  for (let k = 0; k < base.length; k++) if (entry[extra + k] !== base[k]) return false;
  return true;
}
