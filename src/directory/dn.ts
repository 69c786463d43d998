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

/** An attribute type: a name or an OID. */
const ATTRIBUTE_TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)$/;

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
  if (SIMPLE_DN.test(dn)) {
    const simple: string[] = [];
    for (const rdn of dn.split(',')) {
      const eq = rdn.indexOf('=');
      const type = rdn.slice(0, eq).trim();
      if (!ATTRIBUTE_TYPE.test(type)) return undefined;
      const value = rdn
        .slice(eq + 1)
        .toLowerCase()
        .replace(/\s+/g, ' ')
        .trim();
      simple.push(`${type.toLowerCase().replace(/^oid\./, '')}=${value}`);
    }
    return simple;
  }
  const rdns: string[] = [];
  let avas: string[] = [];
  let i = 0;
  const n = dn.length;
  const skipSpaces = (): void => {
    while (i < n && (dn[i] === ' ' || dn[i] === '\t')) i++;
  };
  skipSpaces();
  if (i === n) return [];
  for (;;) {
    skipSpaces();
    // Attribute type: a name or an OID, up to '='.
    const typeStart = i;
    while (i < n && dn[i] !== '=' && dn[i] !== ',' && dn[i] !== '+' && dn[i] !== ';') i++;
    const type = dn.slice(typeStart, i).trim();
    if (dn[i] !== '=' || !ATTRIBUTE_TYPE.test(type)) return undefined;
    i++;
    skipSpaces();
    const value = readValue();
    if (value === undefined) return undefined;
    avas.push(`${type.toLowerCase().replace(/^oid\./, '')}=${escapePart(value)}`);
    skipSpaces();
    if (i === n || dn[i] === ',' || dn[i] === ';') {
      rdns.push(avas.sort().join('+'));
      avas = [];
      if (i === n) return rdns;
      i++;
      continue;
    }
    if (dn[i] === '+') {
      i++;
      continue;
    }
    return undefined;
  }

  function readValue(): string | undefined {
    if (dn[i] === '#') {
      // A BER-encoded value (hexstring): compared as written.
      const start = i++;
      while (i < n && /[0-9a-fA-F]/.test(dn[i] ?? '')) i++;
      return dn.slice(start, i).toLowerCase();
    }
    if (dn[i] === '"') {
      // RFC 1779 quoted value.
      let out = '';
      i++;
      while (i < n && dn[i] !== '"') {
        if (dn[i] === '\\' && i + 1 < n) i++;
        out += dn[i] ?? '';
        i++;
      }
      if (dn[i] !== '"') return undefined;
      i++;
      return foldText(out);
    }
    const bytes: number[] = [];
    let text = '';
    const flushBytes = (): void => {
      if (bytes.length === 0) return;
      text += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    };
    while (i < n) {
      const c = dn[i] ?? '';
      if (c === ',' || c === '+' || c === ';') break;
      if (c === '\\') {
        const pair = dn.slice(i + 1, i + 3);
        if (HEX.test(pair)) {
          bytes.push(Number.parseInt(pair, 16));
          i += 3;
          continue;
        }
        if (i + 1 >= n) return undefined;
        flushBytes();
        text += dn[i + 1] ?? '';
        i += 2;
        continue;
      }
      flushBytes();
      text += c;
      i++;
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
